/**
 * What the retention policy may remove, and removing it: the bodies (message_bodies rows) of old
 * messages, never their metadata, letters, deliveries, receipts, deadlines or events. A body goes only
 * when every one of the message's letters is past its type's cut-off AND nothing still needs the bytes:
 * no delivery waiting or leased (not yet fetched) or dead-lettered (never received), no push pending, no receipt watchdog that may still
 * offer the message again (one whose delivery is unanswered).
 * Bodies live in their own narrow table, so a prune is a DELETE that vacuum turns into free space.
 */
import type { RetentionCutoffs } from '../domain/retention.js';
import type { Database, Queryable } from './database.js';

/**
 * Messages whose body the policy lets go. $1 types, $2 their cut-offs, $3 the cut-off of every other
 * type, $4 the latest cut-off (an index range on received_at).
 */
const PRUNABLE = `
  SELECT m.id, m.received_at FROM messages m
  WHERE m.body_pruned_at IS NULL AND m.received_at < $4::timestamptz
    AND EXISTS (SELECT 1 FROM letters l WHERE l.message_id = m.id)
    AND NOT EXISTS (
      SELECT 1 FROM letters l LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS p(type, cutoff) ON p.type = l.type
      WHERE l.message_id = m.id
        AND (CASE WHEN p.type IS NULL THEN $3::timestamptz ELSE p.cutoff END IS NULL
             OR m.received_at >= CASE WHEN p.type IS NULL THEN $3::timestamptz ELSE p.cutoff END))
    -- dead: the receiver never got it, and operations may still send it again
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state IN ('waiting', 'leased', 'dead'))
    AND NOT EXISTS (
      SELECT 1 FROM outbox o JOIN deliveries d ON d.id = o.delivery_id
      WHERE d.message_id = m.id AND o.done_at IS NULL AND (o.kind = 'push' OR d.receipt_kind IS NULL))`;

function parameters(cutoffs: RetentionCutoffs): unknown[] {
  return [cutoffs.types, cutoffs.cutoffs, cutoffs.otherwise, cutoffs.latest];
}

export interface PrunableByType {
  /** The type of the message's first letter. */
  readonly type: string;
  readonly messages: number;
  /** Bytes as received (before PostgreSQL's compression). */
  readonly bytes: number;
  readonly oldest: Date;
  readonly newest: Date;
}

/** What a prune at these cut-offs would remove, per type (the dry run). */
export async function findPrunable(db: Queryable, cutoffs: RetentionCutoffs): Promise<PrunableByType[]> {
  if (cutoffs.latest === null) return [];
  const { rows } = await db.query<{ type: string; messages: number; bytes: number; oldest: Date; newest: Date }>(
    `WITH prunable AS (${PRUNABLE})
     SELECT l.type, count(*)::int AS messages, COALESCE(sum(octet_length(b.body)), 0)::bigint AS bytes,
            min(p.received_at) AS oldest, max(p.received_at) AS newest
     FROM prunable p
     JOIN message_bodies b ON b.message_id = p.id
     JOIN letters l ON l.message_id = p.id AND l.letter_index = 0
     GROUP BY l.type ORDER BY l.type`,
    parameters(cutoffs),
  );
  return rows.map((row) => ({ type: row.type, messages: row.messages, bytes: Number(row.bytes), oldest: new Date(row.oldest), newest: new Date(row.newest) }));
}

export interface PruneResult {
  readonly messages: number;
  readonly bytes: number;
}

/**
 * Removes up to `limit` bodies, oldest first, and marks their messages pruned at `now`, in one
 * statement. Rows another process is pruning at the same moment are skipped, so several workers may run it.
 */
export async function pruneBodies(db: Queryable, cutoffs: RetentionCutoffs, now: Date, limit: number): Promise<PruneResult> {
  if (cutoffs.latest === null) return { messages: 0, bytes: 0 };
  const { rows } = await db.query<{ messages: number; bytes: number }>(
    `WITH doomed AS (${PRUNABLE} ORDER BY m.received_at LIMIT $5 FOR UPDATE OF m SKIP LOCKED),
     gone AS (
       DELETE FROM message_bodies b USING doomed WHERE b.message_id = doomed.id
       RETURNING b.message_id, octet_length(b.body) AS bytes),
     marked AS (UPDATE messages m SET body_pruned_at = $6 FROM gone WHERE m.id = gone.message_id)
     SELECT count(*)::int AS messages, COALESCE(sum(bytes), 0)::bigint AS bytes FROM gone`,
    [...parameters(cutoffs), limit, now],
  );
  return { messages: rows[0]?.messages ?? 0, bytes: Number(rows[0]?.bytes ?? 0) };
}

/**
 * Makes the space of removed bodies reusable now (autovacuum would get there too on PostgreSQL; the
 * embedded store has no autovacuum). Plain VACUUM: it blocks no reader or writer, and it returns the
 * table's empty tail to the file system.
 */
export async function vacuumBodies(db: Database): Promise<void> {
  await db.query('VACUUM message_bodies');
}

/**
 * The outbox: queue work written in the same transaction as the state change that needs it (push a
 * delivery, watch for its receipt, time a deadline's breach), so a committed change never loses its
 * job. The pipeline turns pending rows into queue jobs and marks a row done once its work is.
 */
import type { Queryable } from './database.js';

export type OutboxKind = 'push' | 'receipt-watchdog' | 'deadline-breach';

/** Queue work for one delivery: push it, or watch for its receipt. */
export interface DeliveryOutboxEntry {
  readonly id: number;
  readonly kind: Exclude<OutboxKind, 'deadline-breach'>;
  readonly deliveryId: string;
  readonly dueAt: Date;
}

/** The breach timer of a pending deadline. */
export interface DeadlineOutboxEntry {
  readonly id: number;
  readonly kind: 'deadline-breach';
  readonly deadlineId: string;
  readonly dueAt: Date;
}

export type OutboxEntry = DeliveryOutboxEntry | DeadlineOutboxEntry;

interface OutboxRow {
  id: number;
  kind: OutboxKind;
  delivery_id: string | null;
  deadline_id: string | null;
  due_at: Date;
  done_at?: Date | null;
}

function outboxFromRow(row: OutboxRow): OutboxEntry {
  const base = { id: Number(row.id), dueAt: new Date(row.due_at) };
  return row.kind === 'deadline-breach'
    ? { ...base, kind: row.kind, deadlineId: row.deadline_id as string }
    : { ...base, kind: row.kind, deliveryId: row.delivery_id as string };
}

export async function pendingOutbox(db: Queryable, limit: number, afterId = 0): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxRow>(
    'SELECT id, kind, delivery_id, deadline_id, due_at FROM outbox WHERE done_at IS NULL AND id > $2 ORDER BY id LIMIT $1',
    [limit, afterId],
  );
  return rows.map(outboxFromRow);
}

export async function getOutbox(db: Queryable, id: number): Promise<(OutboxEntry & { doneAt: Date | null }) | undefined> {
  const { rows } = await db.query<OutboxRow>('SELECT id, kind, delivery_id, deadline_id, due_at, done_at FROM outbox WHERE id = $1 FOR UPDATE', [id]);
  const row = rows[0];
  return row ? { ...outboxFromRow(row), doneAt: row.done_at ? new Date(row.done_at) : null } : undefined;
}

export async function completeOutbox(tx: Queryable, id: number, now: Date): Promise<void> {
  await tx.query('UPDATE outbox SET done_at = $2 WHERE id = $1 AND done_at IS NULL', [id, now]);
}

/** The pending push rows of deliveries to `receiverEan` (queued again when a paused receiver is resumed). */
export async function pendingPushesFor(db: Queryable, receiverEan: string): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT o.id, o.kind, o.delivery_id, o.deadline_id, o.due_at FROM outbox o JOIN deliveries d ON d.id = o.delivery_id
     WHERE o.done_at IS NULL AND o.kind = 'push' AND d.receiver_ean = $1 ORDER BY o.id`,
    [receiverEan],
  );
  return rows.map(outboxFromRow);
}

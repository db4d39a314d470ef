/**
 * The operations staff's reads over the whole store: the overview's counts, message search, what the
 * message view adds to a message, and the dead letters. Each query is written for an index of
 * 003_ops.sql (named beside it) and measured at 1,000,000 messages (docs/operations-scale.md).
 */
import type { Queryable } from './database.js';
import { instantKeySql } from './audit-store.js';
import type { StateChange } from './delivery-store.js';
import type { DeliveryState, MessageSummary } from './records.js';
import { sqlParameters } from './sql-parameters.js';

/**
 * Deliveries still in play (the deliveries_unsettled partial index; the condition must read exactly
 * as its predicate for the planner to use it): not yet delivered, delivered and awaiting the receipt
 * the sender asked for, or stopped. A delivered receipt, or a message sent without asking for one,
 * is settled.
 */
const UNSETTLED_SQL = `(state IN ('waiting', 'leased', 'unacknowledged', 'dead') OR (state = 'delivered' AND receipt_due_at IS NOT NULL))`;
/** States whose every delivery is in the partial index, so a search by one can start from it. */
const INDEXED_STATES: readonly string[] = ['waiting', 'leased', 'unacknowledged', 'dead'];

export interface UnsettledCounts {
  readonly waiting: number;
  readonly leased: number;
  /** Delivered and awaiting the positive receipt the sender asked for. */
  readonly delivered: number;
  readonly unacknowledged: number;
  readonly dead: number;
  /** Delivered, a positive receipt asked for, and its watchdog deadline passed. */
  readonly receiptsOverdue: number;
}

/** Per receiver, its unsettled deliveries by state (index-only on deliveries_unsettled). */
export async function unsettledByReceiver(db: Queryable, now: Date): Promise<Map<string, UnsettledCounts>> {
  const { rows } = await db.query<{ receiver_ean: string; state: string; n: number; overdue: number }>(
    `SELECT receiver_ean, state, count(*)::int AS n, count(*) FILTER (WHERE receipt_due_at < $1)::int AS overdue
     FROM deliveries WHERE ${UNSETTLED_SQL}
     GROUP BY receiver_ean, state`,
    [now],
  );
  const byReceiver = new Map<string, { -readonly [K in keyof UnsettledCounts]: number }>();
  for (const row of rows) {
    const counts = byReceiver.get(row.receiver_ean) ?? { waiting: 0, leased: 0, delivered: 0, unacknowledged: 0, dead: 0, receiptsOverdue: 0 };
    counts[row.state as 'waiting' | 'leased' | 'delivered' | 'unacknowledged' | 'dead'] = row.n;
    if (row.state === 'delivered') counts.receiptsOverdue = row.overdue;
    byReceiver.set(row.receiver_ean, counts);
  }
  return byReceiver;
}

/**
 * When the oldest message still waiting (or leased, not yet fetched) for each receiver arrived: the
 * first by seq of each state on deliveries_inbox (receiver_ean, state, seq), one index probe apiece.
 */
export async function oldestWaiting(db: Queryable, receiverEans: readonly string[]): Promise<Map<string, Date>> {
  const first = (state: string): string =>
    `(SELECT m.received_at FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE d.receiver_ean = r.ean AND d.state = '${state}' ORDER BY d.seq LIMIT 1)`;
  const { rows } = await db.query<{ ean: string; oldest: Date | null }>(
    `SELECT r.ean, LEAST(${first('waiting')}, ${first('leased')}) AS oldest FROM unnest($1::text[]) AS r(ean)`,
    [receiverEans],
  );
  return new Map(rows.filter((r) => r.oldest !== null).map((r) => [r.ean, new Date(r.oldest as Date)]));
}

export interface TypeTotals {
  readonly type: string;
  readonly acceptedLastHour: number;
  readonly acceptedLastDay: number;
  readonly duplicatesLastHour: number;
  readonly duplicatesLastDay: number;
}

/**
 * Letters accepted from endpoints per type over the last hour and day (a resend counted as duplicate):
 * a range of messages_by_time, the types read from each message's own summary (the rows of one day
 * lie together), never a join to letters, which the planner may turn into a scan of the whole table.
 */
export async function acceptedPerType(db: Queryable, now: Date): Promise<TypeTotals[]> {
  const { rows } = await db.query<{ type: string; ah: number; ad: number; dh: number; dd: number }>(
    `SELECT x.letter->>'type' AS type,
       count(*) FILTER (WHERE x.letter->>'duplicateOf' IS NULL AND m.received_at > $2)::int AS ah,
       count(*) FILTER (WHERE x.letter->>'duplicateOf' IS NULL)::int AS ad,
       count(*) FILTER (WHERE x.letter->>'duplicateOf' IS NOT NULL AND m.received_at > $2)::int AS dh,
       count(*) FILTER (WHERE x.letter->>'duplicateOf' IS NOT NULL)::int AS dd
     FROM messages m CROSS JOIN LATERAL jsonb_array_elements(m.summary->'letters') AS x(letter)
     WHERE m.received_at > $1 AND m.received_at <= $3 AND m.origin = 'endpoint'
     GROUP BY 1 ORDER BY 1`,
    [new Date(now.getTime() - 24 * 3_600_000), new Date(now.getTime() - 3_600_000), now],
  );
  return rows.map((r) => ({ type: r.type, acceptedLastHour: r.ah, acceptedLastDay: r.ad, duplicatesLastHour: r.dh, duplicatesLastDay: r.dd }));
}

/** Deadlines breached since each instant (deadlines_breached); `since` must be ordered oldest first. */
export async function breachesSince(db: Queryable, since: readonly Date[], now: Date): Promise<number[]> {
  if (since.length === 0) return [];
  const { rows } = await db.query<Record<string, number>>(
    `SELECT ${since.map((_, i) => `count(*) FILTER (WHERE breached_at >= $${i + 2})::int AS c${i}`).join(', ')}
     FROM deadlines WHERE breached_at >= $2 AND breached_at <= $1`,
    [now, ...since],
  );
  return since.map((_, i) => rows[0]?.[`c${i}`] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Search

export interface MessageSearch {
  readonly patientRef?: string;
  readonly envelopeId?: string;
  readonly letterId?: string;
  readonly id?: string;
  readonly sender?: string;
  readonly receiver?: string;
  readonly type?: string;
  /** A delivery state (some delivery of the message is in it) or 'duplicate' (a resend of letters seen before). */
  readonly status?: DeliveryState | 'duplicate';
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

export interface MessageHit {
  readonly id: string;
  readonly envelopeId: string;
  readonly sender: string;
  readonly origin: string;
  readonly status: string;
  readonly receivedAt: Date;
  /** received_at to the microsecond, for the cursor. */
  readonly receivedKey: string;
  readonly letters: readonly { readonly letterId: string; readonly type: string }[];
  readonly deliveries: readonly { readonly receiver: string; readonly role: string; readonly state: DeliveryState }[];
}

/**
 * Newest first, keyset-paginated on (received_at, id). Each filter is a condition the planner can
 * start from: the id (primary key), the envelope (messages_by_envelope), the patient
 * (letters_by_patient), the letter (letters_by_letter_id), the sender (messages_by_sender_time), a
 * rare status (deliveries_unsettled); the rest narrow a newest-first walk of messages_by_time, which
 * stops after one page. `receiver` is a receiver or copy receiver the message was addressed to.
 */
export async function searchMessages(
  db: Queryable,
  search: MessageSearch,
  page: { readonly limit: number; readonly before?: { readonly at: string; readonly id: string } },
): Promise<MessageHit[]> {
  const { params, param } = sqlParameters();
  const where: string[] = [];
  if (search.id) where.push(`m.id = ${param(search.id)}::uuid`);
  if (search.envelopeId) where.push(`m.envelope_id = ${param(search.envelopeId)}`);
  if (search.sender) where.push(`m.sender_ean = ${param(search.sender)}`);
  if (search.from) where.push(`m.received_at >= ${param(search.from)}`);
  if (search.to) where.push(`m.received_at < ${param(search.to)}`);
  if (search.patientRef) where.push(`m.id IN (SELECT l.message_id FROM letters l WHERE l.patient_ref = ${param(search.patientRef)})`);
  if (search.letterId) where.push(`m.id IN (SELECT l.message_id FROM letters l WHERE l.letter_id = ${param(search.letterId)})`);
  // Type and receiver are read from the message's own summary (its letters, their receivers and copy
  // receivers): a check on the row the newest-first walk fetches anyway, not an index probe per row.
  if (search.type) where.push(`m.summary->'letters' @> jsonb_build_array(jsonb_build_object('type', ${param(search.type)}::text))`);
  if (search.receiver) {
    const receiver = param(search.receiver);
    where.push(
      `(m.summary->'letters' @> jsonb_build_array(jsonb_build_object('receiverEan', ${receiver}::text))
        OR m.summary->'letters' @> jsonb_build_array(jsonb_build_object('copies', jsonb_build_array(${receiver}::text))))`,
    );
  }
  if (search.status === 'duplicate') where.push(`m.status = 'duplicate'`);
  else if (search.status && INDEXED_STATES.includes(search.status)) {
    // A rare state: start from the partial index. The literal (not a parameter) lets the planner see
    // that the condition implies the index's predicate.
    where.push(`m.id IN (SELECT d.message_id FROM deliveries d WHERE d.state = '${search.status}')`);
  } else if (search.status) {
    where.push(`EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = ${param(search.status)})`);
  }
  if (page.before) where.push(`(m.received_at, m.id) < (${param(page.before.at)}::timestamptz, ${param(page.before.id)}::uuid)`);
  const { rows } = await db.query<{
    id: string;
    envelope_id: string;
    sender_ean: string;
    origin: string;
    status: string;
    received_at: Date;
    received_key: string;
    summary: MessageSummary;
    deliveries: { receiver: string; role: string; state: DeliveryState }[] | null;
  }>(
    `SELECT p.*, (SELECT json_agg(json_build_object('receiver', d.receiver_ean, 'role', d.role, 'state', d.state) ORDER BY d.seq)
                  FROM deliveries d WHERE d.message_id = p.id) AS deliveries
     FROM (SELECT m.id, m.envelope_id, m.sender_ean, m.origin, m.status, m.received_at, ${instantKeySql('m.received_at')} AS received_key, m.summary
           FROM messages m
           ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY m.received_at DESC, m.id DESC
           LIMIT ${param(page.limit)}) p
     ORDER BY p.received_at DESC, p.id DESC`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    envelopeId: r.envelope_id,
    sender: r.sender_ean,
    origin: r.origin,
    status: r.status,
    receivedAt: new Date(r.received_at),
    receivedKey: r.received_key,
    letters: r.summary.letters.map((l) => ({ letterId: l.letterId, type: l.type })),
    deliveries: r.deliveries ?? [],
  }));
}

// ---------------------------------------------------------------------------------------------
// What the message view adds

export interface Resend {
  readonly messageId: string;
  readonly envelopeId: string;
  readonly letterId: string;
  readonly receivedAt: Date;
}

/** Later messages that resent letters of this one (letters_resends). */
export async function resendsOf(db: Queryable, messageId: string): Promise<Resend[]> {
  const { rows } = await db.query<{ message_id: string; envelope_id: string; letter_id: string; received_at: Date }>(
    `SELECT l.message_id, m.envelope_id, l.letter_id, m.received_at
     FROM letters l JOIN messages m ON m.id = l.message_id
     WHERE l.duplicate_of = $1 ORDER BY m.received_at, l.message_id, l.letter_index`,
    [messageId],
  );
  return rows.map((r) => ({ messageId: r.message_id, envelopeId: r.envelope_id, letterId: r.letter_id, receivedAt: new Date(r.received_at) }));
}

/** The receipt messages that answered this message's deliveries, with when each arrived. */
export async function receiptArrivals(db: Queryable, messageId: string): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ id: string; received_at: Date }>(
    `SELECT r.id, r.received_at FROM deliveries d JOIN messages r ON r.id = d.receipt_message_id WHERE d.message_id = $1`,
    [messageId],
  );
  return new Map(rows.map((r) => [r.id, new Date(r.received_at)]));
}

/** The patients a message concerns, as keyed references (for the audit of a body read). */
export async function patientRefsOf(db: Queryable, messageId: string): Promise<string[]> {
  const { rows } = await db.query<{ patient_ref: string }>(
    'SELECT DISTINCT patient_ref FROM letters WHERE message_id = $1 AND patient_ref IS NOT NULL ORDER BY patient_ref',
    [messageId],
  );
  return rows.map((r) => r.patient_ref);
}

// ---------------------------------------------------------------------------------------------
// Dead letters

export interface DeadLetterFilter {
  readonly receiver?: string;
  readonly type?: string;
  /** Dead-lettered at or after (inclusive). */
  readonly from?: Date;
  /** Dead-lettered before (exclusive). */
  readonly to?: Date;
}

export interface DeadLetter {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly envelopeId: string;
  readonly sender: string;
  readonly receiver: string;
  readonly types: readonly string[];
  readonly pushAttempts: number;
  readonly receivedAt: Date;
  readonly deadAt: Date;
  readonly deadKey: string;
  /** What the last failed attempt said. */
  readonly reason: string | null;
}

function deadLetterWhere(filter: DeadLetterFilter, param: (value: unknown) => string): string[] {
  const where = [`d.state = 'dead'`];
  if (filter.receiver) where.push(`d.receiver_ean = ${param(filter.receiver)}`);
  if (filter.from) where.push(`d.updated_at >= ${param(filter.from)}`);
  if (filter.to) where.push(`d.updated_at < ${param(filter.to)}`);
  if (filter.type) {
    where.push(`EXISTS (SELECT 1 FROM letters l WHERE l.message_id = d.message_id AND l.letter_index = ANY(d.letter_indexes) AND l.type = ${param(filter.type)})`);
  }
  return where;
}

/** Dead-lettered deliveries, most recently dead first (deliveries_unsettled, state 'dead'). */
export async function listDeadLetters(
  db: Queryable,
  filter: DeadLetterFilter,
  page: { readonly limit: number; readonly before?: { readonly at: string; readonly id: string } },
): Promise<DeadLetter[]> {
  const { params, param } = sqlParameters();
  const where = deadLetterWhere(filter, param);
  if (page.before) where.push(`(d.updated_at, d.id) < (${param(page.before.at)}::timestamptz, ${param(page.before.id)}::uuid)`);
  const { rows } = await db.query<{
    id: string;
    message_id: string;
    envelope_id: string;
    sender_ean: string;
    receiver_ean: string;
    types: string[];
    push_attempts: number;
    received_at: Date;
    updated_at: Date;
    dead_key: string;
    reason: string | null;
  }>(
    `SELECT d.id, d.message_id, m.envelope_id, m.sender_ean, d.receiver_ean, d.push_attempts, m.received_at, d.updated_at,
       ${instantKeySql('d.updated_at')} AS dead_key,
       ARRAY(SELECT l.type FROM letters l WHERE l.message_id = d.message_id AND l.letter_index = ANY(d.letter_indexes) ORDER BY l.letter_index) AS types,
       (SELECT e.detail->>'reason' FROM events e WHERE e.message_id = d.message_id AND e.delivery_id = d.id AND e.kind = 'dead-lettered'
        ORDER BY e.id DESC LIMIT 1) AS reason
     FROM deliveries d JOIN messages m ON m.id = d.message_id
     WHERE ${where.join(' AND ')}
     ORDER BY d.updated_at DESC, d.id DESC LIMIT ${param(page.limit)}`,
    params,
  );
  return rows.map((r) => ({
    deliveryId: r.id,
    messageId: r.message_id,
    envelopeId: r.envelope_id,
    sender: r.sender_ean,
    receiver: r.receiver_ean,
    types: r.types,
    pushAttempts: r.push_attempts,
    receivedAt: new Date(r.received_at),
    deadAt: new Date(r.updated_at),
    deadKey: r.dead_key,
    reason: r.reason,
  }));
}

export type DeadLetterSelection = { readonly ids: readonly string[] } | { readonly filter: DeadLetterFilter };

export interface Requeued {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly receiver: string;
  readonly mode: 'pull' | 'push';
  /** The new push job's outbox row (push deliveries). */
  readonly outboxId: number | null;
}

/**
 * Puts dead-lettered deliveries back to waiting, oldest dead first, at most `max`: each gets a
 * `dead-letter-retried` event and, for push, a new outbox row (a new push job with a fresh set of
 * attempts). A delivery that is no longer dead (retried already) is left alone, so a retry that runs
 * twice re-queues nothing the second time. Call it in a transaction; signal the outbox after commit.
 */
export async function requeueDeadLetters(
  tx: Queryable,
  change: StateChange,
  selection: DeadLetterSelection,
  max: number,
  at: Date,
  detail: Record<string, unknown>,
): Promise<Requeued[]> {
  const { params, param } = sqlParameters();
  const where = 'ids' in selection ? [`d.state = 'dead'`, `d.id = ANY(${param(selection.ids)}::uuid[])`] : deadLetterWhere(selection.filter, param);
  const { rows } = await tx.query<{ id: string; message_id: string; receiver_ean: string; mode: 'pull' | 'push'; outbox_id: number | null }>(
    `WITH picked AS (
       SELECT d.id FROM deliveries d WHERE ${where.join(' AND ')}
       ORDER BY d.updated_at, d.id LIMIT ${param(max)} FOR UPDATE),
     upd AS (
       UPDATE deliveries SET state = ${param(change.to)}, lease_until = NULL, updated_at = ${param(at)}
       FROM picked WHERE deliveries.id = picked.id AND deliveries.state = ${param(change.from)}
       RETURNING deliveries.id, deliveries.message_id, deliveries.receiver_ean, deliveries.mode, deliveries.seq),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, 'dead-letter-retried', ${param(at)}, ${param(JSON.stringify(detail))}::jsonb FROM upd),
     ob AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'push', id, ${param(at)}, ${param(at)} FROM upd WHERE mode = 'push'
       RETURNING id, delivery_id)
     SELECT upd.id, upd.message_id, upd.receiver_ean, upd.mode, ob.id AS outbox_id
     FROM upd LEFT JOIN ob ON ob.delivery_id = upd.id ORDER BY upd.seq`,
    params,
  );
  return rows.map((r) => ({
    deliveryId: r.id,
    messageId: r.message_id,
    receiver: r.receiver_ean,
    mode: r.mode,
    outboxId: r.outbox_id === null ? null : Number(r.outbox_id),
  }));
}

/** Deadlines breached since `since` per rule (deadlines_breached), for the metrics and the alert rules. */
export async function breachesByRuleSince(db: Queryable, since: Date, now: Date): Promise<Map<string, number>> {
  const { rows } = await db.query<{ rule_id: string; n: number }>(
    `SELECT rule_id, count(*)::int AS n FROM deadlines WHERE breached_at >= $1 AND breached_at <= $2 GROUP BY rule_id`,
    [since, now],
  );
  return new Map(rows.map((r) => [r.rule_id, r.n]));
}

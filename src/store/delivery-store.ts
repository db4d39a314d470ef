/**
 * State changes of deliveries: leasing a pull inbox, fetching, pushes, receipts and the receipt
 * watchdog. Every change takes the time from the caller (an injected clock), never from the database.
 */
import type { Queryable } from './database.js';
import { DELIVERY_COLUMNS, deliveryFromRow, type DeliveryRecord, type DeliveryRow, type ReceiptContent } from './records.js';
import type { OutboxKind } from './message-store.js';

/**
 * Leases up to `limit` of the oldest deliveries waiting for `receiverEan`. A delivery whose lease ran
 * out is waiting again. Per patient the order holds: a delivery is not offered while an earlier one
 * for the same receiver and patient is out on an unexpired lease, so later news never overtakes
 * earlier news (deliveries of one batch come in order, oldest first).
 */
export async function leaseInbox(
  tx: Queryable,
  receiverEan: string,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<{ leased: DeliveryRecord[]; expired: string[] }> {
  const { rows } = await tx.query<DeliveryRow & { was_expired: boolean }>(
    `WITH candidates AS (
       SELECT d.id, (d.state = 'leased') AS was_expired FROM deliveries d
       WHERE d.receiver_ean = $1 AND d.mode = 'pull'
         AND (d.state = 'waiting' OR (d.state = 'leased' AND d.lease_until <= $3))
         AND NOT EXISTS (
           SELECT 1 FROM deliveries e
           WHERE e.receiver_ean = d.receiver_ean AND e.seq < d.seq AND e.patient_refs && d.patient_refs
             AND e.state = 'leased' AND e.lease_until > $3)
       ORDER BY d.seq
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
     UPDATE deliveries SET state = 'leased', lease_until = $4, offers = offers + 1, updated_at = $3
     FROM candidates WHERE deliveries.id = candidates.id
     RETURNING ${DELIVERY_COLUMNS.split(', ').map((c) => `deliveries.${c}`).join(', ')}, candidates.was_expired`,
    [receiverEan, limit, now, leaseUntil],
  );
  const leased = rows.map(deliveryFromRow).sort((a, b) => a.seq - b.seq);
  return { leased, expired: rows.filter((row) => row.was_expired).map((row) => row.id) };
}

export async function getDelivery(db: Queryable, id: string, forUpdate = false): Promise<DeliveryRecord | undefined> {
  const { rows } = await db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? deliveryFromRow(rows[0]) : undefined;
}

/** Deliveries of a message to one receiver (for correlating a receipt). */
export async function deliveriesFor(tx: Queryable, messageId: string, receiverEan: string): Promise<DeliveryRecord[]> {
  const { rows } = await tx.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE message_id = $1 AND receiver_ean = $2 ORDER BY seq FOR UPDATE`,
    [messageId, receiverEan],
  );
  return rows.map(deliveryFromRow);
}

/**
 * Marks a delivery delivered (fetched or pushed) the first time; sets the receipt deadline when the
 * sender asked for a positive receipt. Returns true when this call made the change.
 */
export async function markDelivered(tx: Queryable, id: string, now: Date, receiptDueAt: Date | null): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE deliveries SET state = 'delivered', delivered_at = $2, receipt_due_at = $3, lease_until = NULL, updated_at = $2
     WHERE id = $1 AND state IN ('waiting', 'leased')`,
    [id, now, receiptDueAt],
  );
  return rowCount > 0;
}

export async function recordReceipt(
  tx: Queryable,
  id: string,
  content: ReceiptContent,
  receiptMessageId: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `UPDATE deliveries SET state = $2, receipt_kind = $3, receipt_content = $4, receipt_message_id = $5, receipt_due_at = NULL,
       lease_until = NULL, delivered_at = COALESCE(delivered_at, $6), updated_at = $6
     WHERE id = $1`,
    [id, content.kind === 'positive' ? 'acknowledged' : 'rejected', content.kind, JSON.stringify(content), receiptMessageId, now],
  );
}

/** The watchdog's re-offer: the delivery is offered (pull) or pushed (push) again. */
export async function reoffer(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(
    `UPDATE deliveries SET state = 'waiting', reoffers = reoffers + 1, receipt_due_at = NULL, lease_until = NULL, updated_at = $2 WHERE id = $1`,
    [id, now],
  );
}

export async function markUnacknowledged(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(`UPDATE deliveries SET state = 'unacknowledged', receipt_due_at = NULL, updated_at = $2 WHERE id = $1`, [id, now]);
}

export async function recordPushAttempt(tx: Queryable, id: string, now: Date): Promise<number> {
  const { rows } = await tx.query<{ push_attempts: number }>(
    'UPDATE deliveries SET push_attempts = push_attempts + 1, offers = offers + 1, updated_at = $2 WHERE id = $1 RETURNING push_attempts',
    [id, now],
  );
  return rows[0]?.push_attempts ?? 0;
}

export async function markDead(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(`UPDATE deliveries SET state = 'dead', updated_at = $2 WHERE id = $1 AND state = 'waiting'`, [id, now]);
}

export interface OutboxEntry {
  readonly id: number;
  readonly kind: OutboxKind;
  readonly deliveryId: string;
  readonly dueAt: Date;
}

export async function pendingOutbox(db: Queryable, limit: number, afterId = 0): Promise<OutboxEntry[]> {
  const { rows } = await db.query<{ id: number; kind: OutboxKind; delivery_id: string; due_at: Date }>(
    'SELECT id, kind, delivery_id, due_at FROM outbox WHERE done_at IS NULL AND id > $2 ORDER BY id LIMIT $1',
    [limit, afterId],
  );
  return rows.map((row) => ({ id: Number(row.id), kind: row.kind, deliveryId: row.delivery_id, dueAt: new Date(row.due_at) }));
}

export async function getOutbox(db: Queryable, id: number): Promise<(OutboxEntry & { doneAt: Date | null }) | undefined> {
  const { rows } = await db.query<{ id: number; kind: OutboxKind; delivery_id: string; due_at: Date; done_at: Date | null }>(
    'SELECT id, kind, delivery_id, due_at, done_at FROM outbox WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = rows[0];
  return row
    ? { id: Number(row.id), kind: row.kind, deliveryId: row.delivery_id, dueAt: new Date(row.due_at), doneAt: row.done_at ? new Date(row.done_at) : null }
    : undefined;
}

export async function completeOutbox(tx: Queryable, id: number, now: Date): Promise<void> {
  await tx.query('UPDATE outbox SET done_at = $2 WHERE id = $1 AND done_at IS NULL', [id, now]);
}

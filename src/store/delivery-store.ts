/**
 * State changes of deliveries: leasing a pull inbox, fetching, pushes, receipts and the receipt
 * watchdog. Every change takes the time from the caller (an injected clock), never from the database.
 */
import type { Queryable } from './database.js';
import {
  DELIVERY_COLUMNS,
  MESSAGE_COLUMNS,
  deliveryFromRow,
  messageFromRow,
  type DeliveryRecord,
  type DeliveryRow,
  type MessageRecord,
  type MessageRow,
  type ReceiptContent,
} from './records.js';
import type { OutboxEntry } from './outbox.js';

/**
 * Leases up to `limit` of the oldest deliveries waiting for `receiverEan` (call it in a transaction),
 * and records the `leased`
 * (and, for a lease that ran out, `lease-expired`) events, in one statement. A delivery whose lease
 * ran out is waiting again. Per patient the order holds: a delivery is not offered while an earlier
 * one for the same receiver and patient is out on an unexpired lease, so later news never overtakes
 * earlier news (deliveries of one batch come in order, oldest first).
 */
export async function leaseInbox(
  db: Queryable,
  receiverEan: string,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<{ delivery: DeliveryRecord; message: MessageRecord }[]> {
  // Pollers of one inbox take turns (in the caller's transaction): with SKIP LOCKED alone, a second
  // poller would skip an earlier message another poller is leasing and hand out a later one for the
  // same patient. The lease below runs in its own statement so it sees the first poller's commit.
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('medcom-inbox:' || $1, 0))", [receiverEan], 'medcom-inbox-lock');
  const { rows } = await db.query<DeliveryRow & { was_expired: boolean; m: MessageRow }>(
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
       FOR UPDATE SKIP LOCKED),
     leased AS (
       UPDATE deliveries SET state = 'leased', lease_until = $4, offers = offers + 1, updated_at = $3
       FROM candidates WHERE deliveries.id = candidates.id
       RETURNING ${DELIVERY_COLUMNS.split(', ').map((c) => `deliveries.${c}`).join(', ')}, candidates.was_expired),
     lease_events AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, kind, $3, detail FROM (
         SELECT seq, 0 AS step, message_id, id, 'lease-expired' AS kind, '{}'::jsonb AS detail FROM leased WHERE was_expired
         UNION ALL
         SELECT seq, 1, message_id, id, 'leased', jsonb_build_object('until', lease_until, 'offer', offers) FROM leased) x
       ORDER BY seq, step)
     SELECT leased.*, row_to_json(m) AS m
     FROM leased JOIN (SELECT ${MESSAGE_COLUMNS} FROM messages) m ON m.id = leased.message_id
     ORDER BY leased.seq`,
    [receiverEan, limit, now, leaseUntil],
    'medcom-lease-inbox',
  );
  return rows.map((row) => ({ delivery: deliveryFromRow(row), message: messageFromRow({ ...row.m, received_at: new Date(row.m.received_at) }) }));
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
    'medcom-record-receipt',
  );
}

/**
 * The watchdog's re-offer: the delivery is offered (pull) or pushed (push) again. `receiptDueAt` keeps
 * a pull delivery under watch even if it is never fetched again.
 */
export async function reoffer(tx: Queryable, id: string, now: Date, receiptDueAt: Date | null): Promise<void> {
  await tx.query(
    `UPDATE deliveries SET state = 'waiting', reoffers = reoffers + 1, receipt_due_at = $3, lease_until = NULL, updated_at = $2 WHERE id = $1`,
    [id, now, receiptDueAt],
  );
}

/** No receipt after the last re-offer. A delivery still waiting to be fetched keeps its state, so it stays offered. */
export async function markUnacknowledged(tx: Queryable, id: string, now: Date, keepOffering: boolean): Promise<void> {
  await tx.query(
    `UPDATE deliveries SET state = CASE WHEN $3 THEN state ELSE 'unacknowledged' END, receipt_due_at = NULL, updated_at = $2 WHERE id = $1`,
    [id, now, keepOffering],
  );
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

export interface FetchedDelivery {
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
  /** The receipt watchdog armed by this (first) fetch, if the sender asked for a positive receipt. */
  readonly watchdog: OutboxEntry | undefined;
}

/**
 * A receiver fetches its message: returns the original bytes and, on the first fetch (or the first after
 * a re-offer), marks the delivery delivered, arms the receipt watchdog and records the `fetched` event — one statement, so
 * two fetches racing arm one watchdog. Undefined when the delivery is not this receiver's.
 */
export async function fetchDelivery(
  db: Queryable,
  deliveryId: string,
  receiverEan: string,
  now: Date,
  receiptDueAt: Date,
): Promise<FetchedDelivery | undefined> {
  const { rows } = await db.query<{ body: Uint8Array; content_type: string; sha256: string; outbox_id: number | null; outbox_due: Date | null }>(
    `WITH d AS (SELECT id, message_id FROM deliveries WHERE id = $1 AND receiver_ean = $2),
     m AS (SELECT id, body, content_type, sha256, ack_requested FROM messages WHERE id = (SELECT message_id FROM d)),
     upd AS (
       UPDATE deliveries SET state = 'delivered', delivered_at = $3, lease_until = NULL, updated_at = $3,
         receipt_due_at = CASE WHEN (SELECT ack_requested FROM m) THEN $4::timestamptz ELSE NULL END
       WHERE id = (SELECT id FROM d) AND state IN ('waiting', 'leased')
       RETURNING id, receipt_due_at),
     ob AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'receipt-watchdog', id, receipt_due_at, $3 FROM upd WHERE receipt_due_at IS NOT NULL
       RETURNING id, due_at),
     -- a fetch after a re-offer replaces the re-offer's watchdog: one deadline per delivery at a time
     superseded AS (
       UPDATE outbox SET done_at = $3
       WHERE delivery_id = (SELECT id FROM upd) AND kind = 'receipt-watchdog' AND done_at IS NULL),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT d.message_id, d.id, 'fetched', $3, jsonb_build_object('first', EXISTS (SELECT 1 FROM upd), 'sha256', (SELECT sha256 FROM m)) FROM d)
     SELECT m.body, m.content_type, m.sha256, (SELECT id FROM ob) AS outbox_id, (SELECT due_at FROM ob) AS outbox_due FROM m`,
    [deliveryId, receiverEan, now, receiptDueAt],
    'medcom-fetch-delivery',
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    body: Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength),
    contentType: row.content_type,
    sha256: row.sha256,
    watchdog:
      row.outbox_id === null
        ? undefined
        : { id: Number(row.outbox_id), kind: 'receipt-watchdog', deliveryId, dueAt: new Date(row.outbox_due as Date) },
  };
}

export interface AnswerTarget {
  readonly delivery: DeliveryRecord;
  readonly envelopeId: string;
  readonly senderEan: string;
  readonly letters: readonly { readonly letterId: string; readonly versionCode: string }[];
}

/** The delivery a receiver answers, locked, with what a receipt must quote; undefined if not theirs. */
export async function lockAnswerTarget(tx: Queryable, deliveryId: string, receiverEan: string): Promise<AnswerTarget | undefined> {
  const { rows } = await tx.query<DeliveryRow & { envelope_id: string; sender_ean: string; letters: { letter_id: string; version_code: string; letter_index: number }[] }>(
    `SELECT ${DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, m.envelope_id, m.sender_ean,
       (SELECT json_agg(json_build_object('letter_id', l.letter_id, 'version_code', l.version_code, 'letter_index', l.letter_index) ORDER BY l.letter_index)
        FROM letters l WHERE l.message_id = d.message_id) AS letters
     FROM deliveries d JOIN messages m ON m.id = d.message_id
     WHERE d.id = $1 AND d.receiver_ean = $2
     FOR UPDATE OF d`,
    [deliveryId, receiverEan],
    'medcom-answer-target',
  );
  const row = rows[0];
  if (!row) return undefined;
  const delivery = deliveryFromRow(row);
  return {
    delivery,
    envelopeId: row.envelope_id,
    senderEan: row.sender_ean,
    letters: (row.letters ?? [])
      .filter((l) => delivery.letterIndexes.includes(l.letter_index))
      .map((l) => ({ letterId: l.letter_id, versionCode: l.version_code })),
  };
}

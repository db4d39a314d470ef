/**
 * State changes of deliveries: leasing a pull inbox, fetching, pushes, receipts and the receipt
 * watchdog — one function, and one statement, per transition of the table in
 * domain/delivery-transitions.ts, called by the delivery lifecycle (app/delivery-lifecycle.ts) with the
 * states the table allows. Every change takes the time from the caller (an injected clock), never from
 * the database.
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
import type { DeliveryState } from '../domain/delivery-transitions.js';
import type { DeliveryOutboxEntry, OutboxEntry } from './outbox.js';

/**
 * The CTE `candidates (id, message_id, was_expired)`: up to $2 of the oldest deliveries open for the
 * receiver $1 at the time $3, locked (SKIP LOCKED), per patient in order: a delivery is not offered
 * while an earlier one for the same receiver and patient is out on an unexpired lease, so later news
 * never overtakes earlier news. A delivery whose lease ran out is open again (`was_expired`). A receiver
 * an operator paused is offered nothing (its deliveries wait).
 *
 * The receiver is matched as a range of one and ordered by (receiver_ean, seq) on purpose: only the
 * open-inbox index (migration 012) gives that order, so PostgreSQL walks the receiver's open
 * deliveries and stops at the limit. With "= $1 … ORDER BY seq" it walks the whole table in seq order
 * through every answered delivery, since it cannot know they come first (50 ms for 50 000 of them).
 */
const OPEN_INBOX_CANDIDATES = `candidates AS (
       SELECT d.id, d.message_id, (d.state = 'leased') AS was_expired FROM deliveries d
       WHERE d.receiver_ean >= $1 AND d.receiver_ean <= $1 AND d.mode = 'pull' AND d.state IN ('waiting', 'leased')
         AND (d.state = 'waiting' OR (d.state = 'leased' AND d.lease_until <= $3))
         AND NOT EXISTS (SELECT 1 FROM endpoint_pauses p WHERE p.endpoint_ean = $1)
         AND NOT EXISTS (
           SELECT 1 FROM deliveries e
           WHERE e.receiver_ean = d.receiver_ean AND e.seq < d.seq AND e.patient_refs && d.patient_refs
             AND e.state = 'leased' AND e.lease_until > $3)
       ORDER BY d.receiver_ean, d.seq
       LIMIT $2
       FOR UPDATE SKIP LOCKED)`;

/** Pollers of one inbox take turns (in the caller's transaction), see leaseInbox. */
async function lockInbox(db: Queryable, receiverEan: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('medcom-inbox:' || $1, 0))", [receiverEan], 'medcom-inbox-lock');
}

/**
 * The `lease` transition: leases up to `limit` of the oldest deliveries open for `receiverEan` (call
 * it in a transaction) and records the `leased` (and, for a lease that ran out, `lease-expired`)
 * events, in one statement. Deliveries of one batch come in order, oldest first, per patient in order
 * (see OPEN_INBOX_CANDIDATES).
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
  await lockInbox(db, receiverEan);
  const { rows } = await db.query<DeliveryRow & { was_expired: boolean; m: MessageRow }>(
    `WITH ${OPEN_INBOX_CANDIDATES},
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

/** A change from one known state to the next, as the lifecycle decided it from the transition table. */
export interface StateChange {
  readonly from: DeliveryState;
  readonly to: DeliveryState;
}

/**
 * "Delivered, and the receipt watchdog armed", as CTEs over the CTEs `target (id)` and
 * `m (ack_requested)`: `upd` marks the target delivered when its state is one of `from` (a text[]
 * parameter); `ob` arms the watchdog when the sender asked for a positive receipt; `superseded` retires
 * an earlier watchdog (a fetch after a re-offer replaces the re-offer's: one deadline per delivery at a
 * time). The push uses it; fetchDeliveries and leaseAndFetchInbox write the same transition for a batch of rows (keep the three alike).
 */
function deliverAndArm(params: { readonly now: string; readonly due: string; readonly from: string; readonly alsoSet?: string }): string {
  const { now, due, from, alsoSet } = params;
  return `upd AS (
       UPDATE deliveries SET state = 'delivered', delivered_at = ${now}, lease_until = NULL, updated_at = ${now},
         receipt_due_at = CASE WHEN (SELECT ack_requested FROM m) THEN ${due}::timestamptz ELSE NULL END${alsoSet ? `, ${alsoSet}` : ''}
       WHERE id = (SELECT id FROM target) AND state = ANY(${from}::text[])
       RETURNING id, receipt_due_at),
     ob AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'receipt-watchdog', id, receipt_due_at, ${now} FROM upd WHERE receipt_due_at IS NOT NULL
       RETURNING id, due_at),
     superseded AS (
       UPDATE outbox SET done_at = ${now}
       WHERE delivery_id = (SELECT id FROM upd) AND kind = 'receipt-watchdog' AND done_at IS NULL)`;
}

/**
 * The CTEs `ob` and `superseded` over the CTE `upd (id, receipt_due_at)` of deliveries just delivered,
 * with the time in $3: arms each one's receipt watchdog when a receipt is due, and retires an earlier
 * watchdog of the same delivery (one deadline per delivery at a time). The batch fetches use it.
 */
const ARM_WATCHDOGS_OF_UPD = `ob AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'receipt-watchdog', id, receipt_due_at, $3 FROM upd WHERE receipt_due_at IS NOT NULL
       RETURNING id, delivery_id, due_at),
     superseded AS (
       UPDATE outbox SET done_at = $3
       WHERE delivery_id IN (SELECT id FROM upd) AND kind = 'receipt-watchdog' AND done_at IS NULL)`;

function watchdogOf(deliveryId: string, row: { outbox_id: number | null; outbox_due: Date | null }): DeliveryOutboxEntry | undefined {
  return row.outbox_id === null ? undefined : { id: Number(row.outbox_id), kind: 'receipt-watchdog', deliveryId, dueAt: new Date(row.outbox_due as Date) };
}

export interface FetchedDelivery {
  /** Undefined when the retention policy pruned it (then `bodyPrunedAt` says when). */
  readonly body: Buffer | undefined;
  readonly bodyPrunedAt: Date | null;
  readonly contentType: string;
  readonly sha256: string;
  /** The receipt watchdog armed by this (first) fetch, if the sender asked for a positive receipt. */
  readonly watchdog: OutboxEntry | undefined;
  /** This fetch delivered the message (the first, or the first after a re-offer). */
  readonly delivered: boolean;
}

/**
 * The `fetch` transition: a receiver fetches its message. Returns the original bytes and, on the first
 * fetch (or the first after a re-offer) — the delivery in one of the states `from` — marks it delivered,
 * arms the receipt watchdog and records the `fetched` event, in one statement, so two fetches racing arm
 * one watchdog. Undefined when the delivery is not this receiver's.
 */
export async function fetchDelivery(
  db: Queryable,
  deliveryId: string,
  receiverEan: string,
  from: readonly DeliveryState[],
  now: Date,
  receiptDueAt: Date,
): Promise<FetchedDelivery | undefined> {
  return (await fetchDeliveries(db, [deliveryId], receiverEan, from, now, receiptDueAt)).get(deliveryId);
}

/**
 * The `fetch` transition for one or many deliveries of one receiver, in ONE statement: each is marked delivered from one of the states `from`,
 * its receipt watchdog armed (an earlier one retired) and its `fetched` event recorded, so two fetches
 * racing arm one watchdog. Keyed by delivery id; a delivery that is not this receiver's is absent.
 */
export async function fetchDeliveries(
  db: Queryable,
  deliveryIds: readonly string[],
  receiverEan: string,
  from: readonly DeliveryState[],
  now: Date,
  receiptDueAt: Date,
): Promise<Map<string, FetchedDelivery>> {
  if (deliveryIds.length === 0) return new Map();
  const { rows } = await db.query<{
    delivery_id: string;
    body: Uint8Array | null;
    body_pruned_at: Date | null;
    content_type: string;
    sha256: string;
    delivered: boolean;
    outbox_id: number | null;
    outbox_due: Date | null;
  }>(
    `WITH target AS (SELECT id, message_id FROM deliveries WHERE id = ANY($1::uuid[]) AND receiver_ean = $2),
     m AS (
       SELECT m.id, b.body, m.body_pruned_at, m.content_type, m.sha256, m.ack_requested
       FROM messages m LEFT JOIN message_bodies b ON b.message_id = m.id
       WHERE m.id IN (SELECT message_id FROM target)),
     upd AS (
       UPDATE deliveries d SET state = 'delivered', delivered_at = $3, lease_until = NULL, updated_at = $3,
         receipt_due_at = CASE WHEN m.ack_requested THEN $4::timestamptz ELSE NULL END
       FROM target t JOIN m ON m.id = t.message_id
       WHERE d.id = t.id AND d.state = ANY($5::text[])
       RETURNING d.id, d.receipt_due_at),
     ${ARM_WATCHDOGS_OF_UPD},
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT t.message_id, t.id, 'fetched', $3, jsonb_build_object('first', EXISTS (SELECT 1 FROM upd WHERE upd.id = t.id), 'sha256', m.sha256)
       FROM target t JOIN m ON m.id = t.message_id
       -- a body the retention policy pruned is not fetched (410): nothing to record
       WHERE m.body IS NOT NULL)
     SELECT t.id AS delivery_id, m.body, m.body_pruned_at, m.content_type, m.sha256,
       EXISTS (SELECT 1 FROM upd WHERE upd.id = t.id) AS delivered, ob.id AS outbox_id, ob.due_at AS outbox_due
     FROM target t JOIN m ON m.id = t.message_id LEFT JOIN ob ON ob.delivery_id = t.id`,
    [deliveryIds, receiverEan, now, receiptDueAt, from],
    'medcom-fetch-deliveries',
  );
  return new Map(
    rows.map((row) => [
      row.delivery_id,
      {
        body: row.body ? Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength) : undefined,
        bodyPrunedAt: row.body_pruned_at ? new Date(row.body_pruned_at) : null,
        contentType: row.content_type,
        sha256: row.sha256,
        watchdog: watchdogOf(row.delivery_id, row),
        delivered: row.delivered,
      },
    ]),
  );
}

/** A delivery leased and fetched in one statement, with its message and the bytes (see leaseAndFetchInbox). */
export interface LeasedAndFetched {
  readonly delivery: DeliveryRecord;
  readonly message: MessageRecord;
  readonly fetched: FetchedDelivery;
}

/**
 * The `lease` transition followed by `fetch`, in ONE statement, for a receiver that takes its bytes
 * with the lease (`GET /api/v1/inbox?include=body`; call it in a transaction). The candidates are
 * chosen as the lease chooses them; each goes straight to delivered (from one of the states `from`,
 * those `fetch` allows), its receipt watchdog armed, and the timeline records what the two
 * transitions would (`lease-expired`, `leased`, `fetched`, in that order). Updating each delivery once
 * instead of twice halves the index entries PostgreSQL writes for it: no row of the table changes
 * without touching its indexes, as its state is indexed. `delivery.leaseUntil` is the lease granted,
 * as the item reports it; the row itself holds none, as after any fetch.
 */
export async function leaseAndFetchInbox(
  db: Queryable,
  receiverEan: string,
  limit: number,
  times: { readonly now: Date; readonly leaseUntil: Date; readonly receiptDueAt: Date },
  from: readonly DeliveryState[],
): Promise<LeasedAndFetched[]> {
  await lockInbox(db, receiverEan);
  const { rows } = await db.query<
    DeliveryRow & { m: MessageRow; body: Uint8Array | null; outbox_id: number | null; outbox_due: Date | null }
  >(
    `WITH ${OPEN_INBOX_CANDIDATES},
     m AS (SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT message_id FROM candidates)),
     upd AS (
       UPDATE deliveries d SET state = 'delivered', delivered_at = $3, lease_until = NULL, offers = d.offers + 1, updated_at = $3,
         receipt_due_at = CASE WHEN m.ack_requested THEN $5::timestamptz ELSE NULL END
       FROM candidates c JOIN m ON m.id = c.message_id
       WHERE d.id = c.id AND d.state = ANY($6::text[])
       RETURNING ${DELIVERY_COLUMNS.split(', ').map((col) => `d.${col}`).join(', ')}, c.was_expired,
         EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = c.message_id) AS has_body, m.sha256 AS message_sha256),
     ${ARM_WATCHDOGS_OF_UPD},
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, kind, $3, detail FROM (
         SELECT seq, 0 AS step, message_id, id, 'lease-expired' AS kind, '{}'::jsonb AS detail FROM upd WHERE was_expired
         UNION ALL
         SELECT seq, 1, message_id, id, 'leased', jsonb_build_object('until', $4::timestamptz, 'offer', offers) FROM upd
         UNION ALL
         -- a body the retention policy pruned is not fetched: nothing to record, as for GET /api/v1/inbox/{id}
         SELECT seq, 2, message_id, id, 'fetched', jsonb_build_object('first', true, 'sha256', message_sha256) FROM upd WHERE has_body) x
       ORDER BY seq, step)
     SELECT ${DELIVERY_COLUMNS.split(', ').filter((col) => col !== 'lease_until').map((col) => `upd.${col}`).join(', ')}, $4::timestamptz AS lease_until,
       row_to_json(m) AS m, b.body, ob.id AS outbox_id, ob.due_at AS outbox_due
     FROM upd JOIN m ON m.id = upd.message_id LEFT JOIN message_bodies b ON b.message_id = upd.message_id LEFT JOIN ob ON ob.delivery_id = upd.id
     ORDER BY upd.seq`,
    [receiverEan, limit, times.now, times.leaseUntil, times.receiptDueAt, from],
    'medcom-lease-and-fetch-inbox',
  );
  return rows.map((row) => {
    const message = messageFromRow({ ...row.m, received_at: new Date(row.m.received_at) });
    return {
      delivery: deliveryFromRow(row),
      message,
      fetched: {
        body: row.body ? Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength) : undefined,
        bodyPrunedAt: message.bodyPrunedAt,
        contentType: message.contentType,
        sha256: message.sha256,
        watchdog: watchdogOf(row.id, row),
        delivered: true,
      },
    };
  });
}

/**
 * The `push` transition: the receiver's endpoint took the message. Marks the delivery delivered (from
 * one of the states `from`), counts the attempt, arms the receipt watchdog, records the `pushed` event
 * and marks the push's outbox row done, in one statement. `delivered` is false when the delivery had
 * already moved on (the row is done all the same).
 */
export async function recordPushed(
  tx: Queryable,
  deliveryId: string,
  from: readonly DeliveryState[],
  now: Date,
  receiptDueAt: Date,
  pushed: { readonly httpStatus: number; readonly outboxId: number },
): Promise<{ delivered: boolean; watchdog: DeliveryOutboxEntry | undefined }> {
  const { rows } = await tx.query<{ delivered: boolean; outbox_id: number | null; outbox_due: Date | null }>(
    `WITH target AS (SELECT id, message_id FROM deliveries WHERE id = $1),
     m AS (SELECT ack_requested FROM messages WHERE id = (SELECT message_id FROM target)),
     ${deliverAndArm({ now: '$2', due: '$3', from: '$4', alsoSet: 'push_attempts = push_attempts + 1, offers = offers + 1' })},
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT target.message_id, target.id, 'pushed', $2, jsonb_build_object('httpStatus', $5::int) FROM target WHERE EXISTS (SELECT 1 FROM upd)),
     done AS (UPDATE outbox SET done_at = $2 WHERE id = $6 AND done_at IS NULL)
     SELECT EXISTS (SELECT 1 FROM upd) AS delivered, (SELECT id FROM ob) AS outbox_id, (SELECT due_at FROM ob) AS outbox_due`,
    [deliveryId, now, receiptDueAt, from, pushed.httpStatus, pushed.outboxId],
    'medcom-record-pushed',
  );
  const row = rows[0];
  return { delivered: row?.delivered ?? false, watchdog: row ? watchdogOf(deliveryId, row) : undefined };
}

/**
 * The `push-fail` and `dead-letter` transitions: counts the failed attempt and records `push-failed`;
 * the last one (`final`) also records `dead-lettered` and marks the push's outbox row done. Nothing
 * changes unless the delivery is still in `change.from`. Returns the attempt's number, or undefined.
 */
export async function recordPushFailure(
  tx: Queryable,
  deliveryId: string,
  change: StateChange,
  now: Date,
  failure: { readonly reason: string; readonly final: boolean; readonly outboxId: number },
): Promise<number | undefined> {
  const { rows } = await tx.query<{ push_attempts: number }>(
    `WITH upd AS (
       UPDATE deliveries SET state = $3, push_attempts = push_attempts + 1, offers = offers + 1, updated_at = $4
       WHERE id = $1 AND state = $2
       RETURNING id, message_id, push_attempts),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, kind, $4, detail FROM (
         SELECT 0 AS step, message_id, id, 'push-failed' AS kind,
           jsonb_build_object('attempt', push_attempts, 'reason', $5::text, 'final', $6::boolean) AS detail FROM upd
         UNION ALL
         SELECT 1, message_id, id, 'dead-lettered', jsonb_build_object('attempts', push_attempts, 'reason', $5::text) FROM upd WHERE $6) x
       ORDER BY step),
     done AS (UPDATE outbox SET done_at = $4 WHERE id = $7 AND done_at IS NULL AND $6 AND EXISTS (SELECT 1 FROM upd))
     SELECT push_attempts FROM upd`,
    [deliveryId, change.from, change.to, now, failure.reason, failure.final, failure.outboxId],
    'medcom-record-push-failure',
  );
  return rows[0] ? Number(rows[0].push_attempts) : undefined;
}

/** One receiver's answer to record on a delivery (see recordReceipts). */
export interface ReceiptRecord {
  readonly deliveryId: string;
  readonly change: StateChange;
  readonly content: ReceiptContent;
  readonly receiptMessageId: string;
}

/**
 * The `acknowledge` and `reject` transitions, for a batch of deliveries in one statement: records each
 * receiver's answer on its delivery and the `receipted` event, and retires the delivery's receipt
 * watchdog (it has nothing left to watch). Returns the ids of the deliveries that were still in their
 * `change.from`. The watchdog's job, should it still run, finds its row done: a receiver that answers
 * keeps no open outbox rows behind, so the outbox reconciler's pass stays as short as what is really
 * outstanding.
 */
export async function recordReceipts(tx: Queryable, receipts: readonly ReceiptRecord[], now: Date): Promise<Set<string>> {
  if (receipts.length === 0) return new Set();
  const { rows } = await tx.query<{ id: string }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(delivery_id uuid, from_state text, to_state text, kind text, content jsonb, receipt_message_id uuid)),
     upd AS (
       UPDATE deliveries d SET state = i.to_state, receipt_kind = i.kind, receipt_content = i.content, receipt_message_id = i.receipt_message_id,
         receipt_due_at = NULL, lease_until = NULL, delivered_at = COALESCE(d.delivered_at, $2), updated_at = $2
       FROM input i
       WHERE d.id = i.delivery_id AND d.state = i.from_state
       RETURNING d.id, d.message_id, d.seq, i.content, i.receipt_message_id),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, 'receipted', $2, content || jsonb_build_object('receiptMessageId', receipt_message_id::text) FROM upd ORDER BY seq),
     watchdog AS (
       UPDATE outbox SET done_at = $2
       WHERE delivery_id IN (SELECT id FROM upd) AND kind = 'receipt-watchdog' AND done_at IS NULL)
     SELECT id FROM upd`,
    [
      JSON.stringify(
        receipts.map((r) => ({ delivery_id: r.deliveryId, from_state: r.change.from, to_state: r.change.to, kind: r.content.kind, content: r.content, receipt_message_id: r.receiptMessageId })),
      ),
      now,
    ],
    'medcom-record-receipts',
  );
  return new Set(rows.map((row) => row.id));
}

/**
 * The `reoffer` transition (the receipt watchdog): the delivery waits to be offered (pull) or pushed
 * (push) again, with the `reoffered` event. `receiptDueAt` keeps a pull delivery under watch even if it
 * is never fetched again (a new watchdog row); a push delivery gets a new push row. One statement;
 * returns the outbox rows it wrote (none when the delivery was no longer in `change.from`).
 */
export async function reoffer(
  tx: Queryable,
  deliveryId: string,
  change: StateChange,
  now: Date,
  next: { readonly receiptDueAt: Date | null; readonly push: boolean; readonly reoffer: number; readonly of: number },
): Promise<DeliveryOutboxEntry[]> {
  const { rows } = await tx.query<{ id: number; kind: 'push' | 'receipt-watchdog'; due_at: Date }>(
    `WITH upd AS (
       UPDATE deliveries SET state = $3, reoffers = reoffers + 1, receipt_due_at = $5, lease_until = NULL, updated_at = $4
       WHERE id = $1 AND state = $2
       RETURNING id, message_id),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, 'reoffered', $4, jsonb_build_object('reoffer', $7::int, 'of', $8::int) FROM upd)
     INSERT INTO outbox (kind, delivery_id, due_at, created_at)
     SELECT x.kind, upd.id, x.due_at, $4 FROM upd, (
       SELECT 'receipt-watchdog' AS kind, $5::timestamptz AS due_at WHERE $5::timestamptz IS NOT NULL
       UNION ALL
       SELECT 'push', $4::timestamptz WHERE $6) x
     RETURNING id, kind, due_at`,
    [deliveryId, change.from, change.to, now, next.receiptDueAt, next.push, next.reoffer, next.of],
    'medcom-reoffer',
  );
  return rows.map((row) => ({ id: Number(row.id), kind: row.kind, deliveryId, dueAt: new Date(row.due_at) }));
}

/**
 * The `give-up` transition: no receipt after the last re-offer. The receipt deadline is cleared and the
 * `unacknowledged` event recorded; `change.to` says whether the delivery stays offered.
 */
export async function markUnacknowledged(tx: Queryable, deliveryId: string, change: StateChange, now: Date, detail: Record<string, unknown>): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    `WITH upd AS (
       UPDATE deliveries SET state = $3, receipt_due_at = NULL, updated_at = $4 WHERE id = $1 AND state = $2
       RETURNING id, message_id),
     ev AS (INSERT INTO events (message_id, delivery_id, kind, at, detail) SELECT message_id, id, 'unacknowledged', $4, $5::jsonb FROM upd)
     SELECT id FROM upd`,
    [deliveryId, change.from, change.to, now, JSON.stringify(detail)],
    'medcom-mark-unacknowledged',
  );
  return rows.length > 0;
}

export interface AnswerTarget {
  readonly delivery: DeliveryRecord;
  readonly envelopeId: string;
  readonly senderEan: string;
  readonly letters: readonly { readonly letterId: string; readonly versionCode: string }[];
}

/**
 * The deliveries a receiver answers, locked, each with what a receipt must quote; those not theirs are
 * missing from the map. One statement, locking in the order of the ids, so two transactions locking
 * overlapping sets lock them alike and cannot deadlock.
 */
export async function lockAnswerTargets(tx: Queryable, deliveryIds: readonly string[], receiverEan: string): Promise<Map<string, AnswerTarget>> {
  const { rows } = await tx.query<DeliveryRow & { envelope_id: string; sender_ean: string; letters: { letter_id: string; version_code: string; letter_index: number }[] }>(
    `SELECT ${DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, m.envelope_id, m.sender_ean,
       (SELECT json_agg(json_build_object('letter_id', l.letter_id, 'version_code', l.version_code, 'letter_index', l.letter_index) ORDER BY l.letter_index)
        FROM letters l WHERE l.message_id = d.message_id) AS letters
     FROM deliveries d JOIN messages m ON m.id = d.message_id
     WHERE d.id = ANY($1::uuid[]) AND d.receiver_ean = $2
     ORDER BY d.id
     FOR UPDATE OF d`,
    [[...new Set(deliveryIds)], receiverEan],
    'medcom-answer-targets',
  );
  const targets = new Map<string, AnswerTarget>();
  for (const row of rows) {
    const delivery = deliveryFromRow(row);
    targets.set(delivery.id, {
      delivery,
      envelopeId: row.envelope_id,
      senderEan: row.sender_ean,
      letters: (row.letters ?? [])
        .filter((l) => delivery.letterIndexes.includes(l.letter_index))
        .map((l) => ({ letterId: l.letter_id, versionCode: l.version_code })),
    });
  }
  return targets;
}

export interface Redelivery {
  readonly id: string;
  readonly messageId: string;
  readonly receiverEan: string;
  readonly mode: 'pull' | 'push';
  /** The push row of a push redelivery (signal it after commit). */
  readonly outbox: readonly DeliveryOutboxEntry[];
}

/**
 * The `redeliver` transition: a new delivery `id`, waiting, of the same letters to the same receiver
 * as `parentId`, which must be in one of `from` (its own state and receipt stay as they are). The new
 * row records its parent (`redelivery_of`), the `redelivered` event is written on it, and a push
 * delivery gets its push row. One statement; undefined when the parent is not in one of `from`.
 */
export async function insertRedelivery(
  tx: Queryable,
  parentId: string,
  from: readonly DeliveryState[],
  redelivery: { readonly id: string; readonly mode: 'pull' | 'push'; readonly detail: Record<string, unknown> },
  now: Date,
): Promise<Redelivery | undefined> {
  const { rows } = await tx.query<{ id: string; message_id: string; receiver_ean: string; outbox_id: number | null }>(
    `WITH ins AS (
       INSERT INTO deliveries (id, message_id, letter_indexes, receiver_ean, role, mode, patient_refs, state, updated_at, redelivery_of)
       SELECT $3, p.message_id, p.letter_indexes, p.receiver_ean, p.role, $4, p.patient_refs, 'waiting', $5, p.id
       FROM deliveries p WHERE p.id = $1 AND p.state = ANY($2::text[])
       RETURNING id, message_id, receiver_ean),
     ev AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT message_id, id, 'redelivered', $5, $6::jsonb FROM ins),
     ob AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'push', id, $5, $5 FROM ins WHERE $4 = 'push'
       RETURNING id)
     SELECT ins.id, ins.message_id, ins.receiver_ean, (SELECT id FROM ob) AS outbox_id FROM ins`,
    [parentId, from, redelivery.id, redelivery.mode, now, JSON.stringify({ ...redelivery.detail, redeliveryOf: parentId })],
    'medcom-redeliver',
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    messageId: row.message_id,
    receiverEan: row.receiver_ean,
    mode: redelivery.mode,
    outbox: row.outbox_id === null ? [] : [{ id: Number(row.outbox_id), kind: 'push', deliveryId: row.id, dueAt: now }],
  };
}

/** The deliveries of a message made by redelivery, with the delivery each was made from. */
export async function redeliveryParents(db: Queryable, messageId: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; redelivery_of: string }>(
    'SELECT id, redelivery_of FROM deliveries WHERE message_id = $1 AND redelivery_of IS NOT NULL',
    [messageId],
  );
  return new Map(rows.map((r) => [r.id, r.redelivery_of]));
}

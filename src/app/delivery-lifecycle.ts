/**
 * Every state change of a delivery after acceptance, in one place: leasing and fetching a pull inbox,
 * pushes succeeding or failing, receipts, and the receipt watchdog's re-offers. Which change may happen
 * from which state is the transition table (domain/delivery-transitions.ts); each transition is one
 * store function, which changes a delivery only while it is in a state the table allows — so a job that
 * runs twice (at-least-once queues), or races a receipt, changes nothing the second time. The queue
 * workers and the inbox routes reach deliveries only through here.
 */
import { nextState, sourceStates, type DeliveryTransition } from '../domain/delivery-transitions.js';
import type { Queryable } from '../store/database.js';
import {
  deliveriesFor,
  fetchDelivery,
  getDelivery,
  insertRedelivery,
  leaseAndFetchInbox,
  leaseInbox,
  markUnacknowledged,
  recordPushed,
  recordPushFailure as storePushFailure,
  recordReceipts,
  reoffer,
  type FetchedDelivery,
  type LeasedAndFetched,
  type Redelivery,
  type StateChange,
} from '../store/delivery-store.js';
import { getMessage, getMessageBody, insertEvents, lettersOfDelivery, type NewEvent } from '../store/message-store.js';
import { requeueDeadLetters, type DeadLetterSelection, type Requeued } from '../store/ops-queries.js';
import { isPaused, notePushAccepted } from '../store/endpoint-state-store.js';
import { completeOutbox, getOutbox } from '../store/outbox.js';
import type { DeliveryRecord, MessageRecord, ReceiptContent } from '../store/records.js';
import { compareWithRecordedAnswer } from './apply-receipt.js';
import { announce, inTransaction, type AfterCommit, type GatewayContext } from './context.js';
import { fulfilByReceipt } from './deadline-tracking.js';
import { issueReceipt } from './issue-receipt.js';
import { Refusal } from './refusal.js';

/** The change `transition` makes to a delivery in state `from`; undefined when the table does not allow it. */
export function changeFor(from: DeliveryRecord['state'], transition: DeliveryTransition): StateChange | undefined {
  const to = nextState(from, transition);
  return to === undefined ? undefined : { from, to };
}

function receiptDueFrom(ctx: GatewayContext, now: Date): Date {
  return new Date(now.getTime() + ctx.settings.receiptTimeoutSeconds * 1000);
}

// ── pull: lease and fetch ──────────────────────────────────────────────────────────────────────────

/** `lease`: up to `limit` waiting deliveries of `receiverEan`, oldest first, per patient in order. */
export async function leaseDeliveries(ctx: GatewayContext, receiverEan: string, limit: number): Promise<{ delivery: DeliveryRecord; message: MessageRecord }[]> {
  const now = ctx.clock();
  return ctx.db.transaction((tx) => leaseInbox(tx, receiverEan, limit, now, new Date(now.getTime() + ctx.settings.leaseSeconds * 1000)));
}

/** `fetch`: the original bytes; the first fetch marks the delivery delivered and starts the receipt watchdog. */
export async function fetchForReceiver(ctx: GatewayContext, receiverEan: string, deliveryId: string): Promise<FetchedDelivery | undefined> {
  const now = ctx.clock();
  const fetched = await fetchDelivery(ctx.db, deliveryId, receiverEan, sourceStates('fetch'), now, receiptDueFrom(ctx, now));
  if (fetched?.delivered) {
    ctx.meters?.delivery('pull', 'delivered');
    announce(ctx, 'delivered', { deliveryId, receiver: receiverEan, mode: 'pull' });
  }
  if (fetched?.watchdog) await ctx.signals.outbox([fetched.watchdog]).catch(() => undefined);
  return fetched;
}

/**
 * `lease`, then `fetch` of each delivery leased, in ONE statement and one durable commit for the batch
 * instead of one per item (what `GET /api/v1/inbox?include=body` rests on). The receipt watchdogs'
 * queue jobs, the counters and the ops events follow the commit, all together.
 */
export async function leaseAndFetch(ctx: GatewayContext, receiverEan: string, limit: number): Promise<LeasedAndFetched[]> {
  const now = ctx.clock();
  const times = { now, leaseUntil: new Date(now.getTime() + ctx.settings.leaseSeconds * 1000), receiptDueAt: receiptDueFrom(ctx, now) };
  return inTransaction(ctx, async (tx, effects) => {
    const results = await leaseAndFetchInbox(tx, receiverEan, limit, times, sourceStates('fetch'));
    for (const { delivery, fetched } of results) {
      effects.count(() => ctx.meters?.delivery('pull', 'delivered'));
      effects.announce(ctx, 'delivered', { deliveryId: delivery.id, receiver: receiverEan, mode: 'pull' });
      if (fetched.watchdog) effects.outbox.push(fetched.watchdog);
    }
    return results;
  });
}

// ── push ───────────────────────────────────────────────────────────────────────────────────────────

export interface PushPayload {
  readonly deliveryId: string;
  readonly receiverEan: string;
  readonly url: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
  readonly messageId: string;
  readonly envelopeId: string;
}

/**
 * What a push job sends; undefined when there is nothing (left) to push; 'paused' when an operator
 * paused the receiver: the delivery waits (its push row stays pending) and goes out after the resume.
 */
export async function loadPush(ctx: GatewayContext, deliveryId: string): Promise<PushPayload | 'paused' | undefined> {
  const delivery = await getDelivery(ctx.db, deliveryId);
  if (!delivery || !changeFor(delivery.state, 'push') || delivery.mode !== 'push') return undefined;
  const endpoint = ctx.register.find(delivery.receiverEan);
  if (!endpoint || endpoint.delivery.mode !== 'push') return undefined;
  if (await isPaused(ctx.db, delivery.receiverEan)) return 'paused';
  const message = (await getMessage(ctx.db, delivery.messageId)) as MessageRecord;
  // Retention never prunes a body with a push still pending; should it be gone all the same, there is nothing to send.
  const body = await getMessageBody(ctx.db, delivery.messageId);
  if (!body) return undefined;
  return {
    deliveryId,
    receiverEan: delivery.receiverEan,
    url: endpoint.delivery.url,
    body,
    contentType: message.contentType,
    sha256: message.sha256,
    messageId: message.id,
    envelopeId: message.envelopeId,
  };
}

/**
 * A push job found nothing to push (see loadPush). When the delivery can no longer be pushed (pushed,
 * dead, answered, gone) its outbox row is simply done: 'done'. A delivery still waiting for a receiver
 * that is no longer a push endpoint keeps its row pending: the receiver's EAN is returned.
 */
export async function settleUnpushable(ctx: GatewayContext, outboxId: number, deliveryId: string): Promise<{ readonly waitsFor: string } | 'done'> {
  const delivery = await getDelivery(ctx.db, deliveryId);
  if (!delivery || !changeFor(delivery.state, 'push') || delivery.mode !== 'push') {
    await completeOutbox(ctx.db, outboxId, ctx.clock());
    return 'done';
  }
  return { waitsFor: delivery.receiverEan };
}

/** `push`: the receiver's endpoint took the message. */
export async function recordPushSuccess(ctx: GatewayContext, outboxId: number, deliveryId: string, httpStatus: number, receiverEan: string): Promise<void> {
  const now = ctx.clock();
  const { delivered, watchdog } = await recordPushed(ctx.db, deliveryId, sourceStates('push'), now, receiptDueFrom(ctx, now), { httpStatus, outboxId });
  if (delivered) {
    ctx.meters?.delivery('push', 'delivered');
    announce(ctx, 'delivered', { deliveryId, receiver: receiverEan, mode: 'push' });
  }
  if (watchdog) await ctx.signals.outbox([watchdog]).catch(() => undefined);
  // The overview's "last accepted a push" (after the watchdog is queued: it does not wait for a note);
  // a note that cannot be written does not undo a push that was recorded.
  if (delivered) await notePushAccepted(ctx.db, receiverEan, now).catch(() => undefined);
}

/**
 * `push-fail`, or `dead-letter` for the last attempt: then an event is raised and the sender receives
 * an XCTL01 as a VANS would send it.
 */
export async function recordPushFailure(ctx: GatewayContext, outboxId: number, deliveryId: string, reason: string, final: boolean): Promise<void> {
  await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const delivery = await getDelivery(tx, deliveryId, true);
    const change = delivery && changeFor(delivery.state, final ? 'dead-letter' : 'push-fail');
    if (!delivery || !change) {
      await completeOutbox(tx, outboxId, now);
      return;
    }
    const attempt = await storePushFailure(tx, deliveryId, change, now, { reason, final, outboxId });
    if (attempt !== undefined) ctx.meters?.delivery('push', final ? 'dead-lettered' : 'push-failed');
    if (!final || attempt === undefined) return;
    effects.announce(ctx, 'dead-lettered', { deliveryId, messageId: delivery.messageId, receiver: delivery.receiverEan, mode: 'push' });
    const message = (await getMessage(tx, delivery.messageId)) as MessageRecord;
    if (message.origin === 'gateway') return; // never answer a receipt with a receipt
    await issueReceipt(tx, ctx, effects, {
      kind: 'negative-vans',
      issuerEan: ctx.register.gatewayEan,
      original: {
        messageId: message.id,
        envelopeId: message.envelopeId,
        senderEan: message.senderEan,
        receiverEan: delivery.receiverEan,
        letters: await lettersOfDelivery(tx, message.id, delivery.letterIndexes),
      },
      refuse: { code: 'ikke_specificeret', text: `the message could not be delivered to ${delivery.receiverEan} after ${attempt} attempts` },
      reason: `push to ${delivery.receiverEan} dead-lettered`,
    });
  });
}

// ── receipts ───────────────────────────────────────────────────────────────────────────────────────

export type ReceiptOutcome = 'recorded' | 'repeated';

/** An answer to record (see recordAnswers). */
export interface AnswerToRecord {
  readonly delivery: DeliveryRecord;
  readonly content: ReceiptContent;
  readonly receiptMessageId: string;
}

/**
 * `acknowledge` or `reject`, in the caller's transaction, the deliveries locked: records the receivers'
 * answers in one statement (call compareWithRecordedAnswer first: an answer on record is repeated or a
 * conflict). A positive one also closes the deadlines that rules fulfil by a receipt, message by
 * message in the order given (callers sort by message, so concurrent batches lock alike).
 */
export async function recordAnswers(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, answers: readonly AnswerToRecord[], now: Date): Promise<void> {
  const receipts = answers.map(({ delivery, content, receiptMessageId }) => {
    const change = changeFor(delivery.state, content.kind === 'positive' ? 'acknowledge' : 'reject');
    // Only a delivery with an answer on record leaves the states a receipt starts from, and such an
    // answer was compared first: reaching here without a change is a defect, not bad input.
    if (!change) throw cannotTakeReceipt(delivery);
    return { deliveryId: delivery.id, change, content, receiptMessageId };
  });
  const recorded = await recordReceipts(tx, receipts, now);
  for (const { delivery, content, receiptMessageId } of answers) {
    if (!recorded.has(delivery.id)) throw cannotTakeReceipt(delivery);
    const outcome = content.kind === 'positive' ? 'acknowledged' : 'rejected';
    const { deliveredAt } = delivery;
    effects.count(() => {
      ctx.meters?.delivery(delivery.mode, outcome);
      if (deliveredAt) ctx.meters?.receiptLatency(Math.max(0, (now.getTime() - deliveredAt.getTime()) / 1000));
    });
    effects.announce(ctx, outcome, { deliveryId: delivery.id, messageId: delivery.messageId, receiver: delivery.receiverEan, mode: delivery.mode });
    if (content.kind === 'positive') await fulfilByReceipt(tx, ctx, delivery.messageId, delivery.receiverEan, receiptMessageId, now);
  }
}

function cannotTakeReceipt(delivery: DeliveryRecord): Error {
  return new Error(`delivery ${delivery.id} cannot take a receipt in state ${delivery.state}`);
}

/** One answer; see recordAnswers. */
export async function recordAnswer(
  tx: Queryable,
  ctx: GatewayContext,
  effects: AfterCommit,
  delivery: DeliveryRecord,
  content: ReceiptContent,
  receiptMessageId: string,
  now: Date,
): Promise<void> {
  await recordAnswers(tx, ctx, effects, [{ delivery, content, receiptMessageId }], now);
}

/** The timeline's note of the same answer again (harmless, only logged). */
export function repeatedAnswerEvent(delivery: DeliveryRecord, kind: ReceiptContent['kind'], receiptMessageId: string | undefined): NewEvent {
  const detail = { kind, ...(receiptMessageId ? { receiptMessageId } : {}) };
  return { messageId: delivery.messageId, deliveryId: delivery.id, kind: 'receipt-repeated', detail };
}

/** The same answer again: harmless, only logged on the timeline. */
export async function noteRepeatedAnswer(tx: Queryable, delivery: DeliveryRecord, kind: ReceiptContent['kind'], receiptMessageId: string | undefined, now: Date): Promise<void> {
  await insertEvents(tx, [repeatedAnswerEvent(delivery, kind, receiptMessageId)], now);
}

/**
 * A receipt message from `receiverEan` answering `original`: recorded on each of the deliveries it
 * answers. MedCom: a receiver never answers positive and then negative (or the reverse); the same
 * answer again is harmless and only logged.
 */
export async function answerDeliveries(
  tx: Queryable,
  ctx: GatewayContext,
  effects: AfterCommit,
  original: MessageRecord,
  receiverEan: string,
  content: ReceiptContent,
  receiptMessageId: string,
  now: Date,
): Promise<ReceiptOutcome> {
  const deliveries = await deliveriesFor(tx, original.id, receiverEan);
  if (deliveries.length === 0) {
    throw new Refusal(403, 'not-the-receiver', 'Not the receiver', `${receiverEan} did not receive message ${original.envelopeId} from ${original.senderEan}, so it cannot answer it`);
  }
  let outcome: ReceiptOutcome = 'recorded';
  for (const delivery of deliveries) {
    if (compareWithRecordedAnswer(delivery.receiptContent, content, original.envelopeId) === 'new') {
      await recordAnswer(tx, ctx, effects, delivery, content, receiptMessageId, now);
    } else {
      outcome = 'repeated';
      await noteRepeatedAnswer(tx, delivery, content.kind, receiptMessageId, now);
    }
  }
  return outcome;
}

// ── the receipt watchdog ──────────────────────────────────────────────────────────────────────────

export type WatchdogOutcome = 'not-due' | 'answered' | 'reoffered' | 'unacknowledged' | 'done';

/**
 * The receipt watchdog (MedCom: resend after 30 minutes without a receipt, at most 2 times): `reoffer`
 * a delivered message still unanswered at its deadline; after the last re-offer, `give-up` (marked
 * unacknowledged, with an event).
 */
export async function runReceiptWatchdog(ctx: GatewayContext, outboxId: number): Promise<WatchdogOutcome> {
  return inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const entry = await getOutbox(tx, outboxId);
    if (!entry || entry.doneAt || entry.kind === 'deadline-breach') return 'done';
    if (entry.dueAt.getTime() > now.getTime()) return 'not-due';
    await completeOutbox(tx, outboxId, now);
    const delivery = await getDelivery(tx, entry.deliveryId, true);
    if (!delivery) return 'answered';
    // Watched: delivered and unanswered, or re-offered (pull) and not fetched again. A later fetch moves
    // the deadline, so a timer older than the delivery's current deadline is stale.
    const watched = delivery.state === 'delivered' || (delivery.mode === 'pull' && delivery.reoffers > 0 && (delivery.state === 'waiting' || delivery.state === 'leased'));
    const stale = delivery.receiptDueAt === null || delivery.receiptDueAt.getTime() > entry.dueAt.getTime();
    if (!watched || stale) return 'answered';
    if (delivery.reoffers < ctx.settings.receiptMaxReoffers) {
      await reofferDelivery(tx, ctx, effects, delivery, now);
      ctx.meters?.delivery(delivery.mode, 'reoffered');
      return 'reoffered';
    }
    // A message the receiver never fetched again stays in its inbox (nothing accepted is lost); the
    // sender and operations learn from the event that MedCom's resends are used up.
    const change = changeFor(delivery.state, 'give-up') as StateChange;
    const stillOffered = change.to !== 'unacknowledged';
    await markUnacknowledged(tx, delivery.id, change, now, { reoffers: delivery.reoffers, ...(stillOffered ? { stillOffered } : {}) });
    ctx.meters?.delivery(delivery.mode, 'unacknowledged');
    return 'unacknowledged';
  });
}

/** `reoffer`: offered (pull, still watched) or pushed again. */
async function reofferDelivery(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, delivery: DeliveryRecord, now: Date): Promise<void> {
  const push = delivery.mode === 'push';
  const outbox = await reoffer(tx, delivery.id, changeFor(delivery.state, 'reoffer') as StateChange, now, {
    receiptDueAt: push ? null : receiptDueFrom(ctx, now),
    push,
    reoffer: delivery.reoffers + 1,
    of: ctx.settings.receiptMaxReoffers,
  });
  effects.outbox.push(...outbox);
  if (!push) effects.inboxes.add(delivery.receiverEan);
}

// ── operations ────────────────────────────────────────────────────────────────────────────────────

/**
 * `retry-dead-letter`, in the caller's transaction: dead-lettered deliveries go back to waiting, each
 * with a new push row (push) or offered again (pull). One that is no longer dead is left alone.
 */
export async function retryDeadLettered(tx: Queryable, selection: DeadLetterSelection, max: number, at: Date, detail: Record<string, unknown>): Promise<Requeued[]> {
  return requeueDeadLetters(tx, changeFor('dead', 'retry-dead-letter') as StateChange, selection, max, at, detail);
}

/**
 * `redeliver`, in the caller's transaction: a new waiting delivery made from `parent` (locked by the
 * caller), pushed or offered as the receiver takes deliveries today; the parent keeps its state. It
 * carries the same bytes, so the receiver sees the message it may have seen before (same envelope and
 * letter identifiers) and, by MedCom's rules, answers a duplicate with the receipt it gave the first time.
 * Undefined when the table does not allow a redelivery from the parent's state.
 */
export async function redeliverFrom(
  tx: Queryable,
  effects: AfterCommit,
  parent: DeliveryRecord,
  redelivery: { readonly id: string; readonly mode: 'pull' | 'push'; readonly detail: Record<string, unknown> },
  now: Date,
): Promise<Redelivery | undefined> {
  if (!changeFor(parent.state, 'redeliver')) return undefined;
  const made = await insertRedelivery(tx, parent.id, sourceStates('redeliver'), redelivery, now);
  if (!made) return undefined;
  effects.outbox.push(...made.outbox);
  if (made.mode === 'pull') effects.inboxes.add(made.receiverEan);
  return made;
}

/** When a timer's outbox row is due; undefined when it is done or gone (a timer job that came early waits for it). */
export async function timerDueAt(ctx: GatewayContext, outboxId: number): Promise<Date | undefined> {
  const entry = await getOutbox(ctx.db, outboxId);
  return entry && !entry.doneAt ? entry.dueAt : undefined;
}

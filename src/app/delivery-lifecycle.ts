/**
 * What happens to a delivery after acceptance, driven by the queue workers: pushes succeeding or
 * failing, dead letters, and the receipt watchdog. Each step is one transaction that also marks its
 * outbox row done, so a job that runs twice (at-least-once queues) changes nothing the second time.
 */
import type { Queryable } from '../store/database.js';
import { getDelivery, markDead, markDelivered, markUnacknowledged, recordPushAttempt, reoffer } from '../store/delivery-store.js';
import { getMessage, getMessageBody, insertEvents, lettersOfDelivery } from '../store/message-store.js';
import { completeOutbox, getOutbox, insertOutbox } from '../store/outbox.js';
import type { DeliveryRecord, MessageRecord } from '../store/records.js';
import { inTransaction, type AfterCommit, type GatewayContext } from './context.js';
import { issueReceipt } from './issue-receipt.js';

export interface PushPayload {
  readonly deliveryId: string;
  readonly url: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
  readonly messageId: string;
  readonly envelopeId: string;
}

/** What a push job sends, or undefined when there is nothing (left) to push. */
export async function loadPush(ctx: GatewayContext, deliveryId: string): Promise<PushPayload | undefined> {
  const delivery = await getDelivery(ctx.db, deliveryId);
  if (!delivery || delivery.state !== 'waiting' || delivery.mode !== 'push') return undefined;
  const endpoint = ctx.register.find(delivery.receiverEan);
  if (!endpoint || endpoint.delivery.mode !== 'push') return undefined;
  const message = (await getMessage(ctx.db, delivery.messageId)) as MessageRecord;
  const body = (await getMessageBody(ctx.db, delivery.messageId)) as Buffer;
  return {
    deliveryId,
    url: endpoint.delivery.url,
    body,
    contentType: message.contentType,
    sha256: message.sha256,
    messageId: message.id,
    envelopeId: message.envelopeId,
  };
}

/** Starts the receipt watchdog when the sender asked for a positive receipt. */
async function armWatchdog(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, delivery: DeliveryRecord, ackRequested: boolean, now: Date): Promise<Date | null> {
  if (!ackRequested) return null;
  const due = new Date(now.getTime() + ctx.settings.receiptTimeoutSeconds * 1000);
  const outboxId = await insertOutbox(tx, 'receipt-watchdog', delivery.id, due, now);
  effects.outbox.push({ id: outboxId, kind: 'receipt-watchdog', deliveryId: delivery.id, dueAt: due });
  return due;
}

/**
 * Marks a delivery delivered (the first fetch of a pull delivery, or a successful push) and arms the
 * watchdog. Returns false when it was already delivered.
 */
export async function deliver(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, delivery: DeliveryRecord, now: Date): Promise<boolean> {
  const message = (await getMessage(tx, delivery.messageId)) as MessageRecord;
  const due = message.ackRequested ? new Date(now.getTime() + ctx.settings.receiptTimeoutSeconds * 1000) : null;
  if (!(await markDelivered(tx, delivery.id, now, due))) return false;
  await armWatchdog(tx, ctx, effects, delivery, message.ackRequested, now);
  return true;
}

export async function recordPushSuccess(ctx: GatewayContext, outboxId: number, deliveryId: string, httpStatus: number): Promise<void> {
  await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const delivery = await getDelivery(tx, deliveryId, true);
    if (delivery && (await deliver(tx, ctx, effects, delivery, now))) {
      await recordPushAttempt(tx, deliveryId, now);
      await insertEvents(tx, [{ messageId: delivery.messageId, deliveryId, kind: 'pushed', detail: { httpStatus } }], now);
    }
    await completeOutbox(tx, outboxId, now);
  });
}

/**
 * A failed push attempt. When it was the last one the delivery is dead-lettered, an event is
 * raised, and the sender receives an XCTL01 as a VANS would send it.
 */
export async function recordPushFailure(ctx: GatewayContext, outboxId: number, deliveryId: string, reason: string, final: boolean): Promise<void> {
  await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const delivery = await getDelivery(tx, deliveryId, true);
    if (!delivery || delivery.state !== 'waiting') {
      await completeOutbox(tx, outboxId, now);
      return;
    }
    const attempt = await recordPushAttempt(tx, deliveryId, now);
    await insertEvents(tx, [{ messageId: delivery.messageId, deliveryId, kind: 'push-failed', detail: { attempt, reason, final } }], now);
    if (!final) return;
    await markDead(tx, deliveryId, now);
    await insertEvents(tx, [{ messageId: delivery.messageId, deliveryId, kind: 'dead-lettered', detail: { attempts: attempt, reason } }], now);
    await completeOutbox(tx, outboxId, now);
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

export type WatchdogOutcome = 'not-due' | 'answered' | 'reoffered' | 'unacknowledged' | 'done';

/**
 * The receipt watchdog (MedCom: resend after 30 minutes without a receipt, at most 2 times). A
 * delivered message still unanswered at its deadline is offered again; after the last re-offer it is
 * marked unacknowledged and an event is raised.
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
    const watched =
      delivery.state === 'delivered' || (delivery.mode === 'pull' && delivery.reoffers > 0 && (delivery.state === 'waiting' || delivery.state === 'leased'));
    const stale = delivery.receiptDueAt === null || delivery.receiptDueAt.getTime() > entry.dueAt.getTime();
    if (!watched || stale) return 'answered';
    if (delivery.reoffers < ctx.settings.receiptMaxReoffers) {
      const nextDue = delivery.mode === 'pull' ? new Date(now.getTime() + ctx.settings.receiptTimeoutSeconds * 1000) : null;
      await reoffer(tx, delivery.id, now, nextDue);
      if (nextDue) {
        const watchdogId = await insertOutbox(tx, 'receipt-watchdog', delivery.id, nextDue, now);
        effects.outbox.push({ id: watchdogId, kind: 'receipt-watchdog', deliveryId: delivery.id, dueAt: nextDue });
      }
      await insertEvents(tx, [{ messageId: delivery.messageId, deliveryId: delivery.id, kind: 'reoffered', detail: { reoffer: delivery.reoffers + 1, of: ctx.settings.receiptMaxReoffers } }], now);
      if (delivery.mode === 'push') {
        const pushId = await insertOutbox(tx, 'push', delivery.id, now, now);
        effects.outbox.push({ id: pushId, kind: 'push', deliveryId: delivery.id, dueAt: now });
      } else effects.inboxes.add(delivery.receiverEan);
      return 'reoffered';
    }
    // A message the receiver never fetched again stays in its inbox (nothing accepted is lost); the
    // sender and operations learn from the event that MedCom's resends are used up.
    const stillOffered = delivery.state !== 'delivered';
    await markUnacknowledged(tx, delivery.id, now, stillOffered);
    await insertEvents(
      tx,
      [{ messageId: delivery.messageId, deliveryId: delivery.id, kind: 'unacknowledged', detail: { reoffers: delivery.reoffers, ...(stillOffered ? { stillOffered } : {}) } }],
      now,
    );
    return 'unacknowledged';
  });
}

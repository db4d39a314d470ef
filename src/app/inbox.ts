/**
 * The receiver's side: leasing the pull inbox, fetching a message's original bytes, and answering
 * with a receipt (JSON, or a MedCom XCTL02/XCTL03).
 */
import { leaseInbox, getDelivery } from '../store/delivery-store.js';
import { getMessage, getMessageBody, insertEvents } from '../store/message-store.js';
import type { DeliveryRecord, MessageRecord } from '../store/records.js';
import type { RefuseCode } from '../codec/model.js';
import { REFUSE_CODES } from '../codec/model.js';
import { acceptMessage, type AcceptInput } from './accept-message.js';
import { applyReceipt, findAnsweredMessage } from './apply-receipt.js';
import { inTransaction, type GatewayContext } from './context.js';
import { deliver } from './delivery-lifecycle.js';
import { issueReceipt } from './issue-receipt.js';
import { Refusal } from './refusal.js';

export interface InboxItem {
  readonly id: string;
  readonly messageId: string;
  readonly envelopeId: string;
  readonly sender: string;
  readonly role: 'receiver' | 'cc';
  readonly letters: readonly { readonly letterId: string; readonly type: string }[];
  readonly contentType: string;
  readonly sha256: string;
  readonly receivedAt: string;
  readonly leaseUntil: string | null;
  readonly offers: number;
  readonly ackRequested: boolean;
  readonly href: string;
}

function itemOf(delivery: DeliveryRecord, message: MessageRecord): InboxItem {
  return {
    id: delivery.id,
    messageId: message.id,
    envelopeId: message.envelopeId,
    sender: message.senderEan,
    role: delivery.role,
    letters: message.summary.letters.filter((l) => delivery.letterIndexes.includes(l.index)).map((l) => ({ letterId: l.letterId, type: l.type })),
    contentType: message.contentType,
    sha256: message.sha256,
    receivedAt: message.receivedAt.toISOString(),
    leaseUntil: delivery.leaseUntil?.toISOString() ?? null,
    offers: delivery.offers,
    ackRequested: message.ackRequested,
    href: `/api/v1/inbox/${delivery.id}`,
  };
}

/** Leases up to `limit` waiting messages for `receiverEan` (oldest first, per patient in order). */
export async function leaseItems(ctx: GatewayContext, receiverEan: string, limit: number): Promise<InboxItem[]> {
  return inTransaction(ctx, async (tx) => {
    const now = ctx.clock();
    const { leased, expired } = await leaseInbox(tx, receiverEan, limit, now, new Date(now.getTime() + ctx.settings.leaseSeconds * 1000));
    const items: InboxItem[] = [];
    for (const delivery of leased) {
      const message = (await getMessage(tx, delivery.messageId)) as MessageRecord;
      await insertEvents(
        tx,
        [
          ...(expired.includes(delivery.id) ? [{ messageId: message.id, deliveryId: delivery.id, kind: 'lease-expired' as const }] : []),
          { messageId: message.id, deliveryId: delivery.id, kind: 'leased', detail: { until: delivery.leaseUntil?.toISOString(), offer: delivery.offers } },
        ],
        now,
      );
      items.push(itemOf(delivery, message));
    }
    return items;
  });
}

async function ownDelivery(ctx: GatewayContext, receiverEan: string, deliveryId: string): Promise<DeliveryRecord> {
  const delivery = /^[0-9a-f-]{36}$/i.test(deliveryId) ? await getDelivery(ctx.db, deliveryId) : undefined;
  // Someone else's message and no message look the same from outside: nothing to learn by probing.
  if (!delivery || delivery.receiverEan !== receiverEan) throw new Refusal(404, 'not-found', 'Not found', `there is no message ${deliveryId} in your inbox`);
  return delivery;
}

export interface FetchedMessage {
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
}

/** The original bytes. The first fetch marks the delivery delivered and starts the receipt watchdog. */
export async function fetchItem(ctx: GatewayContext, receiverEan: string, deliveryId: string): Promise<FetchedMessage> {
  const delivery = await ownDelivery(ctx, receiverEan, deliveryId);
  const message = (await getMessage(ctx.db, delivery.messageId)) as MessageRecord;
  const body = (await getMessageBody(ctx.db, delivery.messageId)) as Buffer;
  await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const current = (await getDelivery(tx, deliveryId, true)) as DeliveryRecord;
    const first = await deliver(tx, ctx, effects, current, now);
    await insertEvents(tx, [{ messageId: message.id, deliveryId, kind: 'fetched', detail: { first, sha256: message.sha256 } }], now);
  });
  return { body, contentType: message.contentType, sha256: message.sha256 };
}

export interface JsonAnswer {
  readonly status: 'positive' | 'negative';
  readonly refuseCode?: string;
  readonly text?: string;
}

export interface AnswerResult {
  readonly deliveryId: string;
  readonly messageId: string;
  readonly receipt: 'positive' | 'negative' | 'negative-vans';
  readonly receiptMessageId: string;
  readonly repeated: boolean;
}

/** A JSON answer: the gateway writes the XCTL03/XCTL02 on the receiver's behalf. */
export async function answerWithJson(ctx: GatewayContext, receiverEan: string, deliveryId: string, answer: JsonAnswer): Promise<AnswerResult> {
  if (answer.status === 'negative' && answer.refuseCode !== undefined && !REFUSE_CODES.includes(answer.refuseCode as RefuseCode)) {
    throw new Refusal(422, 'invalid-receipt', 'Unknown refuse code', `refuseCode must be one of ${REFUSE_CODES.join(', ')}`, [{ path: '/refuseCode', message: 'unknown refuse code' }]);
  }
  if (answer.status === 'positive' && (answer.refuseCode !== undefined || answer.text !== undefined)) {
    throw new Refusal(422, 'invalid-receipt', 'A positive receipt carries no refusal', 'refuseCode and text belong to a negative receipt');
  }
  const delivery = await ownDelivery(ctx, receiverEan, deliveryId);
  const kind = answer.status;
  const refuseCode = (answer.refuseCode ?? (kind === 'negative' ? 'ikke_specificeret' : undefined)) as RefuseCode | undefined;
  return inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const message = (await getMessage(tx, delivery.messageId)) as MessageRecord;
    const current = (await getDelivery(tx, deliveryId, true)) as DeliveryRecord;
    if (current.receiptContent) {
      if (current.receiptContent.kind === kind && (current.receiptContent.refuseCode ?? undefined) === refuseCode) {
        await insertEvents(tx, [{ messageId: message.id, deliveryId, kind: 'receipt-repeated', detail: { kind } }], now);
        return { deliveryId, messageId: message.id, receipt: kind, receiptMessageId: current.receiptMessageId as string, repeated: true };
      }
      throw new Refusal(409, 'receipt-conflict', 'Already answered differently', `this message was already answered with a ${current.receiptContent.kind} receipt; MedCom does not allow a different answer`);
    }
    const { rows } = await tx.query<{ letter_id: string; version_code: string; letter_index: number }>(
      'SELECT letter_id, version_code, letter_index FROM letters WHERE message_id = $1 ORDER BY letter_index',
      [message.id],
    );
    const receiptMessageId = await issueReceipt(tx, ctx, effects, {
      kind,
      issuerEan: receiverEan,
      original: {
        messageId: message.id,
        envelopeId: message.envelopeId,
        senderEan: message.senderEan,
        receiverEan,
        letters: rows.filter((r) => current.letterIndexes.includes(r.letter_index)).map((r) => ({ letterId: r.letter_id, versionCode: r.version_code })),
      },
      ...(kind === 'negative' && refuseCode ? { refuse: { code: refuseCode, ...(answer.text ? { text: answer.text } : {}) } } : {}),
      reason: `${receiverEan} answered ${kind}`,
    });
    await applyReceipt(
      tx,
      message,
      receiverEan,
      { kind, ...(refuseCode && kind === 'negative' ? { refuseCode } : {}), ...(answer.text ? { refuseText: answer.text } : {}) },
      receiptMessageId,
      now,
    );
    return { deliveryId, messageId: message.id, receipt: kind, receiptMessageId, repeated: false };
  });
}

/** An XCTL02/XCTL03 posted on the inbox item: accepted like any message, after checking what it answers. */
export async function answerWithXml(ctx: GatewayContext, receiverEan: string, deliveryId: string, input: AcceptInput): Promise<AnswerResult> {
  const delivery = await ownDelivery(ctx, receiverEan, deliveryId);
  const decoded = ctx.codec.decode(input.body, input.charset ? { charset: input.charset } : {});
  if (decoded.ok) {
    const receiptLetters = decoded.message.letters.filter((l) => l.body.receipt);
    if (receiptLetters.length !== decoded.message.letters.length || receiptLetters.length === 0) {
      throw new Refusal(422, 'invalid-receipt', 'Not a receipt', 'post an XCTL02 or XCTL03 (or JSON) to answer a message');
    }
    for (const letter of receiptLetters) {
      const answered = await findAnsweredMessage(ctx.db, letter);
      if (answered?.id !== delivery.messageId) {
        throw new Refusal(422, 'receipt-mismatch', 'The receipt answers another message', `the receipt quotes envelope ${letter.body.receipt?.originalEnvelopeIdentifier ?? '?'}, not the envelope of inbox item ${deliveryId}`);
      }
    }
  }
  const accepted = await acceptMessage(ctx, receiverEan, input);
  const after = (await getDelivery(ctx.db, deliveryId)) as DeliveryRecord;
  return {
    deliveryId,
    messageId: delivery.messageId,
    receipt: after.receiptKind ?? 'positive',
    receiptMessageId: after.receiptMessageId ?? accepted.response.id,
    repeated: accepted.kind === 'duplicate',
  };
}

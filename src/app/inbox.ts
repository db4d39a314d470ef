/**
 * The receiver's side: leasing the pull inbox, fetching a message's original bytes, and answering
 * with a receipt (JSON, or a MedCom XCTL02/XCTL03).
 */
import { getDelivery, lockAnswerTarget } from '../store/delivery-store.js';
import { noteInboxPoll } from '../store/endpoint-state-store.js';
import type { DeadlineSummary, DeliveryRecord, MessageRecord, ReceiptContent } from '../store/records.js';
import type { RefuseCode } from '../domain/message.js';
import { REFUSE_CODES } from '../domain/message.js';
import { acceptMessage, decodeForAccept, type AcceptInput } from './accept-message.js';
import { compareWithRecordedAnswer, originalAnsweredBy } from './apply-receipt.js';
import { AfterCommit, inTransaction, type GatewayContext } from './context.js';
import { inSavepoint, type Queryable } from '../store/database.js';
import { fetchForReceiver, leaseAndFetch, leaseDeliveries, noteRepeatedAnswer, recordAnswer } from './delivery-lifecycle.js';
import { issueReceipt } from './issue-receipt.js';
import { bodyPruned, Refusal } from './refusal.js';
import { isUuid } from '../domain/uuid.js';
import { hasNonXmlCharacter } from '../codec/xml-characters.js';

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
  /** The deadlines this delivery's letters started or fulfilled, as evaluated when the message was accepted. */
  readonly deadlines: readonly DeadlineSummary[];
  readonly href: string;
}

function deadlinesOfLetters(message: MessageRecord, letterIndexes: readonly number[]): DeadlineSummary[] {
  const letterIds = new Set(message.summary.letters.filter((l) => letterIndexes.includes(l.index)).map((l) => l.letterId));
  return (message.summary.deadlines ?? []).filter((d) => letterIds.has(d.letterId));
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
    deadlines: deadlinesOfLetters(message, delivery.letterIndexes),
    href: `/api/v1/inbox/${delivery.id}`,
  };
}

/** Leases up to `limit` waiting messages for `receiverEan` (oldest first, per patient in order). */
export async function leaseItems(ctx: GatewayContext, receiverEan: string, limit: number): Promise<InboxItem[]> {
  // Ops see when each endpoint last polled; a paused endpoint is offered nothing (its deliveries wait).
  if ((await noteInboxPoll(ctx.db, receiverEan, ctx.clock())).paused) return [];
  const leased = await leaseDeliveries(ctx, receiverEan, limit);
  return leased.map(({ delivery, message }) => itemOf(delivery, message));
}

export interface InboxItemWithBody extends InboxItem {
  /** The original bytes as base64 (decode them to get exactly what the sender sent). */
  readonly body?: string;
  /** Set instead of `body` when the retention policy removed the bytes. */
  readonly bodyPrunedAt?: string;
}

/**
 * Leases and fetches in one go, for receivers that take many messages: each item carries its original
 * bytes (base64) and counts as fetched, exactly as `GET /api/v1/inbox/{id}` would (delivered, receipt
 * watchdog armed). Saves one request per message; the bytes are the same, the sha256 proves it. The
 * lease and the fetches are one transaction with one durable commit.
 */
export async function leaseItemsWithBodies(ctx: GatewayContext, receiverEan: string, limit: number): Promise<InboxItemWithBody[]> {
  // As leaseItems: the poll is noted, and a paused endpoint is offered nothing.
  if ((await noteInboxPoll(ctx.db, receiverEan, ctx.clock())).paused) return [];
  const withBodies: InboxItemWithBody[] = [];
  for (const { delivery, message, fetched } of await leaseAndFetch(ctx, receiverEan, limit)) {
    // Lost between lease and fetch (it cannot be, as the lease is ours; should it be, the item is left out and offered again).
    if (!fetched) continue;
    const item = itemOf(delivery, message);
    withBodies.push(fetched.body ? { ...item, body: fetched.body.toString('base64') } : { ...item, bodyPrunedAt: fetched.bodyPrunedAt?.toISOString() ?? new Date(0).toISOString() });
  }
  return withBodies;
}

/** Someone else's item and no item look the same from outside: nothing to learn by probing. */
function notInInbox(deliveryId: string): Refusal {
  return new Refusal(404, 'not-found', 'Not found', `there is no message ${deliveryId} in your inbox`);
}

async function ownDelivery(ctx: GatewayContext, receiverEan: string, deliveryId: string): Promise<DeliveryRecord> {
  const delivery = isUuid(deliveryId) ? await getDelivery(ctx.db, deliveryId) : undefined;
  if (!delivery || delivery.receiverEan !== receiverEan) throw notInInbox(deliveryId);
  return delivery;
}

export interface FetchedMessage {
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
}

/** The original bytes. The first fetch marks the delivery delivered and starts the receipt watchdog. */
export async function fetchItem(ctx: GatewayContext, receiverEan: string, deliveryId: string): Promise<FetchedMessage> {
  const fetched = isUuid(deliveryId) ? await fetchForReceiver(ctx, receiverEan, deliveryId) : undefined;
  if (!fetched) throw notInInbox(deliveryId);
  if (!fetched.body) throw bodyPruned(deliveryId, fetched.bodyPrunedAt);
  return { body: fetched.body, contentType: fetched.contentType, sha256: fetched.sha256 };
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

/** What a JSON answer records, once its shape is judged sound (no store needed to judge it). */
interface CheckedAnswer {
  readonly kind: 'positive' | 'negative';
  readonly refuseCode?: RefuseCode;
  readonly text?: string;
  readonly content: ReceiptContent;
}

/** Judges a JSON answer's shape; a Refusal (400/422/404) names what is wrong. */
function checkJsonAnswer(deliveryId: string, answer: JsonAnswer): CheckedAnswer {
  // JSON can carry what XML 1.0 cannot; the receipt the gateway writes must stay well-formed.
  if (answer.text !== undefined && hasNonXmlCharacter(answer.text)) {
    const message = 'contains a control character or a broken surrogate, which a MedCom receipt cannot carry';
    throw new Refusal(400, 'invalid-request', 'Invalid request', `the receipt is not valid: /body/text ${message}`, [{ path: '/body/text', message }]);
  }
  if (answer.status === 'negative' && answer.refuseCode !== undefined && !REFUSE_CODES.includes(answer.refuseCode as RefuseCode)) {
    throw new Refusal(422, 'invalid-receipt', 'Unknown refuse code', `refuseCode must be one of ${REFUSE_CODES.join(', ')}`, [{ path: '/body/refuseCode', message: 'unknown refuse code' }]);
  }
  if (answer.status === 'positive' && (answer.refuseCode !== undefined || answer.text !== undefined)) {
    const field = answer.refuseCode !== undefined ? '/body/refuseCode' : '/body/text';
    throw new Refusal(422, 'invalid-receipt', 'A positive receipt carries no refusal', 'refuseCode and text belong to a negative receipt', [
      { path: field, message: 'a positive receipt carries no refusal' },
    ]);
  }
  const kind = answer.status;
  const refuseCode = (answer.refuseCode ?? (kind === 'negative' ? 'ikke_specificeret' : undefined)) as RefuseCode | undefined;
  if (!isUuid(deliveryId)) throw notInInbox(deliveryId);
  const content: ReceiptContent = { kind, ...(refuseCode && kind === 'negative' ? { refuseCode } : {}), ...(answer.text ? { refuseText: answer.text } : {}) };
  return { kind, ...(refuseCode ? { refuseCode } : {}), ...(answer.text !== undefined ? { text: answer.text } : {}), content };
}

/**
 * Records one checked JSON answer inside the caller's transaction `tx`: locks the delivery, compares
 * with an answer on record (409 when it differs), writes the receipt to the original sender and records
 * the answer. The after-commit effects go to `effects`, for the caller to release once it commits.
 */
async function recordJsonAnswer(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, receiverEan: string, deliveryId: string, answer: CheckedAnswer): Promise<AnswerResult> {
  const { kind, refuseCode, content } = answer;
  const now = ctx.clock();
  const target = await lockAnswerTarget(tx, deliveryId, receiverEan);
  if (!target) throw notInInbox(deliveryId);
  const { delivery } = target;
  if (compareWithRecordedAnswer(delivery.receiptContent, content, target.envelopeId) === 'repeated') {
    await noteRepeatedAnswer(tx, delivery, kind, undefined, now);
    return { deliveryId, messageId: delivery.messageId, receipt: kind, receiptMessageId: delivery.receiptMessageId as string, repeated: true };
  }
  const receiptMessageId = await issueReceipt(tx, ctx, effects, {
    kind,
    issuerEan: receiverEan,
    original: { messageId: delivery.messageId, envelopeId: target.envelopeId, senderEan: target.senderEan, receiverEan, letters: target.letters },
    ...(kind === 'negative' && refuseCode ? { refuse: { code: refuseCode, ...(answer.text ? { text: answer.text } : {}) } } : {}),
    reason: `${receiverEan} answered ${kind}`,
  });
  await recordAnswer(tx, ctx, effects, delivery, content, receiptMessageId, now);
  return { deliveryId, messageId: delivery.messageId, receipt: kind, receiptMessageId, repeated: false };
}

/** A JSON answer: the gateway writes the XCTL03/XCTL02 on the receiver's behalf. */
export async function answerWithJson(ctx: GatewayContext, receiverEan: string, deliveryId: string, answer: JsonAnswer): Promise<AnswerResult> {
  const checked = checkJsonAnswer(deliveryId, answer);
  return inTransaction(ctx, (tx, effects) => recordJsonAnswer(tx, ctx, effects, receiverEan, deliveryId, checked));
}

export const MAX_ANSWERS_PER_BATCH = 100;

export type BatchAnswerOutcome =
  | ({ readonly ok: true } & AnswerResult)
  | { readonly ok: false; readonly deliveryId: string; readonly status: number; readonly code: string; readonly detail: string };

function refusedOutcome(deliveryId: string, error: unknown): BatchAnswerOutcome {
  if (!(error instanceof Refusal)) throw error;
  return { ok: false, deliveryId, status: error.status, code: error.slug, detail: error.detail };
}

/**
 * Many JSON answers at once (a receiver that leased a batch answers it in one request). Each answer is
 * judged exactly as on `/inbox/{id}/receipt` and its outcome reported, in the order given; a refused
 * answer (unknown item, a different answer than before) does not undo the others.
 *
 * The whole batch is ONE transaction with one durable commit (one per answer would bound a receiver's
 * drain by the commit time). Each answer runs inside a savepoint, so a refused one leaves no trace and
 * the others stand; any other failure rolls the whole batch back. The after-commit effects (the
 * receipts' queue jobs and inbox wake-ups, ops events, counters) are released once, after the commit,
 * and only for the answers that stood. Answers are recorded in the order of their ids (the same id
 * twice keeps its order), so two batches locking the same deliveries lock them in the same order and
 * cannot deadlock.
 */
export async function answerManyWithJson(ctx: GatewayContext, receiverEan: string, answers: readonly (JsonAnswer & { readonly id: string })[]): Promise<BatchAnswerOutcome[]> {
  const outcomes: (BatchAnswerOutcome | undefined)[] = answers.map(() => undefined);
  const checked: { readonly index: number; readonly id: string; readonly answer: CheckedAnswer }[] = [];
  answers.forEach(({ id, ...answer }, index) => {
    try {
      checked.push({ index, id, answer: checkJsonAnswer(id, answer) });
    } catch (error) {
      outcomes[index] = refusedOutcome(id, error);
    }
  });
  if (checked.length > 0) {
    checked.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.index - b.index));
    const batchEffects = new AfterCommit();
    await ctx.db.transaction(async (tx) => {
      for (const { index, id, answer } of checked) {
        const effects = new AfterCommit();
        try {
          outcomes[index] = { ok: true, ...(await inSavepoint(tx, () => recordJsonAnswer(tx, ctx, effects, receiverEan, id, answer))) };
          batchEffects.adopt(effects);
        } catch (error) {
          outcomes[index] = refusedOutcome(id, error);
        }
      }
    });
    await batchEffects.release(ctx.signals);
  }
  return outcomes as BatchAnswerOutcome[];
}

/**
 * An XCTL02/XCTL03 posted on the inbox item: accepted like any message, after checking what it answers.
 * The message is decoded and its originals looked up once, here, and handed to the accept path.
 */
export async function answerWithXml(ctx: GatewayContext, receiverEan: string, deliveryId: string, input: AcceptInput): Promise<AnswerResult> {
  const delivery = await ownDelivery(ctx, receiverEan, deliveryId);
  const decoded = await decodeForAccept(ctx, input);
  const receiptLetters = decoded.message.letters.filter((l) => l.body.receipt);
  if (receiptLetters.length !== decoded.message.letters.length || receiptLetters.length === 0) {
    throw new Refusal(422, 'invalid-receipt', 'Not a receipt', 'post an XCTL02 or XCTL03 (or JSON) to answer a message');
  }
  const originals = new Map<number, MessageRecord>();
  for (const letter of receiptLetters) {
    const answered = await originalAnsweredBy(ctx.db, letter, receiverEan);
    if (answered?.id !== delivery.messageId) {
      throw new Refusal(422, 'receipt-mismatch', 'The receipt answers another message', `the receipt quotes envelope ${letter.body.receipt?.originalEnvelopeIdentifier ?? '?'}, not the envelope of inbox item ${deliveryId}`);
    }
    originals.set(letter.index, answered);
  }
  const accepted = await acceptMessage(ctx, receiverEan, input, { decoded, originals });
  const after = (await getDelivery(ctx.db, deliveryId)) as DeliveryRecord;
  return {
    deliveryId,
    messageId: delivery.messageId,
    receipt: after.receiptKind ?? 'positive',
    receiptMessageId: after.receiptMessageId ?? accepted.response.id,
    // A different answer would have been refused (409), so an answer already on record means this one repeated it.
    repeated: accepted.kind === 'duplicate' || delivery.receiptContent !== null,
  };
}

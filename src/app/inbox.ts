/**
 * The receiver's side: leasing the pull inbox, fetching a message's original bytes, and answering
 * with a receipt (JSON, or a MedCom XCTL02/XCTL03).
 */
import { getDelivery, lockAnswerTargets } from '../store/delivery-store.js';
import { insertEvents, type NewEvent } from '../store/message-store.js';
import { noteInboxPoll } from '../store/endpoint-state-store.js';
import type { DeadlineSummary, DeliveryRecord, MessageRecord, ReceiptContent } from '../store/records.js';
import type { RefuseCode } from '../domain/message.js';
import { REFUSE_CODES } from '../domain/message.js';
import { acceptMessage, decodeForAccept, type AcceptInput } from './accept-message.js';
import { compareWithRecordedAnswer, originalAnsweredBy } from './apply-receipt.js';
import { inTransaction, type AfterCommit, type GatewayContext } from './context.js';
import type { Queryable } from '../store/database.js';
import { fetchForReceiver, leaseAndFetch, leaseDeliveries, recordAnswers, repeatedAnswerEvent } from './delivery-lifecycle.js';
import { issueReceipts, type ReceiptToIssue } from './issue-receipt.js';
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
  // Ops see when each endpoint last polled; a paused endpoint is offered nothing (the lease itself
  // reads the pause), its deliveries wait.
  await noteInboxPoll(ctx.db, receiverEan, ctx.clock());
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
 * lease and the fetches are one statement with one durable commit.
 */
export async function leaseItemsWithBodies(ctx: GatewayContext, receiverEan: string, limit: number): Promise<InboxItemWithBody[]> {
  // As leaseItems: the poll is noted, and a paused endpoint is offered nothing.
  await noteInboxPoll(ctx.db, receiverEan, ctx.clock());
  const withBodies: InboxItemWithBody[] = [];
  for (const { delivery, message, fetched } of await leaseAndFetch(ctx, receiverEan, limit)) {
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
 * Records checked JSON answers inside the caller's transaction `tx`, in the order given, and returns
 * each one's result or the Refusal that refused it. First judged, then written, so a refused answer
 * writes nothing and needs nothing undone:
 * - the deliveries are locked in one statement, in the order of their ids (see lockAnswerTargets);
 * - each answer is judged against the answer on record, or recorded earlier in the same call (the same
 *   answer again is a harmless repeat, a different one 409, someone else's item or none 404);
 * - the receipts of the new answers are written in one statement, then each answer is recorded on its
 *   delivery (and the deadlines a receipt fulfils), then the repeats' events in one statement.
 * The after-commit effects go to `effects`, for the caller to release once it commits.
 */
async function recordJsonAnswers(
  tx: Queryable,
  ctx: GatewayContext,
  effects: AfterCommit,
  receiverEan: string,
  answers: readonly { readonly id: string; readonly answer: CheckedAnswer }[],
): Promise<(AnswerResult | Refusal)[]> {
  const now = ctx.clock();
  const targets = await lockAnswerTargets(
    tx,
    answers.map((a) => a.id.toLowerCase()),
    receiverEan,
  );
  const onRecord = new Map<string, { content: ReceiptContent | null; receiptMessageId: string | null }>();
  const repeats: NewEvent[] = [];
  const fresh: { index: number; delivery: DeliveryRecord; content: ReceiptContent; receipt: ReceiptToIssue }[] = [];
  const verdicts: (AnswerResult | Refusal | undefined)[] = answers.map(({ id, answer }, index) => {
    const target = targets.get(id.toLowerCase());
    if (!target) return notInInbox(id);
    const { delivery } = target;
    const before = onRecord.get(delivery.id) ?? { content: delivery.receiptContent, receiptMessageId: delivery.receiptMessageId };
    const { kind, refuseCode, content } = answer;
    let comparison: 'new' | 'repeated';
    try {
      comparison = compareWithRecordedAnswer(before.content, content, target.envelopeId);
    } catch (error) {
      if (error instanceof Refusal) return error;
      throw error;
    }
    if (comparison === 'repeated') {
      repeats.push(repeatedAnswerEvent(delivery, kind, undefined));
      return { deliveryId: id, messageId: delivery.messageId, receipt: kind, receiptMessageId: before.receiptMessageId as string, repeated: true };
    }
    fresh.push({
      index,
      delivery,
      content,
      receipt: {
        kind,
        issuerEan: receiverEan,
        original: { messageId: delivery.messageId, envelopeId: target.envelopeId, senderEan: target.senderEan, receiverEan, letters: target.letters },
        ...(kind === 'negative' && refuseCode ? { refuse: { code: refuseCode, ...(answer.text ? { text: answer.text } : {}) } } : {}),
        reason: `${receiverEan} answered ${kind}`,
      },
    });
    // The receipt's id is known once written (below); an answer after this one compares with this content.
    onRecord.set(delivery.id, { content, receiptMessageId: null });
    return undefined;
  });
  const receiptIds = await issueReceipts(
    tx,
    ctx,
    effects,
    fresh.map((f) => f.receipt),
  );
  // Recorded in the order of the messages: the deadlines a receipt fulfils are locked per message, so
  // two batches touching the same message lock alike.
  const recording = fresh.map((f, n) => ({ ...f, receiptMessageId: receiptIds[n] as string }));
  recording.sort((a, b) => (a.delivery.messageId < b.delivery.messageId ? -1 : a.delivery.messageId > b.delivery.messageId ? 1 : 0));
  await recordAnswers(tx, ctx, effects, recording, now);
  for (const { index, delivery, content, receiptMessageId } of recording) {
    onRecord.set(delivery.id, { content, receiptMessageId });
    const { id } = answers[index] as { id: string };
    verdicts[index] = { deliveryId: id, messageId: delivery.messageId, receipt: content.kind, receiptMessageId, repeated: false };
  }
  // A repeat within the same call quotes the receipt written for the answer it repeats.
  for (const [index, verdict] of verdicts.entries()) {
    if (verdict && !(verdict instanceof Refusal) && verdict.repeated && verdict.receiptMessageId === null) {
      verdicts[index] = { ...verdict, receiptMessageId: onRecord.get((answers[index] as { id: string }).id.toLowerCase())?.receiptMessageId as string };
    }
  }
  await insertEvents(tx, repeats, now);
  return verdicts as (AnswerResult | Refusal)[];
}

/** A JSON answer: the gateway writes the XCTL03/XCTL02 on the receiver's behalf. */
export async function answerWithJson(ctx: GatewayContext, receiverEan: string, deliveryId: string, answer: JsonAnswer): Promise<AnswerResult> {
  const checked = checkJsonAnswer(deliveryId, answer);
  const [verdict] = await inTransaction(ctx, (tx, effects) => recordJsonAnswers(tx, ctx, effects, receiverEan, [{ id: deliveryId, answer: checked }]));
  if (verdict instanceof Refusal) throw verdict;
  return verdict as AnswerResult;
}

export const MAX_ANSWERS_PER_BATCH = 100;

export type BatchAnswerOutcome =
  | ({ readonly ok: true } & AnswerResult)
  | { readonly ok: false; readonly deliveryId: string; readonly status: number; readonly code: string; readonly detail: string };

function refusedOutcome(deliveryId: string, refusal: Refusal): BatchAnswerOutcome {
  return { ok: false, deliveryId, status: refusal.status, code: refusal.slug, detail: refusal.detail };
}

/**
 * Many JSON answers at once (a receiver that leased a batch answers it in one request). Each answer is
 * judged exactly as on `/inbox/{id}/receipt` and its outcome reported, in the order given; a refused
 * answer (unknown item, a different answer than before) does not undo the others.
 *
 * The whole batch is ONE transaction with one durable commit (one per answer would bound a receiver's
 * drain by the commit time), and a handful of statements plus about two per new answer (see
 * recordJsonAnswers). A refused answer writes nothing; any failure that is not a refusal rolls the
 * whole batch back. The after-commit effects (the receipts' queue jobs and inbox wake-ups, ops events,
 * counters) are released once, after the commit, for the answers that stood.
 */
export async function answerManyWithJson(ctx: GatewayContext, receiverEan: string, answers: readonly (JsonAnswer & { readonly id: string })[]): Promise<BatchAnswerOutcome[]> {
  const outcomes: (BatchAnswerOutcome | undefined)[] = answers.map(() => undefined);
  const checked: { readonly index: number; readonly id: string; readonly answer: CheckedAnswer }[] = [];
  answers.forEach(({ id, ...answer }, index) => {
    try {
      checked.push({ index, id, answer: checkJsonAnswer(id, answer) });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      outcomes[index] = refusedOutcome(id, error);
    }
  });
  if (checked.length > 0) {
    const verdicts = await inTransaction(ctx, (tx, effects) => recordJsonAnswers(tx, ctx, effects, receiverEan, checked));
    for (const [n, { index, id }] of checked.entries()) {
      const verdict = verdicts[n] as AnswerResult | Refusal;
      outcomes[index] = verdict instanceof Refusal ? refusedOutcome(id, verdict) : { ok: true, ...verdict };
    }
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

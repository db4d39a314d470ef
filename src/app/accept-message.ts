/**
 * Accepting a message (`POST /api/v1/messages`): decode it once, plan what it writes (accept-plan.ts:
 * routing, duplicates, deadlines), and commit the bytes with everything needed to deliver them
 * atomically — one statement in the common case (shared with concurrent accepts by the InsertBatcher),
 * one transaction for resends, receipts, deadlines to correlate and disabled receivers. Only after the
 * commit is the sender told "accepted".
 */
import { createHash } from 'node:crypto';
import type { DecodeResult } from '../codec/decode-message.js';
import type { Letter } from '../domain/message.js';
import type { Queryable } from '../store/database.js';
import type { OutboxEntry } from '../store/outbox.js';
import { deliveriesOfMessage, findByEnvelope, findFirstLetters, insertEvents, insertMessages, insertedOutbox, lettersOfDelivery, type MessageInsert } from '../store/message-store.js';
import type { DeadlineSummary, MessageRecord } from '../store/records.js';
import { FIRST_SIGHT, planAccept, withDeadlineEffects, type AcceptHistory, type AcceptPlan, type AcceptRequest, type DecodedMessage } from './accept-plan.js';
import { originalAnsweredBy } from './apply-receipt.js';
import { answerDeliveries } from './delivery-lifecycle.js';
import { AfterCommit, inTransaction, type GatewayContext } from './context.js';
import { applyCorrelation, correlate, fulfilledSummaries, startedByDischargeSummaries, type Correlation } from './deadline-tracking.js';
import { issueReceipt } from './issue-receipt.js';
import { typeLabel } from './meters.js';
import { Refusal } from './refusal.js';
import { announce } from './context.js';
import { countRejection } from '../store/rejection-store.js';

export interface AcceptInput {
  readonly body: Buffer;
  readonly contentType: string;
  readonly charset?: string;
}

export interface AcceptedLetter {
  readonly letterId: string;
  readonly type: string;
  readonly receiver: string;
  readonly copies: readonly string[];
  readonly duplicateOf?: string;
}

export interface AcceptResponse {
  readonly id: string;
  readonly envelopeId: string;
  readonly status: 'accepted' | 'duplicate';
  readonly duplicate: boolean;
  /** For a resend in a new envelope: the id the resend itself was stored under. */
  readonly resendId?: string;
  readonly letters: readonly AcceptedLetter[];
  /** The deadlines the letters start (judged now or pending) or fulfil (see README "Deadlines"). */
  readonly deadlines: readonly DeadlineSummary[];
  readonly warnings: readonly { readonly path: string; readonly message: string }[];
}

export type AcceptResult = { readonly kind: 'accepted' | 'duplicate'; readonly response: AcceptResponse };

export function refusalForDecode(result: Extract<DecodeResult, { ok: false }>): Refusal {
  const errors = result.errors.map(({ path, message, line, column }) => ({ path, message, ...(line ? { line } : {}), ...(column ? { column } : {}) }));
  const first = result.errors[0]?.message ?? 'the message is not valid';
  switch (result.stage) {
    case 'size':
      return new Refusal(413, 'too-large', 'Message too large', first, errors);
    case 'encoding':
      return result.errors.some((e) => e.code === 'unsupported-encoding')
        ? new Refusal(415, 'unsupported-charset', 'Unsupported character encoding', first, errors)
        : new Refusal(400, 'bad-encoding', 'Bytes do not match the declared encoding', first, errors);
    case 'xml':
      return result.errors[0]?.code === 'limit-exceeded'
        ? new Refusal(400, 'limit-exceeded', 'The message exceeds a limit of the gateway', first, errors)
        : new Refusal(400, 'not-well-formed', 'Not well-formed XML', first, errors);
    default:
      return new Refusal(422, 'invalid-message', 'The message is not valid', `${result.errors.length} problem(s); the first: ${first}`, errors);
  }
}

function responseOf(record: MessageRecord, duplicate: boolean): AcceptResponse {
  return {
    id: record.id,
    envelopeId: record.envelopeId,
    status: duplicate ? 'duplicate' : record.status,
    duplicate,
    letters: record.summary.letters.map((l) => ({
      letterId: l.letterId,
      type: l.type,
      receiver: l.receiverEan,
      copies: l.copies,
      ...(l.duplicateOf ? { duplicateOf: l.duplicateOf } : {}),
    })),
    deadlines: record.summary.deadlines ?? [],
    warnings: record.summary.warnings,
  };
}

function acceptedResult(plan: AcceptPlan): AcceptResult {
  const record = { id: plan.message.id, envelopeId: plan.message.envelopeId, status: plan.message.status, summary: plan.summary } as MessageRecord;
  if (!plan.allDuplicates) return { kind: 'accepted', response: responseOf(record, false) };
  const firstLetterId = plan.request.decoded.message.letters[0]?.identifier ?? '';
  return { kind: 'duplicate', response: { ...responseOf(record, true), id: plan.duplicates.get(firstLetterId) ?? plan.message.id, resendId: plan.message.id } };
}

function insertOf(plan: AcceptPlan, optimistic: boolean): MessageInsert {
  return {
    message: plan.message,
    letters: plan.letters,
    deliveries: plan.deliveries,
    events: plan.events,
    deadlines: plan.deadlines,
    onlyIfLettersAreNew: optimistic,
    ...(optimistic ? { unlessFulfilling: plan.fulfilmentChecks, correlation: plan.correlation } : {}),
  };
}

function afterInsert(plan: AcceptPlan, outbox: readonly OutboxEntry[], effects: AfterCommit): void {
  effects.outbox.push(...outbox);
  for (const d of plan.deliveries) if (d.mode === 'pull') effects.inboxes.add(d.receiverEan);
}

function planOrRefuse(ctx: GatewayContext, request: AcceptRequest, history: AcceptHistory, now: Date): AcceptPlan {
  const planned = planAccept(request, ctx, history, now);
  if (planned.kind === 'refused') throw planned.refusal;
  return planned;
}

/** Decodes a posted message once for the whole request; a message that cannot be read is refused. */
export async function decodeForAccept(ctx: GatewayContext, input: AcceptInput): Promise<DecodedMessage> {
  const decoded = await ctx.codec.decode(input.body, { ...(input.charset ? { charset: input.charset } : {}), maxBytes: ctx.settings.maxBodyBytes });
  if (!decoded.ok) throw refusalForDecode(decoded);
  return decoded;
}

/** What a caller already did for this request: the decoded message, and the messages its receipt letters answer (by letter index). */
export interface AlreadyKnown {
  readonly decoded?: DecodedMessage;
  readonly originals?: ReadonlyMap<number, MessageRecord>;
}

/** Accepts or refuses a message, and counts which (ctx.meters) by message type and refusal reason. */
export async function acceptMessage(ctx: GatewayContext, senderEan: string, input: AcceptInput, known: AlreadyKnown = {}): Promise<AcceptResult> {
  let decoded = known.decoded;
  try {
    decoded ??= await decodeForAccept(ctx, input);
    const result = await acceptDecoded(ctx, senderEan, input, decoded, known);
    for (const letter of result.response.letters) ctx.meters?.accepted(typeLabel(letter.type), letter.duplicateOf !== undefined);
    if (result.kind === 'accepted') {
      const letters = result.response.letters;
      announce(ctx, 'message-accepted', {
        messageId: result.response.id,
        sender: senderEan,
        receivers: [...new Set(letters.flatMap((l) => [l.receiver, ...l.copies]))],
        messageTypes: [...new Set(letters.map((l) => l.type))],
      });
    }
    return result;
  } catch (error) {
    if (error instanceof Refusal) {
      const type = typeLabel(decoded?.message.letters[0]?.type);
      ctx.meters?.rejected(type, error.slug);
      // The overview's "rejected per type and reason" (a refused message leaves no other row). A
      // counter that cannot be written must not turn the sender's 4xx into a 500.
      await countRejection(ctx.db, { type, reason: error.slug }, ctx.clock()).catch(() => undefined);
    }
    throw error;
  }
}

async function acceptDecoded(ctx: GatewayContext, senderEan: string, input: AcceptInput, decoded: DecodedMessage, known: AlreadyKnown): Promise<AcceptResult> {
  const request: AcceptRequest = { senderEan, decoded, body: input.body, contentType: input.contentType, sha256: createHash('sha256').update(input.body).digest('hex') };
  const now = ctx.clock();
  const plan = planOrRefuse(ctx, request, FIRST_SIGHT, now);
  try {
    // The common case — new letters, nothing found to correlate, no receipt, no disabled receiver — is
    // one statement: atomic by itself, one round trip, its commit shared. It writes nothing when a
    // letter was seen before, a letter has an open deadline to fulfil, correlation would find something
    // (a discharge known or awaited, an earlier letter for a deadline that looks back), or another
    // accept about the same patient committed meanwhile (patient versions, migration 013); a reused
    // envelope identifier fails on the unique constraint. All of these go the careful way below. A
    // fulfilling message and the start of a deadline that does not look back, accepted at the very same
    // moment, cannot see each other; the breach timer looks once more before it marks a breach.
    if (plan.oneStatement) {
      const insert = insertOf(plan, true);
      const outcome = ctx.insertBatcher ? await ctx.insertBatcher.insert(insert, now) : (await insertMessages(ctx.db, [insert], now))[0];
      if (outcome === undefined) throw new Error('the insert returned no outcome');
      if (outcome !== 'not-inserted') {
        const effects = new AfterCommit();
        afterInsert(plan, outcome, effects);
        await effects.release(ctx.signals);
        return acceptedResult(plan);
      }
    }
    return await acceptCarefully(ctx, request, known.originals);
  } catch (error) {
    // The envelope identifier is taken: a repeat, a conflict, or two posts of it racing.
    if ((error as { code?: string }).code === '23505') {
      const winner = await findByEnvelope(ctx.db, senderEan, decoded.message.envelope.identifier);
      if (winner) return repeatedEnvelope(winner, request.sha256);
    }
    throw error;
  }
}

/**
 * The messages the receipt letters answer, by letter index; a receipt for a message the gateway has
 * not carried to its sender, or addressed to anyone but the original sender, is refused.
 */
async function findOriginals(db: Queryable, letters: readonly Letter[], answererEan: string): Promise<Map<number, MessageRecord>> {
  const originals = new Map<number, MessageRecord>();
  for (const letter of letters.filter((l) => l.body.receipt)) originals.set(letter.index, await originalAnsweredBy(db, letter, answererEan));
  return originals;
}

/** Resends, receipts, deadlines to correlate and disabled receivers: look up what came before, then write it all in one transaction. */
async function acceptCarefully(ctx: GatewayContext, request: AcceptRequest, knownOriginals: ReadonlyMap<number, MessageRecord> | undefined): Promise<AcceptResult> {
  const { senderEan } = request;
  const message = request.decoded.message;
  const previous = await findByEnvelope(ctx.db, senderEan, message.envelope.identifier);
  if (previous) return repeatedEnvelope(previous, request.sha256);
  const originals = knownOriginals ?? (await findOriginals(ctx.db, message.letters, senderEan));
  const firstLetters = await findFirstLetters(ctx.db, senderEan, message.letters.map((l) => l.identifier));
  const history: AcceptHistory = { duplicates: new Map([...firstLetters.entries()].map(([letterId, first]) => [letterId, first.messageId])) };
  const plan = await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    let plan = planOrRefuse(ctx, request, history, now);
    let correlation: Correlation | undefined;
    if (plan.correlating) {
      correlation = await correlate(tx, ctx, plan.message.id, plan.started, plan.fulfilling, now, plan.discharging);
      plan = withDeadlineEffects(plan, { started: correlation.started, fulfilled: [...fulfilledSummaries(correlation), ...startedByDischargeSummaries(correlation)] });
    }
    afterInsert(plan, insertedOutbox((await insertMessages(tx, [insertOf(plan, false)], now))[0] ?? 'not-inserted'), effects);
    if (correlation) await applyCorrelation(tx, correlation, now, effects);
    await handleDuplicates(tx, ctx, effects, plan, now);
    await handleDisabledReceivers(tx, ctx, effects, plan);
    for (const { letter, content } of plan.receipts) {
      await answerDeliveries(tx, ctx, effects, originals.get(letter.index) as MessageRecord, senderEan, content, plan.message.id, now);
    }
    return plan;
  });
  return acceptedResult(plan);
}

/** The same envelope identifier again: the same bytes are a harmless repeat, other bytes a conflict. */
function repeatedEnvelope(previous: MessageRecord, sha256: string): AcceptResult {
  if (previous.sha256 !== sha256) {
    throw new Refusal(
      409,
      'envelope-reused',
      'Envelope identifier reused',
      `envelope ${previous.envelopeId} was already used on ${previous.receivedAt.toISOString()} for a message with other content; give every new message a new envelope identifier`,
    );
  }
  return { kind: 'duplicate', response: responseOf(previous, true) };
}

/**
 * A resend (a letter identifier seen before, in a new envelope) is logged on the first message's
 * timeline and not offered again; when the receiver already answered, the sender gets the same
 * answer again in a new envelope (MedCom reliable messaging, medcom.md §3.3).
 */
async function handleDuplicates(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, plan: AcceptPlan, now: Date): Promise<void> {
  const { duplicates } = plan;
  const resendId = plan.message.id;
  const message = plan.request.decoded.message;
  const originals = new Set(duplicates.values());
  for (const originalId of originals) {
    const letterIds = message.letters.filter((l) => duplicates.get(l.identifier) === originalId).map((l) => l.identifier);
    await insertEvents(
      tx,
      [
        { messageId: originalId, kind: 'duplicate', detail: { resendMessageId: resendId, envelopeId: message.envelope.identifier, letterIds } },
        { messageId: resendId, kind: 'duplicate', detail: { duplicateOf: originalId, letterIds } },
      ],
      now,
    );
    const { rows } = await tx.query<{ envelope_id: string; sender_ean: string }>('SELECT envelope_id, sender_ean FROM messages WHERE id = $1', [originalId]);
    const original = rows[0];
    if (!original) continue;
    for (const delivery of await deliveriesOfMessage(tx, originalId)) {
      if (!delivery.receiptContent) continue;
      await issueReceipt(tx, ctx, effects, {
        kind: delivery.receiptContent.kind,
        issuerEan: delivery.receiverEan,
        original: {
          messageId: originalId,
          envelopeId: original.envelope_id,
          senderEan: original.sender_ean,
          receiverEan: delivery.receiverEan,
          letters: await lettersOfDelivery(tx, originalId, delivery.letterIndexes),
        },
        ...(delivery.receiptContent.refuseCode
          ? { refuse: { code: delivery.receiptContent.refuseCode as never, ...(delivery.receiptContent.refuseText ? { text: delivery.receiptContent.refuseText } : {}) } }
          : {}),
        reason: 'the sender resent a message that was already answered; the same answer is repeated',
      });
    }
  }
}

/** Known but disabled receivers cannot take the message: the sender gets an XCTL01, as from a VANS. */
async function handleDisabledReceivers(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, plan: AcceptPlan): Promise<void> {
  const messageId = plan.message.id;
  const { senderEan } = plan.request;
  const message = plan.request.decoded.message;
  for (const { receiverEan, letters } of plan.disabledReceivers) {
    await insertEvents(tx, [{ messageId, kind: 'receiver-disabled', detail: { receiverEan } }], ctx.clock());
    await issueReceipt(tx, ctx, effects, {
      kind: 'negative-vans',
      issuerEan: ctx.register.gatewayEan,
      original: {
        messageId,
        envelopeId: message.envelope.identifier,
        senderEan,
        receiverEan,
        letters: letters.map((l) => ({ letterId: l.identifier, versionCode: l.versionCode })),
      },
      refuse: { code: 'ukendt_lokationsnummer', text: `${receiverEan} does not receive messages through this gateway at present` },
      reason: `receiver ${receiverEan} is disabled`,
    });
  }
}

/**
 * Accepting a message (`POST /api/v1/messages`): validate, check the sender owns it, route it, apply
 * MedCom's duplicate rules, and commit the bytes with everything needed to deliver them atomically —
 * one statement in the common case (shared with concurrent accepts by the InsertBatcher), one
 * transaction for resends, receipts and disabled receivers. Only after the commit is the sender told
 * "accepted".
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DecodeResult } from '../codec/decode-message.js';
import type { ValidationIssue } from '../codec/issues.js';
import type { Letter, ParsedMessage } from '../domain/message.js';
import { routeMessage, type LetterRoute } from '../domain/routing.js';
import type { Queryable } from '../store/database.js';
import type { OutboxEntry } from '../store/outbox.js';
import {
  deliveriesOfMessage,
  findByEnvelope,
  findFirstLetters,
  insertEvents,
  insertMessages,
  insertedOutbox,
  lettersOfDelivery,
  type NewDelivery,
  type NewEvent,
  type NewLetter,
  type NewMessage,
} from '../store/message-store.js';
import type { DeadlineSummary, MessageRecord, MessageSummary } from '../store/records.js';
import type { NewDeadline } from '../store/deadline-store.js';
import { applyReceipt, findAnsweredMessage, receiptContentOf } from './apply-receipt.js';
import { AfterCommit, inTransaction, type GatewayContext } from './context.js';
import {
  applyCorrelation,
  correlate,
  deadlinesStartedBy,
  fulfilByReceipt,
  fulfilledSummaries,
  fulfilmentChecks,
  startedSummaries,
  type Correlation,
} from './deadline-tracking.js';
import { issueReceipt } from './issue-receipt.js';
import { Refusal } from './refusal.js';

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
      return /not supported|does not read|UTF-16/.test(first)
        ? new Refusal(415, 'unsupported-charset', 'Unsupported character encoding', first, errors)
        : new Refusal(400, 'bad-encoding', 'Bytes do not match the declared encoding', first, errors);
    case 'xml':
      return new Refusal(400, 'not-well-formed', 'Not well-formed XML', first, errors);
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

function summaryOf(
  message: ParsedMessage,
  routes: readonly LetterRoute[],
  duplicates: Map<string, string>,
  warnings: readonly ValidationIssue[],
  deadlines: readonly DeadlineSummary[],
): MessageSummary {
  return {
    generation: message.generation,
    acknowledgementCode: message.envelope.acknowledgementCode,
    sent: message.envelope.sent,
    letters: message.letters.map((letter) => {
      const route = routes.find((r) => r.letterIndex === letter.index);
      const duplicateOf = duplicates.get(letter.identifier);
      const receipt = letter.body.receipt;
      return {
        index: letter.index,
        letterId: letter.identifier,
        type: letter.type,
        versionCode: letter.versionCode,
        ...(letter.statusCode ? { statusCode: letter.statusCode } : {}),
        receiverEan: letter.receiver.ean,
        copies: (route?.deliverTo ?? []).filter((r) => r.role === 'cc').map((r) => r.ean),
        ...(duplicateOf ? { duplicateOf } : {}),
        ...(receipt ? { answers: { kind: receipt.kind, ...(receipt.originalEnvelopeIdentifier ? { originalEnvelopeId: receipt.originalEnvelopeIdentifier } : {}) } } : {}),
      };
    }),
    // Warnings may quote values; CPR numbers are never quoted by the codec (semantic-checks.ts).
    warnings: [...warnings.map(({ path, message: text }) => ({ path, message: text })), ...routes.flatMap((r) => r.warnings)],
    deadlines,
  };
}

/** One delivery per receiving endpoint, carrying the letters addressed to it (duplicates left out). */
function deliveriesOf(message: ParsedMessage, routes: readonly LetterRoute[], duplicates: Map<string, string>, patientRef: (cpr: string) => string): NewDelivery[] {
  const byReceiver = new Map<string, { letters: number[]; role: 'receiver' | 'cc'; mode: 'pull' | 'push'; refs: Set<string> }>();
  for (const route of routes) {
    const letter = message.letters[route.letterIndex] as Letter;
    if (duplicates.has(letter.identifier)) continue;
    for (const recipient of route.deliverTo) {
      const entry = byReceiver.get(recipient.ean) ?? { letters: [], role: recipient.role, mode: recipient.endpoint.delivery.mode, refs: new Set<string>() };
      entry.letters.push(letter.index);
      if (recipient.role === 'receiver') entry.role = 'receiver';
      if (letter.patient?.cpr) entry.refs.add(patientRef(letter.patient.cpr));
      byReceiver.set(recipient.ean, entry);
    }
  }
  return [...byReceiver.entries()].map(([ean, entry]) => ({
    id: randomUUID(),
    letterIndexes: entry.letters,
    receiverEan: ean,
    role: entry.role,
    mode: entry.mode,
    patientRefs: [...entry.refs],
  }));
}

interface Prepared {
  readonly id: string;
  readonly summary: MessageSummary;
  readonly allDuplicates: boolean;
  readonly message: NewMessage;
  readonly letters: NewLetter[];
  readonly deliveries: NewDelivery[];
  readonly events: NewEvent[];
  readonly deadlines: NewDeadline[];
}

/** What the letters do to deadlines: the ones they start and the summaries of the ones they fulfil. */
interface DeadlineEffects {
  readonly started: readonly NewDeadline[];
  readonly fulfilled: readonly DeadlineSummary[];
}

const NO_DEADLINE_EFFECTS: DeadlineEffects = { started: [], fulfilled: [] };

/** Everything that is written for a message, given which of its letters are resends and what they do to deadlines. */
function prepare(
  ctx: GatewayContext,
  id: string,
  senderEan: string,
  input: AcceptInput,
  decoded: Extract<DecodeResult, { ok: true }>,
  routes: readonly LetterRoute[],
  sha256: string,
  duplicates: Map<string, string>,
  deadlines: DeadlineEffects,
): Prepared {
  const message = decoded.message;
  const summary = summaryOf(message, routes, duplicates, decoded.warnings, [...startedSummaries(deadlines.started), ...deadlines.fulfilled]);
  const allDuplicates = message.letters.every((l) => duplicates.has(l.identifier));
  const deliveries = deliveriesOf(message, routes, duplicates, ctx.patientRef);
  return {
    id,
    summary,
    allDuplicates,
    deliveries,
    deadlines: [...deadlines.started],
    message: {
      id,
      senderEan,
      envelopeId: message.envelope.identifier,
      sha256,
      contentType: input.contentType,
      body: input.body,
      encoding: decoded.encoding,
      generation: message.generation,
      // Receipts never ask for receipts, whatever their envelope says: two gateways must not acknowledge each other forever.
      ackRequested: message.envelope.acknowledgementCode === 'pluspositivkvitt' && !message.letters.some((l) => l.body.receipt),
      origin: 'endpoint',
      status: allDuplicates ? 'duplicate' : 'accepted',
      summary,
    },
    letters: message.letters.map((l) => ({
      letterIndex: l.index,
      letterId: l.identifier,
      type: l.type,
      versionCode: l.versionCode,
      patientRef: l.patient?.cpr ? ctx.patientRef(l.patient.cpr) : null,
      duplicateOf: duplicates.get(l.identifier) ?? null,
      episodeId: l.episodeOfCareIdentifier ?? null,
    })),
    events: [{ messageId: id, kind: 'accepted', detail: { sha256, letters: message.letters.length, deliveries: deliveries.length } }],
  };
}

function acceptedResult(prepared: Prepared, envelopeId: string, duplicates: Map<string, string>, firstLetterId: string): AcceptResult {
  const record = { id: prepared.id, envelopeId, status: prepared.message.status, summary: prepared.summary } as MessageRecord;
  if (!prepared.allDuplicates) return { kind: 'accepted', response: responseOf(record, false) };
  return { kind: 'duplicate', response: { ...responseOf(record, true), id: duplicates.get(firstLetterId) ?? prepared.id, resendId: prepared.id } };
}

function afterInsert(prepared: Prepared, outbox: readonly OutboxEntry[], effects: AfterCommit): void {
  effects.outbox.push(...outbox);
  for (const d of prepared.deliveries) if (d.mode === 'pull') effects.inboxes.add(d.receiverEan);
}

export async function acceptMessage(ctx: GatewayContext, senderEan: string, input: AcceptInput): Promise<AcceptResult> {
  const decoded = ctx.codec.decode(input.body, { ...(input.charset ? { charset: input.charset } : {}), maxBytes: ctx.settings.maxBodyBytes });
  if (!decoded.ok) throw refusalForDecode(decoded);
  const message = decoded.message;
  const routing = routeMessage(message, ctx.register, senderEan, ctx.retrainingRouting);
  if (!routing.ok) {
    const forbidden = routing.problems.some((p) => p.kind === 'sender-not-owned');
    // A rule broken (retraining-plan routing, consent) is named in each error's `code` and first in the detail.
    const errors = routing.problems.map((p) => ({ path: p.path, message: p.message, ...('rule' in p ? { code: p.rule } : {}) }));
    const first = routing.problems[0];
    throw forbidden
      ? new Refusal(403, 'sender-not-owned', 'Sender not owned by this key', first?.message ?? '', errors)
      : routing.problems.every((p) => 'rule' in p)
        ? new Refusal(422, 'misaddressed', 'Not addressed as the health agreement and the citizen\'s consent allow', first && 'rule' in first ? `${first.rule}: ${first.message}` : '', errors)
        : new Refusal(422, 'unroutable', 'A receiver cannot take this message', first?.message ?? '', errors);
  }
  const sha256 = createHash('sha256').update(input.body).digest('hex');
  const envelopeId = message.envelope.identifier;
  const firstLetterId = message.letters[0]?.identifier ?? '';
  try {
    // The common case — new letters, no receipts or deadlines to correlate, no disabled receiver — is
    // one statement: atomic by itself, one round trip. It writes nothing when a letter was seen before or
    // a letter has an open deadline to fulfil, and a reused envelope identifier fails on the unique
    // constraint; all of these go the careful way below.
    const now = ctx.clock();
    const started = deadlinesStartedBy(ctx, message, now, () => false);
    // A deadline that looks back for an earlier message (D10) must correlate under the patient lock. A
    // fulfilling message and its deadline's start accepted at the very same moment cannot see each
    // other; the breach timer looks once more before it marks a breach.
    const simple = !message.letters.some((l) => l.body.receipt) && routing.routes.every((r) => r.disabled.length === 0) && !started.looksBack;
    if (simple) {
      const prepared = prepare(ctx, randomUUID(), senderEan, input, decoded, routing.routes, sha256, new Map(), { started: started.deadlines, fulfilled: [] });
      const insert = {
        message: prepared.message,
        letters: prepared.letters,
        deliveries: prepared.deliveries,
        events: prepared.events,
        deadlines: prepared.deadlines,
        onlyIfLettersAreNew: true,
        unlessFulfilling: fulfilmentChecks(ctx, message),
      };
      const outcome = ctx.insertBatcher ? await ctx.insertBatcher.insert(insert, now) : (await insertMessages(ctx.db, [insert], now))[0];
      if (outcome === undefined) throw new Error('the insert returned no outcome');
      if (outcome !== 'not-inserted') {
        const effects = new AfterCommit();
        afterInsert(prepared, outcome, effects);
        await effects.release(ctx.signals);
        return acceptedResult(prepared, envelopeId, new Map(), firstLetterId);
      }
    }
    return await acceptCarefully(ctx, senderEan, input, decoded, routing.routes, sha256);
  } catch (error) {
    // The envelope identifier is taken: a repeat, a conflict, or two posts of it racing.
    if ((error as { code?: string }).code === '23505') {
      const winner = await findByEnvelope(ctx.db, senderEan, envelopeId);
      if (winner) return repeatedEnvelope(winner, sha256);
    }
    throw error;
  }
}

/** Resends, receipts and disabled receivers: look up what came before, then write it all in one transaction. */
async function acceptCarefully(
  ctx: GatewayContext,
  senderEan: string,
  input: AcceptInput,
  decoded: Extract<DecodeResult, { ok: true }>,
  routes: readonly LetterRoute[],
  sha256: string,
): Promise<AcceptResult> {
  const message = decoded.message;
  const previous = await findByEnvelope(ctx.db, senderEan, message.envelope.identifier);
  if (previous) return repeatedEnvelope(previous, sha256);
  const answered = new Map<number, MessageRecord>();
  for (const letter of message.letters.filter((l) => l.body.receipt)) {
    const original = await findAnsweredMessage(ctx.db, letter);
    if (!original) {
      throw new Refusal(422, 'unknown-original', 'Receipt for an unknown message', `${letter.type} answers envelope ${letter.body.receipt?.originalEnvelopeIdentifier ?? letter.body.receipt?.originalLetters[0]?.letterIdentifier ?? '?'} from ${letter.receiver.ean}, which the gateway has not carried`, [
        { path: `${letter.path}/OriginalEmessage/OriginalEnvelopeIdentifier`, message: 'no message with this envelope identifier was sent to you by the receipt receiver' },
      ]);
    }
    answered.set(letter.index, original);
  }
  const firstLetters = await findFirstLetters(ctx.db, senderEan, message.letters.map((l) => l.identifier));
  const duplicates = new Map([...firstLetters.entries()].map(([letterId, first]) => [letterId, first.messageId]));
  const isResend = (letter: Letter): boolean => duplicates.has(letter.identifier);
  const id = randomUUID();
  const prepared = await inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    let deadlines = NO_DEADLINE_EFFECTS;
    let correlation: Correlation | undefined;
    const started = deadlinesStartedBy(ctx, message, now, isResend);
    const correlating = started.looksBack || message.letters.some((l) => !isResend(l) && l.patient?.cpr !== undefined && ctx.deadlineCorrelation.fulfilling.has(l.type));
    if (correlating) {
      correlation = await correlate(tx, ctx, id, message, started, isResend, now);
      deadlines = { started: correlation.started, fulfilled: fulfilledSummaries(correlation) };
    } else {
      deadlines = { started: started.deadlines, fulfilled: [] };
    }
    const prepared = prepare(ctx, id, senderEan, input, decoded, routes, sha256, duplicates, deadlines);
    const insert = { message: prepared.message, letters: prepared.letters, deliveries: prepared.deliveries, events: prepared.events, deadlines: prepared.deadlines, onlyIfLettersAreNew: false };
    afterInsert(prepared, insertedOutbox((await insertMessages(tx, [insert], now))[0] ?? 'not-inserted'), effects);
    if (correlation) await applyCorrelation(tx, correlation, now);
    await handleDuplicates(tx, ctx, effects, id, message, duplicates, now);
    await handleDisabledReceivers(tx, ctx, effects, id, senderEan, message, routes);
    for (const [letterIndex, original] of answered) {
      const content = receiptContentOf(message.letters[letterIndex] as Letter);
      if (!content) continue;
      const outcome = await applyReceipt(tx, original, senderEan, content, prepared.id, now);
      if (outcome === 'recorded' && content.kind === 'positive') await fulfilByReceipt(tx, ctx, original.id, senderEan, prepared.id, now);
    }
    return prepared;
  });
  return acceptedResult(prepared, message.envelope.identifier, duplicates, message.letters[0]?.identifier ?? '');
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
async function handleDuplicates(
  tx: Queryable,
  ctx: GatewayContext,
  effects: AfterCommit,
  resendId: string,
  message: ParsedMessage,
  duplicates: Map<string, string>,
  now: Date,
): Promise<void> {
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
async function handleDisabledReceivers(
  tx: Queryable,
  ctx: GatewayContext,
  effects: AfterCommit,
  messageId: string,
  senderEan: string,
  message: ParsedMessage,
  routes: readonly LetterRoute[],
): Promise<void> {
  const byReceiver = new Map<string, Letter[]>();
  for (const route of routes) {
    for (const recipient of route.disabled) byReceiver.set(recipient.ean, [...(byReceiver.get(recipient.ean) ?? []), message.letters[route.letterIndex] as Letter]);
  }
  for (const [receiverEan, letters] of byReceiver) {
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

/**
 * What accepting a message writes, decided without I/O: the routing (or the refusal), the rows of the
 * message, its letters and deliveries, the deadlines its letters start, which letters may fulfil an
 * open deadline, the receipts it carries, the receivers that are disabled, and whether the
 * one-statement insert can take it. Both ways of accepting (accept-message.ts) build this same plan;
 * the careful way builds it knowing which letters are resends, and adds what correlation found
 * (withDeadlineEffects). Pure apart from random ids.
 */
import { randomUUID } from 'node:crypto';
import type { DecodeResult } from '../codec/decode-message.js';
import { dischargeStatedBy, lookbackStart, mayFulfilDeadline, mayStartAwaited } from '../domain/deadlines/index.js';
import type { Letter, ParsedMessage } from '../domain/message.js';
import { routeMessage, type LetterRoute } from '../domain/routing.js';
import type { NewDeadline } from '../store/deadline-store.js';
import type { CorrelationGuard, NewDelivery, NewEvent, NewLetter, NewMessage } from '../store/message-store.js';
import type { DeadlineSummary, MessageSummary, ReceiptContent } from '../store/records.js';
import { receiptContentOf } from './apply-receipt.js';
import type { GatewayContext } from './context.js';
import { deadlinesStartedBy, startedSummaries, type StartedDeadlines } from './deadline-tracking.js';
import { Refusal } from './refusal.js';

export type DecodedMessage = Extract<DecodeResult, { ok: true }>;

/** What planning needs of the gateway: configuration and the patient-reference key, no store. */
export type AcceptSetting = Pick<GatewayContext, 'register' | 'retrainingRouting' | 'patientRef' | 'deadlineRules' | 'deadlineCorrelation'>;

export interface AcceptRequest {
  readonly senderEan: string;
  readonly decoded: DecodedMessage;
  readonly body: Buffer;
  readonly contentType: string;
  readonly sha256: string;
}

/** What came before, as the careful way looks it up: letter identifier → the first message that carried it. */
export interface AcceptHistory {
  readonly duplicates: ReadonlyMap<string, string>;
}

/** The fast way's assumption: every letter is new. */
export const FIRST_SIGHT: AcceptHistory = { duplicates: new Map() };

/** What the letters do to deadlines: the ones they start and the summaries of the ones they fulfil. */
export interface DeadlineEffects {
  readonly started: readonly NewDeadline[];
  readonly fulfilled: readonly DeadlineSummary[];
}

export interface AcceptPlan {
  readonly kind: 'plan';
  readonly request: AcceptRequest;
  readonly routes: readonly LetterRoute[];
  readonly duplicates: ReadonlyMap<string, string>;
  /** Every letter was sent before: the message is stored as a duplicate and the sender told so. */
  readonly allDuplicates: boolean;
  /** The rows to insert. */
  readonly message: NewMessage;
  readonly letters: readonly NewLetter[];
  readonly deliveries: readonly NewDelivery[];
  readonly events: readonly NewEvent[];
  readonly deadlines: readonly NewDeadline[];
  readonly summary: MessageSummary;
  /** The deadlines the new letters start, before correlation. */
  readonly started: StartedDeadlines;
  /** New letters about a patient, of a type that may fulfil an open deadline of their sender. */
  readonly fulfilling: readonly Letter[];
  /** New letters stating a discharge of a patient's episode: recorded, and they start deadlines waiting for it (D7). */
  readonly discharging: readonly Letter[];
  /** For the one-statement insert: when the sender has an open deadline one of these pairs fulfils, it writes nothing. */
  readonly fulfilmentChecks: readonly { readonly patientRef: string; readonly type: string }[];
  /** Correlation must run, under the patient lock: a started deadline looks back, or a letter may fulfil one. */
  readonly correlating: boolean;
  /** Receipt letters and what they say, to record on the deliveries they answer. */
  readonly receipts: readonly { readonly letter: Letter; readonly content: ReceiptContent }[];
  /** Known receivers that take nothing at present, with the letters addressed to them (each gets an XCTL01). */
  readonly disabledReceivers: readonly { readonly receiverEan: string; readonly letters: readonly Letter[] }[];
  /** For the one-statement insert of a correlating message: what it must find unchanged, and the discharges it records. */
  readonly correlation: CorrelationGuard;
  /**
   * The one-statement insert can take it: no receipt to record, no disabled receiver to answer. A
   * letter seen before, a deadline to fulfil, or anything correlation would act on (see
   * CorrelationGuard) still sends it the careful way: the insert then writes nothing.
   */
  readonly oneStatement: boolean;
}

export type AcceptPlanResult = AcceptPlan | { readonly kind: 'refused'; readonly refusal: Refusal };

function routingRefusal(problems: Extract<ReturnType<typeof routeMessage>, { ok: false }>['problems']): Refusal {
  const forbidden = problems.some((p) => p.kind === 'sender-not-owned');
  // A rule broken (retraining-plan routing, consent) is named in each error's `code` and first in the detail.
  const errors = problems.map((p) => ({ path: p.path, message: p.message, ...('rule' in p ? { code: p.rule } : {}) }));
  const first = problems[0];
  if (forbidden) return new Refusal(403, 'sender-not-owned', 'Sender not owned by this key', first?.message ?? '', errors);
  if (problems.every((p) => 'rule' in p)) {
    return new Refusal(422, 'misaddressed', "Not addressed as the health agreement and the citizen's consent allow", first && 'rule' in first ? `${first.rule}: ${first.message}` : '', errors);
  }
  return new Refusal(422, 'unroutable', 'A receiver cannot take this message', first?.message ?? '', errors);
}

function summaryOf(request: AcceptRequest, routes: readonly LetterRoute[], duplicates: ReadonlyMap<string, string>, deadlines: readonly DeadlineSummary[]): MessageSummary {
  const { message, warnings } = request.decoded;
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

/** One delivery per receiving endpoint, carrying the letters addressed to it (resends left out). */
function deliveriesOf(message: ParsedMessage, routes: readonly LetterRoute[], duplicates: ReadonlyMap<string, string>, patientRef: (cpr: string) => string): NewDelivery[] {
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

function disabledReceiversOf(message: ParsedMessage, routes: readonly LetterRoute[]): { receiverEan: string; letters: Letter[] }[] {
  const byReceiver = new Map<string, Letter[]>();
  for (const route of routes) {
    for (const recipient of route.disabled) byReceiver.set(recipient.ean, [...(byReceiver.get(recipient.ean) ?? []), message.letters[route.letterIndex] as Letter]);
  }
  return [...byReceiver.entries()].map(([receiverEan, letters]) => ({ receiverEan, letters }));
}

function messageRow(id: string, request: AcceptRequest, summary: MessageSummary, allDuplicates: boolean): NewMessage {
  const { message, encoding } = request.decoded;
  return {
    id,
    senderEan: request.senderEan,
    envelopeId: message.envelope.identifier,
    sha256: request.sha256,
    contentType: request.contentType,
    body: request.body,
    encoding,
    generation: message.generation,
    // Receipts never ask for receipts, whatever their envelope says: two gateways must not acknowledge each other forever.
    ackRequested: message.envelope.acknowledgementCode === 'pluspositivkvitt' && !message.letters.some((l) => l.body.receipt),
    origin: 'endpoint',
    status: allDuplicates ? 'duplicate' : 'accepted',
    summary,
  };
}

/**
 * What the careful way would look up for these letters, as the one-statement insert checks it: the
 * patients involved, the discharges stated (and the deadlines waiting for them), the deadlines waiting
 * for a discharge (and the discharges known), and the deadlines that look back for an earlier letter.
 */
function correlationGuardOf(messageId: string, started: StartedDeadlines, fulfilling: readonly Letter[], discharging: readonly Letter[], patientRef: (cpr: string) => string, now: Date): CorrelationGuard {
  const refOf = (letter: Letter): string => patientRef(letter.patient?.cpr as string);
  const discharges = discharging.flatMap((letter) => {
    const discharge = dischargeStatedBy(letter);
    return discharge ? [{ messageId, letterIndex: letter.index, patientRef: refOf(letter), senderEan: letter.sender.ean, episodeId: letter.episodeOfCareIdentifier ?? null, discharge }] : [];
  });
  const awaiting = started.awaiting.map(({ letter }) => ({ patientRef: refOf(letter), senderEan: letter.sender.ean }));
  const lookbacks = started.deadlines.flatMap((d) =>
    d.state === 'pending' && d.lookbackDays !== null && d.patientRef !== null
      ? [{ patientRef: d.patientRef, senderEan: d.obligedEan, types: d.fulfilTypes, since: lookbackStart(now, d.lookbackDays) }]
      : [],
  );
  return {
    patientRefs: [...new Set([...fulfilling.map(refOf), ...discharges.map((d) => d.patientRef), ...awaiting.map((a) => a.patientRef), ...lookbacks.map((l) => l.patientRef)])].sort(),
    discharging: discharges.map(({ patientRef: ref, senderEan }) => ({ patientRef: ref, senderEan })),
    awaiting,
    lookbacks,
    discharges,
  };
}

function keyedOncePerCpr(patientRef: (cpr: string) => string): (cpr: string) => string {
  const refs = new Map<string, string>();
  return (cpr) => {
    let ref = refs.get(cpr);
    if (ref === undefined) refs.set(cpr, (ref = patientRef(cpr)));
    return ref;
  };
}

/**
 * The plan for accepting `request` at `now`, given what came before (FIRST_SIGHT: nothing), or the
 * refusal when the message cannot be routed as addressed.
 */
export function planAccept(request: AcceptRequest, given: AcceptSetting, history: AcceptHistory, now: Date): AcceptPlanResult {
  // The plan asks for a letter's patient reference (an HMAC) in several places; each CPR number is keyed once.
  const setting: AcceptSetting = { ...given, patientRef: keyedOncePerCpr(given.patientRef) };
  const { message } = request.decoded;
  const routing = routeMessage(message, setting.register, request.senderEan, setting.retrainingRouting);
  if (!routing.ok) return { kind: 'refused', refusal: routingRefusal(routing.problems) };
  const { routes } = routing;
  const { duplicates } = history;
  const isResend = (letter: Letter): boolean => duplicates.has(letter.identifier);
  const id = randomUUID();
  const started = deadlinesStartedBy(setting, message, now, isResend);
  const fulfilling = message.letters.filter((l) => !isResend(l) && mayFulfilDeadline(l, setting.deadlineCorrelation));
  const discharging = message.letters.filter((l) => !isResend(l) && mayStartAwaited(l, setting.deadlineCorrelation));
  const receipts = message.letters.flatMap((letter) => {
    const content = receiptContentOf(letter);
    return content ? [{ letter, content }] : [];
  });
  const disabledReceivers = disabledReceiversOf(message, routes);
  const deliveries = deliveriesOf(message, routes, duplicates, setting.patientRef);
  const allDuplicates = message.letters.every(isResend);
  const summary = summaryOf(request, routes, duplicates, startedSummaries(started.deadlines));
  return {
    kind: 'plan',
    request,
    routes,
    duplicates,
    allDuplicates,
    message: messageRow(id, request, summary, allDuplicates),
    letters: message.letters.map((l) => ({
      letterIndex: l.index,
      letterId: l.identifier,
      type: l.type,
      versionCode: l.versionCode,
      patientRef: l.patient?.cpr ? setting.patientRef(l.patient.cpr) : null,
      duplicateOf: duplicates.get(l.identifier) ?? null,
      episodeId: l.episodeOfCareIdentifier ?? null,
    })),
    deliveries,
    events: [{ messageId: id, kind: 'accepted', detail: { sha256: request.sha256, letters: message.letters.length, deliveries: deliveries.length } }],
    deadlines: started.deadlines,
    summary,
    started,
    fulfilling,
    discharging,
    fulfilmentChecks: fulfilling.map((l) => ({ patientRef: setting.patientRef(l.patient?.cpr as string), type: l.type })),
    correlating: started.looksBack || fulfilling.length > 0 || discharging.length > 0,
    receipts,
    disabledReceivers,
    correlation: correlationGuardOf(id, started, fulfilling, discharging, setting.patientRef, now),
    oneStatement: receipts.length === 0 && disabledReceivers.length === 0,
  };
}

/** The plan with what correlation found: started deadlines an earlier message fulfilled, and the ones this message fulfils. */
export function withDeadlineEffects(plan: AcceptPlan, effects: DeadlineEffects): AcceptPlan {
  const summary = summaryOf(plan.request, plan.routes, plan.duplicates, [...startedSummaries(effects.started), ...effects.fulfilled]);
  return { ...plan, summary, message: { ...plan.message, summary }, deadlines: effects.started };
}

/**
 * The health agreements' deadlines at work: what a message's letters start (judged at once
 * or tracked until fulfilled), what they fulfil of deadlines earlier messages started, the breach
 * timer, and explicit fulfilment by the obliged endpoint. The rules themselves are pure
 * (src/domain/deadlines); this module applies them to the store.
 *
 * Correlation (a plan fulfilling D10, an answer fulfilling D17, a discharge starting a waiting D7)
 * reads and writes other messages' deadlines, so it runs in the accept path's transaction under a lock
 * per patient — for the messages that have something to correlate. The one-statement insert checks
 * that in its snapshot and writes nothing when there is (accept-plan.ts correlationGuardOf); the
 * patient's version (migration 013) keeps that check from missing an accept about the same patient
 * that commits meanwhile. A fulfilling message accepted at the very same moment as the start of a
 * deadline that does not look back (no version is taken for that start) cannot see it: the breach
 * timer's last look (runDeadlineBreach) finds it before any breach is marked.
 */
import { randomUUID } from 'node:crypto';
import type { Letter, ParsedMessage } from '../domain/message.js';
import {
  agreementPartiesOf,
  partyKindsOf,
  calendarFor,
  dischargeStatedBy,
  judgeFulfilment,
  lookbackStart,
  resumeAwaiting,
  trackAtAcceptance,
  type AcceptanceContext,
  type EpisodeDischarge,
  type LateLimit,
  type TrackedEvaluation,
} from '../domain/deadlines/index.js';
import type { Queryable } from '../store/database.js';
import {
  awaitingDeadlines,
  findEarlierLetter,
  knownDischarge,
  recordDischarges,
  startAwaited,
  type AwaitedStart,
  type NewDischarge,
  findLetterFulfilling,
  getDeadline,
  openDeadlinesFulfilledBy,
  openReceiptDeadlines,
  advancePatientVersions,
  recordBreach,
  recordFulfilment,
  isMessageDeadline,
  type DeadlineRecord,
  type MessageDeadlineRecord,
  type Fulfilment,
  type NewDeadline,
} from '../store/deadline-store.js';
import { completeOutbox, getOutbox } from '../store/outbox.js';
import { insertEvents, type NewEvent } from '../store/message-store.js';
import type { DeadlineSummary } from '../store/records.js';
import { inTransaction, type AfterCommit, type GatewayContext } from './context.js';

/** What evaluating deadlines needs of the gateway: the register (for regions), the rules and the patient key. */
export type DeadlineSetting = Pick<GatewayContext, 'register' | 'deadlineRules' | 'patientRef'>;

/** What judging a fulfilment needs of a deadline, stored or about to be. */
type Judgeable = Pick<DeadlineRecord, 'lateAfter' | 'lateUnit' | 'lateDay' | 'senderEan' | 'receiverEan'> & { readonly state?: DeadlineRecord['state'] };

function lateLimitOfRecord(record: Judgeable): LateLimit | undefined {
  if (!record.lateAfter || !record.lateUnit) return undefined;
  return { instant: record.lateAfter, unit: record.lateUnit as LateLimit['unit'], ...(record.lateDay ? { day: record.lateDay } : {}) };
}

function newDeadline(tracked: TrackedEvaluation, letter: Letter, patientRef: string | null): NewDeadline {
  const { evaluation, rule, lateLimit } = tracked;
  const due = evaluation.dueAt ? new Date(evaluation.dueAt) : null;
  const limit = lateLimit?.instant ?? (evaluation.lateAfter ? new Date(evaluation.lateAfter) : due);
  return {
    id: randomUUID(),
    ruleId: evaluation.ruleId,
    title: evaluation.title,
    severity: evaluation.severity,
    state: evaluation.state,
    letterIndex: letter.index,
    letterId: letter.identifier,
    letterType: letter.type,
    senderEan: letter.sender.ean,
    receiverEan: letter.receiver.ean,
    obligedEan: evaluation.obligedEan ?? letter.sender.ean,
    patientRef,
    episodeId: letter.episodeOfCareIdentifier ?? null,
    fulfilKind: rule?.fulfilledBy.kind ?? 'starting-message',
    fulfilTypes: rule?.fulfilledBy.kind === 'correlated-message' ? rule.fulfilledBy.types : [],
    lookbackDays: rule?.fulfilledBy.kind === 'correlated-message' ? (rule.fulfilledBy.lookbackDays ?? null) : null,
    dueAt: due,
    lateAfter: limit,
    lateUnit: lateLimit?.unit ?? rule?.offset.unit ?? null,
    lateDay: lateLimit?.day ?? null,
    breachAt: evaluation.state === 'pending' ? (tracked.breachAt ?? limit) : null,
    fulfilledAt: null,
    fulfilledByMessageId: null,
    lateBy: evaluation.lateBy ?? null,
    evaluation,
  };
}

export interface StartedDeadlines {
  readonly deadlines: NewDeadline[];
  /**
   * A pending one looks back for an earlier fulfilling message (D10), or one waits for its episode's
   * discharge, which may be known already (D7): the careful path must correlate.
   */
  readonly looksBack: boolean;
  /** Deadlines that wait for their episode's discharge, with the letter and context that started them. */
  readonly awaiting: readonly { readonly deadlineId: string; readonly letter: Letter; readonly context: AcceptanceContext }[];
}

/** The deadlines the new letters of a message start, evaluated at `receivedAt` (pure apart from ids). */
export function deadlinesStartedBy(
  ctx: DeadlineSetting,
  message: ParsedMessage,
  receivedAt: Date,
  isResend: (letter: Letter) => boolean,
): StartedDeadlines {
  const deadlines: NewDeadline[] = [];
  const awaiting: { deadlineId: string; letter: Letter; context: AcceptanceContext }[] = [];
  for (const letter of message.letters) {
    // Receipts answer; resends were judged when first sent.
    if (letter.body.receipt || isResend(letter)) continue;
    const patientRef = letter.patient?.cpr ? ctx.patientRef(letter.patient.cpr) : null;
    const context = { ...agreementPartiesOf(ctx.register, letter.sender.ean, letter.receiver.ean), sentAt: receivedAt, partyKinds: partyKindsOf(ctx.register, letter) };
    for (const tracked of trackAtAcceptance(letter, context, ctx.deadlineRules)) {
      const deadline = newDeadline(tracked, letter, patientRef);
      deadlines.push(deadline);
      if (deadline.state === 'awaiting-start' && patientRef !== null) awaiting.push({ deadlineId: deadline.id, letter, context });
    }
  }
  return {
    deadlines,
    looksBack: awaiting.length > 0 || deadlines.some((d) => d.state === 'pending' && d.lookbackDays !== null && d.patientRef !== null),
    awaiting,
  };
}

export function startedSummaries(deadlines: readonly NewDeadline[]): DeadlineSummary[] {
  return deadlines.map((d) => ({
    id: d.id,
    letterId: d.letterId,
    effect: 'started',
    ...d.evaluation,
    ...(d.fulfilledAt ? { state: d.state, fulfilledAt: d.fulfilledAt.toISOString(), ...(d.lateBy ? { lateBy: d.lateBy } : {}) } : {}),
  }));
}

/** The calendar a deadline's lateness is counted on: the one in force between its parties. */
function calendarOfRecord(ctx: GatewayContext, record: Judgeable) {
  return calendarFor(ctx.deadlineRules, agreementPartiesOf(ctx.register, record.senderEan, record.receiverEan));
}

export function judge(ctx: GatewayContext, record: Judgeable, at: Date): Pick<Fulfilment, 'state' | 'lateBy'> {
  // Not started: no limit yet to judge against; judged when it starts (startAwaitedFrom).
  if ('state' in record && record.state === 'awaiting-start') return { state: 'awaiting-start', lateBy: null };
  const limit = lateLimitOfRecord(record);
  if (!limit) return { state: 'on-time', lateBy: null };
  const judged = judgeFulfilment(limit, at, calendarOfRecord(ctx, record));
  return { state: judged.state as 'on-time' | 'late', lateBy: judged.lateBy ?? null };
}

/**
 * An explicit fulfilment is the obliged party's word on when it acted: once the gateway has marked the
 * deadline breached (nothing was reported in time), reporting a time before the breach afterwards cannot
 * make it on time; it is late, by as much as the breach showed at least.
 */
export function judgeExplicit(ctx: GatewayContext, record: DeadlineRecord, at: Date): Pick<Fulfilment, 'state' | 'lateBy'> {
  const judged = judge(ctx, record, at);
  if (record.state !== 'breached' || judged.state === 'late') return judged;
  const atBreach = judge(ctx, record, record.breachedAt ?? at);
  return { state: 'late', lateBy: atBreach.lateBy };
}

export interface Correlation {
  /** The started deadlines, some already fulfilled by an earlier message (D10's plan before the advice), some started from a known discharge (D7). */
  readonly started: NewDeadline[];
  /** Deadlines of earlier messages this one fulfils; written by `applyCorrelation` after the insert. */
  readonly fulfils: readonly { readonly record: MessageDeadlineRecord; readonly fulfilment: Fulfilment; readonly letterId: string }[];
  /** The discharges this message states, recorded after the insert for plans to come. */
  readonly discharges?: readonly NewDischarge[];
  /** Waiting deadlines of earlier messages that this message's discharge starts. */
  readonly starts?: readonly { readonly record: MessageDeadlineRecord; readonly start: AwaitedStart; readonly letterId: string }[];
}

/**
 * A waiting deadline evaluated from its episode's discharge (D7): pending with its limits, or judged at
 * once when its fulfilment was reported while it waited.
 */
function startAwaitedFrom(
  ctx: GatewayContext,
  ruleId: string,
  letter: Letter,
  context: AcceptanceContext,
  discharge: EpisodeDischarge,
  fulfilledAt: Date | null,
  obligedEan: string,
): AwaitedStart | undefined {
  const tracked = resumeAwaiting(ruleId, letter, { ...context, episodeDischarge: discharge }, ctx.deadlineRules);
  if (!tracked || tracked.evaluation.state !== 'pending' || !tracked.lateLimit) return undefined;
  const evaluation = { ...tracked.evaluation, obligedEan };
  const base = {
    dueAt: evaluation.dueAt ? new Date(evaluation.dueAt) : null,
    lateAfter: tracked.lateLimit.instant,
    lateUnit: tracked.lateLimit.unit,
    lateDay: tracked.lateLimit.day ?? null,
  };
  if (fulfilledAt) {
    const judged = judgeFulfilment(tracked.lateLimit, fulfilledAt, calendarFor(ctx.deadlineRules, context));
    return { ...base, state: judged.state, lateBy: judged.lateBy ?? null, breachAt: null, evaluation: { ...evaluation, state: judged.state, ...(judged.lateBy ? { lateBy: judged.lateBy } : {}) } };
  }
  return { ...base, state: 'pending', lateBy: null, breachAt: tracked.breachAt ?? tracked.lateLimit.instant, evaluation };
}

/** A stored waiting deadline's letter, as much as its rule reads: the parties and the stated limit it recorded. */
function letterOfRecord(record: MessageDeadlineRecord): Letter {
  const stated = record.evaluation.awaits?.stated;
  return {
    index: record.letterIndex,
    path: '',
    type: record.letterType as Letter['type'],
    rootElement: '',
    versionCode: '',
    statisticalCode: '',
    identifier: record.letterId,
    sender: { ean: record.senderEan },
    receiver: { ean: record.receiverEan },
    ccReceivers: [],
    body: stated ? { rehabilitation: { deadline: stated.time !== undefined ? { date: stated.date, time: stated.time } : { date: stated.date } } } : {},
  };
}

/**
 * Serialises correlation per patient (see the module comment), and advances the patients' versions so
 * that a one-statement insert about them that took its snapshot before this commits writes nothing
 * (migration 013). Both locks are taken in patient order, as that insert takes the versions.
 */
async function lockPatients(tx: Queryable, patientRefs: readonly string[]): Promise<void> {
  const refs = [...new Set(patientRefs)].sort();
  if (refs.length === 0) return;
  for (const ref of refs) {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('medcom-patient-deadlines:' || $1, 0))", [ref], 'medcom-patient-deadline-lock');
  }
  await advancePatientVersions(tx, refs);
}

/**
 * In the accept transaction, before the insert: lock the patients, let earlier messages fulfil the new
 * deadlines that look back, and find the open deadlines `letters` (those that may fulfil one, see
 * mayFulfilDeadline) fulfil.
 */
export async function correlate(
  tx: Queryable,
  ctx: GatewayContext,
  messageId: string,
  started: StartedDeadlines,
  letters: readonly Letter[],
  now: Date,
  discharging: readonly Letter[] = [],
): Promise<Correlation> {
  const refOf = (letter: Letter): string => ctx.patientRef(letter.patient?.cpr as string);
  await lockPatients(tx, [...letters.map(refOf), ...discharging.map(refOf), ...started.deadlines.flatMap((d) => (d.patientRef ? [d.patientRef] : []))]);

  // D7: the episode's discharge may have come before the plan. Then the plan's letter is evaluated
  // again with it, so its deadlines (D7, and D16's comparison with D7's limit) count from it.
  let startedDeadlines = started.deadlines;
  for (const letterIndex of new Set(started.awaiting.map((a) => a.letter.index))) {
    const { letter, context } = started.awaiting.find((a) => a.letter.index === letterIndex) as StartedDeadlines['awaiting'][number];
    const ofLetter = startedDeadlines.filter((d) => d.letterIndex === letterIndex);
    const first = ofLetter[0] as NewDeadline;
    const discharge = await knownDischarge(tx, { patientRef: first.patientRef as string, senderEan: letter.sender.ean, episodeId: first.episodeId });
    if (!discharge) continue;
    const again = trackAtAcceptance(letter, { ...context, episodeDischarge: discharge }, ctx.deadlineRules).map((tracked) => {
      const fresh = newDeadline(tracked, letter, first.patientRef);
      return { ...fresh, id: ofLetter.find((d) => d.ruleId === fresh.ruleId)?.id ?? fresh.id };
    });
    const at = startedDeadlines.indexOf(first);
    startedDeadlines = [...startedDeadlines.slice(0, at).filter((d) => d.letterIndex !== letterIndex), ...again, ...startedDeadlines.slice(at).filter((d) => d.letterIndex !== letterIndex)];
  }

  const deadlines: NewDeadline[] = [];
  for (const deadline of startedDeadlines) {
    const { lookbackDays } = deadline;
    const types = deadline.fulfilTypes;
    if (deadline.state !== 'pending' || lookbackDays === null || deadline.patientRef === null) {
      deadlines.push(deadline);
      continue;
    }
    const earlier = await findEarlierLetter(tx, {
      patientRef: deadline.patientRef,
      senderEan: deadline.obligedEan,
      types,
      since: lookbackStart(now, lookbackDays),
      episodeId: deadline.episodeId,
    });
    if (!earlier) {
      deadlines.push(deadline);
      continue;
    }
    const judged = judge(ctx, deadline, earlier.receivedAt);
    deadlines.push({ ...deadline, state: judged.state, lateBy: judged.lateBy, fulfilledAt: earlier.receivedAt, fulfilledByMessageId: earlier.messageId, breachAt: null });
  }

  const fulfils: { record: MessageDeadlineRecord; fulfilment: Fulfilment; letterId: string }[] = [];
  const taken = new Set<string>();
  for (const letter of letters) {
    const open = await openDeadlinesFulfilledBy(tx, {
      patientRef: refOf(letter),
      senderEan: letter.sender.ean,
      receiverEan: letter.receiver.ean,
      type: letter.type,
      episodeId: letter.episodeOfCareIdentifier ?? null,
      excludeMessageId: messageId,
    });
    for (const record of open.filter((r) => !taken.has(r.id))) {
      taken.add(record.id);
      fulfils.push({ record, letterId: letter.identifier, fulfilment: { ...judge(ctx, record, now), fulfilledAt: now, byMessageId: messageId, note: null } });
    }
  }
  const discharges: NewDischarge[] = [];
  const starts: { record: MessageDeadlineRecord; start: AwaitedStart; letterId: string }[] = [];
  for (const letter of discharging) {
    const discharge = dischargeStatedBy(letter);
    if (!discharge) continue;
    const key = { patientRef: refOf(letter), senderEan: letter.sender.ean, episodeId: letter.episodeOfCareIdentifier ?? null };
    discharges.push({ messageId, letterIndex: letter.index, ...key, discharge });
    for (const record of await awaitingDeadlines(tx, key)) {
      if (starts.some((s) => s.record.id === record.id)) continue;
      const context = { ...agreementPartiesOf(ctx.register, record.senderEan, record.receiverEan), sentAt: record.startedAt };
      const start = startAwaitedFrom(ctx, record.ruleId, letterOfRecord(record), context, discharge, record.fulfilledAt, record.obligedEan);
      if (start) starts.push({ record, start, letterId: letter.identifier });
    }
  }
  return { started: deadlines, fulfils, discharges, starts };
}

export function fulfilledSummaries(correlation: Correlation): DeadlineSummary[] {
  return correlation.fulfils.map(({ record, fulfilment, letterId }) => ({
    ...record.evaluation,
    id: record.id,
    letterId,
    effect: 'fulfilled',
    state: fulfilment.state,
    fulfilledAt: fulfilment.fulfilledAt.toISOString(),
    measuredAt: 'gateway-arrival',
    ...(fulfilment.lateBy ? { lateBy: fulfilment.lateBy } : {}),
    startedBy: { messageId: record.messageId, letterId: record.letterId },
  }));
}

export function fulfilledEvent(record: MessageDeadlineRecord, fulfilment: Fulfilment): NewEvent {
  return {
    messageId: record.messageId,
    kind: 'deadline-fulfilled',
    detail: {
      deadlineId: record.id,
      ruleId: record.ruleId,
      state: fulfilment.state,
      fulfilledAt: fulfilment.fulfilledAt.toISOString(),
      ...(fulfilment.byMessageId ? { byMessageId: fulfilment.byMessageId } : { explicit: true }),
      ...(fulfilment.lateBy ? { lateBy: fulfilment.lateBy } : {}),
    },
  };
}

/**
 * After the insert, in the same transaction: close the deadlines this message fulfils, record the
 * discharges it states and start the deadlines that waited for them (their breach timers go to `effects`).
 */
export async function applyCorrelation(tx: Queryable, correlation: Correlation, now: Date, effects?: AfterCommit): Promise<void> {
  const events: NewEvent[] = [];
  for (const { record, fulfilment } of correlation.fulfils) {
    if (await recordFulfilment(tx, record.id, fulfilment, now)) events.push(fulfilledEvent(record, fulfilment));
  }
  await recordDischarges(tx, correlation.discharges ?? [], now);
  for (const { record, start, letterId } of correlation.starts ?? []) {
    const timer = await startAwaited(tx, record.id, start, now);
    if (timer) effects?.outbox.push({ id: timer.id, kind: 'deadline-breach', deadlineId: record.id, dueAt: timer.dueAt });
    events.push({
      messageId: record.messageId,
      kind: 'deadline-started',
      detail: { deadlineId: record.id, ruleId: record.ruleId, state: start.state, dueAt: start.dueAt?.toISOString() ?? null, byLetterId: letterId },
    });
  }
  await insertEvents(tx, events, now);
}

export function startedByDischargeSummaries(correlation: Correlation): DeadlineSummary[] {
  return (correlation.starts ?? []).map(({ record, start, letterId }) => ({
    ...start.evaluation,
    id: record.id,
    letterId,
    effect: 'started',
    startedBy: { messageId: record.messageId, letterId: record.letterId },
  }));
}

/**
 * A positive receipt from `receiverEan` for `messageId`: closes the message's deadlines that rules
 * fulfil by a receipt, judged at the receipt's arrival. Nothing to do (no query) when no rule does.
 */
export async function fulfilByReceipt(tx: Queryable, ctx: GatewayContext, messageId: string, receiverEan: string, receiptMessageId: string, now: Date): Promise<void> {
  if (!ctx.deadlineCorrelation.byReceipt) return;
  const events: NewEvent[] = [];
  for (const record of await openReceiptDeadlines(tx, messageId, receiverEan)) {
    const fulfilment: Fulfilment = { ...judge(ctx, record, now), fulfilledAt: now, byMessageId: receiptMessageId, note: null };
    if (await recordFulfilment(tx, record.id, fulfilment, now)) events.push(fulfilledEvent(record, fulfilment));
  }
  await insertEvents(tx, events, now);
}

export type BreachOutcome = 'breached' | 'fulfilled' | 'not-due' | 'done';

/** The breach timer of one outbox row: marks a still-pending deadline breached at its time. */
export async function runDeadlineBreach(ctx: GatewayContext, outboxId: number): Promise<{ outcome: BreachOutcome; deadline?: DeadlineRecord }> {
  return inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const entry = await getOutbox(tx, outboxId);
    if (!entry || entry.doneAt || entry.kind !== 'deadline-breach') return { outcome: 'done' };
    if (entry.dueAt.getTime() > now.getTime()) return { outcome: 'not-due' };
    await completeOutbox(tx, outboxId, now);
    const deadline = await getDeadline(tx, entry.deadlineId, true);
    // A warning given outside MedCom with no message is fulfilled as it is recorded: it never has a timer.
    if (!deadline || !isMessageDeadline(deadline)) return { outcome: 'done' };
    if (deadline.fulfilledAt) return { outcome: 'fulfilled', deadline };
    if (deadline.state !== 'pending') return { outcome: 'done', deadline };
    // The last look: a fulfilling message accepted at the same moment as the start could not see it.
    const since = lookbackStart(deadline.startedAt, deadline.lookbackDays ?? 0);
    const missed = deadline.fulfilKind === 'correlated-message' ? await findLetterFulfilling(tx, deadline.id, since, now) : undefined;
    if (missed) {
      const fulfilment: Fulfilment = { ...judge(ctx, deadline, missed.receivedAt), fulfilledAt: missed.receivedAt, byMessageId: missed.messageId, note: null };
      await recordFulfilment(tx, deadline.id, fulfilment, now);
      await insertEvents(tx, [fulfilledEvent(deadline, fulfilment)], now);
      return { outcome: 'fulfilled', deadline };
    }
    if (!(await recordBreach(tx, deadline.id, now))) return { outcome: 'fulfilled', deadline };
    await insertEvents(
      tx,
      [{ messageId: deadline.messageId, kind: 'deadline-breached', detail: { deadlineId: deadline.id, ruleId: deadline.ruleId, obligedEan: deadline.obligedEan, breachAt: entry.dueAt.toISOString() } }],
      now,
    );
    ctx.meters?.deadlineBreached(deadline.ruleId);
    effects.announce(ctx, 'deadline-breached', { deadlineId: deadline.id, messageId: deadline.messageId, rule: deadline.ruleId, obligedEan: deadline.obligedEan });
    return { outcome: 'breached', deadline: { ...deadline, state: 'breached', breachedAt: now } };
  });
}

/**
 * Evaluating the deadline rules for one letter at acceptance (the 202 response): which deadlines it
 * starts or fulfils, their due time, and whether it is on time, late, pending or not evaluable.
 * Pure: the caller gives the arrival time; nothing here reads a clock, a file or the store.
 *
 * Interpretations (domain.md §3; see also the `interpretation` texts in config/deadline-rules.json):
 * - A rule fulfilled by the starting message itself (a warning, an advice) is judged against the time
 *   the message reached the gateway (`measuredAt: 'gateway-arrival'`): the agreements' limits are on
 *   the hospital's act of warning (varsle, fremsende, orientere), and from that moment the message is
 *   in the receiver's inbox. The receiver's fetch is its own business and does not move the verdict.
 * - A deadline is met by any instant `<=` it; "end-of-day" is 23:59:59.999 Copenhagen time (§3.9.3).
 * - A `target` is an earlier "due" mark inside the limit: sent after it but by the limit is on time
 *   with a note (D1: due 12:00, late after 13:00; D21: due the admission day, late after the next weekday).
 * - A message is judged only against the dates it carries itself, so a later warning that moves the
 *   discharge date is judged against the date known when it was sent (§3.1 "Expected discharge date changes").
 * - Rules fulfilled by another message, a receipt or an explicit fulfilment are `pending` with `dueAt`.
 * - Validation rules (D28) produce an entry only when the check fails, or nothing.
 */
import {
  addCalendarDays,
  addWeekdays,
  atClockTime,
  copenhagenDateOf,
  dayOfWeek,
  endOfDay,
  isCalendarDate,
  isWeekday,
  nextWeekday,
  weekdaysBetween,
  type CalendarDate,
  type CalendarOptions,
} from '../calendar.js';
import { danishHolidays } from '../danish-holidays.js';
import { copenhagenLocal } from '../danish-time.js';
import type { EndpointKind } from '../catalogue.js';
import type { Letter, WarningCategory } from '../message.js';
import { resolveRules, type AgreementParties, type EffectiveRules } from './profiles.js';
import type {
  DeadlineEvaluation,
  DeadlineRule,
  DeadlineRuleSet,
  Rule,
  RuleCondition,
  ReferenceField,
  RetrainingType,
  RuleOffset,
  Severity,
  StatedLimit,
  ValidationRule,
  EpisodeDischarge,
} from './types.js';

export interface AcceptanceContext extends AgreementParties {
  /** When the message reached the gateway. */
  readonly sentAt: Date;
  /**
   * What kind of endpoint each EAN the letter names is (the register's word), to tell who performs a
   * plan's retraining (D7). Without it a specialised plan's performer is taken to be its issuer.
   */
  readonly partyKinds?: Readonly<Record<string, EndpointKind>>;
  /** The discharge of the letter's episode as already seen by the gateway (a `laterOf` reference with `episode`). */
  readonly episodeDischarge?: EpisodeDischarge;
}

/** The discharge a letter states (XDIS17 Discharge, XDIS21 AgreedDischarge, XDIS19 PlannedDischarge), for the episode's deadlines. */
export function dischargeStatedBy(letter: Letter): EpisodeDischarge | undefined {
  const field = letter.type === 'XDIS17' ? 'discharge' : letter.type === 'XDIS21' ? 'agreedDischarge' : letter.type === 'XDIS19' ? 'plannedDischarge' : undefined;
  const value = field === undefined ? undefined : letter.body[field];
  if (field === undefined || value === undefined || !isCalendarDate(value.date)) return undefined;
  let instant: Date | undefined;
  try {
    instant = atClockTime(value.date, value.time);
  } catch {
    instant = undefined;
  }
  const kind = field === 'discharge' ? 'discharge' : field === 'agreedDischarge' ? 'agreed' : 'planned';
  return { kind, date: value.date, ...(instant ? { instant } : {}), label: `the ${letter.type} ${fieldLabel(field)}` };
}

export interface EvaluationOptions {
  /** Closed days on top of the rule set's and the profiles' calendar. */
  readonly calendar?: CalendarOptions;
}

const HOUR_MS = 3_600_000;
const DAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

interface ReferenceValue {
  readonly date: CalendarDate;
  /** Present when the reference has a time of day. */
  readonly instant?: Date;
  readonly label: string;
  /** Said with the evaluation (e.g. why `laterOf` fell back to the arrival). */
  readonly note?: string;
}

interface Limit {
  readonly instant: Date;
  /** The deadline's calendar day, for day-based offsets. */
  readonly day?: CalendarDate;
  readonly offset: RuleOffset;
}

function localText(instant: Date): string {
  const { date, time } = copenhagenLocal(instant);
  return `${date} ${time.slice(0, 5)}`;
}

function fieldLabel(field: string): string {
  return field === 'nursingServiceDay' ? 'GatewayExtension NursingServiceDay' : field.charAt(0).toUpperCase() + field.slice(1);
}

function arrivalReference(context: AcceptanceContext): ReferenceValue {
  return { date: copenhagenDateOf(context.sentAt), instant: context.sentAt, label: 'arrival at the gateway' };
}

function referenceOf(rule: Rule, letter: Letter, context: AcceptanceContext): ReferenceValue | { readonly missing: string; readonly awaiting?: true } {
  if (rule.reference.kind === 'receivedAt') return arrivalReference(context);
  let found: ReferenceValue | { readonly missing: string } = fieldReference(rule.reference.fields, letter);
  if (rule.reference.kind === 'field') return found;
  // laterOf: a field in the future wins over the arrival (D7: counted from the later of plan delivery and
  // discharge). With `episode`, a message without the field takes its episode's discharge as seen, and
  // waits for it when none is; otherwise it is counted from its arrival, the best known then.
  const arrival = arrivalReference(context);
  if ('missing' in found && rule.reference.episode) {
    const discharge = context.episodeDischarge;
    if (!discharge) return { missing: `${found.missing}, and no discharge of its episode has been seen yet`, awaiting: true };
    found = { date: discharge.date, ...(discharge.instant ? { instant: discharge.instant } : {}), label: discharge.label };
  }
  if ('missing' in found) return { ...arrival, note: `${found.missing}; counted from the arrival` };
  const fieldInstant = found.instant ?? endOfDay(found.date);
  return fieldInstant.getTime() > arrival.instant!.getTime() ? found : arrival;
}

function fieldReference(fields: readonly ReferenceField[], letter: Letter): ReferenceValue | { readonly missing: string } {
  const problems: string[] = [];
  for (const field of fields) {
    if (field === 'nursingServiceDay') {
      const date = letter.extension?.nursingServiceDay;
      if (date === undefined) continue;
      if (isCalendarDate(date)) return { date, label: fieldLabel(field) };
      problems.push(`${fieldLabel(field)} ${JSON.stringify(date)} is not a date`);
      continue;
    }
    const value = letter.body[field];
    if (value === undefined) continue;
    try {
      if (!isCalendarDate(value.date)) throw new RangeError('bad date');
      return { date: value.date, instant: atClockTime(value.date, value.time), label: fieldLabel(field) };
    } catch {
      problems.push(`${fieldLabel(field)} ${JSON.stringify(value)} is not a valid date and time`);
    }
  }
  const wanted = fields.map(fieldLabel).join(' or ');
  return { missing: problems.length > 0 ? problems.join('; ') : `the ${letter.type} carries no ${wanted}` };
}

function holds(condition: RuleCondition | undefined, letter: Letter, categories: readonly WarningCategory[]): boolean {
  if (!condition) return true;
  if (condition.warningCategory !== undefined && !categories.includes(condition.warningCategory)) return false;
  for (const field of condition.present ?? []) {
    const present = field === 'nursingServiceDay' ? letter.extension?.nursingServiceDay : letter.body[field];
    if (present === undefined) return false;
  }
  for (const [flag, wanted] of Object.entries(condition.flags ?? {})) {
    const actual = letter.extension?.[flag as keyof NonNullable<RuleCondition['flags']>] ?? false;
    if (actual !== wanted) return false;
  }
  if (condition.admissionKind) {
    const kind = letter.extension?.admissionKind;
    if (kind === undefined || !condition.admissionKind.includes(kind)) return false;
  }
  if (condition.retrainingType) {
    const type = letter.body.rehabilitation?.type;
    if (type === undefined || !condition.retrainingType.includes(type as RetrainingType)) return false;
  }
  return true;
}

function limitOf(offset: RuleOffset, reference: ReferenceValue, calendar: CalendarOptions): Limit | { readonly missing: string } {
  const sign = offset.direction === 'before' ? -1 : 1;
  if (offset.unit === 'hours') {
    if (!reference.instant) return { missing: `${reference.label} has no time of day, which an offset in hours needs` };
    return { instant: new Date(reference.instant.getTime() + sign * offset.amount * HOUR_MS), offset };
  }
  const day =
    offset.unit === 'weekdays'
      ? addWeekdays(reference.date, sign * offset.amount, calendar)
      : offset.unit === 'nextWeekday'
        ? nextWeekday(reference.date, calendar)
        : addCalendarDays(reference.date, sign * offset.amount);
  const instant = offset.at === 'end-of-day' ? endOfDay(day) : atClockTime(day, offset.at);
  return { instant, day, offset };
}

/**
 * The limit a message states itself (D16): its RehabilitationDeadline, at its time of day or at
 * `at` on its date. Counted as a calendar-day limit: lateness against it is in days past that date.
 */
function statedLimitOf(stated: StatedLimit, letter: Letter): Limit | { readonly missing: string } | undefined {
  const value = letter.body.rehabilitation?.deadline;
  if (value === undefined) return undefined;
  const time = 'time' in value ? value.time : undefined;
  if (!isCalendarDate(value.date)) return { missing: `RehabilitationDeadline ${JSON.stringify(value.date)} is not a date` };
  const instant = time !== undefined ? atClockTime(value.date, time) : stated.at === 'end-of-day' ? endOfDay(value.date) : atClockTime(value.date, stated.at);
  return { instant, day: value.date, offset: { unit: 'calendarDays', amount: 0, direction: 'after', at: time ?? stated.at } };
}

function calendarDaysBetween(a: CalendarDate, b: CalendarDate): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** The late limit of a deadline as stored: what lateness is measured against when the fulfilment comes. */
export interface LateLimit {
  readonly instant: Date;
  readonly unit: RuleOffset['unit'];
  /** The limit's calendar day, for day-based offsets. */
  readonly day?: CalendarDate;
}

function lateLimitOf(limit: Limit): LateLimit {
  return { instant: limit.instant, unit: limit.offset.unit, ...(limit.day !== undefined ? { day: limit.day } : {}) };
}

/** How late an arrival at `at` is against `limit` (see DeadlineEvaluation.lateBy). */
export function lateness(limit: LateLimit, at: Date, calendar: CalendarOptions): NonNullable<DeadlineEvaluation['lateBy']> {
  const hours = Math.ceil((at.getTime() - limit.instant.getTime()) / HOUR_MS);
  if (limit.day === undefined || limit.unit === 'hours') return { hours };
  const arrivalDay = copenhagenDateOf(at);
  return limit.unit === 'weekdays' || limit.unit === 'nextWeekday'
    ? { weekdays: weekdaysBetween(limit.day, arrivalDay, calendar), hours }
    : { calendarDays: calendarDaysBetween(limit.day, arrivalDay), hours };
}

/** Judges a fulfilment at `at` against the late limit: met by any instant `<=` the limit. */
export function judgeFulfilment(limit: LateLimit, at: Date, calendar: CalendarOptions): Pick<DeadlineEvaluation, 'state' | 'lateBy'> {
  return at.getTime() <= limit.instant.getTime() ? { state: 'on-time' } : { state: 'late', lateBy: lateness(limit, at, calendar) };
}

function base(rule: { readonly id: string; readonly title: string; readonly severity: Severity }, profiles: readonly string[]) {
  return { ruleId: rule.id, title: rule.title, severity: rule.severity, ...(profiles.length > 0 ? { profiles } : {}) };
}

/**
 * Who performs the retraining a plan refers to, and so makes the first contact (D7, 004 L2367–2369:
 * "bopælskommunen (ved almindelig ambulant genoptræning) eller hospitalet (ved specialiseret ambulant
 * genoptræning) kontakte borgeren"). Ordinary or self-training: the municipality the plan goes to (its
 * Receiver, else the first municipality among the copies). Specialised: the hospital the plan names
 * besides its issuer (the performing hospital, 004 L2245–2249; the home hospital for a private
 * hospital's plan, L2338–2344), else the issuer itself — as the routing table reads a plan that names
 * no other hospital (R-SPEC-OWN).
 */
export function retrainingPerformerOf(letter: Letter, kinds: Readonly<Record<string, EndpointKind>> = {}): string {
  const named = [letter.receiver.ean, ...letter.ccReceivers.flatMap((cc) => (cc.ean !== undefined ? [cc.ean] : []))];
  if (letter.body.rehabilitation?.type !== 'ZZ0175Y') {
    if (kinds[letter.receiver.ean] === undefined || kinds[letter.receiver.ean] === 'municipality') return letter.receiver.ean;
    return named.find((ean) => kinds[ean] === 'municipality') ?? letter.receiver.ean;
  }
  return named.find((ean) => ean !== letter.sender.ean && kinds[ean] === 'hospital') ?? letter.sender.ean;
}

/** The endpoint that must act for a rule: the one whose message or fulfilment the deadline waits for. */
export function obligedEanOf(rule: DeadlineRule, parties: AgreementParties, letter?: Letter, kinds?: Readonly<Record<string, EndpointKind>>): string {
  if (rule.fulfilledBy.kind === 'explicit' && rule.fulfilledBy.by === 'retraining-performer' && letter) return retrainingPerformerOf(letter, kinds);
  const side =
    rule.fulfilledBy.kind === 'starting-message'
      ? 'sender'
      : rule.fulfilledBy.kind === 'correlated-message'
        ? rule.fulfilledBy.from
        : rule.fulfilledBy.kind === 'explicit'
          ? rule.fulfilledBy.by
          : 'receiver';
  return side === 'sender' ? parties.senderEan : parties.receiverEan;
}

function describeFulfilment(rule: DeadlineRule): string {
  const by = rule.fulfilledBy;
  switch (by.kind) {
    case 'correlated-message':
      return `a ${by.types.join('/')} from the ${by.from}${by.samePatient ? ' for the same patient' : ''}`;
    case 'receipt':
      return 'a receipt';
    case 'explicit':
      return `an explicit fulfilment by the ${by.by === 'retraining-performer' ? 'endpoint performing the retraining' : by.by} (POST /api/v1/deadlines/{id}/fulfil)`;
    default:
      return 'this message';
  }
}

/**
 * One evaluation with what tracking it needs: a pending deadline carries its late limit (to judge the
 * fulfilment) and the instant its timer marks it breached.
 */
export interface TrackedEvaluation {
  readonly evaluation: DeadlineEvaluation;
  readonly rule?: DeadlineRule;
  readonly lateLimit?: LateLimit;
  readonly breachAt?: Date;
}

/** A judged or pending deadline, with its limit for the group comparison. */
interface Outcome extends TrackedEvaluation {
  readonly limit?: Date;
}

function evaluateDeadline(
  rule: DeadlineRule,
  letter: Letter,
  context: AcceptanceContext,
  calendar: CalendarOptions,
  profiles: readonly string[],
  categoryNote: string | undefined,
): Outcome {
  let note = categoryNote;
  const head = { ...base(rule, profiles), obligedEan: obligedEanOf(rule, context, letter, context.partyKinds) };
  const reference = referenceOf(rule, letter, context);
  if ('missing' in reference && reference.awaiting) {
    const stated = letter.body.rehabilitation?.deadline;
    return {
      evaluation: {
        ...head,
        state: 'awaiting-start',
        reason: `${reference.missing}: it starts when the discharge advice (XDIS17), or an agreed (XDIS21) or planned (XDIS19) discharge, of the same patient and episode arrives from ${letter.sender.ean}`,
        awaits: { what: 'episode-discharge', ...(stated && isCalendarDate(stated.date) ? { stated: { date: stated.date, ...('time' in stated ? { time: stated.time } : {}) } } : {}) },
      },
      rule,
    };
  }
  if ('missing' in reference) {
    return { evaluation: { ...head, state: 'not-evaluable', reason: reference.missing }, rule };
  }
  const referenceText = reference.instant && reference.label === 'arrival at the gateway' ? reference.instant.toISOString() : reference.date;
  if (rule.reference.kind === 'laterOf' && rule.reference.episode && context.episodeDischarge && reference.label === context.episodeDischarge.label) {
    note = [note, `counted from ${context.episodeDischarge.label} ${context.episodeDischarge.date} of the same episode, later than the arrival`].filter(Boolean).join('; ');
  }
  const limit = limitOf(rule.offset, reference, calendar);
  const target = rule.target ? limitOf(rule.target, reference, calendar) : undefined;
  const breach = rule.breachAt ? limitOf(rule.breachAt, reference, calendar) : undefined;
  for (const computed of [limit, target, breach]) {
    if (computed && 'missing' in computed) {
      return { evaluation: { ...head, state: 'not-evaluable', reason: computed.missing, reference: referenceText }, rule };
    }
  }
  const stated = rule.statedLimit ? statedLimitOf(rule.statedLimit, letter) : undefined;
  const agreed = limit as Limit;
  const late = stated && 'instant' in stated && stated.instant.getTime() < agreed.instant.getTime() ? stated : agreed;
  const due = (target as Limit | undefined) ?? late;
  const breachInstant = (breach as Limit | undefined)?.instant;
  const times = {
    dueAt: due.instant.toISOString(),
    ...(due !== late ? { lateAfter: late.instant.toISOString() } : {}),
    ...(breachInstant && breachInstant.getTime() !== late.instant.getTime() ? { breachAt: breachInstant.toISOString() } : {}),
    reference: referenceText,
  };
  const notes = [note, reference.note].filter((text): text is string => text !== undefined);
  if (late !== agreed) {
    notes.push(`the plan's RehabilitationDeadline (${localText(late.instant)}) is earlier than the agreement's limit (${localText(agreed.instant)}) and is the limit`);
  } else if (stated && 'instant' in stated && stated.instant.getTime() > agreed.instant.getTime()) {
    notes.push(`the plan's RehabilitationDeadline (${localText(stated.instant)}) is later than the agreement allows; the agreement's limit applies`);
  }
  if (rule.fulfilledBy.kind !== 'starting-message') {
    notes.push(`fulfilled by ${describeFulfilment(rule)}; judged when it arrives`);
    if (late.instant.getTime() < context.sentAt.getTime()) notes.push('the limit had already passed when this message arrived');
    return {
      evaluation: { ...head, state: 'pending', ...times, note: notes.join('; ') },
      rule,
      limit: late.instant,
      lateLimit: lateLimitOf(late),
      breachAt: breachInstant && breachInstant.getTime() > late.instant.getTime() ? breachInstant : late.instant,
    };
  }
  const sent = context.sentAt.getTime();
  const judged = judgeFulfilment(lateLimitOf(late), context.sentAt, calendar);
  if (judged.state === 'late') {
    return {
      evaluation: {
        ...head,
        ...times,
        ...judged,
        measuredAt: 'gateway-arrival',
        reason: `arrived ${localText(context.sentAt)}, after the limit ${localText(late.instant)} (Copenhagen time) counted from ${reference.label} ${reference.date}`,
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      },
      rule,
      limit: late.instant,
    };
  }
  if (due !== late && sent > due.instant.getTime()) {
    notes.push(`arrived ${localText(context.sentAt)}, after the due mark ${localText(due.instant)} but within the limit ${localText(late.instant)}`);
  }
  return {
    evaluation: { ...head, state: 'on-time', ...times, measuredAt: 'gateway-arrival', ...(notes.length > 0 ? { note: notes.join('; ') } : {}) },
    rule,
    limit: late.instant,
  };
}

function evaluateValidation(
  rule: ValidationRule,
  letter: Letter,
  context: AcceptanceContext,
  calendar: CalendarOptions,
  profiles: readonly string[],
  rules: readonly Rule[],
): DeadlineEvaluation | undefined {
  if (rule.check === 'stated-limit') return evaluateStatedLimit(rule, letter, context, calendar, profiles, rules);
  const reference = referenceOf(rule, letter, context);
  if ('missing' in reference) return undefined;
  const weekend = dayOfWeek(reference.date) > 5;
  // "hverdag, mandag – fredag" (D28) names the days of the week; whether a holiday fails too is the rule's countHolidays.
  if (!weekend && (rule.countHolidays === false || isWeekday(reference.date, calendar))) return undefined;
  const holiday = danishHolidays(Number(reference.date.slice(0, 4)), calendar.closedDays ?? {}).find((h) => h.date === reference.date);
  const why = weekend ? `a ${DAY_NAMES[dayOfWeek(reference.date)]}` : `${holiday?.name ?? 'a closed day'}`;
  const wanted = rule.countHolidays === false ? 'Monday–Friday' : 'Monday–Friday, not a holiday';
  return {
    ...base(rule, profiles),
    obligedEan: context.senderEan,
    state: 'validation-warning',
    reference: reference.date,
    reason: `${reference.label} ${reference.date} is ${why}, not a weekday (${wanted})`,
  };
}

/**
 * D16 (002 L254, L260–262): the plan must state the latest time for the first contact, and not later
 * than the agreement allows (the `against` rule's limit counted from the same reference). Missing or
 * later: a validation warning; the message is delivered and the agreement's limit applies.
 */
function evaluateStatedLimit(
  rule: ValidationRule,
  letter: Letter,
  context: AcceptanceContext,
  calendar: CalendarOptions,
  profiles: readonly string[],
  rules: readonly Rule[],
): DeadlineEvaluation | undefined {
  const against = rules.find((r): r is DeadlineRule => r.id === rule.against && r.kind === 'deadline');
  if (!against?.statedLimit || against.enabled === false) return undefined;
  const head = { ...base(rule, profiles), obligedEan: context.senderEan, state: 'validation-warning' as const };
  const stated = statedLimitOf(against.statedLimit, letter);
  if (stated === undefined) {
    return { ...head, reason: `the ${letter.type} states no RehabilitationDeadline; the plan must state the latest time for the first contact, so ${against.id}'s limit of the agreement applies` };
  }
  if ('missing' in stated) return { ...head, reason: stated.missing };
  const reference = referenceOf(against, letter, context);
  if ('missing' in reference) return undefined;
  const agreed = limitOf(against.offset, reference, calendar);
  if ('missing' in agreed || stated.instant.getTime() <= agreed.instant.getTime()) return undefined;
  return {
    ...head,
    reference: stated.day,
    dueAt: agreed.instant.toISOString(),
    reason: `RehabilitationDeadline ${stated.day} is later than the agreement allows (${against.id}: ${localText(agreed.instant)} Copenhagen time, counted from ${reference.label} ${reference.date}); the agreement's limit applies`,
  };
}

function started(rule: Rule, letter: Letter): boolean {
  if (rule.enabled === false || !rule.startedBy.types.includes(letter.type)) return false;
  return holds(rule.startedBy.typeConditions?.[letter.type], letter, letter.extension?.warningCategories ?? []);
}

const SEVERITY_ORDER: readonly Severity[] = ['info', 'warning', 'error'];

function calendarOf(effective: EffectiveRules, options: EvaluationOptions): CalendarOptions {
  return { closedDays: { ...(effective.calendar.closedDays ?? {}), ...(options.calendar?.closedDays ?? {}) } };
}

/** The calendar in force between the parties: the rule set's and profiles' closed days plus the caller's. */
export function calendarFor(ruleSet: DeadlineRuleSet, parties: AgreementParties, options: EvaluationOptions = {}): CalendarOptions {
  return calendarOf(resolveRules(ruleSet, parties), options);
}

/**
 * The deadlines one letter starts, evaluated at acceptance, with what a store needs to track the
 * pending ones. `ruleSet` is the whole file; the profiles for `context`'s parties are applied here.
 */
export function trackAtAcceptance(
  letter: Letter,
  context: AcceptanceContext,
  ruleSet: DeadlineRuleSet,
  options: EvaluationOptions = {},
): TrackedEvaluation[] {
  const effective = resolveRules(ruleSet, context);
  const calendar = calendarOf(effective, options);
  const { profiles } = effective;
  const results: TrackedEvaluation[] = [];
  const candidates = effective.rules.filter((rule) => started(rule, letter));

  let categories: readonly WarningCategory[] = letter.extension?.warningCategories ?? [];
  let categoryNote: string | undefined;
  if (categories.length === 0 && effective.defaultWarningCategory !== undefined) {
    categories = [effective.defaultWarningCategory];
    categoryNote = `the message names no warning category; ${effective.defaultWarningCategory} assumed from ${effective.defaultWarningCategorySource ?? 'the agreement'}`;
  }

  const seenGroups = new Set<string>();
  for (const rule of candidates) {
    if (rule.group === undefined) {
      if (!holds(rule.startedBy.condition, letter, categories)) continue;
      if (rule.kind === 'validation') {
        const warning = evaluateValidation(rule, letter, context, calendar, profiles, effective.rules);
        if (warning) results.push({ evaluation: warning });
      } else {
        const { limit: _limit, ...tracked } = evaluateDeadline(rule, letter, context, calendar, profiles, undefined);
        results.push(tracked);
      }
      continue;
    }
    if (seenGroups.has(rule.group)) continue;
    seenGroups.add(rule.group);
    const members = candidates.filter((r): r is DeadlineRule => r.group === rule.group && r.kind === 'deadline');
    const group = ruleSet.groups.find((g) => g.id === rule.group);
    const applicable = members.filter((r) => holds(r.startedBy.condition, letter, categories));
    if (applicable.length === 0) {
      const severity = members.map((r) => r.severity).sort((a, b) => SEVERITY_ORDER.indexOf(b) - SEVERITY_ORDER.indexOf(a))[0] ?? 'warning';
      results.push({
        evaluation: {
          ruleId: rule.group,
          title: group?.title ?? rule.group,
          severity,
          obligedEan: context.senderEan,
          state: 'not-evaluable',
          reason: `${letter.type}: ${group?.missingConditionReason ?? 'no rule of the group applies'}`,
          ...(profiles.length > 0 ? { profiles } : {}),
        },
      });
      continue;
    }
    const outcomes = applicable.map((r) => evaluateDeadline(r, letter, context, calendar, profiles, categoryNote));
    const timed = outcomes.filter((o) => o.limit !== undefined);
    // Longest lead = earliest limit; ties keep file order.
    const winner = timed.reduce<Outcome | undefined>(
      (best, o) => (best === undefined || (o.limit as Date).getTime() < (best.limit as Date).getTime() ? o : best),
      undefined,
    );
    if (winner) {
      const { limit: _limit, ...tracked } = winner;
      const others = timed.filter((o) => o !== winner).map((o) => o.evaluation.ruleId);
      results.push(others.length > 0 ? { ...tracked, evaluation: { ...tracked.evaluation, supersedes: others } } : tracked);
    }
    results.push(...outcomes.filter((o) => o.limit === undefined).map(({ limit: _limit, ...tracked }) => tracked));
  }
  return results;
}

/**
 * A deadline that waited for its episode's discharge (`awaiting-start`), evaluated now that the
 * discharge is known: `letter` is the starting letter, or as much of it as the rule reads (its
 * stated limit); `context.sentAt` is its arrival. Undefined when the rule is gone or disabled.
 */
export function resumeAwaiting(
  ruleId: string,
  letter: Letter,
  context: AcceptanceContext & { readonly episodeDischarge: EpisodeDischarge },
  ruleSet: DeadlineRuleSet,
  options: EvaluationOptions = {},
): TrackedEvaluation | undefined {
  return evaluateRule(ruleId, letter, context, ruleSet, options);
}

/**
 * One named deadline rule for `letter` (whatever the rule's start conditions: the caller chose the
 * rule), judged at `context.sentAt`. Undefined when the rule is gone or disabled.
 */
export function evaluateRule(
  ruleId: string,
  letter: Letter,
  context: AcceptanceContext,
  ruleSet: DeadlineRuleSet,
  options: EvaluationOptions = {},
): TrackedEvaluation | undefined {
  const effective = resolveRules(ruleSet, context);
  const rule = effective.rules.find((r): r is DeadlineRule => r.id === ruleId && r.kind === 'deadline');
  if (!rule || rule.enabled === false) return undefined;
  const { limit: _limit, ...tracked } = evaluateDeadline(rule, letter, context, calendarOf(effective, options), effective.profiles, undefined);
  return tracked;
}

/** The deadlines one letter starts, as reported in the 202 (see trackAtAcceptance). */
export function evaluateAtAcceptance(
  letter: Letter,
  context: AcceptanceContext,
  ruleSet: DeadlineRuleSet,
  options: EvaluationOptions = {},
): DeadlineEvaluation[] {
  return trackAtAcceptance(letter, context, ruleSet, options).map((tracked) => tracked.evaluation);
}

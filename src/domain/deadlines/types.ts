/**
 * The deadline rules (domain.md §3): the shape of `config/deadline-rules.json`, of an agreement
 * profile that overrides it, and of the evaluation the gateway reports at acceptance.
 * Pure types; the JSON Schema in `rule-schema.ts` mirrors them.
 */
import type { MessageTypeCode } from '../catalogue.js';
import type { CalendarOptions } from '../calendar.js';
import type { AdmissionKind, WarningCategory } from '../message.js';

/** `end-of-day` (23:59:59.999 Europe/Copenhagen, §3.9.3) or a Copenhagen clock time `hh:mm`. */
export type TimeOfDay = string;

/**
 * How far the deadline lies from the reference time.
 * - `weekdays`: "senest N hverdage før/efter X" (§3.9.3–4): X ± N weekdays, X itself not counted, at `at`.
 * - `calendarDays`: "senest N dage før/efter X" (§3.9.5): X ± N calendar days, no weekend roll, at `at`.
 *   `amount: 0` is "samme dag" (§3.9.7): the reference's own date, at `at`.
 * - `hours`: an elapsed duration from the reference instant (§3.9.2: not wall-clock arithmetic).
 */
export type RuleOffset =
  | {
      /** `nextWeekday`: "senest den førstkommende hverdag" (§3.9.6): X itself when a weekday, else the first weekday after; `amount` 0. */
      readonly unit: 'weekdays' | 'calendarDays' | 'nextWeekday';
      readonly amount: number;
      readonly direction: 'before' | 'after';
      readonly at: TimeOfDay;
    }
  | { readonly unit: 'hours'; readonly amount: number; readonly direction: 'before' | 'after' };

/** Message fields a rule may count from. `nursingServiceDay` is the gateway extension's date (D1). */
export type ReferenceField =
  | 'plannedDischarge'
  | 'agreedDischarge'
  | 'admission'
  | 'discharge'
  | 'endOfTreatment'
  | 'expectedEndOfTreatment'
  | 'nursingServiceDay';

export const REFERENCE_FIELDS: readonly ReferenceField[] = [
  'plannedDischarge',
  'agreedDischarge',
  'admission',
  'discharge',
  'endOfTreatment',
  'expectedEndOfTreatment',
  'nursingServiceDay',
];

/**
 * What the clock counts from: the first present of `fields` in the starting message, the time the
 * starting message reached the gateway (`receivedAt`), or the later of the two (`laterOf`: D7 counts
 * from "both the citizen and the municipality have the plan" = max(arrival, discharge)).
 */
export type RuleReference =
  | { readonly kind: 'field'; readonly fields: readonly ReferenceField[] }
  | { readonly kind: 'receivedAt' }
  | {
      readonly kind: 'laterOf';
      readonly fields: readonly ReferenceField[];
      /**
       * When the message carries none of `fields`, take the discharge of its episode as the gateway has
       * seen it (an XDIS17 discharge advice, else an XDIS21 agreed or XDIS19 planned discharge of the same
       * patient and episode from the same hospital); until one is seen the deadline waits
       * (`awaiting-start`) and starts when it comes (D7: a GGOP carries no Discharge).
       */
      readonly episode?: boolean;
    };

/** Boolean extension flags; an absent flag (or absent extension) reads as false: "true only if stated". */
export type ExtensionFlag = 'psychiatric' | 'childYouthPsychiatry' | 'requestForInformation' | 'retrainingExpected';

export const EXTENSION_FLAGS: readonly ExtensionFlag[] = ['psychiatric', 'childYouthPsychiatry', 'requestForInformation', 'retrainingExpected'];

/** SKS codes of the retraining plan's type (domain.md §5.1). */
export type RetrainingType = 'ZZ0175X' | 'ZZ0175Y' | 'ZZ0175Z';

/** All given parts must hold. */
export interface RuleCondition {
  readonly warningCategory?: WarningCategory;
  readonly present?: readonly ReferenceField[];
  readonly flags?: Partial<Readonly<Record<ExtensionFlag, boolean>>>;
  readonly admissionKind?: readonly AdmissionKind[];
  /** The plan's TypeOfRehabilitationPlan is one of these. */
  readonly retrainingType?: readonly RetrainingType[];
}

export interface StartedBy {
  readonly types: readonly MessageTypeCode[];
  /** Per type: when the message counts as a start at all (else the rule is silently not started). */
  readonly typeConditions?: Partial<Readonly<Record<MessageTypeCode, RuleCondition>>>;
  /** Which rule of a group applies (e.g. the warning category); outside a group a failed condition also means not started. */
  readonly condition?: RuleCondition;
}

export type FulfilledBy =
  /**
   * The starting message is itself the fulfilment (a warning, an advice): judged at acceptance, the
   * moment the gateway took it. The agreements set the limit for the hospital's act ("Varsling senest
   * 3 hverdage før udskrivning", "Fremsender indlæggelsesadvis … eller kontakter kommunen på anden
   * vis", 004 L1526–1532, L634–636), not for the receiver's fetch, which the hospital cannot hasten.
   */
  | { readonly kind: 'starting-message'; readonly evidence: 'gateway-arrival' }
  /** A later message of one of `types`, from the `from` side of the starting message, for the same patient. */
  | {
      readonly kind: 'correlated-message';
      readonly types: readonly MessageTypeCode[];
      readonly from: 'receiver' | 'sender';
      readonly samePatient: boolean;
      /**
       * A fulfilling message that arrived up to this many days BEFORE the start also counts (D10: the
       * plan may be sent before the discharge advice). Absent: only later messages count (D17).
       */
      readonly lookbackDays?: number;
    }
  | { readonly kind: 'receipt' }
  /**
   * Reported by the obliged endpoint (POST /api/v1/deadlines/{id}/fulfil). `retraining-performer` (D7):
   * whoever performs the retraining the plan refers to — the municipality for an ordinary plan
   * (ZZ0175X), the hospital for a specialised one (ZZ0175Y): the hospital the plan names besides its
   * issuer, else the issuer itself (004 L2367–2369).
   */
  | { readonly kind: 'explicit'; readonly by: 'sender' | 'receiver' | 'retraining-performer' };

/**
 * A limit the starting message states itself (D16: the plan's RehabilitationDeadline, "seneste
 * tidspunkt for første kontakt"). It replaces the rule's limit when it is earlier; a later one does
 * not stretch the agreement's limit (that is the validation rule's warning).
 */
export interface StatedLimit {
  readonly field: 'rehabilitationDeadline';
  /** Time of day when the stated value is a date only. */
  readonly at: TimeOfDay;
}

export interface RuleSource {
  /** Seed file, e.g. `004_cd77a9b5d0904ae8.txt`, or `issue` for rules that are not in the seeds. */
  readonly file: string;
  /** Line reference as in domain.md, e.g. `L1526–1532`. */
  readonly lines: string;
  readonly note?: string;
}

export type Severity = 'error' | 'warning' | 'info';

/**
 * Ways outside MedCom by which an obliged party may give what a rule asks for: "Hvor dette ikke er
 * muligt, kan anvendes enten telefonisk besked, sikker e-mail eller FAX" (004 L1505–1509), "kontakter
 * kommunen på anden vis" (L634–636).
 */
export type FallbackChannel = 'phone' | 'secure-email' | 'fax' | 'letter' | 'in-person';

export const FALLBACK_CHANNELS: readonly FallbackChannel[] = ['phone', 'secure-email', 'fax', 'letter', 'in-person'];

interface RuleBase {
  readonly id: string;
  readonly title: string;
  readonly source: readonly RuleSource[];
  readonly startedBy: StartedBy;
  readonly reference: RuleReference;
  readonly severity: Severity;
  /** Rules of one group compete: only one is reported (see `RuleGroup.select`). */
  readonly group?: string;
  readonly enabled?: boolean;
  /**
   * Agreed locally, not in the seeds (RM-XDIS16-24H): disabled in the default set, enabled by the
   * profile of the parties that agreed it.
   */
  readonly localAgreement?: boolean;
  readonly interpretation?: string;
}

export interface DeadlineRule extends RuleBase {
  readonly kind: 'deadline';
  /** The late limit. */
  readonly offset: RuleOffset;
  /** An earlier "due" mark inside the limit (D1 12:00, D21 same day); between the two is a grace, on time with a note. */
  readonly target?: RuleOffset;
  /**
   * When an unfulfilled deadline is marked breached (the timer), if not at the late limit. D10: due at
   * the discharge instant (a later plan is late by the measured amount), breached only when no plan
   * has come by the end of the discharge day.
   */
  readonly breachAt?: RuleOffset;
  readonly fulfilledBy: FulfilledBy;
  readonly statedLimit?: StatedLimit;
  /**
   * The channels outside MedCom the agreement allows for what this rule asks (absent: none). A
   * deadline of the rule may be fulfilled through one of them, and a warning given through one of them
   * for which no message exists starts the rule's deadline and fulfils it at once.
   */
  readonly fallbackChannels?: readonly FallbackChannel[];
}

/**
 * A check of the message, not a deadline: `weekday` (D28: the reference date must be a weekday,
 * Monday–Friday; `countHolidays` says whether a public holiday also fails), or `stated-limit` (D16:
 * the message must state the limit `against`'s `statedLimit` reads, no later than that rule allows).
 */
export interface ValidationRule extends RuleBase {
  readonly kind: 'validation';
  readonly check: 'weekday' | 'stated-limit';
  readonly countHolidays?: boolean;
  /** For `stated-limit`: the deadline rule whose limit the stated one must not exceed. */
  readonly against?: string;
}

export type Rule = DeadlineRule | ValidationRule;

export interface RuleGroup {
  readonly id: string;
  readonly title: string;
  /** `longest-lead`: of the started rules, the one with the earliest deadline wins (domain.md §3.1). */
  readonly select: 'longest-lead';
  /** Why the group cannot be evaluated when none of its conditions holds; shown as the reason. */
  readonly missingConditionReason: string;
}

/** A partial offset; merged onto the rule's and then checked again as a whole. */
export interface OffsetPatch {
  readonly unit?: RuleOffset['unit'];
  readonly amount?: number;
  readonly direction?: 'before' | 'after';
  readonly at?: TimeOfDay;
}

/** Overridable parts of a rule. Offsets merge field by field; `target: null` removes the due mark. */
export interface RuleOverride {
  readonly title?: string;
  readonly enabled?: boolean;
  readonly startedBy?: StartedBy;
  readonly severity?: Severity;
  readonly reference?: RuleReference;
  readonly offset?: OffsetPatch;
  readonly target?: OffsetPatch | null;
  readonly breachAt?: OffsetPatch | null;
  readonly fulfilledBy?: FulfilledBy;
  /** Validation `weekday` checks: whether a public holiday fails too. */
  readonly countHolidays?: boolean;
}

/** Where a profile applies; every given key must match. Pairs match in either message direction. */
export interface ProfileScope {
  readonly region?: string;
  readonly cluster?: string;
  readonly hospitalEan?: string;
  readonly municipalityEan?: string;
}

export interface AgreementProfile {
  readonly id: string;
  readonly title?: string;
  readonly appliesTo: ProfileScope;
  /** Used for a discharge warning that names no category. */
  readonly defaultWarningCategory?: WarningCategory;
  readonly calendar?: CalendarOptions;
  readonly overrides?: Readonly<Record<string, RuleOverride>>;
}

export interface DeadlineRuleSet {
  readonly agreement: { readonly id: string; readonly title: string; readonly region: string };
  readonly calendar?: CalendarOptions;
  readonly defaultWarningCategory?: WarningCategory;
  readonly groups: readonly RuleGroup[];
  readonly rules: readonly Rule[];
  readonly profiles: readonly AgreementProfile[];
}

/**
 * `on-time` / `late`: judged (at acceptance, or when the fulfilment came); `pending`: waiting for a
 * fulfilment; `breached`: nothing came by the breach time (a later fulfilment makes it `late`);
 * `not-evaluable`: the message lacks what the rule needs; `validation-warning`: a date check failed (D28).
 */
export type EvaluationState = 'on-time' | 'late' | 'pending' | 'breached' | 'not-evaluable' | 'validation-warning' | 'awaiting-start';

export const EVALUATION_STATES: readonly EvaluationState[] = ['on-time', 'late', 'pending', 'breached', 'not-evaluable', 'validation-warning', 'awaiting-start'];

/** A discharge of an episode as a message states it, strongest first: done (XDIS17), agreed (XDIS21), planned (XDIS19). */
export interface EpisodeDischarge {
  readonly kind: 'discharge' | 'agreed' | 'planned';
  /** Copenhagen calendar date. */
  readonly date: string;
  /** Present when the message gives a time of day. */
  readonly instant?: Date;
  /** Where it was seen, for the evaluation's text, e.g. "XDIS17 Discharge". */
  readonly label: string;
}

export interface DeadlineEvaluation {
  /** A rule id, or a group id when the group as a whole cannot be evaluated. */
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly state: EvaluationState;
  /** ISO instant of the due mark (`target`, else the late limit). */
  readonly dueAt?: string;
  /** ISO instant after which the message is late, when it differs from `dueAt`. */
  readonly lateAfter?: string;
  /** ISO instant at which a pending deadline is marked breached, when it differs from the late limit. */
  readonly breachAt?: string;
  /** Who must act: the endpoint whose message, fulfilment or warning the deadline waits for. */
  readonly obligedEan?: string;
  /**
   * How late: `hours` = started hours after the limit (ceil, so 1 ms late is 1 h); `weekdays` (weekday
   * offsets) = weekdays in (limit day, arrival day], 0 when late only into a weekend or holiday;
   * `calendarDays` (calendar-day offsets) = arrival date − limit date.
   */
  readonly lateBy?: { readonly weekdays?: number; readonly calendarDays?: number; readonly hours: number };
  /** The reference the deadline was counted from: a date, or an ISO instant. */
  readonly reference?: string;
  /** What the state was measured against: the gateway arrival time (of this or the fulfilling message) or an explicit fulfilment's time. */
  readonly measuredAt?: 'gateway-arrival' | 'explicit-fulfilment' | 'fallback-channel';
  /** A warning given outside MedCom: how it reached the other party. */
  readonly channel?: FallbackChannel;
  /** When the deadline was fulfilled (a correlated message's arrival or an explicit fulfilment's time). */
  readonly fulfilledAt?: string;
  readonly reason?: string;
  readonly note?: string;
  /**
   * `awaiting-start`: what the deadline waits for before it can start, and what it needs then: the
   * starting message's own stated limit (D7's RehabilitationDeadline), as written.
   */
  readonly awaits?: { readonly what: 'episode-discharge'; readonly stated?: { readonly date: string; readonly time?: string } };
  /** Group rules that also started but have a shorter lead. */
  readonly supersedes?: readonly string[];
  /** Profiles applied, least specific first. */
  readonly profiles?: readonly string[];
}

/**
 * A warning given outside MedCom for which no message exists: the agreements allow a discharge warning
 * by "telefonisk besked, sikker e-mail eller FAX" (004 L1505–1509) and an admission advice "på anden
 * vis" (L634–636). The deadline the missing message would have started is started and judged at once,
 * at the time the warning was given, exactly as the message would have been judged at its arrival.
 * Pure: the caller gives the parties, the time and the rule set.
 */
import type { LetterBody, Letter } from '../message.js';
import { evaluateRule, type AcceptanceContext, type TrackedEvaluation } from './evaluate.js';
import { resolveRules } from './profiles.js';
import type { DeadlineRule, DeadlineRuleSet, FallbackChannel, ReferenceField } from './types.js';

export interface FallbackWarning {
  readonly ruleId: string;
  /** The party that gave the warning (the obliged hospital). */
  readonly senderEan: string;
  /** The party warned (the municipality). */
  readonly receiverEan: string;
  readonly channel: FallbackChannel;
  /** When the warning was given. */
  readonly given: Date;
  /** The date (and time) the rule counts from, as the message would have carried it: the planned discharge for D2. */
  readonly reference?: { readonly date: string; readonly time?: string };
}

export interface FallbackRefusal {
  readonly code: 'unknown-rule' | 'not-a-warning' | 'channel-not-allowed' | 'reference-required' | 'not-evaluable';
  readonly detail: string;
  /** The request field at fault, as a JSON pointer below the body. */
  readonly field: string;
}

export type FallbackEvaluation = { readonly tracked: TrackedEvaluation & { readonly rule: DeadlineRule } } | { readonly refused: FallbackRefusal };

/** The field a rule counts from, where a message would carry it; none for a rule counted from arrival. */
function referenceFieldOf(rule: DeadlineRule): ReferenceField | undefined {
  return rule.reference.kind === 'receivedAt' ? undefined : rule.reference.fields[0];
}

/** As much of the missing message as the rule reads: its type, parties and the reference date. */
function standInLetter(rule: DeadlineRule, warning: FallbackWarning, field: ReferenceField | undefined): Letter {
  const reference = warning.reference;
  // A rule counted in weekdays or days reads only the date; the time of day matters to rules counted in hours.
  const body: LetterBody = field && field !== 'nursingServiceDay' && reference ? { [field]: { date: reference.date, time: reference.time ?? '00:00' } } : {};
  return {
    index: 0,
    path: '',
    type: rule.startedBy.types[0] as Letter['type'],
    rootElement: '',
    versionCode: '',
    statisticalCode: '',
    identifier: '',
    sender: { ean: warning.senderEan },
    receiver: { ean: warning.receiverEan },
    ccReceivers: [],
    body,
    ...(field === 'nursingServiceDay' && reference ? { extension: { warningCategories: [], consent: [], nursingServiceDay: reference.date } } : {}),
  };
}

/** The channels outside MedCom the agreement allows for `ruleId` (none for an unknown rule or a validation rule). */
export function fallbackChannelsOf(ruleSet: Pick<DeadlineRuleSet, 'rules'>, ruleId: string): readonly FallbackChannel[] {
  const rule = ruleSet.rules.find((r) => r.id === ruleId);
  return rule?.kind === 'deadline' ? (rule.fallbackChannels ?? []) : [];
}

export function evaluateFallbackWarning(warning: FallbackWarning, parties: Omit<AcceptanceContext, 'sentAt'>, ruleSet: DeadlineRuleSet): FallbackEvaluation {
  const rule = resolveRules(ruleSet, parties).rules.find((r): r is DeadlineRule => r.id === warning.ruleId && r.kind === 'deadline' && r.enabled !== false);
  if (!rule) return { refused: { code: 'unknown-rule', field: '/rule', detail: `there is no deadline rule ${JSON.stringify(warning.ruleId)} in force between ${warning.senderEan} and ${warning.receiverEan}` } };
  if (rule.fulfilledBy.kind !== 'starting-message') {
    return {
      refused: {
        code: 'not-a-warning',
        field: '/rule',
        detail: `${rule.id} is not fulfilled by a warning but by ${rule.fulfilledBy.kind === 'explicit' ? 'the obliged party\'s report' : 'a later message'}; record how it was fulfilled on its deadline: POST /api/v1/deadlines/{id}/fulfil with a channel`,
      },
    };
  }
  const allowed = rule.fallbackChannels ?? [];
  if (!allowed.includes(warning.channel)) {
    return {
      refused: {
        code: 'channel-not-allowed',
        field: '/channel',
        detail: allowed.length === 0 ? `the agreement allows no channel outside MedCom for ${rule.id}` : `the agreement allows ${rule.id} outside MedCom by ${allowed.join(', ')}, not ${warning.channel}`,
      },
    };
  }
  const field = referenceFieldOf(rule);
  if (field && !warning.reference) {
    return { refused: { code: 'reference-required', field: '/reference', detail: `${rule.id} counts from the ${field} the warning names: give it as reference.date (YYYY-MM-DD)` } };
  }
  const tracked = evaluateRule(rule.id, standInLetter(rule, warning, field), { ...parties, sentAt: warning.given }, ruleSet);
  const state = tracked?.evaluation.state;
  if (!tracked || (state !== 'on-time' && state !== 'late')) {
    return { refused: { code: 'not-evaluable', field: '/reference', detail: tracked?.evaluation.reason ?? `${rule.id} cannot be judged from what was given` } };
  }
  return {
    tracked: {
      ...tracked,
      rule,
      evaluation: { ...tracked.evaluation, measuredAt: 'fallback-channel', channel: warning.channel, fulfilledAt: warning.given.toISOString() },
    },
  };
}

/** Deadlines as the API answers them (see src/app/deadline-view.ts and src/domain/deadlines). */
import { Type } from '@fastify/type-provider-typebox';
import { EVALUATION_STATES, FALLBACK_CHANNELS, type EvaluationState, type FallbackChannel } from '../../domain/deadlines/types.js';
import { DateTime, Ean, List, Nullable, Open, Uuid } from './common.js';

const State = Type.Unsafe<EvaluationState>({ type: 'string', enum: [...EVALUATION_STATES] });

/** How a warning given outside MedCom reached the other party. */
export const Channel = Type.Unsafe<FallbackChannel>({
  type: 'string',
  enum: [...FALLBACK_CHANNELS],
  description: 'How a warning given outside MedCom reached the other party (the agreements allow phone, secure e-mail and fax for a discharge warning, any other way for an admission advice)',
});

const LateBy = Open(
  { hours: Type.Integer(), weekdays: Type.Optional(Type.Integer()), calendarDays: Type.Optional(Type.Integer()) },
  {
    description:
      'How late: started hours after the limit; weekdays (weekday rules) or calendar days (calendar-day rules) between the limit day and the arrival day',
  },
);

/** A deadline as evaluated when its letter arrived: in the 202, an inbox item and a message view's `fulfilledDeadlines`. */
export const DeadlineSummary = Open({
  id: Type.String({ format: 'uuid', description: 'GET /api/v1/deadlines/{id} shows its current state' }),
  letterId: Type.String(),
  effect: Type.Union([Type.Literal('started'), Type.Literal('fulfilled')], { description: 'started by this letter, or fulfilled by it (started by startedBy); `started` with startedBy: a deadline of that letter that waited for its episode\'s discharge, started by this letter\'s discharge' }),
  ruleId: Type.String({ description: 'Rule id of config/deadline-rules.json (D1…D28, RM-XDIS16-24H), or a group id when the group cannot be evaluated' }),
  title: Type.String(),
  severity: Type.Union([Type.Literal('error'), Type.Literal('warning'), Type.Literal('info')]),
  state: State,
  obligedEan: Type.Optional(Type.String({ description: 'the endpoint that must act' })),
  dueAt: Type.Optional(DateTime),
  lateAfter: Type.Optional(Type.String({ format: 'date-time', description: 'when it differs from dueAt: arriving between the two is on time with a note' })),
  breachAt: Type.Optional(Type.String({ format: 'date-time', description: 'when a pending deadline is marked breached, if not at the late limit' })),
  lateBy: Type.Optional(LateBy),
  reference: Type.Optional(Type.String({ description: 'what the deadline is counted from: a date, or an instant' })),
  measuredAt: Type.Optional(Type.Union([Type.Literal('gateway-arrival'), Type.Literal('explicit-fulfilment'), Type.Literal('fallback-channel')])),
  fulfilledAt: Type.Optional(DateTime),
  channel: Type.Optional(Channel),
  fallbackChannels: Type.Optional(List(Channel, { description: 'In an explanation: the channels outside MedCom the rule allows (POST /api/v1/deadlines/{id}/fulfil with `channel`, POST /api/v1/deadlines/fallback-warnings)' })),
  reason: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  supersedes: Type.Optional(List(Type.String(), { description: 'rules of the same group that also started but give a shorter lead' })),
  profiles: Type.Optional(List(Type.String(), { description: 'agreement profiles applied' })),
  startedBy: Type.Optional(Open({ messageId: Type.String(), letterId: Type.String() })),
});

/** `GET /api/v1/deadlines/{id}`: one deadline in its current state. */
export const DeadlineView = Open({
  id: Uuid,
  ruleId: Type.String(),
  title: Type.String(),
  severity: Type.String(),
  state: State,
  messageId: Nullable(Uuid, { description: 'The message whose letter started it; null for a warning given outside MedCom that no message stands for' }),
  letterId: Nullable(Type.String()),
  letterType: Nullable(Type.String()),
  sender: Ean,
  receiver: Ean,
  obliged: Ean,
  startedAt: DateTime,
  dueAt: Nullable(DateTime),
  lateAfter: Nullable(DateTime),
  breachAt: Nullable(DateTime),
  reference: Nullable(Type.String()),
  fulfilledBy: Open({ kind: Type.String({ description: 'starting-message, correlated-message or explicit' }), types: Type.Optional(List(Type.String())) }),
  fulfilledAt: Nullable(DateTime),
  fulfilledByMessageId: Nullable(Type.String()),
  fulfilmentNote: Nullable(Type.String()),
  fulfilmentRecorded: Nullable(Open({ at: DateTime, by: Nullable(Type.String({ description: 'the endpoint (EAN) or the operator (name) that recorded it' })) })),
  channel: Nullable(Channel),
  fallbackChannels: List(Channel, { description: 'The channels outside MedCom through which this deadline may be fulfilled (POST /api/v1/deadlines/{id}/fulfil with `channel`); empty when none' }),
  measuredAt: Type.Optional(Type.String({ description: 'What the state was judged at: gateway-arrival, explicit-fulfilment or fallback-channel' })),
  breachedAt: Nullable(DateTime),
  lateBy: Type.Optional(Nullable(LateBy)),
  reason: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  profiles: Type.Optional(List(Type.String())),
  href: Type.String(),
}, { description: 'The deadline in its current state' });

export const DeadlinePage = Open({
  items: List(DeadlineView),
  nextCursor: Type.Optional(Type.String({ description: 'Pass as `cursor` for the next page; absent on the last page' })),
}, { description: 'A page of deadlines, newest first' });

const ComplianceLine = Open({
  obligedEan: Ean,
  ruleId: Type.String(),
  title: Type.String(),
  total: Type.Integer(),
  judged: Type.Integer(),
  onTime: Type.Integer(),
  late: Type.Integer(),
  breached: Type.Integer(),
  pending: Type.Integer(),
  notEvaluable: Type.Integer(),
  validationWarnings: Type.Integer(),
  awaitingStart: Type.Integer({ description: 'waiting for their start (D7 before the episode\'s discharge is seen): not judged' }),
  byMessage: Type.Integer({ description: 'judged ones fulfilled by a MedCom message or its receipt' }),
  byFallback: Type.Integer({ description: 'judged ones fulfilled by a warning given outside MedCom (phone, secure e-mail, fax, letter, in person)' }),
  byReport: Type.Integer({ description: 'judged ones the obliged party reported done through the API without naming a channel' }),
  shareOnTime: Nullable(Type.Number()),
  medianLatenessHours: Nullable(Type.Number()),
  worstLatenessHours: Nullable(Type.Number()),
});

export const ComplianceReport = Open({
  period: Open({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) }),
  generatedAt: DateTime,
  lines: List(ComplianceLine),
}, { description: 'Counts and lateness per obliged endpoint and rule' });

/** `POST /api/v1/deadlines/evaluate`: what each letter would start, nothing stored. */
export const Explanation = Open({
  at: DateTime,
  agreement: Type.String(),
  stored: Type.Literal(false),
  letters: List(
    Open({
      letterId: Type.String(),
      type: Type.String(),
      sender: Ean,
      receiver: Ean,
      deadlines: List(Type.Omit(DeadlineSummary, ['id', 'letterId', 'effect', 'startedBy'])),
    }),
  ),
}, { description: 'The deadlines each letter would start; nothing was stored' });

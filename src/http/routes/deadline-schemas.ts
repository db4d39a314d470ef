/**
 * JSON Schemas of deadlines in responses: for the OpenAPI document, and for the response serialiser,
 * which writes only the properties listed here.
 */
import { EVALUATION_STATES } from '../../domain/deadlines/types.js';

const LATE_BY = {
  type: 'object',
  description: 'How late: started hours after the limit; weekdays (weekday rules) or calendar days (calendar-day rules) between the limit day and the arrival day',
  properties: { hours: { type: 'integer' }, weekdays: { type: 'integer' }, calendarDays: { type: 'integer' } },
} as const;

/** A deadline in the 202, an inbox item and a message view's `fulfilledDeadlines`. */
export const deadlineSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'GET /api/v1/deadlines/{id} shows its current state' },
    letterId: { type: 'string' },
    effect: { enum: ['started', 'fulfilled'], description: 'started by this letter, or fulfilled by it (started by startedBy)' },
    ruleId: { type: 'string', description: 'Rule id of config/deadline-rules.json (D1…D28, RM-XDIS16-24H), or a group id when the group cannot be evaluated' },
    title: { type: 'string' },
    severity: { enum: ['error', 'warning', 'info'] },
    state: { enum: [...EVALUATION_STATES] },
    obligedEan: { type: 'string', description: 'the endpoint that must act' },
    dueAt: { type: 'string', format: 'date-time' },
    lateAfter: { type: 'string', format: 'date-time', description: 'when it differs from dueAt: arriving between the two is on time with a note' },
    breachAt: { type: 'string', format: 'date-time', description: 'when a pending deadline is marked breached, if not at the late limit' },
    lateBy: LATE_BY,
    reference: { type: 'string', description: 'what the deadline is counted from: a date, or an instant' },
    measuredAt: { enum: ['gateway-arrival', 'explicit-fulfilment'] },
    fulfilledAt: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    note: { type: 'string' },
    supersedes: { type: 'array', items: { type: 'string' }, description: 'rules of the same group that also started but give a shorter lead' },
    profiles: { type: 'array', items: { type: 'string' }, description: 'agreement profiles applied' },
    startedBy: { type: 'object', properties: { messageId: { type: 'string' }, letterId: { type: 'string' } } },
  },
} as const;

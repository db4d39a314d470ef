/**
 * Deadlines as the API shows them: one deadline (`GET /api/v1/deadlines/{id}`), the deadlines of a
 * message (in its view), the operations list (`GET /api/v1/ops/deadlines`) and the compliance report.
 * No patient data: a patient filter is turned into the keyed reference before it reaches the store.
 */
import type { Viewer } from '../domain/principal.js';
import { buildComplianceReport, type ComplianceReport } from '../domain/deadlines/compliance.js';
import { fallbackChannelsOf } from '../domain/deadlines/fallback.js';
import type { DeadlineEvaluation, DeadlineRuleSet, EvaluationState, FallbackChannel } from '../domain/deadlines/types.js';
import { complianceRows, deadlinesOfMessage, getDeadline, listDeadlines, type DeadlineFilter, type DeadlineRecord } from '../store/deadline-store.js';
import type { GatewayContext } from './context.js';
import { UUID_KEY, decodeCursor, encodeCursor, type KeysetPosition } from './keyset-cursor.js';
import { Refusal } from './refusal.js';
import { isUuid } from '../domain/uuid.js';

export interface DeadlineView {
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: string;
  readonly state: EvaluationState;
  /** Null for a warning given outside MedCom that no message stands for. */
  readonly messageId: string | null;
  readonly letterId: string | null;
  readonly letterType: string | null;
  readonly sender: string;
  readonly receiver: string;
  readonly obliged: string;
  readonly startedAt: string;
  readonly dueAt: string | null;
  readonly lateAfter: string | null;
  readonly breachAt: string | null;
  readonly reference: string | null;
  /** How it is fulfilled: `starting-message` (judged at acceptance), `correlated-message`, `explicit`. */
  readonly fulfilledBy: { readonly kind: string; readonly types?: readonly string[] };
  readonly fulfilledAt: string | null;
  readonly fulfilledByMessageId: string | null;
  readonly fulfilmentNote: string | null;
  /** Who recorded the fulfilment and when; `fulfilledAt` is the time it claims. */
  readonly fulfilmentRecorded: { readonly at: string; readonly by: string | null } | null;
  /** A warning given outside MedCom: how it reached the other party. */
  readonly channel: FallbackChannel | null;
  /** The channels outside MedCom the agreement allows for this rule (empty: none). */
  readonly fallbackChannels: readonly FallbackChannel[];
  /** What the state was judged at. */
  readonly measuredAt?: NonNullable<DeadlineEvaluation['measuredAt']>;
  readonly breachedAt: string | null;
  readonly lateBy: DeadlineRecord['lateBy'];
  readonly reason?: string;
  readonly note?: string;
  readonly profiles?: readonly string[];
  readonly href: string;
}

const iso = (value: Date | null): string | null => value?.toISOString() ?? null;

/** What a deadline's state was judged at: its fulfilment when there is one, else what its evaluation says. */
function measuredAtOf(record: DeadlineRecord): DeadlineView['measuredAt'] {
  if (record.channel) return 'fallback-channel';
  if (record.fulfilledAt && record.fulfilKind === 'explicit') return 'explicit-fulfilment';
  if (record.fulfilledAt) return 'gateway-arrival';
  return record.evaluation.measuredAt;
}

export function deadlineView(record: DeadlineRecord, ruleSet: DeadlineRuleSet): DeadlineView {
  const { evaluation } = record;
  const measuredAt = measuredAtOf(record);
  return {
    id: record.id,
    ruleId: record.ruleId,
    title: record.title,
    severity: record.severity,
    state: record.state,
    messageId: record.messageId,
    letterId: record.letterId,
    letterType: record.letterType,
    sender: record.senderEan,
    receiver: record.receiverEan,
    obliged: record.obligedEan,
    startedAt: record.startedAt.toISOString(),
    dueAt: iso(record.dueAt),
    lateAfter: iso(record.lateAfter),
    breachAt: iso(record.breachAt),
    reference: evaluation.reference ?? null,
    fulfilledBy: { kind: record.fulfilKind, ...(record.fulfilTypes.length > 0 ? { types: record.fulfilTypes } : {}) },
    fulfilledAt: iso(record.fulfilledAt),
    fulfilledByMessageId: record.fulfilledByMessageId,
    fulfilmentNote: record.fulfilmentNote,
    fulfilmentRecorded: record.fulfilmentRecordedAt ? { at: record.fulfilmentRecordedAt.toISOString(), by: record.fulfilmentRecordedBy } : null,
    channel: record.channel,
    fallbackChannels: fallbackChannelsOf(ruleSet, record.ruleId),
    ...(measuredAt ? { measuredAt } : {}),
    breachedAt: iso(record.breachedAt),
    lateBy: record.lateBy,
    ...(evaluation.reason !== undefined ? { reason: evaluation.reason } : {}),
    ...(evaluation.note !== undefined ? { note: evaluation.note } : {}),
    ...(evaluation.profiles !== undefined ? { profiles: evaluation.profiles } : {}),
    href: `/api/v1/deadlines/${record.id}`,
  };
}

function visibleTo(principal: Viewer, record: DeadlineRecord): boolean {
  return principal.kind === 'ops' || [record.senderEan, record.receiverEan, record.obligedEan].includes(principal.ean);
}

/** One deadline, for its parties and operations staff; anyone else is told there is none. */
export async function viewDeadline(ctx: GatewayContext, principal: Viewer, id: string): Promise<DeadlineView> {
  const record = isUuid(id) ? await getDeadline(ctx.db, id) : undefined;
  if (!record || !visibleTo(principal, record)) throw new Refusal(404, 'not-found', 'Not found', `there is no deadline ${id} visible to you`);
  return deadlineView(record, ctx.deadlineRules);
}

export async function deadlinesOfMessageView(ctx: GatewayContext, messageId: string): Promise<DeadlineView[]> {
  return (await deadlinesOfMessage(ctx.db, messageId)).map((record) => deadlineView(record, ctx.deadlineRules));
}

/** The filter of the ops list and report, as given in the query string (already checked by the route schema). */
export interface DeadlineQuery {
  readonly state?: readonly string[];
  readonly rule?: readonly string[];
  readonly endpoint?: string;
  /** A CPR number: turned into the patient reference here and never stored or logged as such. */
  readonly patient?: string;
  readonly from?: Date;
  readonly to?: Date;
}

function filterOf(ctx: GatewayContext, query: DeadlineQuery): DeadlineFilter {
  if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
    throw new Refusal(422, 'bad-period', 'The period is empty', `"from" (${query.from.toISOString()}) must be before "to" (${query.to.toISOString()})`, [
      { path: '/querystring/from', message: 'must be before "to"' },
    ]);
  }
  return {
    ...(query.state ? { states: query.state } : {}),
    ...(query.rule ? { ruleIds: query.rule } : {}),
    ...(query.endpoint ? { endpointEan: query.endpoint } : {}),
    ...(query.patient ? { patientRef: ctx.patientRef(query.patient) } : {}),
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
  };
}

export interface DeadlinePage {
  readonly items: readonly DeadlineView[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

function beforeOf(position: KeysetPosition): { startedAt: Date; id: string } {
  return { startedAt: new Date(position.at), id: position.key };
}

function cursorOf(record: DeadlineRecord): string {
  return encodeCursor({ at: record.startedAt.toISOString(), key: record.id });
}

/** `GET /api/v1/ops/deadlines`: newest first, a page at a time. */
export async function listDeadlinesView(ctx: GatewayContext, query: DeadlineQuery, page: { limit: number; cursor?: string }): Promise<DeadlinePage> {
  const records = await listDeadlines(ctx.db, filterOf(ctx, query), {
    limit: page.limit + 1,
    ...(page.cursor ? { before: beforeOf(decodeCursor(page.cursor, UUID_KEY)) } : {}),
  });
  const items = records.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map((record) => deadlineView(record, ctx.deadlineRules)), ...(records.length > page.limit && last ? { nextCursor: cursorOf(last) } : {}) };
}

/** The compliance report per obliged endpoint and rule over the deadlines started in the period. */
export async function complianceReport(ctx: GatewayContext, query: DeadlineQuery): Promise<ComplianceReport> {
  const rows = await complianceRows(ctx.db, filterOf(ctx, query));
  return buildComplianceReport(rows, {
    ...(query.from ? { from: query.from.toISOString() } : {}),
    ...(query.to ? { to: query.to.toISOString() } : {}),
    generatedAt: ctx.clock().toISOString(),
  });
}

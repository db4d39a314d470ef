/**
 * Deadlines (issue 4): one deadline, its explicit fulfilment by the obliged endpoint, the operations
 * list and compliance report, and "would this message be on time?" without storing anything.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../app/context.js';
import { explainDeadlines } from '../../app/deadline-evaluate.js';
import { fulfilExplicitly } from '../../app/deadline-tracking.js';
import { complianceReport, deadlineView, listDeadlinesView, viewDeadline, type DeadlineQuery } from '../../app/deadline-view.js';
import { complianceCsv } from '../../domain/deadlines/compliance.js';
import { EVALUATION_STATES } from '../../domain/deadlines/types.js';
import { requireEndpoint, requirePrincipal } from '../plugins/authentication.js';
import { problem } from '../problem.js';
import { guarded } from './gateway-errors.js';
import { xmlBodyOf } from './messages.js';

const DATE_TIME = { type: 'string', format: 'date-time', description: 'RFC 3339 date-time with an offset, e.g. 2026-11-23T09:00:00+01:00' } as const;
const MAX_PAGE = 500;

interface ListQuery {
  state?: string;
  rule?: string;
  endpoint?: string;
  patient?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  format?: 'json' | 'csv';
}

const FILTER_PROPERTIES = {
  state: { type: 'string', description: `Comma-separated states: ${EVALUATION_STATES.join(', ')}` },
  rule: { type: 'string', pattern: '^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$', description: 'Comma-separated rule ids, e.g. D2,D10' },
  endpoint: { type: 'string', pattern: '^[0-9]{13}$', description: 'An EAN: deadlines where it is the obliged party, the sender or the receiver' },
  patient: { type: 'string', pattern: '^[0-9]{6}-?[0-9]{4}$', description: 'A CPR number; matched through the keyed patient reference, never stored or logged' },
  from: { ...DATE_TIME, description: 'Deadlines started at or after this instant' },
  to: { ...DATE_TIME, description: 'Deadlines started before this instant' },
} as const;

function listOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function queryOf(query: ListQuery): DeadlineQuery {
  const states = listOf(query.state);
  const unknown = states?.filter((state) => !(EVALUATION_STATES as readonly string[]).includes(state)) ?? [];
  if (unknown.length > 0) {
    throw problem(400, 'invalid-request', `unknown state ${unknown.map((s) => JSON.stringify(s)).join(', ')}; use ${EVALUATION_STATES.join(', ')}`, {
      errors: [{ path: '/querystring/state', message: `must be a comma-separated list of ${EVALUATION_STATES.join(', ')}` }],
    });
  }
  const rules = listOf(query.rule);
  return {
    ...(states ? { state: states } : {}),
    ...(rules ? { rule: rules } : {}),
    ...(query.endpoint ? { endpoint: query.endpoint } : {}),
    ...(query.patient ? { patient: query.patient.replace('-', '') } : {}),
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
  };
}

function wantsCsv(request: FastifyRequest<{ Querystring: ListQuery }>): boolean {
  if (request.query.format) return request.query.format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function sendCsv(reply: FastifyReply, csv: string, filename: string): string {
  reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`);
  return csv;
}

export function registerDeadlineRoutes(app: FastifyInstance, context: () => GatewayContext): void {
  app.post<{ Querystring: { at?: string } }>(
    '/api/v1/deadlines/evaluate',
    {
      config: { auth: 'any', contentTypes: ['xml'] },
      schema: {
        summary: 'Would this message be on time? (nothing is stored)',
        description:
          'Evaluates the MedCom message in the body against the deadline rules as if it arrived at `at` (default: now) and answers the deadlines each letter would start, with due times and states. Nothing is stored or delivered. An invalid message gets the same problem as POST /api/v1/messages.',
        tags: ['deadlines'],
        querystring: { type: 'object', additionalProperties: false, properties: { at: DATE_TIME } },
      },
    },
    async (request) => {
      const input = xmlBodyOf(request);
      const ctx = context();
      const at = request.query.at ? new Date(request.query.at) : ctx.clock();
      return guarded(async () =>
        explainDeadlines(
          { codec: ctx.codec, deadlineRules: ctx.deadlineRules, register: ctx.register, maxBytes: ctx.settings.maxBodyBytes },
          { body: input.body, at, ...(input.charset ? { charset: input.charset } : {}) },
        ),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/deadlines/:id',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'One deadline',
        description: 'Visible to its sender, receiver and obliged endpoint, and to operations.',
        tags: ['deadlines'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (request) => guarded(() => viewDeadline(context(), requirePrincipal(request), request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { at?: string; note?: string } }>(
    '/api/v1/deadlines/:id/fulfil',
    {
      config: { auth: 'endpoint', contentTypes: ['json'] },
      schema: {
        summary: 'Report that the obliged action was done',
        description:
          'For deadlines fulfilled explicitly (D7: the first contact with the citizen). Only the obliged endpoint may call it; `at` (default now, never in the future) is judged against the deadline. Repeating the same fulfilment is harmless; another one is a 409.',
        tags: ['deadlines'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { at: DATE_TIME, note: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (request) => {
      const caller = requireEndpoint(request).ean;
      const body = request.body ?? {};
      const record = await guarded(() =>
        fulfilExplicitly(context(), caller, request.params.id, { ...(body.at ? { at: new Date(body.at) } : {}), ...(body.note ? { note: body.note } : {}) }),
      );
      return deadlineView(record);
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/ops/deadlines',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Deadlines, filtered',
        description: 'Newest first, `limit` at a time; pass `nextCursor` back as `cursor` for the next page.',
        tags: ['operations'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...FILTER_PROPERTIES,
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (request) =>
      guarded(() =>
        listDeadlinesView(context(), queryOf(request.query), { limit: request.query.limit ?? 100, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
      ),
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/ops/deadlines/report',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Compliance report per obliged endpoint and rule',
        description:
          'Over the deadlines started in [from, to): counts by state, the share on time (of those judged: on time, late, breached), and the median and worst lateness in hours. JSON, or CSV with `format=csv` or `Accept: text/csv`.',
        tags: ['operations'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...FILTER_PROPERTIES, format: { enum: ['json', 'csv'] } },
        },
      },
    },
    async (request, reply) => {
      const report = await guarded(() => complianceReport(context(), queryOf(request.query)));
      if (!wantsCsv(request)) return report;
      const period = `${report.period.from?.slice(0, 10) ?? 'start'}_${report.period.to?.slice(0, 10) ?? 'now'}`;
      return sendCsv(reply, complianceCsv(report), `deadline-compliance_${period}.csv`);
    },
  );
}

/**
 * Deadlines: one deadline, its explicit fulfilment by the obliged endpoint, the operations list and
 * compliance report, and "would this message be on time?" without storing anything.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { explainDeadlines } from '../../app/deadline-evaluate.js';
import { fulfilExplicitly } from '../../app/deadline-tracking.js';
import { complianceReport, deadlineView, listDeadlinesView, viewDeadline, type DeadlineQuery } from '../../app/deadline-view.js';
import { complianceCsv } from '../../domain/deadlines/compliance.js';
import { EVALUATION_STATES } from '../../domain/deadlines/types.js';
import { requireEndpoint, requirePrincipal } from '../plugins/authentication.js';
import { xmlBodyOf } from '../plugins/content-types.js';
import { problem } from '../problem.js';
import { DateTime, IdParams, problems, UNAVAILABLE } from '../schemas/common.js';
import { ComplianceReport, DeadlinePage, DeadlineView, Explanation } from '../schemas/deadlines.js';

const MAX_PAGE = 500;

const FILTERS = {
  state: Type.Optional(Type.String({ description: `Comma-separated states: ${EVALUATION_STATES.join(', ')}` })),
  rule: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$', description: 'Comma-separated rule ids, e.g. D2,D10' })),
  endpoint: Type.Optional(Type.String({ pattern: '^[0-9]{13}$', description: 'An EAN: deadlines where it is the obliged party, the sender or the receiver' })),
  patient: Type.Optional(Type.String({ pattern: '^[0-9]{6}-?[0-9]{4}$', description: 'A CPR number; matched through the keyed patient reference, never stored or logged' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Deadlines started at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Deadlines started before this instant' })),
};

const ListQuery = Type.Object(
  {
    ...FILTERS,
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);

const ReportQuery = Type.Object({ ...FILTERS, format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) }, { additionalProperties: false });

type Filters = Static<typeof ReportQuery>;

function listOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function queryOf(query: Filters): DeadlineQuery {
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

function wantsCsv(request: FastifyRequest, format: Filters['format']): boolean {
  if (format) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

function sendCsv(reply: FastifyReply, csv: string, filename: string): string {
  reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`);
  return csv;
}

const deadlines: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/deadlines/evaluate',
    {
      config: { auth: 'any', contentTypes: ['xml'] },
      schema: {
        summary: 'Would this message be on time? (nothing is stored)',
        description:
          'Evaluates the MedCom message in the body against the deadline rules as if it arrived at `at` (default: now) and answers the deadlines each letter would start, with due times and states. Nothing is stored or delivered. An invalid message gets the same problem as POST /api/v1/messages.',
        tags: ['deadlines'],
        querystring: Type.Object({ at: Type.Optional(DateTime) }, { additionalProperties: false }),
        response: {
          200: Explanation,
          ...problems({
            400: 'Not well-formed XML, or `at` is not a date-time',
            413: 'The body is larger than the gateway accepts',
            415: 'Not XML, or an encoding the gateway does not read',
            422: 'Invalid against the MedCom schema or the gateway\'s rules',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request) => {
      const input = xmlBodyOf(request);
      const ctx = app.gateway;
      const at = request.query.at ? new Date(request.query.at) : ctx.clock();
      return explainDeadlines(
        { codec: ctx.codec, deadlineRules: ctx.deadlineRules, register: ctx.register, maxBytes: ctx.settings.maxBodyBytes },
        { body: input.body, at, ...(input.charset ? { charset: input.charset } : {}) },
      );
    },
  );

  app.get(
    '/api/v1/deadlines/:id',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'One deadline',
        description: 'Visible to its sender, receiver and obliged endpoint, and to operations.',
        tags: ['deadlines'],
        params: IdParams,
        response: { 200: DeadlineView, ...problems({ 400: 'The id is not a UUID', 404: 'No such deadline visible to you', ...UNAVAILABLE }) },
      },
    },
    async (request) => viewDeadline(app.gateway, requirePrincipal(request), request.params.id),
  );

  app.post(
    '/api/v1/deadlines/:id/fulfil',
    {
      config: { auth: 'endpoint', contentTypes: ['json'] },
      schema: {
        summary: 'Report that the obliged action was done',
        description:
          'For deadlines fulfilled explicitly (D7: the first contact with the citizen). Only the obliged endpoint may call it; `at` (default now, never in the future) is judged against the deadline. Repeating the same fulfilment is harmless; another one is a 409.',
        tags: ['deadlines'],
        params: IdParams,
        body: Type.Object({ at: Type.Optional(DateTime), note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false }),
        response: {
          200: DeadlineView,
          ...problems({
            400: 'The id is not a UUID, or the body does not match; `errors` names the field',
            403: 'Another endpoint is obliged (`not-obliged`), or not an endpoint key',
            404: 'No such deadline visible to you',
            409: 'Fulfilled by a message, not explicitly (`not-explicit`), or fulfilled differently before (`already-fulfilled`)',
            415: 'Not application/json',
            422: '`at` lies in the future',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request) => {
      const caller = requireEndpoint(request).ean;
      // No body at all means "now, without a note".
      const body: Partial<typeof request.body> = request.body ?? {};
      const record = await fulfilExplicitly(app.gateway, caller, request.params.id, {
        ...(body.at ? { at: new Date(body.at) } : {}),
        ...(body.note ? { note: body.note } : {}),
      });
      return deadlineView(record);
    },
  );

  app.get(
    '/api/v1/ops/deadlines',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Deadlines, filtered',
        description: 'Newest first, `limit` at a time; pass `nextCursor` back as `cursor` for the next page.',
        tags: ['operations'],
        querystring: ListQuery,
        response: {
          200: DeadlinePage,
          ...problems({ 400: 'A filter is malformed, or the cursor is not one this API gave out', 422: 'An empty period (`from` not before `to`)', ...UNAVAILABLE }),
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return listDeadlinesView(app.gateway, queryOf(request.query), { limit, ...(cursor ? { cursor } : {}) });
    },
  );

  app.get(
    '/api/v1/ops/deadlines/report',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Compliance report per obliged endpoint and rule',
        description:
          'Over the deadlines started in [from, to): counts by state, the share on time (of those judged: on time, late, breached), and the median and worst lateness in hours. JSON, or CSV with `format=csv` or `Accept: text/csv`.',
        tags: ['operations'],
        querystring: ReportQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: {
            description: 'The report as JSON, or as CSV (one line per obliged endpoint and rule)',
            content: { 'application/json': { schema: ComplianceReport }, 'text/csv': { schema: { type: 'string' } } },
          },
          ...problems({ 400: 'A filter is malformed', 422: 'An empty period (`from` not before `to`)', ...UNAVAILABLE }),
        },
      },
    },
    async (request, reply) => {
      const report = await complianceReport(app.gateway, queryOf(request.query));
      if (!wantsCsv(request, request.query.format)) return report;
      const period = `${report.period.from?.slice(0, 10) ?? 'start'}_${report.period.to?.slice(0, 10) ?? 'now'}`;
      return sendCsv(reply, complianceCsv(report), `deadline-compliance_${period}.csv`);
    },
  );
};

export default deadlines;

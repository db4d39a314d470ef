/**
 * Deadlines: one deadline, its explicit fulfilment by the obliged endpoint, the operations list and
 * compliance report, and "would this message be on time?" without storing anything.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { explainDeadlines } from '../../app/deadline-evaluate.js';
import { fulfilDeadline, recordFallbackWarning, type Recorder } from '../../app/deadline-fulfilment.js';
import { complianceReport, deadlineView, listDeadlinesView, viewDeadline, type DeadlineQuery } from '../../app/deadline-view.js';
import { complianceCsv } from '../../domain/deadlines/compliance.js';
import { EVALUATION_STATES } from '../../domain/deadlines/types.js';
import { requireOperator, requirePrincipal } from '../plugins/authentication.js';
import { xmlBodyOf } from '../plugins/content-types.js';
import { problem } from '../problem.js';
import { DateTime, IdParams, problems, UNAVAILABLE } from '../schemas/common.js';
import { Channel, ComplianceReport, DeadlinePage, DeadlineView, Explanation } from '../schemas/deadlines.js';

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

/** The obliged endpoint, or an operator acting for it (named in the audit log). */
function recorderOf(request: FastifyRequest): Recorder {
  const principal = requirePrincipal(request);
  return principal.kind === 'endpoint' ? { kind: 'endpoint', ean: principal.ean } : { kind: 'ops', operator: requireOperator(request) };
}

const Note = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'What was done, and by whom. An operator must give it: it is the reason the audit log keeps (at least three words).',
});

const FallbackWarningBody = Type.Object(
  {
    rule: Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'The rule whose warning was given, e.g. D2 (home care, 3 weekdays ahead) or D19 (admission advice)' }),
    sender: Type.Optional(Type.String({ pattern: '^[0-9]{13}$', description: 'The party that gave the warning. An endpoint records its own (default: itself); an operator must name it.' })),
    receiver: Type.String({ pattern: '^[0-9]{13}$', description: 'The party warned (EAN)' }),
    patient: Type.String({ pattern: '^[0-9]{6}-?[0-9]{4}$', description: 'The patient\'s CPR number: kept only as the keyed patient reference, never stored or logged in clear' }),
    episodeId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The episode of care, as the messages would name it' })),
    channel: Channel,
    at: Type.Optional(DateTime),
    note: Type.Optional(Note),
    reference: Type.Optional(
      Type.Object(
        {
          date: Type.String({ format: 'date', description: 'The date the rule counts from, as the message would have carried it: the planned discharge (D2–D4), the nursing service day (D1), the admission (D19, D21), the expected end of treatment (D26)' }),
          time: Type.Optional(Type.String({ pattern: '^[0-2][0-9]:[0-5][0-9]$', description: 'Its time of day, hh:mm Copenhagen time, when the rule counts in hours' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

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
      config: { auth: 'any', contentTypes: ['json'] },
      schema: {
        summary: 'Report that the obliged action was done, or that a warning was given outside MedCom',
        description:
          'The obliged endpoint, or an operator for it, reports what the rule asks: the first contact with the citizen (D7), the notice to the GP (D21-GP), the letter to the GP (D23). With `channel` it records a warning given outside MedCom, as the agreements allow ("telefonisk besked, sikker e-mail eller FAX" for a discharge warning, "på anden vis" for an admission advice): a deadline still waiting for its message is fulfilled by it, and a warning whose message came late is judged again at the time it was really given, up to 30 days before that message. The channels a rule allows are listed in the deadline\'s `fallbackChannels`. `at` (default now) is never in the future nor, apart from that case, before the deadline started; a breached deadline becomes late, never on time. Who recorded it and when is kept beside the time it claims (`fulfilmentRecorded`); an operator must give a `note`, which the audit log keeps as the reason. Repeating the same report is harmless; another one is a 409.',
        tags: ['deadlines'],
        params: IdParams,
        body: Type.Object({ at: Type.Optional(DateTime), note: Type.Optional(Note), channel: Type.Optional(Channel) }, { additionalProperties: false }),
        response: {
          200: DeadlineView,
          ...problems({
            400: 'The id is not a UUID, the body does not match, or an operator gave no reason (`note`); `errors` names the field',
            403: 'Another endpoint is obliged (`not-obliged`)',
            404: 'No such deadline visible to you',
            409: 'Fulfilled by a message and no `channel` given (`not-explicit`), fulfilled before (`already-fulfilled`), or not judgeable (`not-judgeable`)',
            415: 'Not application/json',
            422: '`at` lies in the future or before the deadline started, or the agreement does not allow the channel for this rule (`channel-not-allowed`)',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request) => {
      // No body at all means "now, without a note".
      const body: Partial<typeof request.body> = request.body ?? {};
      const record = await fulfilDeadline(app.gateway, recorderOf(request), request.params.id, {
        ...(body.at ? { at: new Date(body.at) } : {}),
        ...(body.note ? { note: body.note } : {}),
        ...(body.channel ? { channel: body.channel } : {}),
      });
      return deadlineView(record, app.gateway.deadlineRules);
    },
  );

  app.post(
    '/api/v1/deadlines/fallback-warnings',
    {
      config: { auth: 'any', contentTypes: ['json'] },
      schema: {
        summary: 'Record a warning given outside MedCom for which no message exists',
        description:
          'The hospital (or an operator for it) warned the municipality by phone, secure e-mail, fax, letter or in person and sends no MedCom message for it. The deadline that message would have started is started and judged at once, at `at`, against the `reference` date the message would have carried (the planned discharge for D2). It has no message: `messageId` is null and `channel` says how. Only rules fulfilled by their own warning message can be recorded this way, and only through the channels the rule allows (D1–D4: phone, secure e-mail, fax; D19, D21, D26: any). The same warning again (rule, patient, parties, channel and time) answers 200 with the deadline on record. The compliance report counts these under `byFallback`.',
        tags: ['deadlines'],
        body: FallbackWarningBody,
        response: {
          200: DeadlineView,
          201: DeadlineView,
          ...problems({
            400: 'The body does not match, or an operator gave no `sender` or no reason (`note`); `errors` names the field',
            403: 'An endpoint named another sender (`not-obliged`)',
            415: 'Not application/json',
            422: 'Unknown rule or endpoint, not a CPR number, a rule not fulfilled by a warning (`not-a-warning`), a channel the rule does not allow (`channel-not-allowed`), a missing reference (`reference-required`), or `at` in the future',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { deadline, created } = await recordFallbackWarning(app.gateway, recorderOf(request), {
        rule: body.rule,
        receiver: body.receiver,
        patient: body.patient,
        channel: body.channel,
        ...(body.sender ? { sender: body.sender } : {}),
        ...(body.episodeId ? { episodeId: body.episodeId } : {}),
        ...(body.at ? { at: new Date(body.at) } : {}),
        ...(body.note ? { note: body.note } : {}),
        ...(body.reference ? { reference: body.reference } : {}),
      });
      if (created) reply.code(201).header('location', `/api/v1/deadlines/${deadline.id}`);
      return deadlineView(deadline, app.gateway.deadlineRules);
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

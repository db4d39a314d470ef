/**
 * The ops API (operations keys and sessions only): the overview, message search and detail, the body
 * behind a stated reason, the audit log, redelivery, dead letters and pausing endpoints. Every read of
 * a body and every action is written to the audit log by the use case, naming the operator.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { exportAuditLog, listAuditLog } from '../../app/ops-audit.js';
import { readMessageBody } from '../../app/ops-body.js';
import { listDeadLettersView, retryDeadLetters, type RetryRequest } from '../../app/ops-dead-letters.js';
import { endpointStatuses, pauseEndpointAction, resumeEndpointAction } from '../../app/ops-endpoints.js';
import { opsMessageDetail } from '../../app/ops-message-detail.js';
import { opsOverview } from '../../app/ops-overview.js';
import { redeliverMessage } from '../../app/ops-redeliver.js';
import { searchMessagesView } from '../../app/ops-search.js';
import { requireOperator } from '../plugins/authentication.js';
import { IdParams, problems, UNAVAILABLE } from '../schemas/common.js';
import {
  AuditPage,
  AuditQuery,
  BodyQuery,
  DeadLetterPage,
  DeadLetterQuery,
  EanParams,
  EndpointList,
  MessageBody,
  OpsMessageDetail,
  Overview,
  PauseResult,
  ReasonBody,
  Redelivered,
  RedeliverBody,
  Retried,
  RetryBody,
  SearchPage,
  SearchQuery,
} from '../schemas/ops.js';

/** Dead-letter retries per second per operator key: a bulk retry must not flood the push queue. */
export const RETRIES_PER_SECOND = 5;

const DENIED = { 401: 'No API key or session', 403: 'Not an operations key (endpoint keys are refused), or a session request without its CSRF token' } as const;
const TAGS = ['operations'];

const ops: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/ops/overview',
    {
      config: { auth: 'ops' },
      schema: { summary: 'Backlogs per endpoint, totals per type, overdue receipts, deadline breaches', tags: TAGS, response: { 200: Overview, ...problems({ ...DENIED, ...UNAVAILABLE }) } },
    },
    async () => opsOverview(app.gateway),
  );

  app.get(
    '/api/v1/ops/messages',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Search messages',
        description: 'Newest first, keyset-paginated. A CPR number is matched through the keyed patient reference; it is not stored, not logged and not echoed.',
        tags: TAGS,
        querystring: SearchQuery,
        response: { 200: SearchPage, ...problems({ 400: 'A filter is malformed; `errors` names it', 422: '`from` is not before `to`', ...DENIED, ...UNAVAILABLE }) },
      },
    },
    async (request) => searchMessagesView(app.gateway, request.query),
  );

  app.get(
    '/api/v1/ops/messages/:id',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'A message with deliveries, receipts, duplicates, deadlines and its timeline',
        tags: TAGS,
        params: IdParams,
        response: { 200: OpsMessageDetail, ...problems({ 400: 'The id is not a UUID', 404: 'No such message', ...DENIED, ...UNAVAILABLE }) },
      },
    },
    async (request) => opsMessageDetail(app.gateway, request.params.id),
  );

  app.get(
    '/api/v1/ops/messages/:id/body',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Read a message\'s content (audited)',
        description:
          'The body decoded to text (Danish letters intact) with the original bytes\' encoding in `encoding` and the `X-Original-Encoding` header. Needs `reason` (at least three words); every read is written to the audit log with the operator, the message, the patient reference and the reason.',
        tags: TAGS,
        params: IdParams,
        querystring: BodyQuery,
        response: {
          200: MessageBody,
          ...problems({ 400: 'No reason of at least three words (`reason-required`), or the id is not a UUID', 404: 'No such message', 410: 'The retention policy removed the body', ...DENIED, ...UNAVAILABLE }),
        },
      },
    },
    async (request, reply) => {
      const body = await readMessageBody(app.gateway, requireOperator(request), request.params.id, request.query.reason);
      reply.header('x-original-encoding', body.encoding);
      reply.header('cache-control', 'no-store');
      return body;
    },
  );

  app.get(
    '/api/v1/ops/audit',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'The audit log (JSON pages, or the whole period as CSV)',
        tags: TAGS,
        querystring: AuditQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: {
            description: 'A page as JSON, newest first; or with `format=csv` the whole period as text/csv with a Content-Disposition filename',
            content: { 'application/json': { schema: AuditPage }, 'text/csv': { schema: { type: 'string' } } },
          },
          ...problems({ 400: 'A filter is malformed', 422: '`from` is not before `to`', ...DENIED, ...UNAVAILABLE }),
        },
      },
    },
    async (request, reply) => {
      const { format, cursor, limit, ...period } = request.query;
      if (format !== 'csv') return listAuditLog(app.gateway, { ...period, ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) });
      const csv = await exportAuditLog(app.gateway, period);
      const day = app.gateway.clock().toISOString().slice(0, 10);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="medcom-audit-${day}.csv"`);
      reply.header('cache-control', 'no-store');
      return csv;
    },
  );

  app.post(
    '/api/v1/ops/messages/:id/redeliver',
    {
      config: { auth: 'ops', contentTypes: ['json'] },
      schema: {
        summary: 'Deliver a message again to one of its receivers (audited)',
        description:
          'A new delivery to `receiver` (may be left out when the message has one receiver), made from the latest delivery to it, which is recorded as its parent. The same bytes go out again, so by MedCom\'s duplicate rules the receiver recognises the message and answers with the receipt it gave before.',
        tags: TAGS,
        params: IdParams,
        body: RedeliverBody,
        response: {
          201: Redelivered,
          ...problems({
            400: 'No reason, or no receiver where the message has several',
            404: 'No such message',
            409: 'The latest delivery to that receiver is still on its way or dead-lettered, or the receiver is not enabled',
            410: 'The retention policy removed the body',
            422: 'That endpoint is not a receiver of the message',
            ...DENIED,
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await redeliverMessage(app.gateway, requireOperator(request), request.params.id, request.body);
      reply.code(201);
      return result;
    },
  );

  app.get(
    '/api/v1/ops/dead-letters',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Push deliveries that failed every attempt',
        tags: TAGS,
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterPage, ...problems({ 400: 'A filter is malformed', 422: '`from` is not before `to`', ...DENIED, ...UNAVAILABLE }) },
      },
    },
    async (request) => listDeadLettersView(app.gateway, request.query),
  );

  app.post(
    '/api/v1/ops/dead-letters/retry',
    {
      config: { auth: 'ops', contentTypes: ['json'], rateLimit: { max: RETRIES_PER_SECOND, timeWindow: 1000 } },
      schema: {
        summary: 'Put dead letters back in the queue (audited)',
        description: `By \`ids\` or by \`filter\`, at most \`max\` (default 100, at most 1000) at a time, at most ${RETRIES_PER_SECOND} requests a second per key.`,
        tags: TAGS,
        body: RetryBody,
        response: { 200: Retried, ...problems({ 400: 'No reason, or neither/both of ids and filter', 422: '`from` is not before `to`', 429: 'Too many retries this second', ...DENIED, ...UNAVAILABLE }) },
      },
    },
    async (request) => retryDeadLetters(app.gateway, requireOperator(request), request.body as RetryRequest),
  );

  app.get(
    '/api/v1/ops/endpoints',
    {
      config: { auth: 'ops' },
      schema: { summary: 'The endpoint register with pause state and last poll and push', tags: TAGS, response: { 200: EndpointList, ...problems({ ...DENIED, ...UNAVAILABLE }) } },
    },
    async () => endpointStatuses(app.gateway),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/api/v1/ops/endpoints/:ean/${action}`,
      {
        config: { auth: 'ops', contentTypes: ['json'] },
        schema: {
          summary: action === 'pause' ? 'Pause deliveries to an endpoint (audited); they wait, nothing is lost' : 'Resume deliveries to an endpoint (audited)',
          tags: TAGS,
          params: EanParams,
          body: ReasonBody,
          response: { 200: PauseResult, ...problems({ 400: 'No reason', 404: 'Not an endpoint of the register', ...DENIED, ...UNAVAILABLE }) },
        },
      },
      async (request) => (action === 'pause' ? pauseEndpointAction : resumeEndpointAction)(app.gateway, requireOperator(request), request.params.ean, request.body.reason),
    );
  }
};

export default ops;

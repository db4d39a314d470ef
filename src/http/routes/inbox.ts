/**
 * The receiver's inbox: `GET /api/v1/inbox` leases waiting messages (long-polling when empty),
 * `GET /api/v1/inbox/{id}` returns the original bytes, `POST /api/v1/inbox/{id}/receipt` answers.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../app/context.js';
import { hasNonXmlCharacter } from '../../codec/xml-characters.js';
import type { Settings } from '../../config/settings.js';
import { answerWithJson, answerWithXml, fetchItem, leaseItems, type InboxItem, type JsonAnswer } from '../../app/inbox.js';
import { badRequest, unsupportedMediaType } from '../problem.js';
import { guarded } from './gateway-errors.js';
import { endpointEanOf, xmlBodyOf } from './messages.js';

export interface InboxWaiter {
  /** A counter of the receiver's inbox changes seen by this process. */
  inboxVersion(ean: string): number;
  /**
   * Resolves when the receiver's inbox changed after `sinceVersion` (in any process), the time is up,
   * or the client left. Passing the version read before the empty lease closes the gap in which a
   * message arriving between "empty" and "waiting" would wake nobody.
   */
  waitForInbox(ean: string, timeoutMs: number, signal: AbortSignal, sinceVersion: number): Promise<'notified' | 'timeout' | 'aborted'>;
}

const MAX_LIMIT = 100;

export interface InboxRouteDeps {
  /** The use cases' context; throws a 503 problem while the store is not reachable yet. */
  readonly context: () => GatewayContext;
  readonly settings: Settings;
  readonly waiter: InboxWaiter;
}

export function registerInboxRoutes(app: FastifyInstance, { context, settings, waiter }: InboxRouteDeps): void {
  app.get<{ Querystring: { limit?: number; wait?: number } }>(
    '/api/v1/inbox',
    {
      config: { auth: 'endpoint' },
      schema: {
        summary: 'Lease waiting messages',
        description:
          'Leases up to `limit` messages waiting for the caller, oldest first and in order per patient. When none wait, holds the request up to `wait` seconds and answers as soon as one arrives. A lease not followed by a fetch expires and the message is offered again.',
        tags: ['inbox'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 10 },
            wait: { type: 'integer', minimum: 0, maximum: settings.maxWaitSeconds, default: 0 },
          },
        },
      },
    },
    async (request) => {
      const receiver = endpointEanOf(request);
      const limit = request.query.limit ?? 10;
      const deadline = Date.now() + (request.query.wait ?? 0) * 1000;
      const gone = new AbortController();
      request.raw.once('close', () => gone.abort());
      let version = waiter.inboxVersion(receiver);
      let items: InboxItem[] = await guarded(() => leaseItems(context(), receiver, limit));
      while (items.length === 0 && Date.now() < deadline && !gone.signal.aborted) {
        const outcome = await waiter.waitForInbox(receiver, deadline - Date.now(), gone.signal, version);
        if (outcome === 'aborted') break;
        version = waiter.inboxVersion(receiver);
        items = await guarded(() => leaseItems(context(), receiver, limit));
        if (outcome === 'timeout') break;
      }
      return { items, leaseSeconds: settings.leaseSeconds };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/inbox/:id',
    {
      config: { auth: 'endpoint' },
      schema: {
        summary: 'Fetch a message byte for byte',
        description: 'The original bytes with the original Content-Type and an ETag of their SHA-256. The first fetch marks the message delivered.',
        tags: ['inbox'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (request, reply) => {
      const receiver = endpointEanOf(request);
      const fetched = await guarded(() => fetchItem(context(), receiver, request.params.id));
      reply.header('content-type', fetched.contentType);
      reply.header('etag', `"${fetched.sha256}"`);
      reply.header('x-content-sha256', fetched.sha256);
      return reply.send(fetched.body);
    },
  );

  app.post<{ Params: { id: string }; Body: unknown }>(
    '/api/v1/inbox/:id/receipt',
    {
      config: { auth: 'endpoint', contentTypes: ['xml', 'json'] },
      schema: {
        summary: 'Answer a message with a receipt',
        description:
          'JSON `{ "status": "positive" | "negative", "refuseCode"?, "text"? }`, or a MedCom XCTL03/XCTL02 as application/xml. The original sender receives a proper XCTL message in its inbox. The same answer twice is harmless; a different answer is refused (409).',
        tags: ['inbox'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (request) => {
      const receiver = endpointEanOf(request);
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType === 'application/json') {
        const answer = validateJsonAnswer(request.body);
        return guarded(() => answerWithJson(context(), receiver, request.params.id, answer));
      }
      if (/xml$/.test(mediaType)) return guarded(() => answerWithXml(context(), receiver, request.params.id, xmlBodyOf(request)));
      throw unsupportedMediaType('answer with application/json or with a MedCom receipt as application/xml');
    },
  );
}

/** The JSON answer, checked by hand so the 4xx names the field (the route also takes XML bodies). */
function validateJsonAnswer(body: unknown): JsonAnswer {
  const errors: { path: string; message: string }[] = [];
  const value = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (value.status !== 'positive' && value.status !== 'negative') errors.push({ path: '/status', message: 'must be "positive" or "negative"' });
  if (value.refuseCode !== undefined && typeof value.refuseCode !== 'string') errors.push({ path: '/refuseCode', message: 'must be a string' });
  if (value.text !== undefined && (typeof value.text !== 'string' || value.text.length > 350)) errors.push({ path: '/text', message: 'must be text of at most 350 characters' });
  else if (typeof value.text === 'string' && hasNonXmlCharacter(value.text)) errors.push({ path: '/text', message: 'contains a control character or a broken surrogate, which a MedCom receipt cannot carry' });
  for (const key of Object.keys(value)) if (!['status', 'refuseCode', 'text'].includes(key)) errors.push({ path: `/${key}`, message: 'is not a field of a receipt' });
  if (errors.length > 0) throw badRequest(`the receipt is not valid: ${errors[0]?.path} ${errors[0]?.message}`, { type: 'invalid-request', errors });
  return value as unknown as JsonAnswer;
}

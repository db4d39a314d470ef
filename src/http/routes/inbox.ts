/**
 * The receiver's inbox: `GET /api/v1/inbox` leases waiting messages (long-polling when empty),
 * `GET /api/v1/inbox/{id}` returns the original bytes, `POST /api/v1/inbox/{id}/receipt` answers.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import { answerManyWithJson, answerWithJson, answerWithXml, fetchItem, leaseItems, leaseItemsWithBodies, type InboxItem } from '../../app/inbox.js';
import { requireEndpoint } from '../plugins/authentication.js';
import { bodyKindOf, xmlBodyOf } from '../plugins/content-types.js';
import { tooManyRequests, unsupportedMediaType } from '../problem.js';
import { rateLimitKey } from '../plugins/rate-limit.js';
import { IdParams, problems, UNAVAILABLE } from '../schemas/common.js';
import { Answered, BatchAnswered, BatchAnswers, JsonAnswer, Lease, leaseQuery, XmlReceipt } from '../schemas/inbox.js';

const inbox: FastifyPluginAsyncTypebox = async (app) => {
  const { settings } = app;
  // Long-polls each key holds open in this process: each holds a socket and, while it leases, a database
  // connection, so one client opening a thousand must not starve everyone else.
  const openLongPolls = new Map<string, number>();

  app.get(
    '/api/v1/inbox',
    {
      config: { auth: 'endpoint' },
      schema: {
        summary: 'Lease waiting messages',
        description:
          'Leases up to `limit` messages waiting for the caller, oldest first and in order per patient. When none wait, holds the request up to `wait` seconds and answers as soon as one arrives. A lease not followed by a fetch expires and the message is offered again.',
        tags: ['inbox'],
        querystring: leaseQuery(settings.maxWaitSeconds),
        response: {
          200: Lease,
          ...problems({ 400: '`limit` or `wait` out of range', 429: 'The key already holds as many long-polls open as the gateway allows (`MEDCOM_LONG_POLLS_PER_KEY`), or sent too many requests', ...UNAVAILABLE }),
        },
      },
    },
    async (request) => {
      const receiver = requireEndpoint(request).ean;
      const { limit, wait, include } = request.query;
      const leaseNow = include === 'body' ? leaseItemsWithBodies : leaseItems;
      // Each lease takes its turn; a long-poll's wait between leases holds no turn. A client that left
      // while its lease waited is leased nothing: its messages would go to nobody (with bodies they
      // would even count as delivered, and wait half an hour for the missing receipt to be offered again).
      const clientGone = () => request.raw.socket?.destroyed === true;
      const lease: typeof leaseItems = (ctx, ean, n) => app.inboxWork(() => (clientGone() ? Promise.resolve([]) : leaseNow(ctx, ean, n)));
      if (wait === 0) return { items: await lease(app.gateway, receiver, limit), leaseSeconds: settings.leaseSeconds };
      const key = rateLimitKey(request);
      const open = openLongPolls.get(key) ?? 0;
      if (open >= settings.longPollsPerKey) {
        throw tooManyRequests(Math.min(wait, 5), { extra: { limit: settings.longPollsPerKey } }, `this key already holds ${open} long-polls open, the most the gateway allows at once`);
      }
      openLongPolls.set(key, open + 1);
      try {
        return await longPoll(lease, receiver, limit, wait, request.raw);
      } finally {
        const left = (openLongPolls.get(key) ?? 1) - 1;
        if (left === 0) openLongPolls.delete(key);
        else openLongPolls.set(key, left);
      }
    },
  );

  /** Leases; when nothing waits, holds on until something arrives, `wait` seconds pass or the client goes. */
  async function longPoll(
    lease: typeof leaseItems,
    receiver: string,
    limit: number,
    wait: number,
    raw: NodeJS.EventEmitter,
  ): Promise<{ items: InboxItem[]; leaseSeconds: number }> {
    const waiter = app.inboxWaiter;
    const deadline = Date.now() + wait * 1000;
    const gone = new AbortController();
    raw.once('close', () => gone.abort());
    let version = waiter.inboxVersion(receiver);
    let items: InboxItem[] = await lease(app.gateway, receiver, limit);
    while (items.length === 0 && Date.now() < deadline && !gone.signal.aborted) {
      const outcome = await waiter.waitForInbox(receiver, deadline - Date.now(), gone.signal, version);
      if (outcome === 'aborted') break;
      version = waiter.inboxVersion(receiver);
      items = await lease(app.gateway, receiver, limit);
      if (outcome === 'timeout') break;
    }
    return { items, leaseSeconds: settings.leaseSeconds };
  }

  app.get(
    '/api/v1/inbox/:id',
    {
      config: { auth: 'endpoint' },
      schema: {
        summary: 'Fetch a message byte for byte',
        description: 'The original bytes with the original Content-Type and an ETag of their SHA-256. The first fetch marks the message delivered.',
        tags: ['inbox'],
        params: IdParams,
        produces: ['application/xml', 'text/xml'],
        response: {
          200: Type.Unsafe<Buffer>({
            description: 'The message exactly as the sender sent it, with its Content-Type, ETag and X-Content-SHA256',
            content: { 'application/xml': { schema: { type: 'string', format: 'binary' } } },
          }),
          ...problems({ 400: 'The id is not a UUID', 404: 'Not in your inbox', ...UNAVAILABLE }),
        },
      },
    },
    async (request, reply) => {
      const receiver = requireEndpoint(request).ean;
      const fetched = await app.inboxWork(() => fetchItem(app.gateway, receiver, request.params.id));
      reply.header('content-type', fetched.contentType);
      reply.header('etag', `"${fetched.sha256}"`);
      reply.header('x-content-sha256', fetched.sha256);
      return reply.send(fetched.body);
    },
  );

  app.post(
    '/api/v1/inbox/receipts',
    {
      config: { auth: 'endpoint', contentTypes: ['json'] },
      schema: {
        summary: 'Answer many messages at once',
        description:
          'For receivers that lease in batches: `{ "answers": [ { "id", "status", "refuseCode"?, "text"? }, … ] }`, each answer as on `/inbox/{id}/receipt`. Each is judged on its own; the answer lists the outcome of each, in order (a refused one records nothing and does not undo the others). The answers that stand are recorded in one transaction: after a 503 none was.',
        tags: ['inbox'],
        body: BatchAnswers,
        response: {
          200: BatchAnswered,
          ...problems({ 400: 'The body is malformed (`errors` names the field), or more than 100 answers', 413: 'The body is larger than the gateway accepts', 415: 'Not application/json', ...UNAVAILABLE }),
        },
      },
    },
    async (request) => {
      const receiver = requireEndpoint(request).ean;
      return { results: await app.inboxWork(() => answerManyWithJson(app.gateway, receiver, request.body.answers)) };
    },
  );

  app.post(
    '/api/v1/inbox/:id/receipt',
    {
      config: { auth: 'endpoint', contentTypes: ['xml', 'json'] },
      schema: {
        summary: 'Answer a message with a receipt',
        description:
          'JSON `{ "status": "positive" | "negative", "refuseCode"?, "text"? }`, or a MedCom XCTL03/XCTL02 as application/xml. The original sender receives a proper XCTL message in its inbox. The same answer twice is harmless; a different answer is refused (409).',
        tags: ['inbox'],
        params: IdParams,
        // Validated per media type: the JSON answer by its schema; XML receipts are bytes the codec judges.
        body: {
          content: {
            'application/json': { schema: JsonAnswer },
            'application/xml': { schema: XmlReceipt },
            'text/xml': { schema: XmlReceipt },
          },
        },
        response: {
          200: Answered,
          ...problems({
            400: 'The id is not a UUID, or the answer is malformed; `errors` names the field',
            404: 'Not in your inbox',
            409: 'Answered differently before',
            413: 'The body is larger than the gateway accepts',
            415: 'Neither application/json nor a MedCom receipt as XML',
            422: 'An invalid receipt (unknown refuse code, a positive one with a refusal, an XML receipt for another message)',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request) => {
      const receiver = requireEndpoint(request).ean;
      const kind = bodyKindOf(request.headers['content-type']);
      if (kind === 'json') return app.inboxWork(() => answerWithJson(app.gateway, receiver, request.params.id, request.body as Static<typeof JsonAnswer>));
      if (kind === 'xml') return app.inboxWork(() => answerWithXml(app.gateway, receiver, request.params.id, xmlBodyOf(request)));
      throw unsupportedMediaType('answer with application/json or with a MedCom receipt as application/xml');
    },
  );
};

export default inbox;

/**
 * `GET /api/v1/ops/events`: Server-Sent Events of what changes, from every gateway process (Redis
 * pub/sub, see pipeline/ops-event-bus.ts): `message-accepted`, `delivered`, `acknowledged`, `rejected`,
 * `dead-lettered`, `deadline-breached`, `alert-raised`, each with an `id` and small JSON data of ids,
 * EANs and message types (never patient data). A comment line every few seconds keeps proxies from
 * closing a quiet stream; a client that leaves is unsubscribed at once; each key (or session) may hold
 * a few streams per process, more are refused with 429.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import type { FastifyPluginAsync } from 'fastify';
import { OPS_EVENT_TYPES } from '../../domain/ops-event.js';
import { requireOperator } from '../plugins/authentication.js';
import { problem } from '../problem.js';
import { problems, UNAVAILABLE } from '../schemas/common.js';

export const MAX_STREAMS_PER_KEY = 5;
export const HEARTBEAT_MS = 15_000;

export interface OpsEventsOptions {
  /** How often a comment line is sent on a quiet stream (tests shorten it). */
  readonly heartbeatMs?: number;
}

const opsEvents: FastifyPluginAsync<OpsEventsOptions> = async (app, options) => {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const openStreams = new Map<string, number>();
  const closers = new Set<() => void>();
  // Before the server stops taking connections: a stream never ends by itself, so shutting down ends them.
  app.addHook('preClose', async () => {
    for (const close of [...closers]) close();
  });

  app.get(
    '/api/v1/ops/events',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Live events (Server-Sent Events)',
        description: `text/event-stream. Event types: ${OPS_EVENT_TYPES.join(', ')}. Each event has an \`id\`, its type as \`event\` and JSON \`data\` \`{ type, at, data }\` with ids, EANs and message types only. A \`: heartbeat\` comment every ${HEARTBEAT_MS / 1000} s. At most ${MAX_STREAMS_PER_KEY} open streams per key or session and process.`,
        tags: ['operations'],
        produces: ['text/event-stream'],
        response: {
          200: { description: 'The event stream; it stays open until the client leaves', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...problems({ 401: 'No API key or session', 403: 'Not an operations key', 429: `More than ${MAX_STREAMS_PER_KEY} open streams for this key`, ...UNAVAILABLE }),
        },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const source = app.opsEvents;
      const holder = operator.keyId ?? operator.name;
      const open = openStreams.get(holder) ?? 0;
      if (open >= MAX_STREAMS_PER_KEY) {
        throw problem(429, 'too-many-streams', `at most ${MAX_STREAMS_PER_KEY} event streams may be open per key; close one first`, { title: 'Too many open event streams' });
      }
      openStreams.set(holder, open + 1);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // nginx and the like: do not buffer the stream.
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write('retry: 5000\n: connected\n\n');
      const unsubscribe = source.subscribe((event) => {
        raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ type: event.type, at: event.at, data: event.data })}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        closers.delete(close);
        clearInterval(heartbeat);
        unsubscribe();
        const left = (openStreams.get(holder) ?? 1) - 1;
        if (left > 0) openStreams.set(holder, left);
        else openStreams.delete(holder);
        if (!raw.writableEnded) raw.end();
      };
      closers.add(close);
      request.raw.once('close', close);
      raw.once('close', close);
    },
  );
};

export default opsEvents;

/**
 * Request ids and the one log line per request. A caller's `x-request-id` is kept when it is sane
 * (1–128 characters of letters, digits and `._:-`), otherwise the gateway makes a UUID; either way the
 * id is echoed in the `x-request-id` response header and bound to every log line of the request
 * (`requestId`). Only method, URL, route, status and time are logged: never headers, never bodies.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { scrubCprText } from '../../logging.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A new request id: a UUID that the log scrubber leaves whole. About one UUID in two hundred holds a run
 * shaped like a CPR number (`…108764-7198…`), which the scrubber would cut out of every log line, so the
 * id in the response header would no longer find its log lines; such a UUID is drawn again.
 */
export function newRequestId(random: () => string = randomUUID): string {
  for (;;) {
    const id = random();
    if (scrubCprText(id) === id) return id;
  }
}

/** Fastify's `genReqId`: the caller's id when sane, else a new UUID. */
export function genReqId(request: IncomingMessage): string {
  const presented = request.headers[REQUEST_ID_HEADER];
  if (typeof presented === 'string' && SANE_REQUEST_ID.test(presented)) return presented;
  return newRequestId();
}

async function requestContext(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (reply.statusCode >= 500) request.log.error(line, 'request completed');
    else request.log.info(line, 'request completed');
  });
}

export default fp(requestContext, { name: 'request-context', fastify: '5.x' });

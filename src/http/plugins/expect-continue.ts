/**
 * `Expect: 100-continue` (curl sends it for bodies over 1 KiB): Node answers `100 Continue` on its
 * own, so a client would start sending a body the gateway refuses anyway and typically sees a broken
 * pipe instead of the 413. Here a Content-Length over the limit is answered 413 problem+json before
 * any `100 Continue`; other requests get their `100 Continue` and go on to Fastify as usual.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, payloadTooLarge } from '../problem.js';
import { REQUEST_ID_HEADER, genReqId } from './request-context.js';

export interface ExpectContinueOptions {
  readonly bodyLimit: number;
}

async function expectContinue(app: FastifyInstance, options: ExpectContinueOptions): Promise<void> {
  const server = app.server;
  const onCheckContinue = (request: IncomingMessage, response: ServerResponse): void => {
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > options.bodyLimit) {
      const id = genReqId(request);
      const problem = payloadTooLarge(options.bodyLimit);
      app.log.info({ requestId: id, problem: problem.type, status: 413, contentLength: length }, 'body refused before 100 Continue');
      const body = JSON.stringify(problem.toDocument(id));
      // The body is never read, so the connection cannot be reused.
      response.writeHead(413, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), [REQUEST_ID_HEADER]: id, connection: 'close' });
      response.end(body);
      return;
    }
    response.writeContinue();
    server.emit('request', request, response);
  };
  server.on('checkContinue', onCheckContinue);
  app.addHook('onClose', async () => {
    server.off('checkContinue', onCheckContinue);
  });
}

export default fp(expectContinue, { name: 'expect-continue', fastify: '5.x' });

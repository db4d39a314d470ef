/**
 * `Expect: 100-continue` with a Content-Length over the limit is answered 413 problem+json at once,
 * without a `100 Continue`, so the client never starts sending a body the gateway would refuse; a body
 * within the limit gets its `100 Continue` and is served as usual. Needs a real socket (inject has no
 * 100-continue), so the app listens on a free port.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpointRegister } from '../../src/config/endpoints.js';
import { KeyRing } from '../../src/config/keys.js';
import { readSettings } from '../../src/config/settings.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';

const LIMIT = 4096;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildApp({
    settings: { ...readSettings({}), maxBodyBytes: LIMIT },
    logger: createLogger({ level: 'silent' }),
    keyRing: new KeyRing([], loadEndpointRegister(fromPackageRoot('config')), false),
    health: { check: async () => ({}) },
    defaultMetrics: false,
    registerRoutes: (scope) => {
      scope.post('/test/xml', { config: { contentTypes: ['xml'] } }, async (request) => ({ bytes: (request.body as Buffer).length }));
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app?.close();
});

interface Outcome {
  continued: boolean;
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Sends the headers with Expect: 100-continue and the body only when the server says 100 Continue. */
function post(size: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/test/xml',
      headers: { 'content-type': 'application/xml', 'content-length': String(size), expect: '100-continue' },
    });
    req.on('continue', () => {
      continued = true;
      req.end(Buffer.alloc(size, 0x20));
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ continued, status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('Expect: 100-continue', () => {
  it('answers 413 problem+json before any 100 Continue when Content-Length is over the limit', async () => {
    const outcome = await post(LIMIT * 3);
    expect(outcome.continued).toBe(false);
    expect(outcome.status).toBe(413);
    expect(outcome.contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(outcome.body)).toMatchObject({ type: 'https://medcom-gateway.local/problems/payload-too-large', status: 413, limitBytes: LIMIT });
  });

  it('says 100 Continue and serves a body within the limit', async () => {
    const outcome = await post(100);
    expect(outcome.continued).toBe(true);
    expect(outcome.status).toBe(200);
    expect(JSON.parse(outcome.body)).toEqual({ bytes: 100 });
  });
});

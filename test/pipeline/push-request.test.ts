/** One push attempt against a local HTTP server: what counts as success, and what a failure says. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushPayload } from '../../src/app/delivery-lifecycle.js';
import { postDelivery, pushHeaders } from '../../src/pipeline/push-request.js';

let server: Server;
let base: string;
const hits: { path: string; method: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push({ path: request.url ?? '', method: request.method ?? '' });
    request.resume();
    request.on('end', () => {
      if (request.url === '/redirect') response.writeHead(307, { location: '/ok' }).end();
      else if (request.url === '/ok') response.writeHead(204).end();
      else if (request.url === '/big') response.writeHead(200).end(Buffer.alloc(1 << 20));
      else response.writeHead(400).end('<error>echoing a CPR 0101501234 back</error>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function payload(path: string): PushPayload {
  return {
    deliveryId: '1b7c8a52-6a0e-4d57-9a3e-0e8f1c9f2a11',
    receiverEan: '5790000000043',
    url: `${base}${path}`,
    body: Buffer.from('<Emessage/>'),
    contentType: 'application/xml; charset=ISO-8859-1',
    sha256: 'ab'.repeat(32),
    messageId: '6f0e7a43-0f55-4bd0-8d9e-3c1f0a7b2c44',
    envelopeId: 'RHD2603090001',
  };
}

describe('postDelivery', () => {
  it('any 2xx is success, whatever the body', async () => {
    await expect(postDelivery(payload('/ok'), 2_000)).resolves.toEqual({ ok: true, status: 204 });
    await expect(postDelivery(payload('/big'), 2_000)).resolves.toEqual({ ok: true, status: 200 });
  });

  it('a redirect is not followed (a POST must not turn into a GET) and counts as a failure', async () => {
    hits.length = 0;
    await expect(postDelivery(payload('/redirect'), 2_000)).resolves.toEqual({ ok: false, status: 307, reason: 'HTTP 307' });
    expect(hits).toEqual([{ path: '/redirect', method: 'POST' }]);
  });

  it('a failure names the status only, never the answer body', async () => {
    const outcome = await postDelivery(payload('/refuse'), 2_000);
    expect(outcome).toEqual({ ok: false, status: 400, reason: 'HTTP 400' });
  });

  it('names network errors by their code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(postDelivery({ ...payload('/'), url: `http://127.0.0.1:${port}/` }, 2_000)).resolves.toEqual({ ok: false, reason: 'network error: ECONNREFUSED' });
  });

  it('stops at the caller’s signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(postDelivery(payload('/ok'), 2_000, controller.signal)).resolves.toEqual({ ok: false, reason: 'the push was cancelled' });
  });
});

describe('pushHeaders', () => {
  it('sends the original Content-Type, the ids and the sha256', () => {
    expect(pushHeaders(payload('/'))).toEqual({
      'content-type': 'application/xml; charset=ISO-8859-1',
      'user-agent': 'medcom-gateway',
      'x-medcom-delivery-id': '1b7c8a52-6a0e-4d57-9a3e-0e8f1c9f2a11',
      'x-medcom-message-id': '6f0e7a43-0f55-4bd0-8d9e-3c1f0a7b2c44',
      'x-medcom-envelope-id': 'RHD2603090001',
      'x-content-sha256': 'ab'.repeat(32),
    });
  });

  it('percent-encodes an identifier that is not plain ASCII instead of failing the push', () => {
    expect(pushHeaders({ ...payload('/'), envelopeId: 'RHDÆ1' })['x-medcom-envelope-id']).toBe('RHD%C3%861');
  });
});

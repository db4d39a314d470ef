/**
 * The ops event stream across gateway processes: a message posted to one process is heard on a stream
 * of another (Redis pub/sub), with ids, EANs and types only; a client that leaves is unsubscribed; a key
 * may hold only a few streams at once.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_KEY } from '../../src/http/routes/ops-events.js';
import { HOSPITAL, MUNICIPALITY, fetchItems, leaseInbox, renumber, startTestGateway, type TestGateway } from '../support/gateway.js';

const CPR = '0101501234';

interface Stream {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
  text(): string;
}

async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ops events', () => {
  let gw: TestGateway;
  let other: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false });
    other = await startTestGateway({ workers: false, sharedWith: gw });
    await other.gateway.app?.listen({ port: 0, host: '127.0.0.1' });
    port = (other.gateway.app?.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await other?.close();
    await gw?.close();
  });

  function open(): Promise<Stream> {
    return new Promise((resolve, reject) => {
      let text = '';
      const request = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/ops/events', headers: { authorization: 'Bearer demo-ops' } }, (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        resolve({ request, response, text: () => text });
      });
      request.on('error', reject);
      request.end();
    });
  }

  const listeners = () => other.gateway.pipeline().events.listenerCount;

  it('a message posted to one process is heard on a stream of another, and so are its delivery and receipt', async () => {
    const stream = await open();
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await eventually(() => stream.text().includes(': connected'), 'the stream opened');

    const posted = await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'EV-E1', letter: 'EV-L1' }));
    const messageId = posted.json<{ id: string }>().id;
    const accepted = await eventually(() => /event: message-accepted\ndata: (.*)\n\n/.exec(stream.text())?.[1], 'message-accepted on the other process');
    expect(JSON.parse(accepted)).toMatchObject({ type: 'message-accepted', data: { messageId, sender: HOSPITAL, receivers: [MUNICIPALITY], messageTypes: ['XDIS17'] } });
    expect(stream.text()).toMatch(/^id: [0-9a-f-]{36}\nevent: message-accepted\n/m);

    const items = await leaseInbox(gw, MUNICIPALITY);
    await fetchItems(gw, MUNICIPALITY, items);
    await gw.answer(MUNICIPALITY, items[0]?.id ?? '', { status: 'positive' });
    await eventually(() => stream.text().includes('event: delivered') && stream.text().includes('event: acknowledged'), 'delivered and acknowledged');
    expect(stream.text()).not.toContain(CPR);
    expect(stream.text()).not.toContain('010150');

    stream.request.destroy();
    await eventually(() => listeners() === 0, 'the stream unsubscribed when the client left');
  });

  it(`refuses more than ${MAX_STREAMS_PER_KEY} open streams per key (429), and takes one again after one closes`, async () => {
    const streams = await Promise.all(Array.from({ length: MAX_STREAMS_PER_KEY }, () => open()));
    expect(streams.every((s) => s.response.statusCode === 200)).toBe(true);
    const refused = await open();
    expect(refused.response.statusCode).toBe(429);
    await eventually(() => refused.text().includes('too-many-streams'), 'the problem document');
    streams[0]?.request.destroy();
    await eventually(() => listeners() === MAX_STREAMS_PER_KEY - 1, 'one stream closed');
    const again = await open();
    expect(again.response.statusCode).toBe(200);
    for (const s of [...streams, again]) s.request.destroy();
    await eventually(() => listeners() === 0, 'every stream closed');
  });
});

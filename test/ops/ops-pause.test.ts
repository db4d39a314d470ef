/**
 * Pausing a receiver holds back everything for it, pull and push, and loses nothing: while paused its
 * inbox offers nothing and its push jobs end without pushing (their outbox rows stay pending); on
 * resume the inbox offers the backlog and every held push goes out. Also: the overview's "last accepted
 * a push" and the refused messages per type and reason are written as they happen.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/pipeline/queue-names.js';
import { pendingOutbox } from '../../src/store/outbox.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fetchItems, leaseInbox, renumber, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';

const OPS = { authorization: 'Bearer demo-ops' };
const REASON = 'the receiving system is being upgraded';

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('pause and resume', () => {
  const received: Buffer[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(Buffer.concat(chunks));
      response.writeHead(200).end('ok');
    });
  });
  let config: ReturnType<typeof testConfigDir>;
  let gw: TestGateway;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/medcom`;
    config = testConfigDir((c) => {
      const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
      if (receiver) receiver.delivery = { mode: 'push', url };
    });
    gw = await startTestGateway({ workers: true, env: { MEDCOM_CONFIG_DIR: config.dir } });
  });

  afterAll(async () => {
    await gw?.close();
    config?.remove();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const ops = (url: string, payload?: object) => gw.request({ method: payload ? 'POST' : 'GET', url, headers: OPS, ...(payload ? { payload } : {}) });

  it('holds back pull and push deliveries while paused, and delivers every one after the resume', async () => {
    for (const ean of [MUNICIPALITY, MUNICIPALITY_2]) expect((await ops(`/api/v1/ops/endpoints/${ean}/pause`, { reason: REASON })).statusCode).toBe(200);

    const pushed: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const response = await gw.post(HOSPITAL_2, renumber('XDIS17_iso-8859-1.xml', { envelope: `PAUSE-P${i}`, letter: `PAUSE-PL${i}` }));
      expect(response.statusCode).toBe(202);
      pushed.push(response.json<{ id: string }>().id);
    }
    for (let i = 1; i <= 2; i++) {
      expect((await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: `PAUSE-Q${i}`, letter: `PAUSE-QL${i}` }))).statusCode).toBe(202);
    }

    // Every push job has run (and ended: its job is gone) while its outbox row is still pending.
    const rows = (await pendingOutbox(gw.db, 100)).filter((o) => o.kind === 'push');
    expect(rows).toHaveLength(3);
    const queue = gw.gateway.pipeline().queues.push;
    await eventually(async () => (await Promise.all(rows.map((r) => queue.getJobState(jobIdOf(r.id))))).every((state) => state === 'unknown'), 'held push jobs ended');
    expect(received).toHaveLength(0);
    expect((await pendingOutbox(gw.db, 100)).filter((o) => o.kind === 'push')).toHaveLength(3);
    expect(await leaseInbox(gw, MUNICIPALITY)).toEqual([]);
    const withBodies = await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=10&include=body');
    expect(withBodies.json<{ items: unknown[] }>().items, 'nor does a lease with bodies').toEqual([]);
    const overview = (await ops('/api/v1/ops/overview')).json<{ endpoints: { ean: string; waiting: number; paused: unknown; lastPushedAt: string | null }[] }>();
    expect(overview.endpoints.find((e) => e.ean === MUNICIPALITY_2)).toMatchObject({ waiting: 3, paused: expect.objectContaining({ reason: REASON }), lastPushedAt: null });
    expect(overview.endpoints.find((e) => e.ean === MUNICIPALITY)).toMatchObject({ waiting: 2 });

    for (const ean of [MUNICIPALITY, MUNICIPALITY_2]) expect((await ops(`/api/v1/ops/endpoints/${ean}/resume`, { reason: REASON })).statusCode).toBe(200);

    await eventually(async () => received.length === 3, 'three pushes after the resume');
    for (const id of pushed) {
      const detail = await eventually(async () => {
        const view = (await ops(`/api/v1/ops/messages/${id}`)).json<{ deliveries: { state: string }[] }>();
        return view.deliveries[0]?.state === 'delivered' ? view : undefined;
      }, `message ${id} delivered`);
      expect(detail.deliveries).toHaveLength(1);
    }
    const items = await leaseInbox(gw, MUNICIPALITY);
    expect(items).toHaveLength(2);
    await fetchItems(gw, MUNICIPALITY, items);

    const after = (await ops('/api/v1/ops/overview')).json<{ endpoints: { ean: string; waiting: number; lastPushedAt: string | null }[] }>();
    expect(after.endpoints.find((e) => e.ean === MUNICIPALITY_2)).toMatchObject({ waiting: 0, lastPushedAt: gw.clock.now().toISOString() });
  });

  it('counts refused messages per type (when it could be read) and reason in the overview', async () => {
    const valid = renumber('XDIS17_discharge_home.xml', { envelope: 'REFUSED-1', letter: 'REFUSED-L1' }).toString('latin1');
    const invalid = Buffer.from(valid.replace(/<CivilRegistrationNumber>[^<]*</, '<CivilRegistrationNumber>12<'), 'latin1');
    const unroutable = Buffer.from(valid.replace(`<EANIdentifier>${MUNICIPALITY}</EANIdentifier>`, '<EANIdentifier>5790000000999</EANIdentifier>'), 'latin1');
    expect((await gw.post(HOSPITAL, invalid)).statusCode).toBe(422);
    expect((await gw.post(HOSPITAL, '<not-xml')).statusCode).toBe(400);
    expect((await gw.post(HOSPITAL, unroutable)).statusCode).toBe(422);
    const types = (await ops('/api/v1/ops/overview')).json<{ types: { type: string; rejected: { lastHour: number; byReason: Record<string, { lastHour: number }> } }[] }>().types;
    expect(types.find((t) => t.type === 'XDIS17')?.rejected).toEqual({ lastHour: 1, lastDay: 1, byReason: { unroutable: { lastHour: 1, lastDay: 1 } } });
    expect(types.find((t) => t.type === 'unknown')?.rejected).toMatchObject({ lastHour: 2, byReason: { 'invalid-message': { lastHour: 1 }, 'not-well-formed': { lastHour: 1 } } });
  });
});

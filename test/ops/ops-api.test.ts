/**
 * The ops HTTP API end to end through the gateway's routes: each route's answer and its refusals, the
 * ops-role boundary on every /api/v1/ops route (endpoint keys 403, no key 401), the audited body read,
 * redelivery with its lineage, dead letters and their retry, pausing endpoints, the audit log as JSON
 * and CSV, and a request log that never holds the CPR number searched for or the reason typed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPushFailure } from '../../src/app/delivery-lifecycle.js';
import { RETRIES_PER_SECOND } from '../../src/http/routes/ops.js';
import { createLogger } from '../../src/logging.js';
import { pendingOutbox } from '../../src/store/outbox.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fetchItems, leaseInbox, renumber, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';

const OPS = { authorization: 'Bearer demo-ops' };
const ENDPOINT_KEY = { authorization: `Bearer demo-${MUNICIPALITY}` };
const CPR = '0101501234';
const SPACED_CPR = '010150 1234';
const REASON = 'the municipality says it never got it';
const A_UUID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';

/** Every ops route with a request that would succeed for an operator (path ids need not exist). */
const OPS_ROUTES: readonly { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }[] = [
  { method: 'GET', url: '/api/v1/ops/overview' },
  { method: 'GET', url: '/api/v1/ops/messages' },
  { method: 'GET', url: `/api/v1/ops/messages/${A_UUID}` },
  { method: 'GET', url: `/api/v1/ops/messages/${A_UUID}/body?reason=checking+the+content+here` },
  { method: 'POST', url: `/api/v1/ops/messages/${A_UUID}/redeliver`, payload: { reason: REASON } },
  { method: 'GET', url: '/api/v1/ops/audit' },
  { method: 'GET', url: '/api/v1/ops/audit?format=csv' },
  { method: 'GET', url: '/api/v1/ops/dead-letters' },
  { method: 'POST', url: '/api/v1/ops/dead-letters/retry', payload: { ids: [A_UUID], reason: REASON } },
  { method: 'GET', url: '/api/v1/ops/endpoints' },
  { method: 'POST', url: `/api/v1/ops/endpoints/${MUNICIPALITY}/pause`, payload: { reason: REASON } },
  { method: 'POST', url: `/api/v1/ops/endpoints/${MUNICIPALITY}/resume`, payload: { reason: REASON } },
  { method: 'GET', url: '/api/v1/ops/alerts' },
  { method: 'GET', url: '/api/v1/ops/deadlines' },
  { method: 'GET', url: '/api/v1/ops/deadlines/report' },
  { method: 'GET', url: '/api/v1/ops/events' },
  { method: 'GET', url: '/api/v1/ops/session' },
  { method: 'DELETE', url: '/api/v1/ops/session' },
];

describe('the ops API', () => {
  let gw: TestGateway;
  const lines: string[] = [];
  const config = testConfigDir((c) => {
    const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
    if (receiver) receiver.delivery = { mode: 'push', url: 'http://127.0.0.1:9/medcom' };
  });
  const ids: Record<string, string> = {};

  const ops = (method: 'GET' | 'POST', url: string, payload?: object) =>
    gw.request({ method, url, headers: OPS, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    gw = await startTestGateway({
      workers: false,
      env: { MEDCOM_CONFIG_DIR: config.dir, LOG_LEVEL: 'info' },
      logger: createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    const posted = await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'API-E1', letter: 'API-L1' }));
    ids.discharge = posted.json<{ id: string }>().id;
    gw.clock.advance(1000);
    const latin = await gw.post(HOSPITAL_2, renumber('XDIS17_iso-8859-1.xml', { envelope: 'API-E2', letter: 'API-L2' }));
    ids.latin = latin.json<{ id: string }>().id;
    gw.clock.advance(1000);
  });

  afterAll(async () => {
    await gw?.close();
    config.remove();
  });

  describe('refuses everyone but operations on every route', () => {
    it.each(OPS_ROUTES)('$method $url: endpoint key 403', async (route) => {
      const response = await gw.request({ method: route.method, url: route.url, headers: ENDPOINT_KEY, ...(route.payload ? { payload: route.payload } : {}) });
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });
    it.each(OPS_ROUTES)('$method $url: no key 401', async (route) => {
      const response = await gw.request({ method: route.method, url: route.url, ...(route.payload ? { payload: route.payload } : {}) });
      expect(response.statusCode).toBe(401);
    });
    it('covers every /api/v1/ops route the OpenAPI document lists', async () => {
      const doc = (await gw.request({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
      const listed = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/api/v1/ops/'))
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '*')}`))
        // Logging in takes the key in its body (an endpoint's key there is 403: ops-session.test.ts).
        .filter((route) => route !== 'POST /api/v1/ops/session');
      const tested = new Set(OPS_ROUTES.map((r) => `${r.method} ${r.url.split('?')[0]?.replace(/[0-9a-f-]{36}|[0-9]{13}/g, '*')}`));
      expect(listed.filter((route) => !tested.has(route))).toEqual([]);
    });
  });

  it('GET overview: every endpoint with its backlog, the stuck first', async () => {
    const response = await ops('GET', '/api/v1/ops/overview');
    expect(response.statusCode).toBe(200);
    const overview = response.json<{ endpoints: { ean: string; waiting: number; stuck: boolean }[]; types: { type: string }[] }>();
    expect(overview.endpoints.find((e) => e.ean === MUNICIPALITY)).toMatchObject({ waiting: 1, stuck: true });
    expect(overview.types.map((t) => t.type)).toEqual(['XDIS17']);
  });

  describe('GET messages (search)', () => {
    it('finds by CPR number, newest first, with a cursor for the next page', async () => {
      const first = await ops('GET', `/api/v1/ops/messages?cpr=${CPR}&limit=1`);
      expect(first.statusCode).toBe(200);
      const page = first.json<{ items: { id: string; href: string }[]; nextCursor?: string }>();
      expect(page.items.map((i) => i.id)).toEqual([ids.discharge]);
      expect(page.items[0]?.href).toBe(`/api/v1/ops/messages/${ids.discharge}`);
      expect((await ops('GET', `/api/v1/ops/messages?cpr=${encodeURIComponent(SPACED_CPR)}`)).json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([ids.discharge]);
      const all = (await ops('GET', '/api/v1/ops/messages?limit=1')).json<{ items: { id: string }[]; nextCursor: string }>();
      expect(all.items.map((i) => i.id)).toEqual([ids.latin]);
      const next = (await ops('GET', `/api/v1/ops/messages?limit=1&cursor=${all.nextCursor}`)).json<{ items: { id: string }[] }>();
      expect(next.items.map((i) => i.id)).toEqual([ids.discharge]);
    });

    it.each([
      ['cpr=12345', 'cpr'],
      ['sender=57900', 'sender'],
      ['type=NOPE', 'type'],
      ['status=lost', 'status'],
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['cursor=bogus', 'cursor'],
      ['colour=red', 'colour'],
    ])('?%s → 400 naming %s', async (query, field) => {
      const response = await ops('GET', `/api/v1/ops/messages?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(field);
      expect(response.body).not.toContain('12345');
    });

    it('an empty period is 422', async () => {
      expect((await ops('GET', '/api/v1/ops/messages?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z')).statusCode).toBe(422);
    });
  });

  it('GET messages/{id}: the detail; unknown 404, malformed 400', async () => {
    const response = await ops('GET', `/api/v1/ops/messages/${ids.discharge}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: ids.discharge, status: 'accepted', deliveries: [{ receiver: MUNICIPALITY, redeliveryOf: null }], timeline: [{ kind: 'accepted', source: 'gateway' }] });
    expect((await ops('GET', `/api/v1/ops/messages/${A_UUID}`)).statusCode).toBe(404);
    expect((await ops('GET', '/api/v1/ops/messages/not-a-uuid')).statusCode).toBe(400);
  });

  describe('GET messages/{id}/body', () => {
    it.each(['', '?reason=', '?reason=just+looking', '?reason=x+y+1'])('%s → 400 reason-required, nothing audited', async (query) => {
      const response = await ops('GET', `/api/v1/ops/messages/${ids.latin}/body${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ type: expect.stringContaining('reason-required') });
      expect((await ops('GET', '/api/v1/ops/audit')).json<{ items: unknown[] }>().items).toEqual([]);
    });

    it('with a reason: the decoded text (Danish letters intact), its original encoding, an audit row and a timeline entry', async () => {
      const response = await ops('GET', `/api/v1/ops/messages/${ids.latin}/body?reason=${encodeURIComponent('checking the discharge for Ærø')}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-original-encoding']).toBe('iso-8859-1');
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json<{ text: string; encoding: string; auditId: number }>();
      expect(body.encoding).toBe('iso-8859-1');
      expect(body.text).toContain('Demo Kommune Syd, Ærøskøbing');
      expect(body.text).toContain('Ortopædkirurgisk');

      const audit = (await ops('GET', '/api/v1/ops/audit')).json<{ items: Record<string, unknown>[] }>().items;
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        id: body.auditId,
        at: gw.clock.now().toISOString(),
        operator: 'Demo operator',
        keyId: 'demo-ops',
        action: 'body-read',
        messageId: ids.latin,
        patientRef: gw.gateway.context().patientRef('1507381236'),
        reason: 'checking the discharge for Ærø',
      });
      const detail = (await ops('GET', `/api/v1/ops/messages/${ids.latin}`)).json<{ timeline: { kind: string; source: string; detail: Record<string, unknown> }[] }>();
      expect(detail.timeline.find((e) => e.kind === 'ops-body-read')).toMatchObject({ source: 'ops', detail: { operator: 'Demo operator', reason: 'checking the discharge for Ærø' } });
    });

    it('unknown message 404; a pruned body 410', async () => {
      expect((await ops('GET', `/api/v1/ops/messages/${A_UUID}/body?reason=${encodeURIComponent(REASON)}`)).statusCode).toBe(404);
      // To the push receiver (workers are off here), so no inbox holds it back.
      const pruned = await gw.post(HOSPITAL_2, renumber('XDIS17_iso-8859-1.xml', { envelope: 'API-E9', letter: 'API-L9' }));
      const id = pruned.json<{ id: string }>().id;
      await gw.db.query('DELETE FROM message_bodies WHERE message_id = $1', [id]);
      await gw.db.query('UPDATE messages SET body_pruned_at = $2 WHERE id = $1', [id, gw.clock.now()]);
      const response = await ops('GET', `/api/v1/ops/messages/${id}/body?reason=${encodeURIComponent(REASON)}`);
      expect(response.statusCode).toBe(410);
      expect(response.json()).toMatchObject({ type: expect.stringContaining('body-pruned') });
    });
  });

  describe('POST messages/{id}/redeliver', () => {
    it('is refused while the delivery is still waiting, and without a reason', async () => {
      expect((await ops('POST', `/api/v1/ops/messages/${ids.discharge}/redeliver`, { reason: REASON })).statusCode).toBe(409);
      const noReason = await ops('POST', `/api/v1/ops/messages/${ids.discharge}/redeliver`, {});
      expect(noReason.statusCode).toBe(400);
      expect(noReason.json()).toMatchObject({ type: expect.stringContaining('reason-required') });
      expect((await ops('POST', `/api/v1/ops/messages/${ids.discharge}/redeliver`, { receiver: MUNICIPALITY_2, reason: REASON })).statusCode).toBe(422);
      expect((await ops('POST', `/api/v1/ops/messages/${A_UUID}/redeliver`, { reason: REASON })).statusCode).toBe(404);
      expect((await ops('POST', `/api/v1/ops/messages/${ids.discharge}/redeliver`, { reason: REASON, when: 'now' })).statusCode).toBe(400);
    });

    it('after delivery and receipt: a new delivery with its parent, offered again, the same bytes; lineage in the detail', async () => {
      const items = await leaseInbox(gw, MUNICIPALITY);
      const first = (await fetchItems(gw, MUNICIPALITY, items))[0]?.rawPayload;
      const parent = items[0]?.id as string;
      expect((await gw.answer(MUNICIPALITY, parent, { status: 'positive' })).statusCode).toBe(200);

      const response = await ops('POST', `/api/v1/ops/messages/${ids.discharge}/redeliver`, { reason: REASON });
      expect(response.statusCode).toBe(201);
      const made = response.json<{ deliveryId: string; redeliveryOf: string; receiver: string; state: string }>();
      expect(made).toMatchObject({ redeliveryOf: parent, receiver: MUNICIPALITY, state: 'waiting', mode: 'pull' });

      const detail = (await ops('GET', `/api/v1/ops/messages/${ids.discharge}`)).json<{ deliveries: { id: string; state: string; redeliveryOf: string | null }[]; timeline: { kind: string; deliveryId: string | null }[] }>();
      expect(detail.deliveries).toEqual([
        expect.objectContaining({ id: parent, state: 'acknowledged', redeliveryOf: null }),
        expect.objectContaining({ id: made.deliveryId, state: 'waiting', redeliveryOf: parent }),
      ]);
      expect(detail.timeline.filter((e) => e.deliveryId === made.deliveryId).map((e) => e.kind)).toEqual(['redelivered', 'ops-redeliver']);

      // Offered again with the same bytes (same envelope and letter ids): the receiver knows it and answers as before.
      const again = await leaseInbox(gw, MUNICIPALITY);
      expect(again.map((i) => i.id)).toEqual([made.deliveryId]);
      expect((await fetchItems(gw, MUNICIPALITY, again))[0]?.rawPayload.equals(first as Buffer)).toBe(true);
      const answered = await gw.answer(MUNICIPALITY, made.deliveryId, { status: 'positive' });
      expect(answered.statusCode).toBe(200);
      // A different answer than the first time is a conflict, as for any duplicate.
      expect((await ops('GET', `/api/v1/ops/messages/${ids.discharge}`)).json<{ status: string }>().status).toBe('acknowledged');

      const audit = (await ops('GET', '/api/v1/ops/audit?operator=Demo+operator')).json<{ items: { action: string; details: Record<string, unknown> }[] }>().items;
      expect(audit[0]).toMatchObject({ action: 'redeliver', details: { deliveryId: made.deliveryId, redeliveryOf: parent, receiver: MUNICIPALITY } });
    });
  });

  describe('dead letters', () => {
    it('lists them, retries by id (audited), and filter; refuses without a reason', async () => {
      const messageId = ids.latin;
      const push = (await pendingOutbox(gw.db, 100)).find((o) => o.kind === 'push');
      const deliveryId = push && 'deliveryId' in push ? push.deliveryId : '';
      await recordPushFailure(gw.gateway.context(), push?.id ?? 0, deliveryId, 'HTTP 503', true);

      const listed = await ops('GET', `/api/v1/ops/dead-letters?receiver=${MUNICIPALITY_2}`);
      expect(listed.statusCode).toBe(200);
      expect(listed.json<{ items: { deliveryId: string; messageId: string }[] }>().items).toEqual([expect.objectContaining({ deliveryId, messageId })]);
      expect((await ops('GET', '/api/v1/ops/dead-letters?receiver=12')).statusCode).toBe(400);

      const retried = await ops('POST', '/api/v1/ops/dead-letters/retry', { ids: [deliveryId], reason: REASON });
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toMatchObject({ requeued: [{ deliveryId, messageId, receiver: MUNICIPALITY_2, mode: 'push' }] });
      expect((await ops('GET', '/api/v1/ops/dead-letters')).json<{ items: unknown[] }>().items).toEqual([]);
      const audit = (await ops('GET', '/api/v1/ops/audit')).json<{ items: { action: string }[] }>().items;
      expect(audit[0]).toMatchObject({ action: 'dead-letter-retry' });
    });

    it(`refuses a retry without a reason or a selection, and more than ${RETRIES_PER_SECOND} a second per key`, async () => {
      const noReason = await ops('POST', '/api/v1/ops/dead-letters/retry', { ids: [A_UUID] });
      expect([400, 429]).toContain(noReason.statusCode);
      if (noReason.statusCode === 400) expect(noReason.json()).toMatchObject({ type: expect.stringContaining('reason-required') });
      const statuses: number[] = [];
      // Fixed one-second windows: of 2 × limit + 2 requests, some window holds more than the limit.
      for (let i = 0; i < 2 * RETRIES_PER_SECOND + 2; i++) statuses.push((await ops('POST', '/api/v1/ops/dead-letters/retry', { reason: REASON })).statusCode);
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s !== 429).every((s) => s === 400)).toBe(true);
    });
  });

  describe('endpoints', () => {
    it('pause and resume (audited), shown in the register and the overview; unknown 404, no reason 400', async () => {
      expect((await ops('POST', `/api/v1/ops/endpoints/${MUNICIPALITY}/pause`, {})).statusCode).toBe(400);
      expect((await ops('POST', '/api/v1/ops/endpoints/5790000000999/pause', { reason: REASON })).statusCode).toBe(404);
      const paused = await ops('POST', `/api/v1/ops/endpoints/${MUNICIPALITY}/pause`, { reason: REASON });
      expect(paused.json()).toEqual({ ean: MUNICIPALITY, paused: true, changed: true });
      const register = (await ops('GET', '/api/v1/ops/endpoints')).json<{ endpoints: { ean: string; paused: unknown; lastPolledAt: string | null }[] }>();
      expect(register.endpoints.find((e) => e.ean === MUNICIPALITY)).toMatchObject({ paused: { operator: 'Demo operator', reason: REASON }, lastPolledAt: expect.any(String) });
      expect((await ops('GET', '/api/v1/ops/overview')).json<{ endpoints: { ean: string; paused: unknown }[] }>().endpoints.find((e) => e.ean === MUNICIPALITY)?.paused).not.toBeNull();
      const resumed = await ops('POST', `/api/v1/ops/endpoints/${MUNICIPALITY}/resume`, { reason: REASON });
      expect(resumed.json()).toEqual({ ean: MUNICIPALITY, paused: false, changed: true });
      const actions = (await ops('GET', '/api/v1/ops/audit')).json<{ items: { action: string }[] }>().items.map((i) => i.action);
      expect(actions.slice(0, 2)).toEqual(['endpoint-resume', 'endpoint-pause']);
    });
  });

  describe('the audit log', () => {
    it('pages with a cursor and filters by operator and period', async () => {
      const first = (await ops('GET', '/api/v1/ops/audit?limit=2')).json<{ items: { id: number }[]; nextCursor: string }>();
      expect(first.items).toHaveLength(2);
      const next = (await ops('GET', `/api/v1/ops/audit?limit=2&cursor=${first.nextCursor}`)).json<{ items: { id: number }[] }>();
      expect(next.items[0]?.id).toBeLessThan(first.items[1]?.id as number);
      expect((await ops('GET', '/api/v1/ops/audit?operator=Someone+else')).json<{ items: unknown[] }>().items).toEqual([]);
      expect((await ops('GET', '/api/v1/ops/audit?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z')).json<{ items: unknown[] }>().items).toEqual([]);
      expect((await ops('GET', '/api/v1/ops/audit?from=soon')).statusCode).toBe(400);
      expect((await ops('GET', '/api/v1/ops/audit?format=xls')).statusCode).toBe(400);
    });

    it('exports CSV with a file name', async () => {
      const response = await ops('GET', '/api/v1/ops/audit?format=csv');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(/^attachment; filename="medcom-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
      const [header, ...rows] = response.body.trim().split(/\r?\n/);
      expect(header).toBe('id,at,operator,keyId,action,messageId,patientRef,reason,details');
      expect(rows.some((r) => r.includes('body-read') && r.includes('Demo operator'))).toBe(true);
    });
  });

  it('the request log holds neither the CPR number searched for nor the reason typed', () => {
    const urls = lines.map((l) => JSON.parse(l) as { req?: { url?: string } }).flatMap((l) => (l.req?.url ? [l.req.url] : []));
    expect(urls.some((u) => u.includes('cpr=[redacted]'))).toBe(true);
    expect(urls.some((u) => u.includes('reason=[redacted]'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(CPR);
      expect(line).not.toContain('010150');
      expect(line).not.toContain('%C3%86r%C3%B8');
    }
  });
});

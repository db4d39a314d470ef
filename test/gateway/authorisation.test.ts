/**
 * Who may see and do what, over HTTP on real PostgreSQL and Redis: for every pair of demo endpoints
 * A ≠ B, A cannot lease, fetch or answer B's inbox items (404, as if they did not exist) and cannot read
 * a message it neither sent nor received (404), while the sender, each receiver (copies included) and
 * operations can; operations cannot use the endpoint-only routes (403); a wrong or missing key is 401
 * with WWW-Authenticate.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReceipt } from '../../src/codec/receipt-writer.js';
import {
  ENDPOINTS,
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  leaseInbox,
  renumber,
  senderEanOf,
  startTestGateway,
  viewMessage,
  type InboxItemJson,
  type TestGateway,
} from '../support/gateway.js';

let gw: TestGateway;

interface Sent {
  readonly name: string;
  readonly body: Buffer;
  readonly sender: string;
  /** Every endpoint that gets a delivery. */
  readonly receivers: readonly string[];
  id?: string;
  /** receiver EAN → its inbox item. */
  items: Map<string, InboxItemJson>;
}

function toGp(body: Buffer): Buffer {
  return Buffer.from(body.toString('latin1').replace(/(<Receiver>\s*<EANIdentifier>)[0-9]{13}/, `$1${GP}`), 'latin1');
}

/** One message to every demo endpoint, from a fixture's own sender, plus a message with a copy. */
const messages: Sent[] = [
  { name: 'XDIS14 → hospital', body: renumber('XDIS14_answer_of_admission.xml', { envelope: 'AUTH1', letter: 'AUTH1L' }), receivers: [HOSPITAL] },
  { name: 'XDIS16 → hospital 2', body: renumber('XDIS16_report_of_admission.xml', { envelope: 'AUTH2', letter: 'AUTH2L' }), receivers: [HOSPITAL_2] },
  { name: 'XDIS20 → municipality', body: renumber('XDIS20_admission_acute.xml', { envelope: 'AUTH3', letter: 'AUTH3L' }), receivers: [MUNICIPALITY] },
  { name: 'XDIS20 → municipality 2', body: renumber('XDIS20_windows-1252.xml', { envelope: 'AUTH4', letter: 'AUTH4L' }), receivers: [MUNICIPALITY_2] },
  { name: 'XDIS91 → GP', body: toGp(renumber('XDIS91_clinical_email.xml', { envelope: 'AUTH5', letter: 'AUTH5L' })), receivers: [GP] },
  { name: 'GGOP → municipality 2, copy to the GP', body: renumber('GGOP_rehabilitation_plan.xml', { envelope: 'AUTH6', letter: 'AUTH6L' }), receivers: [MUNICIPALITY_2, GP] },
].map((m) => ({ ...m, sender: senderEanOf(m.body), items: new Map<string, InboxItemJson>() }));

const xml = (ean: string, method: 'POST', url: string, payload: Buffer) =>
  gw.request({ method, url, headers: { authorization: `Bearer demo-${ean}`, 'content-type': 'application/xml' }, payload });

function positiveReceipt(issuer: string, m: Sent, id: string): Buffer {
  return buildReceipt({
    kind: 'positive',
    issuerEan: issuer,
    envelopeIdentifier: id,
    letterIdentifier: id,
    sent: { date: '2026-11-23', time: '11:00' },
    original: { envelope: { identifier: /<(?:\w+:)?Identifier>([^<]+)</.exec(m.body.toString('latin1'))?.[1] ?? '' }, letters: [], senderEan: m.sender, receiverEan: issuer },
  }).bytes;
}

beforeAll(async () => {
  gw = await startTestGateway();
  for (const m of messages) {
    const response = await gw.post(m.sender, m.body);
    expect(response.statusCode, `${m.name}: ${response.body}`).toBe(202);
    m.id = response.json<{ id: string }>().id;
  }
  // Every endpoint leases its inbox: what it gets is exactly what was addressed to it.
  for (const ean of ENDPOINTS) {
    const items = await leaseInbox(gw, ean, '?limit=100');
    const expected = messages.filter((m) => m.receivers.includes(ean));
    expect(items.map((i) => i.messageId).sort(), `inbox of ${ean}`).toEqual(expected.map((m) => m.id as string).sort());
    for (const item of items) messages.find((m) => m.id === item.messageId)?.items.set(ean, item);
  }
});

afterAll(async () => {
  await gw?.close();
});

const pairs = ENDPOINTS.flatMap((a) => ENDPOINTS.filter((b) => b !== a).map((b) => [a, b] as const));

describe('endpoint A against endpoint B (every ordered pair)', () => {
  it.each(pairs)('%s cannot fetch, answer or read what only %s received', async (a, b) => {
    for (const m of messages) {
      const item = m.items.get(b);
      if (!item) continue;
      // B's inbox item does not exist for A (unless A received the same message: its own item is another id).
      const fetched = await gw.get(a, `/api/v1/inbox/${item.id}`);
      expect(fetched.statusCode, `${a} GET ${m.name} item of ${b}`).toBe(404);
      expect(fetched.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(fetched.body).not.toContain(m.sender);
      expect((await gw.answer(a, item.id, { status: 'positive' })).statusCode).toBe(404);
      expect((await gw.answer(a, item.id, { status: 'negative', refuseCode: 'syntaksfejl' })).statusCode).toBe(404);
      expect((await xml(a, 'POST', `/api/v1/inbox/${item.id}/receipt`, positiveReceipt(a, m, 'AUTHX'))).statusCode).toBe(404);

      // The message itself: only its sender and receivers.
      const view = await gw.get(a, `/api/v1/messages/${m.id}`);
      const party = a === m.sender || m.receivers.includes(a);
      expect(view.statusCode, `${a} GET message ${m.name}`).toBe(party ? 200 : 404);
      if (!party) expect(view.body).not.toContain(m.sender);
    }
    // A's lease never hands out B's items.
    const leased = await leaseInbox(gw, a, '?limit=100');
    expect(leased).toEqual([]);
  });

  it.each(pairs)('%s cannot send in the name of %s (403), and nothing is delivered', async (a, b) => {
    const m = messages.find((x) => x.sender === b);
    if (!m) return; // b sends none of these fixtures (the GP)
    const response = await gw.post(a, renumber(m.body, { envelope: `SPF${a.slice(-2)}${b.slice(-2)}`, letter: `SPFL${a.slice(-2)}${b.slice(-2)}` }));
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    for (const r of m.receivers) expect(await leaseInbox(gw, r)).toEqual([]);
  });
});

describe('those who may, can', () => {
  it('the sender, every receiver (copies included) and operations read each message; nobody else', async () => {
    for (const m of messages) {
      for (const who of [m.sender, ...m.receivers, 'ops']) {
        const view = await viewMessage(gw, who, m.id as string);
        expect(view.id).toBe(m.id);
        expect(view.deliveries.map((d) => d.receiver).sort()).toEqual([...m.receivers].sort());
      }
      const outsiders = ENDPOINTS.filter((e) => e !== m.sender && !m.receivers.includes(e));
      for (const who of outsiders) expect((await gw.get(who, `/api/v1/messages/${m.id}`)).statusCode).toBe(404);
    }
  });

  it('each receiver fetches and answers its own item; the receipt is visible to its two parties and operations only', async () => {
    for (const m of messages) {
      for (const receiver of m.receivers) {
        const item = m.items.get(receiver) as InboxItemJson;
        expect((await gw.get(receiver, `/api/v1/inbox/${item.id}`)).rawPayload.equals(m.body)).toBe(true);
        const answered = await gw.answer(receiver, item.id, { status: 'positive' });
        expect(answered.statusCode).toBe(200);
        const receiptId = answered.json<{ receiptMessageId: string }>().receiptMessageId;
        for (const who of ENDPOINTS) {
          expect((await gw.get(who, `/api/v1/messages/${receiptId}`)).statusCode, `${who} reads the receipt ${receiver} → ${m.sender}`).toBe(
            who === receiver || who === m.sender ? 200 : 404,
          );
        }
        expect((await gw.get('ops', `/api/v1/messages/${receiptId}`)).statusCode).toBe(200);
      }
    }
    // The receipts reached the senders and only them.
    for (const ean of ENDPOINTS) {
      const receipts = await leaseInbox(gw, ean, '?limit=100');
      const expected = messages.flatMap((m) => (m.sender === ean ? m.receivers : []));
      expect(receipts.map((r) => r.sender).sort(), `receipts for ${ean}`).toEqual(expected.sort());
    }
  });

  it('ids that do not exist are 404 like everyone else\'s; what is not a UUID at all is a 400 before anything is looked up', async () => {
    for (const url of [`/api/v1/messages/${randomUUID()}`, `/api/v1/inbox/${randomUUID()}`]) {
      const response = await gw.get(HOSPITAL, url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    for (const url of ['/api/v1/messages/not-an-id', '/api/v1/inbox/0101501234']) {
      const response = await gw.get(HOSPITAL, url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ type: 'https://medcom-gateway.local/problems/invalid-request', errors: [{ path: '/params/id' }] });
    }
    expect((await gw.answer(HOSPITAL, randomUUID(), { status: 'positive' })).statusCode).toBe(404);
  });
});

describe('operations', () => {
  const someItem = (): InboxItemJson => messages[0]?.items.get(HOSPITAL) as InboxItemJson;

  it.each([
    ['POST /api/v1/messages', () => gw.request({ method: 'POST', url: '/api/v1/messages', headers: { authorization: 'Bearer demo-ops', 'content-type': 'application/xml' }, payload: messages[2]?.body })],
    ['GET /api/v1/inbox', () => gw.get('ops', '/api/v1/inbox')],
    ['GET /api/v1/inbox?wait=1', () => gw.get('ops', '/api/v1/inbox?wait=1')],
    ['GET /api/v1/inbox/{id}', () => gw.get('ops', `/api/v1/inbox/${someItem().id}`)],
    ['POST /api/v1/inbox/{id}/receipt', () => gw.answer('ops', someItem().id, { status: 'positive' })],
  ])('the ops key cannot use %s (403)', async (_route, call) => {
    const response = await call();
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});

describe('keys', () => {
  const routes: [string, 'GET' | 'POST', () => string, string | undefined][] = [
    ['GET /api/v1/messages/{id}', 'GET', () => `/api/v1/messages/${messages[0]?.id}`, undefined],
    ['POST /api/v1/messages', 'POST', () => '/api/v1/messages', 'application/xml'],
    ['GET /api/v1/inbox', 'GET', () => '/api/v1/inbox', undefined],
    ['GET /api/v1/inbox/{id}', 'GET', () => `/api/v1/inbox/${messages[0]?.items.get(HOSPITAL)?.id}`, undefined],
    ['POST /api/v1/inbox/{id}/receipt', 'POST', () => `/api/v1/inbox/${messages[0]?.items.get(HOSPITAL)?.id}/receipt`, 'application/json'],
  ];
  const credentials: [string, string | undefined][] = [
    ['an unknown key', 'Bearer demo-5790000000098'],
    ['a key that is almost right', `Bearer demo-${HOSPITAL}x`],
    ['a real-looking key nobody issued', 'Bearer mgw_abcdef12_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['the Basic scheme', `Basic ${Buffer.from(`demo-${HOSPITAL}:`).toString('base64')}`],
    ['no key at all', undefined],
  ];

  it.each(routes.flatMap(([route, method, url, type]) => credentials.map(([what, header]) => [route, what, method, url, type, header] as const)))(
    '%s with %s → 401 with WWW-Authenticate: Bearer',
    async (_route, _what, method, url, type, header) => {
      const response = await gw.request({
        method,
        url: url(),
        headers: { ...(header ? { authorization: header } : {}), ...(type ? { 'content-type': type } : {}) },
        ...(method === 'POST' ? { payload: type === 'application/json' ? '{"status":"positive"}' : messages[2]?.body } : {}),
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    },
  );

  it('the refused requests changed nothing', async () => {
    for (const ean of ENDPOINTS) expect(await leaseInbox(gw, ean, '?limit=100')).toEqual([]);
    expect((await viewMessage(gw, 'ops', messages[0]?.id as string)).deliveries).toMatchObject([{ state: 'acknowledged' }]);
  });
});

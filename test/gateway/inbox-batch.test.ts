/**
 * The inbox for receivers that take many messages: `GET /api/v1/inbox?include=body` leases and fetches
 * in one request (the bytes are the sender's, the sha256 proves it; each item counts as fetched), and
 * `POST /api/v1/inbox/receipts` answers many items in one request, each judged on its own.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSPITAL, MUNICIPALITY, MUNICIPALITY_2, fetchItems, leaseInbox, renumber, startTestGateway, viewMessage, type InboxItemJson, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface ItemWithBody extends InboxItemJson {
  body?: string;
}

interface BatchResult {
  ok: boolean;
  deliveryId: string;
  receipt?: string;
  repeated?: boolean;
  status?: number;
  code?: string;
}

async function postBatch(ean: string, payload: unknown): Promise<{ statusCode: number; body: string; results: BatchResult[] }> {
  const response = await gw.request({
    method: 'POST',
    url: '/api/v1/inbox/receipts',
    headers: { authorization: `Bearer demo-${ean}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
  return { statusCode: response.statusCode, body: response.body, results: response.statusCode === 200 ? response.json<{ results: BatchResult[] }>().results : [] };
}

async function sendThree(prefix: string): Promise<Map<string, Buffer>> {
  const sent = new Map<string, Buffer>();
  for (let n = 1; n <= 3; n += 1) {
    const body = renumber('XDIS20_admission_acute.xml', { envelope: `${prefix}ENV${n}`, letter: `${prefix}LET${n}` });
    const posted = await gw.post(HOSPITAL, body);
    expect(posted.statusCode, posted.body).toBe(202);
    sent.set(posted.json<{ id: string }>().id, body);
  }
  return sent;
}

describe('GET /api/v1/inbox?include=body', () => {
  it('hands out each message\'s original bytes with its item, and counts it as fetched', async () => {
    const sent = await sendThree('INCL');
    const response = await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=10&include=body');
    expect(response.statusCode, response.body).toBe(200);
    const items = response.json<{ items: ItemWithBody[] }>().items.filter((i) => sent.has(i.messageId));
    expect(items).toHaveLength(3);
    for (const item of items) {
      const bytes = Buffer.from(item.body as string, 'base64');
      expect(bytes.equals(sent.get(item.messageId) as Buffer)).toBe(true);
      expect(sha256(bytes)).toBe(item.sha256);
      const view = await viewMessage(gw, HOSPITAL, item.messageId);
      // delivered: the receipt watchdog runs from now, as after GET /api/v1/inbox/{id}
      expect(view.deliveries.find((d) => d.id === item.id)).toMatchObject({ state: 'delivered', receiptDueAt: expect.any(String) as unknown });
      // …with its watchdog armed once, and one `fetched` on the timeline, as a single fetch leaves them.
      const watchdogs = await gw.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE delivery_id = $1 AND kind = 'receipt-watchdog' AND done_at IS NULL", [item.id]);
      expect(watchdogs.rows[0]?.n).toBe(1);
      expect(view.timeline.filter((e) => e.kind === 'fetched' && e.deliveryId === item.id)).toHaveLength(1);
    }
  });

  it('records on the timeline what a lease and a fetch would, and writes each delivery once', async () => {
    const [messageId] = [...(await sendThree('ONCE')).keys()];
    // Every UPDATE of a delivery writes a new row version and, its state being indexed, new index entries.
    await gw.db.query('CREATE TABLE delivery_updates (id uuid)');
    await gw.db.query(
      `CREATE FUNCTION count_delivery_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO delivery_updates VALUES (NEW.id); RETURN NEW; END $$`,
    );
    await gw.db.query('CREATE TRIGGER count_delivery_update AFTER UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION count_delivery_update()');
    let items: ItemWithBody[];
    try {
      items = (await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=10&include=body')).json<{ items: ItemWithBody[] }>().items;
    } finally {
      await gw.db.query('DROP TRIGGER count_delivery_update ON deliveries');
      await gw.db.query('DROP FUNCTION count_delivery_update()');
    }
    const updates = await gw.db.query<{ id: string; n: number }>('SELECT id, count(*)::int AS n FROM delivery_updates GROUP BY id');
    await gw.db.query('DROP TABLE delivery_updates');
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(updates.rows.map((r) => r.n)).toEqual(items.map(() => 1));

    const item = items.find((i) => i.messageId === messageId) as ItemWithBody;
    expect(item).toMatchObject({ offers: 1, leaseUntil: expect.any(String) as unknown });
    const timeline = (await viewMessage(gw, HOSPITAL, messageId as string)).timeline.filter((e) => e.deliveryId === item.id);
    expect(timeline.map((e) => e.kind)).toEqual(['leased', 'fetched']);
    expect(new Date(timeline[0]?.detail.until as string).toISOString()).toBe(item.leaseUntil);
    expect(timeline[0]?.detail.offer).toBe(1);
    expect(timeline[1]?.detail).toEqual({ first: true, sha256: item.sha256 });
  });

  it('takes a delivery whose lease ran out, and says so on the timeline before the new lease', async () => {
    const sent = await sendThree('RELEASE');
    const first = (await leaseInbox(gw, MUNICIPALITY, '?limit=50')).filter((i) => sent.has(i.messageId));
    expect(first).toHaveLength(3);
    // Leased and not fetched: nothing more for this receiver until the lease runs out.
    expect((await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=50&include=body')).json<{ items: ItemWithBody[] }>().items.filter((i) => sent.has(i.messageId))).toEqual([]);
    gw.clock.advance((gw.settings.leaseSeconds + 1) * 1000);
    const again = (await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=50&include=body')).json<{ items: ItemWithBody[] }>().items.filter((i) => sent.has(i.messageId));
    expect(again.map((i) => [i.id, i.offers])).toEqual(first.map((i) => [i.id, 2]));
    for (const item of again) {
      expect(Buffer.from(item.body as string, 'base64').equals(sent.get(item.messageId) as Buffer)).toBe(true);
      const view = await viewMessage(gw, HOSPITAL, item.messageId);
      expect(view.timeline.filter((e) => e.deliveryId === item.id).map((e) => e.kind)).toEqual(['leased', 'lease-expired', 'leased', 'fetched']);
      expect(view.deliveries.find((d) => d.id === item.id)).toMatchObject({ state: 'delivered', offers: 2, receiptDueAt: expect.any(String) as unknown });
      const row = await gw.db.query<{ lease_until: Date | null }>('SELECT lease_until FROM deliveries WHERE id = $1', [item.id]);
      expect(row.rows[0]?.lease_until, 'a delivered message holds no lease').toBeNull();
    }
  });

  it('without include, items carry no bytes (the one-by-one API is unchanged)', async () => {
    await sendThree('PLAIN');
    const items = await leaseInbox(gw, MUNICIPALITY, '?limit=10');
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => !('body' in i))).toBe(true);
    // Fetched, so the same patient's later messages are not held back behind them.
    await fetchItems(gw, MUNICIPALITY, items);
  });

  it('refuses an include it does not know (400 naming the field)', async () => {
    const response = await gw.get(MUNICIPALITY, '/api/v1/inbox?include=bodies');
    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toContain('/querystring/include');
  });
});

describe('POST /api/v1/inbox/receipts', () => {
  it('answers many items at once; each is recorded as on /inbox/{id}/receipt, and a repeat is harmless', async () => {
    const sent = await sendThree('BATCH');
    const items = (await gw.get(MUNICIPALITY_2, '/api/v1/inbox?limit=10&include=body')).json<{ items: ItemWithBody[] }>().items;
    expect(items).toEqual([]); // the messages went to MUNICIPALITY
    const mine = (await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=10&include=body')).json<{ items: ItemWithBody[] }>().items.filter((i) => sent.has(i.messageId));
    expect(mine).toHaveLength(3);
    const [a, b, c] = mine as [ItemWithBody, ItemWithBody, ItemWithBody];
    const answers = [
      { id: a.id, status: 'positive' },
      { id: b.id, status: 'negative', refuseCode: 'syntaksfejl', text: 'kan ikke læses' },
      { id: c.id, status: 'positive' },
    ];
    const first = await postBatch(MUNICIPALITY, { answers });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.results).toMatchObject([
      { ok: true, deliveryId: a.id, receipt: 'positive', repeated: false },
      { ok: true, deliveryId: b.id, receipt: 'negative', repeated: false },
      { ok: true, deliveryId: c.id, receipt: 'positive', repeated: false },
    ]);
    expect((await viewMessage(gw, HOSPITAL, b.messageId)).deliveries.find((d) => d.id === b.id)).toMatchObject({ state: 'rejected', receipt: { kind: 'negative', refuseCode: 'syntaksfejl' } });
    const again = await postBatch(MUNICIPALITY, { answers });
    expect(again.results.map((r) => r.repeated)).toEqual([true, true, true]);
  });

  it('judges each answer on its own: someone else\'s item, an unknown one and a changed answer are refused, the rest recorded', async () => {
    const sent = await sendThree('MIXED');
    const mine = (await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=10&include=body')).json<{ items: ItemWithBody[] }>().items.filter((i) => sent.has(i.messageId));
    const [a, b, c] = mine as [ItemWithBody, ItemWithBody, ItemWithBody];
    expect((await postBatch(MUNICIPALITY, { answers: [{ id: a.id, status: 'positive' }] })).results[0]).toMatchObject({ ok: true });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const mixed = await postBatch(MUNICIPALITY, {
      answers: [
        { id: a.id, status: 'negative', refuseCode: 'syntaksfejl' },
        { id: unknown, status: 'positive' },
        { id: b.id, status: 'positive' },
        { id: c.id, status: 'negative', refuseCode: 'no-such-code' },
      ],
    });
    expect(mixed.statusCode, mixed.body).toBe(200);
    expect(mixed.results).toMatchObject([
      { ok: false, deliveryId: a.id, status: 409 },
      { ok: false, deliveryId: unknown, status: 404, code: 'not-found' },
      { ok: true, deliveryId: b.id, receipt: 'positive' },
      { ok: false, deliveryId: c.id, status: 422, code: 'invalid-receipt' },
    ]);
    // Another endpoint cannot answer these items: each is "not found" for it.
    const stranger = await postBatch(MUNICIPALITY_2, { answers: [{ id: c.id, status: 'positive' }] });
    expect(stranger.results).toMatchObject([{ ok: false, status: 404 }]);
    expect((await viewMessage(gw, HOSPITAL, c.messageId)).deliveries.find((d) => d.id === c.id)?.receipt).toBeNull();
  });

  it.each([
    ['no answers', { answers: [] }, '/body/answers'],
    ['more than 100 answers', { answers: Array.from({ length: 101 }, () => ({ id: '00000000-0000-4000-8000-000000000000', status: 'positive' })) }, '/body/answers'],
    ['an id that is not a UUID', { answers: [{ id: 'abc', status: 'positive' }] }, '/body/answers/0/id'],
    ['an unknown status', { answers: [{ id: '00000000-0000-4000-8000-000000000000', status: 'maybe' }] }, '/body/answers/0/status'],
    ['a field an answer does not have', { answers: [{ id: '00000000-0000-4000-8000-000000000000', status: 'positive', why: 'x' }] }, '/body/answers/0/why'],
  ])('refuses %s as a whole (400 naming the field), recording nothing', async (_what, payload, path) => {
    const response = await postBatch(MUNICIPALITY, payload);
    expect(response.statusCode, response.body).toBe(400);
    expect((JSON.parse(response.body) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
  });

  it('an operations key cannot answer (403), no key is 401', async () => {
    const ops = await gw.request({ method: 'POST', url: '/api/v1/inbox/receipts', headers: { authorization: 'Bearer demo-ops', 'content-type': 'application/json' }, payload: '{"answers":[]}' });
    expect(ops.statusCode).toBe(403);
    const none = await gw.request({ method: 'POST', url: '/api/v1/inbox/receipts', headers: { 'content-type': 'application/json' }, payload: '{"answers":[]}' });
    expect(none.statusCode).toBe(401);
  });
});

/**
 * `POST /api/v1/inbox/receipts` records a batch in one transaction, on PostgreSQL and on PGlite: a
 * refused answer leaves no trace while the others stand (and their receipts reach the sender); a failure
 * that is not a refusal undoes the whole batch and answers 503; two overlapping batches of the same
 * receiver do not deadlock. The counters and the sender's inbox hear only of answers that stood. A lease
 * with bodies (`GET /api/v1/inbox?include=body`) is one transaction as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSPITAL, MUNICIPALITY, renumber, startTestGateway, viewMessage, type InboxItemJson, type TestGateway } from '../support/gateway.js';
import type { TestDatabaseKind } from '../support/store.js';

interface BatchResult {
  ok: boolean;
  deliveryId: string;
  receipt?: string;
  receiptMessageId?: string;
  repeated?: boolean;
  status?: number;
  code?: string;
}

/** The value of one sample of the Prometheus text (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) return Number(match[3]);
  }
  return 0;
}

describe.each<[TestDatabaseKind]>([['postgres'], ['pglite']])('a batch of answers on %s', (kind) => {
  let gw: TestGateway;
  let sent = 0;

  beforeAll(async () => {
    gw = await startTestGateway({ kind, workers: false });
  });

  afterAll(async () => {
    await gw?.close();
  });

  async function postBatch(answers: readonly unknown[]): Promise<{ statusCode: number; body: string; results: BatchResult[] }> {
    const response = await gw.request({
      method: 'POST',
      url: '/api/v1/inbox/receipts',
      headers: { authorization: `Bearer demo-${MUNICIPALITY}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ answers }),
    });
    return { statusCode: response.statusCode, body: response.body, results: response.statusCode === 200 ? response.json<{ results: BatchResult[] }>().results : [] };
  }

  /** Sends `count` new messages to MUNICIPALITY and leases them with their bodies (so each is delivered). */
  async function delivered(count: number): Promise<InboxItemJson[]> {
    const ids = new Set<string>();
    for (let n = 0; n < count; n += 1) {
      sent += 1;
      const posted = await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope: `TXB${sent}`, letter: `TXBL${sent}` }));
      expect(posted.statusCode, posted.body).toBe(202);
      ids.add(posted.json<{ id: string }>().id);
    }
    const leased = await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=100&include=body');
    expect(leased.statusCode, leased.body).toBe(200);
    const items = leased.json<{ items: InboxItemJson[] }>().items.filter((i) => ids.has(i.messageId));
    expect(items).toHaveLength(count);
    return items;
  }

  const acknowledged = async (): Promise<number> => {
    const response = await gw.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer demo-ops' } });
    return sample(response.body, 'medcom_deliveries_total', { mode: 'pull', outcome: 'acknowledged' });
  };
  const gatewayReceipts = async (): Promise<number> =>
    Number((await gw.db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE origin = 'gateway'")).rows[0]?.n);
  const timelineOf = async (item: InboxItemJson): Promise<string[]> =>
    (await viewMessage(gw, HOSPITAL, item.messageId)).timeline.filter((e) => e.deliveryId === item.id || e.kind === 'receipt-sent').map((e) => e.kind);
  const deliveryOf = async (item: InboxItemJson) => (await viewMessage(gw, HOSPITAL, item.messageId)).deliveries.find((d) => d.id === item.id);

  it('records the answers that stand and leaves no trace of the refused ones, a conflict within the batch included', async () => {
    const [a, b, c, d] = (await delivered(4)) as [InboxItemJson, InboxItemJson, InboxItemJson, InboxItemJson];
    expect((await gw.answer(MUNICIPALITY, a.id, { status: 'positive' })).statusCode).toBe(200);
    const receiptsBefore = await gatewayReceipts();
    const acknowledgedBefore = await acknowledged();
    const unknown = '00000000-0000-4000-8000-000000000000';

    const batch = await postBatch([
      { id: b.id, status: 'positive' },
      { id: a.id, status: 'negative', refuseCode: 'syntaksfejl' },
      { id: unknown, status: 'positive' },
      { id: c.id, status: 'negative', refuseCode: 'no-such-code' },
      { id: b.id, status: 'negative' },
      { id: d.id, status: 'positive' },
      { id: d.id, status: 'positive' },
    ]);
    expect(batch.statusCode, batch.body).toBe(200);
    expect(batch.results).toMatchObject([
      { ok: true, deliveryId: b.id, receipt: 'positive', repeated: false },
      { ok: false, deliveryId: a.id, status: 409, code: 'receipt-conflict' },
      { ok: false, deliveryId: unknown, status: 404, code: 'not-found' },
      { ok: false, deliveryId: c.id, status: 422, code: 'invalid-receipt' },
      // b's answer earlier in the same batch is on record for the answers after it
      { ok: false, deliveryId: b.id, status: 409, code: 'receipt-conflict' },
      { ok: true, deliveryId: d.id, receipt: 'positive', repeated: false },
      { ok: true, deliveryId: d.id, receipt: 'positive', repeated: true },
    ]);

    // The refused: as before the batch.
    expect(await deliveryOf(a)).toMatchObject({ state: 'acknowledged', receipt: { kind: 'positive' } });
    expect(await timelineOf(a)).toEqual(expect.not.arrayContaining(['receipt-repeated']));
    expect((await timelineOf(a)).filter((k) => k === 'receipted')).toHaveLength(1);
    expect(await deliveryOf(c)).toMatchObject({ state: 'delivered', receipt: null });
    expect(await timelineOf(c)).toEqual(expect.not.arrayContaining(['receipted', 'receipt-sent']));
    // The standing: recorded once each, their receipts written and waiting in the sender's inbox.
    expect(await deliveryOf(b)).toMatchObject({ state: 'acknowledged', receipt: { kind: 'positive', messageId: batch.results[0]?.receiptMessageId } });
    expect(await deliveryOf(d)).toMatchObject({ state: 'acknowledged', receipt: { kind: 'positive', messageId: batch.results[5]?.receiptMessageId } });
    expect((await timelineOf(d)).filter((k) => k === 'receipted' || k === 'receipt-repeated')).toEqual(['receipted', 'receipt-repeated']);
    expect(await gatewayReceipts()).toBe(receiptsBefore + 2);
    expect(await acknowledged()).toBe(acknowledgedBefore + 2);
    const senderInbox = (await gw.get(HOSPITAL, '/api/v1/inbox?limit=100')).json<{ items: InboxItemJson[] }>().items.map((i) => i.messageId);
    expect(senderInbox).toEqual(expect.arrayContaining([batch.results[0]?.receiptMessageId, batch.results[5]?.receiptMessageId]));
  });

  it('takes an id in capitals as the same item, answering with the id as sent', async () => {
    const [a] = (await delivered(1)) as [InboxItemJson];
    const shouted = a.id.toUpperCase();
    const batch = await postBatch([
      { id: shouted, status: 'positive' },
      { id: a.id, status: 'positive' },
    ]);
    expect(batch.results).toMatchObject([
      { ok: true, deliveryId: shouted, repeated: false },
      { ok: true, deliveryId: a.id, repeated: true },
    ]);
    // The repeat quotes the receipt written for the answer it repeats, even within the same batch.
    expect(batch.results[1]?.receiptMessageId).toBe(batch.results[0]?.receiptMessageId);
    expect(await deliveryOf(a)).toMatchObject({ state: 'acknowledged', receipt: { messageId: batch.results[0]?.receiptMessageId } });
  });

  it('undoes the whole batch when an answer fails other than by a refusal, and answers 503', async () => {
    const items = await delivered(3);
    // The answer recorded last (ids are recorded in order) fails as a store that goes away would, after
    // the others have written their rows in the same transaction.
    const last = [...items].sort((x, y) => (x.id < y.id ? -1 : 1))[2] as InboxItemJson;
    await gw.db.query(
      `CREATE FUNCTION batch_test_failure() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.id = '${last.id}'::uuid AND NEW.receipt_kind IS NOT NULL THEN
           RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01';
         END IF;
         RETURN NEW;
       END $$`,
    );
    await gw.db.query('CREATE TRIGGER batch_test_failure BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION batch_test_failure()');
    const receiptsBefore = await gatewayReceipts();
    const acknowledgedBefore = await acknowledged();
    const answers = [last, ...items.filter((i) => i !== last)].map((i) => ({ id: i.id, status: 'positive' }));
    try {
      const failed = await postBatch(answers);
      expect(failed.statusCode, failed.body).toBe(503);
      for (const item of items) {
        expect(await deliveryOf(item)).toMatchObject({ state: 'delivered', receipt: null });
        expect(await timelineOf(item)).toEqual(expect.not.arrayContaining(['receipted', 'receipt-sent']));
      }
      expect(await gatewayReceipts()).toBe(receiptsBefore);
      expect(await acknowledged()).toBe(acknowledgedBefore);
    } finally {
      await gw.db.query('DROP TRIGGER batch_test_failure ON deliveries');
      await gw.db.query('DROP FUNCTION batch_test_failure()');
    }
    // Sent again, the same batch is recorded whole: nothing of the failed attempt stood in its way.
    const again = await postBatch(answers);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.results.map((r) => [r.ok, r.repeated])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    expect(await gatewayReceipts()).toBe(receiptsBefore + 3);
  });

  it('a lease with bodies is one transaction too: a failure while fetching leaves every item waiting as before', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      sent += 1;
      const posted = await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope: `TXB${sent}`, letter: `TXBL${sent}` }));
      ids.push(posted.json<{ id: string }>().id);
    }
    // The last message's delivery is fetched last (oldest first), after the others were marked delivered.
    const { rows } = await gw.db.query<{ id: string }>('SELECT id FROM deliveries WHERE message_id = $1', [ids[2]]);
    await gw.db.query(
      `CREATE FUNCTION batch_test_failure() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.id = '${rows[0]?.id}'::uuid AND NEW.state = 'delivered' THEN
           RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01';
         END IF;
         RETURN NEW;
       END $$`,
    );
    await gw.db.query('CREATE TRIGGER batch_test_failure BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION batch_test_failure()');
    try {
      const failed = await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=100&include=body');
      expect(failed.statusCode, failed.body).toBe(503);
      const states = await gw.db.query<{ state: string; offers: number }>('SELECT d.state, d.offers FROM deliveries d WHERE d.message_id = ANY($1::uuid[])', [ids]);
      expect(states.rows).toEqual(ids.map(() => ({ state: 'waiting', offers: 0 })));
    } finally {
      await gw.db.query('DROP TRIGGER batch_test_failure ON deliveries');
      await gw.db.query('DROP FUNCTION batch_test_failure()');
    }
    const leased = (await gw.get(MUNICIPALITY, '/api/v1/inbox?limit=100&include=body')).json<{ items: (InboxItemJson & { body?: string })[] }>().items;
    expect(leased.map((i) => [i.messageId, i.offers, typeof i.body])).toEqual(ids.map((id) => [id, 1, 'string']));
    for (const item of leased) expect(await deliveryOf(item)).toMatchObject({ state: 'delivered', receiptDueAt: expect.any(String) as unknown });
  });

  it('two overlapping batches answering the same items in opposite orders both finish, each item answered once', async () => {
    const items = await delivered(24);
    const receiptsBefore = await gatewayReceipts();
    const forward = items.map((i) => ({ id: i.id, status: 'positive' }));
    const [one, two] = await Promise.all([postBatch(forward), postBatch([...forward].reverse())]);
    expect(one?.statusCode, one?.body).toBe(200);
    expect(two?.statusCode, two?.body).toBe(200);
    const firstTimes = new Map<string, number>();
    for (const result of [...(one?.results ?? []), ...(two?.results ?? [])]) {
      expect(result).toMatchObject({ ok: true, receipt: 'positive' });
      if (!result.repeated) firstTimes.set(result.deliveryId, (firstTimes.get(result.deliveryId) ?? 0) + 1);
    }
    expect([...firstTimes.values()]).toEqual(items.map(() => 1));
    expect(await gatewayReceipts()).toBe(receiptsBefore + items.length);
  });
});

/**
 * The receipt watchdog (`../shared/medcom.md` §3.3: resend after 30 minutes without a receipt, at
 * most 2 times) and losing Redis, on real PostgreSQL and Redis.
 *
 * - Driven directly: `runReceiptWatchdog` on the outbox rows, with the TestClock (no queue timing).
 * - Through the timer worker: MEDCOM_RECEIPT_TIMEOUT_SECONDS=1, the TestClock moved past the due time.
 * - A private Redis flushed in the middle of a flow: the reconciler re-creates the lost timer from
 *   the outbox and nothing accepted is lost.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runReceiptWatchdog, type WatchdogOutcome } from '../../src/app/delivery-lifecycle.js';
import {
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  renumber,
  startTestGateway,
  viewMessage,
  type InboxItemJson,
  type TestGateway,
} from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const TIMEOUT_S = 1800;

let counter = 0;
function body(name: string, ack?: 'pluspositivkvitt' | 'minuspositivkvitt'): Buffer {
  counter += 1;
  return renumber(name, { envelope: `WDE${String(counter).padStart(4, '0')}`, letter: `WDL${String(counter).padStart(4, '0')}`, ...(ack ? { ack } : {}) });
}

async function post(gw: TestGateway, sender: string, message: Buffer): Promise<string> {
  const response = await gw.post(sender, message);
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
}

/** Leases `ean`'s inbox, expects exactly the message `messageId` among what is offered, fetches everything. */
async function leaseAndFetch(gw: TestGateway, ean: string, messageId: string): Promise<InboxItemJson> {
  const items = await leaseInbox(gw, ean, '?limit=100');
  const mine = items.find((i) => i.messageId === messageId);
  expect(mine, `message ${messageId} offered to ${ean}`).toBeDefined();
  await fetchItems(gw, ean, items);
  return mine as InboxItemJson;
}

async function pendingWatchdogs(gw: TestGateway, deliveryId: string): Promise<{ id: number; dueAt: Date }[]> {
  const { rows } = await gw.db.query<{ id: number; due_at: Date }>(
    `SELECT id, due_at FROM outbox WHERE delivery_id = $1 AND kind = 'receipt-watchdog' AND done_at IS NULL ORDER BY id`,
    [deliveryId],
  );
  return rows.map((r) => ({ id: Number(r.id), dueAt: new Date(r.due_at) }));
}

async function watchdogsOf(gw: TestGateway, deliveryId: string): Promise<number> {
  const { rows } = await gw.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE delivery_id = $1 AND kind = 'receipt-watchdog'`, [deliveryId]);
  return Number(rows[0]?.n ?? 0);
}

/** Runs the one pending watchdog of the delivery, as the timer worker would. */
async function fireWatchdog(gw: TestGateway, deliveryId: string, ctx = gw.gateway.context()): Promise<WatchdogOutcome> {
  const pending = await pendingWatchdogs(gw, deliveryId);
  expect(pending).toHaveLength(1);
  return runReceiptWatchdog(ctx, (pending[0] as { id: number }).id);
}

/** An answer retires the delivery's watchdog: nothing is left pending, and its job, should it still run, does nothing. */
async function expectWatchdogRetired(gw: TestGateway, deliveryId: string): Promise<void> {
  expect(await pendingWatchdogs(gw, deliveryId)).toEqual([]);
  const { rows } = await gw.db.query<{ id: number }>(
    "SELECT id FROM outbox WHERE delivery_id = $1 AND kind = 'receipt-watchdog' ORDER BY id DESC LIMIT 1",
    [deliveryId],
  );
  expect(rows).toHaveLength(1);
  expect(await runReceiptWatchdog(gw.gateway.context(), Number((rows[0] as { id: number }).id))).toBe('done');
}

describe('the watchdog, driven directly with the TestClock', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    // No workers: nothing but the test runs the watchdog.
    gw = await startTestGateway({ workers: false, env: { MEDCOM_RECEIPT_TIMEOUT_SECONDS: String(TIMEOUT_S), MEDCOM_RECEIPT_MAX_REOFFERS: '2' } });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('pluspositivkvitt, fetched and never answered: re-offered MEDCOM_RECEIPT_MAX_REOFFERS (2) times, then unacknowledged with an event', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    const fetchedAt = gw.clock.now();
    let view = await viewMessage(gw, HOSPITAL, id);
    expect(view.deliveries).toMatchObject([{ state: 'delivered', reoffers: 0, receiptDueAt: new Date(fetchedAt.getTime() + TIMEOUT_S * 1000).toISOString() }]);
    const [first] = await pendingWatchdogs(gw, item.id);
    expect(first?.dueAt.toISOString()).toBe(new Date(fetchedAt.getTime() + TIMEOUT_S * 1000).toISOString());

    // Not before its time.
    gw.clock.advance((TIMEOUT_S - 1) * 1000);
    expect(await runReceiptWatchdog(gw.gateway.context(), first?.id as number)).toBe('not-due');

    for (const reoffer of [1, 2]) {
      gw.clock.advance(TIMEOUT_S * 1000);
      expect(await fireWatchdog(gw, item.id)).toBe('reoffered');
      view = await viewMessage(gw, HOSPITAL, id);
      // Still watched while offered again: a receiver that never fetches it again cannot keep it open forever.
      const reofferedDue = new Date(gw.clock.now().getTime() + TIMEOUT_S * 1000).toISOString();
      expect(view.deliveries).toMatchObject([{ state: 'waiting', reoffers: reoffer, receiptDueAt: reofferedDue }]);
      expect(view.timeline.filter((e) => e.kind === 'reoffered').at(-1)?.detail).toEqual({ reoffer, of: 2 });
      expect((await pendingWatchdogs(gw, item.id)).map((w) => w.dueAt.toISOString())).toEqual([reofferedDue]);
      // Offered again, the same inbox item; fetched again, the watchdog is armed again.
      const again = await leaseAndFetch(gw, MUNICIPALITY, id);
      expect(again).toMatchObject({ id: item.id, offers: reoffer + 1 });
    }

    gw.clock.advance(TIMEOUT_S * 1000);
    expect(await fireWatchdog(gw, item.id)).toBe('unacknowledged');
    view = await viewMessage(gw, HOSPITAL, id);
    expect(view.deliveries).toMatchObject([{ state: 'unacknowledged', reoffers: 2, receiptDueAt: null }]);
    expect(view.timeline.filter((e) => e.kind === 'unacknowledged')).toMatchObject([{ deliveryId: item.id, detail: { reoffers: 2 } }]);
    expect(view.timeline.map((e) => e.kind)).toEqual([
      'accepted',
      'leased',
      'fetched',
      'reoffered',
      'leased',
      'fetched',
      'reoffered',
      'leased',
      'fetched',
      'unacknowledged',
    ]);
    expect(await pendingWatchdogs(gw, item.id)).toEqual([]);
    gw.clock.advance(10 * TIMEOUT_S * 1000);
    expect(await leaseInbox(gw, MUNICIPALITY)).toEqual([]); // never offered again
    expect(await watchdogsOf(gw, item.id)).toBe(5); // three fetches and two re-offers each armed one
  });

  it('a watchdog job that runs twice changes nothing the second time', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS17_discharge_home.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    const [entry] = await pendingWatchdogs(gw, item.id);
    gw.clock.advance(TIMEOUT_S * 1000);
    expect(await runReceiptWatchdog(gw.gateway.context(), entry?.id as number)).toBe('reoffered');
    expect(await runReceiptWatchdog(gw.gateway.context(), entry?.id as number)).toBe('done');
    expect((await viewMessage(gw, HOSPITAL, id)).deliveries).toMatchObject([{ state: 'waiting', reoffers: 1 }]);
    await gw.answer(MUNICIPALITY, (await leaseAndFetch(gw, MUNICIPALITY, id)).id, { status: 'positive' });
  });

  it('answered in time: the answer retires the watchdog, whose job then does nothing', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS91_clinical_email.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    expect(await pendingWatchdogs(gw, item.id)).toHaveLength(1);
    expect((await gw.answer(MUNICIPALITY, item.id, { status: 'negative', refuseCode: 'syntaksfejl' })).statusCode).toBe(200);
    gw.clock.advance(TIMEOUT_S * 1000);
    await expectWatchdogRetired(gw, item.id);
    const view = await viewMessage(gw, HOSPITAL, id);
    expect(view.deliveries).toMatchObject([{ state: 'rejected', reoffers: 0 }]);
    expect(view.timeline.map((e) => e.kind)).not.toContain('reoffered');
  });

  it('re-offered and never fetched again: re-offered up to the limit, then an unacknowledged event — and still in the inbox', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    for (const outcome of ['reoffered', 'reoffered', 'unacknowledged'] as const) {
      gw.clock.advance(TIMEOUT_S * 1000);
      expect(await fireWatchdog(gw, item.id)).toBe(outcome);
    }
    const view = await viewMessage(gw, HOSPITAL, id);
    expect(view.deliveries).toMatchObject([{ state: 'waiting', reoffers: 2, receiptDueAt: null }]);
    expect(view.timeline.filter((e) => e.kind === 'unacknowledged')).toMatchObject([{ detail: { reoffers: 2, stillOffered: true } }]);
    expect(await pendingWatchdogs(gw, item.id)).toEqual([]);
    const stillThere = await leaseInbox(gw, MUNICIPALITY); // nothing accepted is lost
    expect(stillThere.map((i) => i.id)).toContain(item.id);
    await fetchItems(gw, MUNICIPALITY, stillThere);
  });

  it('a receipt after the first re-offer ends the re-offers', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS17_discharge_home.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    gw.clock.advance(TIMEOUT_S * 1000);
    expect(await fireWatchdog(gw, item.id)).toBe('reoffered');
    await leaseAndFetch(gw, MUNICIPALITY, id);
    expect((await gw.answer(MUNICIPALITY, item.id, { status: 'positive' })).statusCode).toBe(200);
    gw.clock.advance(TIMEOUT_S * 1000);
    await expectWatchdogRetired(gw, item.id);
    expect((await viewMessage(gw, HOSPITAL, id)).deliveries).toMatchObject([{ state: 'acknowledged', reoffers: 1 }]);
    await fetchItems(gw, HOSPITAL, await leaseInbox(gw, HOSPITAL, '?limit=100')); // the receipts
  });

  it('MEDCOM_RECEIPT_MAX_REOFFERS=0: unacknowledged at the first timeout', async () => {
    const ctx = gw.gateway.context();
    const noReoffers = { ...ctx, settings: { ...ctx.settings, receiptMaxReoffers: 0 } };
    const id = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'pluspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    gw.clock.advance(TIMEOUT_S * 1000);
    expect(await fireWatchdog(gw, item.id, noReoffers)).toBe('unacknowledged');
    expect((await viewMessage(gw, HOSPITAL, id)).deliveries).toMatchObject([{ state: 'unacknowledged', reoffers: 0 }]);
  });

  it('each copy receiver has its own watchdog: the GP that does not answer is re-offered, the receiver that answered is not', async () => {
    const id = await post(gw, HOSPITAL_2, body('GGOP_rehabilitation_plan.xml', 'pluspositivkvitt'));
    const main = await leaseAndFetch(gw, MUNICIPALITY_2, id);
    const copy = await leaseAndFetch(gw, GP, id);
    expect(copy.role).toBe('cc');
    expect((await gw.answer(MUNICIPALITY_2, main.id, { status: 'positive' })).statusCode).toBe(200);
    gw.clock.advance(TIMEOUT_S * 1000);
    await expectWatchdogRetired(gw, main.id);
    expect(await fireWatchdog(gw, copy.id)).toBe('reoffered');
    const view = await viewMessage(gw, HOSPITAL_2, id);
    expect(view.deliveries.map((d) => [d.receiver, d.role, d.state, d.reoffers]).sort()).toEqual(
      [
        [MUNICIPALITY_2, 'receiver', 'acknowledged', 0],
        [GP, 'cc', 'waiting', 1],
      ].sort(),
    );
    expect(view.timeline.find((e) => e.kind === 'reoffered')?.deliveryId).toBe(copy.id);
    await leaseAndFetch(gw, GP, id);
    await gw.answer(GP, copy.id, { status: 'positive' });
  });

  it('minuspositivkvitt: a fetched message is complete; no watchdog is armed and nothing is re-offered', async () => {
    const id = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'minuspositivkvitt'));
    const item = await leaseAndFetch(gw, MUNICIPALITY, id);
    expect(item.ackRequested).toBe(false);
    expect(await watchdogsOf(gw, item.id)).toBe(0);
    gw.clock.advance(100 * TIMEOUT_S * 1000);
    expect(await leaseInbox(gw, MUNICIPALITY)).toEqual([]);
    const view = await viewMessage(gw, HOSPITAL, id);
    expect(view.ackRequested).toBe(false);
    expect(view.deliveries).toMatchObject([{ state: 'delivered', receiptDueAt: null, reoffers: 0 }]);
    expect(view.timeline.map((e) => e.kind)).toEqual(['accepted', 'leased', 'fetched']);
  });
});

/** Polls the message view until `check` passes (the timer worker runs on real time). */
async function eventually(gw: TestGateway, id: string, check: (view: Awaited<ReturnType<typeof viewMessage>>) => void, timeout = 10_000): Promise<void> {
  await vi.waitFor(async () => check(await viewMessage(gw, 'ops', id)), { timeout, interval: 50 });
}

describe('the watchdog through the timer worker (MEDCOM_RECEIPT_TIMEOUT_SECONDS=1)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { MEDCOM_RECEIPT_TIMEOUT_SECONDS: '1', MEDCOM_RECEIPT_MAX_REOFFERS: '1' } });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('re-offers once, then marks the delivery unacknowledged; minuspositivkvitt is never touched', async () => {
    const plus = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'pluspositivkvitt'));
    const minus = await post(gw, HOSPITAL_2, body('XDIS20_windows-1252.xml', 'minuspositivkvitt'));
    await leaseAndFetch(gw, MUNICIPALITY, plus);
    await leaseAndFetch(gw, MUNICIPALITY_2, minus);
    gw.clock.advance(1500);
    await eventually(gw, plus, (view) => expect(view.deliveries).toMatchObject([{ state: 'waiting', reoffers: 1 }]));

    await leaseAndFetch(gw, MUNICIPALITY, plus);
    gw.clock.advance(1500);
    await eventually(gw, plus, (view) => expect(view.deliveries).toMatchObject([{ state: 'unacknowledged', reoffers: 1 }]));
    expect((await viewMessage(gw, HOSPITAL, plus)).timeline.map((e) => e.kind)).toEqual([
      'accepted',
      'leased',
      'fetched',
      'reoffered',
      'leased',
      'fetched',
      'unacknowledged',
    ]);

    const view = await viewMessage(gw, HOSPITAL_2, minus);
    expect(view.deliveries).toMatchObject([{ state: 'delivered', reoffers: 0 }]);
    expect(view.timeline.map((e) => e.kind)).toEqual(['accepted', 'leased', 'fetched']);
  });
});

describe('Redis flushed in the middle of a flow', () => {
  let redis: PrivateRedis;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    gw = await startTestGateway({
      env: {
        REDIS_URL: redis.url,
        MEDCOM_RECEIPT_TIMEOUT_SECONDS: '1',
        MEDCOM_RECEIPT_MAX_REOFFERS: '1',
        // Only the test reconciles (after the start-up pass).
        MEDCOM_RECONCILE_INTERVAL_MS: '3600000',
      },
    });
    await gw.gateway.pipeline().ready();
  });

  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('loses no message, no timer and no wake-up: the reconciler re-creates the watchdog from the outbox', async () => {
    // Before the flush: one message fetched (its watchdog queued in Redis), one waiting, one on its way.
    const fetched = await post(gw, HOSPITAL, body('XDIS20_admission_acute.xml', 'pluspositivkvitt'));
    const fetchedItem = await leaseAndFetch(gw, MUNICIPALITY, fetched);
    const waitingBody = body('XDIS20_windows-1252.xml', 'pluspositivkvitt');
    const waiting = await post(gw, HOSPITAL_2, waitingBody);
    // One receipt watchdog (the fetched message); the admission advices start no deadline timer (D19 is judged at arrival).
    expect((await gw.gateway.pipeline().queues.timers.getDelayed()).filter((job) => job.name === 'receipt-watchdog')).toHaveLength(1);

    await redis.flushAll();
    expect(await gw.gateway.pipeline().queues.timers.getJobCounts('delayed', 'wait', 'active')).toEqual({ delayed: 0, wait: 0, active: 0 });

    // The timer is gone from Redis: past its due time nothing happens…
    gw.clock.advance(1500);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await viewMessage(gw, 'ops', fetched)).deliveries).toMatchObject([{ state: 'delivered', reoffers: 0 }]);

    // …until the reconciler rebuilds the jobs from the outbox.
    const reconciled = await gw.gateway.pipeline().reconcileOnce();
    expect(reconciled.recreated).toBeGreaterThanOrEqual(1);
    await eventually(gw, fetched, (view) => expect(view.deliveries).toMatchObject([{ state: 'waiting', reoffers: 1 }]));

    // The store kept everything else: the waiting message is still offered, byte for byte.
    const [item] = await leaseInbox(gw, MUNICIPALITY_2);
    expect(item?.messageId).toBe(waiting);
    const [response] = await fetchItems(gw, MUNICIPALITY_2, [item as InboxItemJson]);
    expect(response?.rawPayload.equals(waitingBody)).toBe(true);

    // Posting, long-poll wake-ups and receipts work after the flush.
    const started = Date.now();
    const polling = leaseInbox(gw, HOSPITAL_2, '?wait=5');
    await vi.waitFor(() => expect(gw.gateway.pipeline().notifier.waiterCount(HOSPITAL_2)).toBe(1), { timeout: 4000, interval: 10 });
    expect((await gw.answer(MUNICIPALITY_2, (item as InboxItemJson).id, { status: 'positive' })).statusCode).toBe(200);
    const receipts = await polling;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(receipts.map((r) => [r.sender, r.letters[0]?.type])).toEqual([[MUNICIPALITY_2, 'XCTL03']]);
    await fetchItems(gw, HOSPITAL_2, receipts);

    const again = await leaseAndFetch(gw, MUNICIPALITY, fetched);
    expect(again.id).toBe(fetchedItem.id);
    expect((await gw.answer(MUNICIPALITY, again.id, { status: 'positive' })).statusCode).toBe(200);
    expect((await viewMessage(gw, HOSPITAL, fetched)).deliveries).toMatchObject([{ state: 'acknowledged', reoffers: 1 }]);
    expect((await viewMessage(gw, HOSPITAL_2, waiting)).deliveries).toMatchObject([{ state: 'acknowledged' }]);

    // Nothing pending is left without its job.
    expect((await gw.gateway.pipeline().reconcileOnce()).recreated).toBe(0);
  });
});

/**
 * /metrics after a scripted flow: each gateway metric with the value the flow must give it, labels
 * only from the register, the catalogue and the rules, and no patient data anywhere in the text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/app/context.js';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { recordPushFailure } from '../../src/app/delivery-lifecycle.js';
import { cachedFor } from '../../src/runtime/gateway-metrics.js';
import { pendingOutbox } from '../../src/store/outbox.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fetchItems, leaseInbox, psychiatricAdmission, renumber, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';

const CPR = '0101501234';

/** The value of one sample of the Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe('gateway metrics', () => {
  let gw: TestGateway;
  let ctx: GatewayContext;
  const config = testConfigDir((c) => {
    const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
    if (receiver) receiver.delivery = { mode: 'push', url: 'http://127.0.0.1:9/medcom' };
  });
  const scrape = async (): Promise<string> => {
    const response = await gw.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer demo-ops' } });
    expect(response.statusCode).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: config.dir } });
    ctx = gw.gateway.context();
  });

  afterAll(async () => {
    await gw?.close();
    config.remove();
  });

  it('shows every endpoint of the register with an empty backlog before anything happens', async () => {
    const text = await scrape();
    for (const ean of [HOSPITAL, MUNICIPALITY, MUNICIPALITY_2]) {
      expect(sample(text, 'medcom_inbox_depth', { endpoint: ean })).toBe(0);
      expect(sample(text, 'medcom_dead_lettered', { endpoint: ean })).toBe(0);
      expect(sample(text, 'medcom_inbox_oldest_age_seconds', { endpoint: ean })).toBeUndefined();
      expect(sample(text, 'medcom_endpoint_seconds_since_poll', { endpoint: ean })).toBeUndefined();
    }
    expect(sample(text, 'medcom_letters_accepted_total')).toBeUndefined();
  });

  it('counts accepted letters by type, duplicates apart, and refusals by type and reason', async () => {
    expect((await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'MET-E1', letter: 'MET-L1' }))).statusCode).toBeLessThan(300);
    expect((await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'MET-E2', letter: 'MET-L1' }))).statusCode).toBeLessThan(300);
    expect((await gw.post(HOSPITAL, '<Emessage><broken')).statusCode).toBe(400);
    const text = await scrape();
    expect(sample(text, 'medcom_letters_accepted_total', { type: 'XDIS17', duplicate: 'false' })).toBe(1);
    expect(sample(text, 'medcom_letters_accepted_total', { type: 'XDIS17', duplicate: 'true' })).toBe(1);
    expect(sample(text, 'medcom_messages_rejected_total', { type: 'unknown', reason: 'not-well-formed' })).toBe(1);
  });

  it('shows the backlog, the oldest age and the seconds since the last poll per endpoint', async () => {
    gw.clock.advance(120_000);
    let text = await scrape();
    expect(sample(text, 'medcom_inbox_waiting', { endpoint: MUNICIPALITY })).toBe(1);
    expect(sample(text, 'medcom_inbox_depth', { endpoint: MUNICIPALITY })).toBe(1);
    expect(sample(text, 'medcom_inbox_oldest_age_seconds', { endpoint: MUNICIPALITY })).toBe(120);

    const items = await leaseInbox(gw, MUNICIPALITY);
    gw.clock.advance(30_000);
    text = await scrape();
    expect(sample(text, 'medcom_inbox_leased', { endpoint: MUNICIPALITY })).toBe(items.length);
    expect(sample(text, 'medcom_endpoint_seconds_since_poll', { endpoint: MUNICIPALITY })).toBe(30);
    expect(sample(text, 'medcom_inbox_oldest_age_seconds', { endpoint: MUNICIPALITY })).toBe(150);

    await fetchItems(gw, MUNICIPALITY, items);
    gw.clock.advance(42_000);
    for (const item of items) expect((await gw.answer(MUNICIPALITY, item.id, { status: 'positive' })).statusCode).toBe(200);
    text = await scrape();
    expect(sample(text, 'medcom_deliveries_total', { mode: 'pull', outcome: 'delivered' })).toBe(items.length);
    expect(sample(text, 'medcom_deliveries_total', { mode: 'pull', outcome: 'acknowledged' })).toBe(items.length);
    expect(sample(text, 'medcom_receipt_latency_seconds_count')).toBe(items.length);
    expect(sample(text, 'medcom_receipt_latency_seconds_sum')).toBe(42 * items.length);
    expect(sample(text, 'medcom_receipt_latency_seconds_bucket', { le: '60' })).toBe(items.length);
    expect(sample(text, 'medcom_receipt_latency_seconds_bucket', { le: '15' })).toBe(0);
    expect(sample(text, 'medcom_inbox_depth', { endpoint: MUNICIPALITY })).toBe(0);
    expect(sample(text, 'medcom_inbox_oldest_age_seconds', { endpoint: MUNICIPALITY })).toBeUndefined();
  });

  it('counts dead letters, push outcomes, queue depths and deadline breaches by rule', async () => {
    expect((await gw.post(HOSPITAL_2, renumber('XDIS20_windows-1252.xml', { envelope: 'MET-E4', letter: 'MET-L4' }))).statusCode).toBeLessThan(300);
    let text = await scrape();
    // The workers are off in this test, so the push job waits in its queue.
    expect(sample(text, 'medcom_queue_jobs', { queue: 'push', state: 'waiting' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'medcom_queue_jobs', { queue: 'timers', state: 'delayed' })).toBeGreaterThanOrEqual(1);

    const push = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'push');
    const deliveryId = push?.kind === 'push' ? push.deliveryId : '';
    await recordPushFailure(ctx, push?.id ?? 0, deliveryId, 'HTTP 503', false);
    await recordPushFailure(ctx, push?.id ?? 0, deliveryId, 'HTTP 503', true);
    text = await scrape();
    expect(sample(text, 'medcom_deliveries_total', { mode: 'push', outcome: 'push-failed' })).toBe(1);
    expect(sample(text, 'medcom_deliveries_total', { mode: 'push', outcome: 'dead-lettered' })).toBe(1);
    expect(sample(text, 'medcom_dead_lettered', { endpoint: MUNICIPALITY_2 })).toBe(1);

    expect((await gw.post(HOSPITAL, psychiatricAdmission({ envelope: 'MET-E5', letter: 'MET-L5' }))).statusCode).toBe(202);
    const timer = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'deadline-breach');
    expect(timer).toBeDefined();
    gw.clock.advance(Math.max(0, (timer?.dueAt.getTime() ?? 0) - gw.clock.now().getTime()) + 1000);
    const breach = await runDeadlineBreach(ctx, timer?.id ?? 0);
    expect(breach.outcome).toBe('breached');
    const rule = breach.deadline?.ruleId ?? '';
    text = await scrape();
    expect(sample(text, 'medcom_deadline_breaches_total', { rule })).toBe(1);
    expect(sample(text, 'medcom_deadline_breaches_today', { rule })).toBe(1);
  });

  it('holds no CPR number and no message identifiers', async () => {
    const text = await scrape();
    expect(text).not.toContain(CPR);
    expect(text).not.toMatch(/MET-[EL]\d/);
    const endpoints = new Set([...text.matchAll(/endpoint="(\d+)"/g)].map((m) => m[1]));
    expect([...endpoints].every((ean) => ctx.register.find(ean ?? '') !== undefined)).toBe(true);
  });
});

describe('the scrape cache', () => {
  it('reads once per interval, shares a read in flight, and forgets a failed read', async () => {
    let t = 0;
    let reads = 0;
    let fail = false;
    const read = cachedFor(
      5_000,
      async () => {
        reads += 1;
        if (fail) throw new Error('store away');
        return reads;
      },
      () => t,
    );
    expect(await Promise.all([read(), read()])).toEqual([1, 1]);
    t = 4_999;
    expect(await read()).toBe(1);
    t = 5_000;
    fail = true;
    await expect(read()).rejects.toThrow('store away');
    fail = false;
    expect(await read()).toBe(3);
    expect(reads).toBe(3);
  });
});

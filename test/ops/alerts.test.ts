/**
 * Alert rules over a real store and Redis: each kind raises once and clears with an injected clock;
 * the list route; the webhook called on a local server (allowed loopback) and retried after a 500;
 * alerts.json mistakes refused at load with file, JSON path and fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateAlerts, type AlertChanges } from '../../src/app/alerts.js';
import type { GatewayContext } from '../../src/app/context.js';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { recordPushFailure, runReceiptWatchdog } from '../../src/app/delivery-lifecycle.js';
import { retryDeadLetters } from '../../src/app/ops-dead-letters.js';
import { buildAlertConfig, loadAlertConfig } from '../../src/config/alerts-config.js';
import { ConfigError } from '../../src/config/endpoints.js';
import type { AlertConfig } from '../../src/domain/alerts.js';
import { isLoopbackHost } from '../../src/domain/alerts.js';
import type { AlertNotification } from '../../src/pipeline/alert-webhook.js';
import { pendingOutbox } from '../../src/store/outbox.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fetchItems, leaseInbox, psychiatricAdmission, renumber, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';

const RULES = [
  { id: 'stale', kind: 'inbox-oldest-age', minutes: 10 },
  { id: 'silent', kind: 'endpoint-not-polling', minutes: 5 },
  { id: 'unacked', kind: 'unacknowledged', over: 0 },
  { id: 'dead', kind: 'dead-letter' },
  { id: 'breaches', kind: 'deadline-breaches', over: 0 },
];

const keysOf = (alerts: AlertChanges['raised']): string[] => alerts.map((a) => `${a.ruleId}:${a.subject}`).sort();

function configWith(alerts: unknown) {
  const config = testConfigDir((c) => {
    const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
    if (receiver) receiver.delivery = { mode: 'push', url: 'http://127.0.0.1:9/medcom' };
  });
  writeFileSync(join(config.dir, 'alerts.json'), JSON.stringify(alerts));
  return config;
}

describe('alert rules', () => {
  let gw: TestGateway;
  let ctx: GatewayContext;
  let rules: AlertConfig;
  const config = configWith({ intervalSeconds: 3600, rules: RULES });
  const evaluate = () => evaluateAlerts(ctx, rules);

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_RECEIPT_MAX_REOFFERS: '0' } });
    ctx = gw.gateway.context();
    rules = loadAlertConfig(config.dir);
  });

  afterAll(async () => {
    await gw?.close();
    config.remove();
  });

  it('raises nothing while all is well', async () => {
    expect(await evaluate()).toEqual({ raised: [], cleared: [] });
  });

  it('inbox-oldest-age: raised once when the oldest waiting message passes the limit, cleared when it is fetched', async () => {
    expect((await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'AL-E1', letter: 'AL-L1' }))).statusCode).toBeLessThan(300);
    gw.clock.advance(10 * 60_000);
    expect((await evaluate()).raised).toEqual([]);
    gw.clock.advance(1000);
    const first = await evaluate();
    expect(keysOf(first.raised)).toEqual([`stale:${MUNICIPALITY}`]);
    expect(first.raised[0]?.message).toContain('10 minutes old');
    expect(await evaluate()).toEqual({ raised: [], cleared: [] });

    const items = await leaseInbox(gw, MUNICIPALITY);
    await fetchItems(gw, MUNICIPALITY, items);
    expect(keysOf((await evaluate()).cleared)).toEqual([`stale:${MUNICIPALITY}`]);
  });

  it('endpoint-not-polling: raised after the limit without a poll, cleared by the next poll', async () => {
    gw.clock.advance(5 * 60_000 + 1000);
    expect(keysOf((await evaluate()).raised)).toEqual([`silent:${MUNICIPALITY}`]);
    await leaseInbox(gw, MUNICIPALITY);
    expect(keysOf((await evaluate()).cleared)).toEqual([`silent:${MUNICIPALITY}`]);
  });

  it('unacknowledged: raised when a receipt never came after the resends, cleared by a late receipt', async () => {
    const watchdog = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'receipt-watchdog');
    expect(watchdog).toBeDefined();
    gw.clock.advance(Math.max(0, (watchdog?.dueAt.getTime() ?? 0) - gw.clock.now().getTime()) + 1000);
    expect(await runReceiptWatchdog(ctx, watchdog?.id ?? 0)).toBe('unacknowledged');
    await leaseInbox(gw, MUNICIPALITY); // keeps the polling rule quiet
    expect(keysOf((await evaluate()).raised)).toEqual([`unacked:${MUNICIPALITY}`]);

    const deliveryId = watchdog?.kind === 'receipt-watchdog' ? watchdog.deliveryId : '';
    expect((await gw.answer(MUNICIPALITY, deliveryId, { status: 'positive' })).statusCode).toBe(200);
    expect(keysOf((await evaluate()).cleared)).toEqual([`unacked:${MUNICIPALITY}`]);
  });

  it('dead-letter: raised by any dead letter, cleared when it is retried', async () => {
    expect((await gw.post(HOSPITAL_2, renumber('XDIS20_windows-1252.xml', { envelope: 'AL-E4', letter: 'AL-L4' }))).statusCode).toBeLessThan(300);
    const push = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'push');
    const deliveryId = push?.kind === 'push' ? push.deliveryId : '';
    await recordPushFailure(ctx, push?.id ?? 0, deliveryId, 'HTTP 503', true);
    expect(keysOf((await evaluate()).raised)).toEqual([`dead:${MUNICIPALITY_2}`]);
    await retryDeadLetters(ctx, { name: 'Jens Hansen', keyId: 'k-jens' }, { ids: [deliveryId], reason: 'the receiver is back' });
    expect(keysOf((await evaluate()).cleared)).toEqual([`dead:${MUNICIPALITY_2}`]);
  });

  it('deadline-breaches: raised when a rule is breached more than allowed today, cleared the next day', async () => {
    expect((await gw.post(HOSPITAL, psychiatricAdmission({ envelope: 'AL-E5', letter: 'AL-L5' }))).statusCode).toBe(202);
    const timer = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'deadline-breach');
    expect(timer).toBeDefined();
    gw.clock.advance(Math.max(0, (timer?.dueAt.getTime() ?? 0) - gw.clock.now().getTime()) + 1000);
    const breach = await runDeadlineBreach(ctx, timer?.id ?? 0);
    expect(breach.outcome).toBe('breached');
    const raised = await evaluate();
    expect(keysOf(raised.raised)).toContain(`breaches:${breach.deadline?.ruleId}`);

    gw.clock.advance(86_400_000);
    await leaseInbox(gw, MUNICIPALITY);
    expect(keysOf((await evaluate()).cleared)).toContain(`breaches:${breach.deadline?.ruleId}`);
  });

  it('lists open and cleared alerts for operations keys only', async () => {
    gw.clock.advance(10 * 60_000);
    await evaluate(); // the push endpoint's backlog is old now
    const response = await gw.request({ method: 'GET', url: '/api/v1/ops/alerts', headers: { authorization: 'Bearer demo-ops' } });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ open: { rule: string; subject: string; clearedAt: null }[]; cleared: { rule: string }[] }>();
    expect(body.open.map((a) => `${a.rule}:${a.subject}`)).toContain(`stale:${MUNICIPALITY_2}`);
    expect(body.cleared.map((a) => a.rule)).toEqual(expect.arrayContaining(['stale', 'silent', 'unacked', 'dead']));
    expect((await gw.get(MUNICIPALITY, '/api/v1/ops/alerts')).statusCode).toBe(403);
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/alerts?cleared=-1', headers: { authorization: 'Bearer demo-ops' } })).statusCode).toBe(400);
  });
});

describe('the alert webhook', () => {
  let server: Server;
  let url: string;
  let answers: number[] = [];
  const received: { body: AlertNotification; status: number }[] = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const status = answers.shift() ?? 204;
        received.push({ body: JSON.parse(text) as AlertNotification, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs a raised alert as JSON, retrying after a 500', async () => {
    const config = configWith({ intervalSeconds: 3600, webhook: { url, allowLoopback: true, retryDelayMs: 20, attempts: 4 }, rules: [{ id: 'stale', kind: 'inbox-oldest-age', minutes: 1 }] });
    const gw = await startTestGateway({ workers: true, env: { MEDCOM_CONFIG_DIR: config.dir } });
    try {
      answers = [500];
      expect((await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'WH-E1', letter: 'WH-L1' }))).statusCode).toBeLessThan(300);
      gw.clock.advance(2 * 60_000);
      const alerts = gw.gateway.pipeline().alerts;
      const heard: AlertNotification[] = [];
      alerts?.onChange((n) => heard.push(n));
      const changes = await alerts?.evaluateOnce();
      expect(keysOf(changes?.raised ?? [])).toEqual([`stale:${MUNICIPALITY}`]);
      expect(heard.map((n) => n.event)).toEqual(['alert-raised']);
      await vi.waitFor(() => expect(received.map((r) => r.status)).toEqual([500, 204]), { timeout: 10_000, interval: 50 });
      expect(received[1]?.body).toMatchObject({ event: 'alert-raised', alert: { rule: 'stale', kind: 'inbox-oldest-age', subject: MUNICIPALITY, clearedAt: null } });
      expect(JSON.stringify(received)).not.toContain('0101501234');
    } finally {
      await gw.close();
      config.remove();
    }
  });
});

describe('alerts.json validation', () => {
  const refusal = (raw: unknown): string => {
    try {
      buildAlertConfig(raw, 'config/alerts.json');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts the shipped file and an absent one', () => {
    expect(loadAlertConfig(join(import.meta.dirname, '../../config')).rules.length).toBeGreaterThan(0);
    const empty = mkdtempSync(join(tmpdir(), 'medcom-alerts-'));
    expect(loadAlertConfig(empty).rules).toEqual([]);
    rmSync(empty, { recursive: true });
  });

  it('names the file, the JSON path and the fix', () => {
    expect(refusal({ rules: [{ id: 'a', kind: 'inbox-age', minutes: 5 }] })).toMatch(/config\/alerts\.json\/rules\/0\/kind: .*inbox-oldest-age/);
    expect(refusal({ rules: [{ id: 'a', kind: 'inbox-oldest-age' }] })).toMatch(/config\/alerts\.json\/rules\/0: must have required property 'minutes'/);
    expect(refusal({ rules: [{ id: 'a', kind: 'unacknowledged', over: -1 }] })).toMatch(/\/rules\/0\/over: must be >= 0/);
    expect(refusal({ rules: [{ id: 'a', kind: 'dead-letter', minute: 3 }] })).toMatch(/\/rules\/0: must NOT have additional properties "minute" — remove it/);
    expect(refusal({ rules: [{ id: 'a', kind: 'dead-letter' }, { id: 'a', kind: 'dead-letter' }] })).toMatch(/\/rules\/1\/id: "a" is used twice/);
    expect(refusal({ rule: [] })).toMatch(/config\/alerts\.json\/: must have required property 'rules'/);
    expect(refusal({ rules: [], webhook: { url: 'ftp://example.org/x' } })).toMatch(/\/webhook\/url: .*http:\/\/ or https:\/\//);
  });

  it('refuses a loopback webhook unless allowLoopback is set', () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'https://[::1]/hook', 'http://127.1.2.3/x']) {
      expect(refusal({ rules: [], webhook: { url } })).toMatch(/\/webhook\/url: .* is a loopback address.*"allowLoopback": true/);
    }
    expect(buildAlertConfig({ rules: [], webhook: { url: 'http://127.0.0.1:8080/hook', allowLoopback: true } }, 'f').webhook?.allowLoopback).toBe(true);
    expect(buildAlertConfig({ rules: [], webhook: { url: 'https://alerts.example.org/hook' } }, 'f').webhook?.url).toBe('https://alerts.example.org/hook');
    expect(isLoopbackHost('alerts.example.org')).toBe(false);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
  });
});

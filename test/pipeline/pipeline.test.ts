/**
 * The queue side end to end, on real PostgreSQL and real Redis: messages accepted through the
 * lead's use case, pushed by the push worker to a local HTTP endpoint, re-offered by the receipt
 * watchdog through the timer queue, and rebuilt from the outbox after Redis lost everything.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acceptMessage } from '../../src/app/accept-message.js';
import type { GatewayContext } from '../../src/app/context.js';
import { patientRefFunction } from '../../src/app/context.js';
import { loadDeadlineConfig } from '../../src/config/deadline-config.js';
import { leaseItems } from '../../src/app/inbox.js';
import { MessageCodec } from '../../src/codec/decode-message.js';
import { buildEndpointRegister } from '../../src/config/endpoints.js';
import type { EndpointRegister } from '../../src/domain/endpoint.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { startPipeline } from '../../src/pipeline/pipeline.js';
import type { RunningPipeline } from '../../src/pipeline/running-pipeline.js';
import type { Database } from '../../src/store/database.js';
import { getDelivery } from '../../src/store/delivery-store.js';
import { deliveriesOfMessage, patientRefKey, timelineOf } from '../../src/store/message-store.js';
import type { DeliveryRecord, EventRecord } from '../../src/store/records.js';
import { withTimeout } from '../../src/with-timeout.js';
import { dropTestDatabase, openTestDatabase, type TestDatabaseKind } from '../support/store.js';
import { TEST_REDIS_URL, deleteKeysWithPrefix, startPrivateRedis, uniqueQueuePrefix, type PrivateRedis } from '../support/redis.js';

const LOADED_RULES = loadDeadlineConfig(fromPackageRoot('config')).deadlineRules;
const NO_DEADLINES = { deadlineRules: { ...LOADED_RULES, rules: [], profiles: [] }, deadlineCorrelation: { fulfilling: new Set<string>() } };

const SENDER = '5790000000012'; // Regionshospitalet Demo: pulls (receives the XCTL01)
const RECEIVER = '5790000000036'; // Demo Kommune Nord: made a push endpoint here
const ADMISSION = readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS20_admission_acute.xml'));
const ADMISSION_ENVELOPE = 'RHD2603090001';
const CONTENT_TYPE = 'application/xml; charset=UTF-8';
const silent = createLogger({ level: 'silent' });

/** Log lines a pipeline wrote, parsed (to see which paths ran; bodies never appear in them). */
class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }
  messages(): string[] {
    return this.lines.map((line) => String(line.msg));
  }
}
const codec = new MessageCodec();

const rawConfig = JSON.parse(readFileSync(fromPackageRoot('config', 'endpoints.json'), 'utf8')) as {
  endpoints: { ean: string; delivery: { mode: string; url?: string } }[];
};

/** The demo register with the municipality receiving by push at `url`. */
function registerPushingTo(url: string): EndpointRegister {
  const config = structuredClone(rawConfig);
  const endpoint = config.endpoints.find((e) => e.ean === RECEIVER);
  if (!endpoint) throw new Error(`${RECEIVER} is not in config/endpoints.json`);
  endpoint.delivery = { mode: 'push', url };
  return buildEndpointRegister(config, 'test');
}

/** A receiving system on 127.0.0.1 whose answers the test decides. */
class PushEndpoint {
  readonly requests: { headers: IncomingHttpHeaders; body: Buffer; at: number }[] = [];
  /** The status for the n-th request (1-based). */
  answer: (n: number) => number = () => 200;
  delayMs = 0;
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({ headers: request.headers, body: Buffer.concat(chunks), at: Date.now() });
      const status = this.answer(this.requests.length);
      setTimeout(() => response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now'), this.delayMs);
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/medcom/inbound`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Real time plus an offset the test moves: another process's clock, a little off. */
function testClock(): { now: () => Date; shift(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    shift: (ms) => {
      offset += ms;
    },
  };
}

interface Harness {
  readonly db: Database;
  readonly ctx: GatewayContext;
  readonly pipeline: RunningPipeline;
  readonly endpoint: PushEndpoint;
  readonly clock: ReturnType<typeof testClock>;
  readonly settings: Settings;
  readonly prefix: string;
  readonly logs: LogLines;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(
  options: { kind?: TestDatabaseKind; env?: Record<string, string>; workers?: boolean; redisUrl?: string; endpoint?: PushEndpoint; logLevel?: string } = {},
): Promise<Harness> {
  const db = await openTestDatabase(options.kind ?? 'postgres');
  cleanups.push(() => dropTestDatabase(db));
  const endpoint = options.endpoint ?? new PushEndpoint();
  if (!options.endpoint) {
    await endpoint.start();
    cleanups.push(() => endpoint.close());
  }
  const prefix = uniqueQueuePrefix('pipeline');
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  cleanups.push(() => deleteKeysWithPrefix(prefix, redisUrl).catch(() => 0));
  const settings = readSettings({
    REDIS_URL: redisUrl,
    MEDCOM_QUEUE_PREFIX: prefix,
    MEDCOM_PUSH_MAX_ATTEMPTS: '4',
    MEDCOM_PUSH_BACKOFF_MS: '40',
    MEDCOM_PUSH_TIMEOUT_MS: '2000',
    MEDCOM_RECEIPT_TIMEOUT_SECONDS: '3600',
    MEDCOM_RECONCILE_INTERVAL_MS: '3600000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const clock = testClock();
  const base = {
    db,
    codec,
    register: registerPushingTo(endpoint.url),
    settings,
    clock: clock.now,
    patientRef: patientRefFunction(await patientRefKey(db)),
    // The pipeline's own flows are under test: no deadline rules, so no breach timers share the queues.
    ...NO_DEADLINES,
  };
  const logs = new LogLines();
  const logger = options.logLevel ? createLogger({ level: options.logLevel }, logs) : silent;
  const pipeline = await startPipeline({ ...base, logger }, { workers: options.workers ?? true });
  cleanups.push(() => pipeline.close());
  await pipeline.ready();
  return { db, ctx: { ...base, signals: pipeline.signals }, pipeline, endpoint, clock, settings, prefix, logs };
}

async function acceptAdmission(h: Harness): Promise<{ messageId: string; delivery: DeliveryRecord }> {
  const result = await acceptMessage(h.ctx, SENDER, { body: ADMISSION, contentType: CONTENT_TYPE });
  expect(result.kind).toBe('accepted');
  const messageId = result.response.id;
  const delivery = (await deliveriesOfMessage(h.db, messageId)).find((d) => d.receiverEan === RECEIVER);
  if (!delivery) throw new Error('no delivery to the push receiver');
  expect(delivery.mode).toBe('push');
  return { messageId, delivery };
}

/** Polls `probe` until it returns something other than undefined/false. */
async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function deliveryState(h: Harness, id: string, state: DeliveryRecord['state'], timeoutMs = 10_000): Promise<DeliveryRecord> {
  return eventually(async () => {
    const delivery = await getDelivery(h.db, id);
    return delivery?.state === state ? delivery : undefined;
  }, timeoutMs, `delivery ${id} ${state}`);
}

async function eventsOf(h: Harness, messageId: string, deliveryId: string): Promise<EventRecord[]> {
  return (await timelineOf(h.db, messageId)).events.filter((e) => e.deliveryId === deliveryId);
}

async function outboxRows(h: Harness, deliveryId: string): Promise<{ id: number; kind: string; due_at: Date; done_at: Date | null }[]> {
  const { rows } = await h.db.query<{ id: number; kind: string; due_at: Date; done_at: Date | null }>(
    'SELECT id, kind, due_at, done_at FROM outbox WHERE delivery_id = $1 ORDER BY id',
    [deliveryId],
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), due_at: new Date(row.due_at) }));
}

describe.each(['postgres', 'pglite'] as const)('push delivery (%s)', (kind) => {
  it('fails twice, then succeeds: delivered, attempts counted, events in order, bytes and headers as sent', async () => {
    const h = await harness({ kind });
    h.endpoint.answer = (n) => (n <= 2 ? 503 : 202);
    const { messageId, delivery } = await acceptAdmission(h);

    const delivered = await deliveryState(h, delivery.id, 'delivered');
    expect(delivered.pushAttempts).toBe(3);
    expect(h.endpoint.requests).toHaveLength(3);

    const sha256 = createHash('sha256').update(ADMISSION).digest('hex');
    for (const request of h.endpoint.requests) {
      expect(request.body.equals(ADMISSION)).toBe(true);
      expect(request.headers['content-type']).toBe(CONTENT_TYPE);
      expect(request.headers['x-medcom-delivery-id']).toBe(delivery.id);
      expect(request.headers['x-medcom-message-id']).toBe(messageId);
      expect(request.headers['x-medcom-envelope-id']).toBe(ADMISSION_ENVELOPE);
      expect(request.headers['x-content-sha256']).toBe(sha256);
    }
    // Exponential backoff from 40 ms, jitter ±20 %: ≥ 32 ms, then ≥ 64 ms.
    const [first, second, third] = h.endpoint.requests.map((r) => r.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(30);
    expect(third - second).toBeGreaterThanOrEqual(60);

    const events = await eventsOf(h, messageId, delivery.id);
    expect(events.map((e) => e.kind)).toEqual(['push-failed', 'push-failed', 'pushed']);
    expect(events.map((e) => e.detail)).toEqual([
      { attempt: 1, reason: 'HTTP 503', final: false },
      { attempt: 2, reason: 'HTTP 503', final: false },
      { httpStatus: 202 },
    ]);
    expect((await timelineOf(h.db, messageId)).events[0]?.kind).toBe('accepted');

    // The push row is done; the receipt watchdog (the admission asks for a positive receipt) waits
    // as a delayed job whose payload is ids only.
    const rows = await outboxRows(h, delivery.id);
    expect(rows.map((r) => [r.kind, r.done_at !== null])).toEqual([
      ['push', true],
      ['receipt-watchdog', false],
    ]);
    const watchdog = rows[1] as (typeof rows)[number];
    const timer = await eventually(() => h.pipeline.queues.timers.getJob(`outbox-${watchdog.id}`), 5_000, 'watchdog job');
    expect(await timer.getState()).toBe('delayed');
    expect(timer.data).toEqual({ outboxId: watchdog.id, deliveryId: delivery.id });
    // The delivery is recorded inside the job; the job itself ends (and is removed) a moment later.
    const settled = await eventually(async () => {
      const counts = await h.pipeline.queues.push.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active');
      return counts.active === 0 ? counts : undefined;
    }, 5_000, 'push job ended');
    expect(settled).toMatchObject({ completed: 0, failed: 0, waiting: 0, delayed: 0, active: 0 });

    // At-least-once: the same push job running again (a reconciler race) pushes nothing.
    const pushRow = rows[0] as (typeof rows)[number];
    await h.pipeline.signals.outbox([{ id: pushRow.id, kind: 'push', deliveryId: delivery.id, dueAt: pushRow.due_at }]);
    await eventually(async () => (await h.pipeline.queues.push.getJobState(`outbox-${pushRow.id}`)) === 'unknown', 5_000, 'second run done');
    expect(h.endpoint.requests).toHaveLength(3);
    expect((await eventsOf(h, messageId, delivery.id)).map((e) => e.kind)).toEqual(['push-failed', 'push-failed', 'pushed']);
  });
});

describe('push dead letter', () => {
  it('always failing: dead-lettered after pushMaxAttempts, the sender gets an XCTL01, the failed job is kept', async () => {
    const h = await harness({ env: { MEDCOM_PUSH_MAX_ATTEMPTS: '3', MEDCOM_PUSH_BACKOFF_MS: '20' } });
    h.endpoint.answer = () => 500;
    const { messageId, delivery } = await acceptAdmission(h);

    const dead = await deliveryState(h, delivery.id, 'dead');
    expect(dead.pushAttempts).toBe(3);
    expect(h.endpoint.requests).toHaveLength(3);
    const events = await eventsOf(h, messageId, delivery.id);
    expect(events.map((e) => [e.kind, e.detail.final ?? null])).toEqual([
      ['push-failed', false],
      ['push-failed', false],
      ['push-failed', true],
      ['dead-lettered', null],
    ]);
    const timeline = (await timelineOf(h.db, messageId)).events;
    expect(timeline.find((e) => e.kind === 'receipt-sent')?.detail).toMatchObject({ receipt: 'XCTL01' });

    // The XCTL01 waits in the sender's pull inbox, from the gateway.
    const inbox = await leaseItems(h.ctx, SENDER, 10);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.letters.map((l) => l.type)).toEqual(['XCTL01']);
    expect(inbox[0]?.sender).toBe(h.ctx.register.gatewayEan);

    const rows = await outboxRows(h, delivery.id);
    expect(rows.map((r) => [r.kind, r.done_at !== null])).toEqual([['push', true]]);
    const job = await h.pipeline.queues.push.getJob(`outbox-${rows[0]?.id}`);
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toMatch(/HTTP 500/);
    expect(job?.data).toEqual({ outboxId: rows[0]?.id, deliveryId: delivery.id });
    expect(JSON.stringify(job?.data)).not.toContain('Emessage');

    // Nothing left to reconcile.
    expect(await h.pipeline.reconcileOnce()).toEqual({ checked: 0, recreated: 0 });
  });

  it('a timeout counts as a failed attempt', async () => {
    const h = await harness({ env: { MEDCOM_PUSH_MAX_ATTEMPTS: '2', MEDCOM_PUSH_BACKOFF_MS: '10', MEDCOM_PUSH_TIMEOUT_MS: '150' } });
    h.endpoint.delayMs = 1_000;
    const { messageId, delivery } = await acceptAdmission(h);
    await deliveryState(h, delivery.id, 'dead');
    const events = await eventsOf(h, messageId, delivery.id);
    expect(events.filter((e) => e.kind === 'push-failed').map((e) => e.detail.reason)).toEqual(['no answer within 150 ms', 'no answer within 150 ms']);
  });
});

describe('receipt watchdog through the timer queue', () => {
  it('re-offers twice, then marks the delivery unacknowledged; a job that fires early waits for its due time', async () => {
    const h = await harness({ env: { MEDCOM_RECEIPT_TIMEOUT_SECONDS: '1' }, logLevel: 'debug' });
    const { messageId, delivery } = await acceptAdmission(h);

    // After the first push this process's clock falls 700 ms behind: the first watchdog job fires
    // (by Redis's time) before its due time (by the gateway's clock) and must be delayed, not dropped.
    await eventually(async () => (await eventsOf(h, messageId, delivery.id)).some((e) => e.kind === 'pushed'), 5_000, 'first push');
    h.clock.shift(-700);

    const final = await deliveryState(h, delivery.id, 'unacknowledged', 20_000);
    expect(final.reoffers).toBe(2);
    const events = await eventsOf(h, messageId, delivery.id);
    expect(events.map((e) => e.kind)).toEqual(['pushed', 'reoffered', 'pushed', 'reoffered', 'pushed', 'unacknowledged']);
    expect(events.filter((e) => e.kind === 'reoffered').map((e) => e.detail)).toEqual([
      { reoffer: 1, of: 2 },
      { reoffer: 2, of: 2 },
    ]);
    expect(h.endpoint.requests).toHaveLength(3);

    const watchdogs = (await outboxRows(h, delivery.id)).filter((r) => r.kind === 'receipt-watchdog');
    expect(watchdogs).toHaveLength(3);
    expect(watchdogs.every((r) => r.done_at !== null)).toBe(true);
    const firstReoffer = events.find((e) => e.kind === 'reoffered') as EventRecord;
    expect(firstReoffer.at.getTime()).toBeGreaterThanOrEqual((watchdogs[0] as (typeof watchdogs)[number]).due_at.getTime());
    const early = h.logs.lines.filter((line) => line.msg === 'timer fired early; delayed to its due time');
    expect(early.length).toBeGreaterThanOrEqual(1);
    expect(early[0]).toMatchObject({ outboxId: (watchdogs[0] as (typeof watchdogs)[number]).id });

    // Nothing in the logs but ids and outcomes: no message bytes, no CPR number.
    const text = JSON.stringify(h.logs.lines);
    expect(text).not.toContain('Emessage');
    expect(text).not.toMatch(/(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])/);
  });
});

describe('the dispatcher', () => {
  it('makes one job per outbox entry, ids only, delayed to the due time by the gateway clock', async () => {
    const h = await harness({ workers: false });
    h.clock.shift(3_600_000); // the gateway's clock is an hour ahead of Redis: delays still come out right
    const now = h.clock.now();
    const deliveryId = randomUUID();
    const push = { id: 900_001, kind: 'push' as const, deliveryId, dueAt: now };
    const watchdog = { id: 900_002, kind: 'receipt-watchdog' as const, deliveryId, dueAt: new Date(now.getTime() + 60_000) };
    const overdue = { id: 900_003, kind: 'receipt-watchdog' as const, deliveryId, dueAt: new Date(now.getTime() - 60_000) };
    await h.pipeline.signals.outbox([push, watchdog, overdue]);
    await h.pipeline.signals.outbox([push, watchdog]);

    expect(await h.pipeline.queues.push.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    const pushJob = await h.pipeline.queues.push.getJob('outbox-900001');
    expect(pushJob?.data).toEqual({ outboxId: 900_001, deliveryId });
    expect(pushJob?.opts).toMatchObject({ attempts: 4, backoff: { type: 'medcom-push' }, removeOnComplete: true });
    const timerJob = await h.pipeline.queues.timers.getJob('outbox-900002');
    expect(await timerJob?.getState()).toBe('delayed');
    expect(timerJob?.delay).toBeGreaterThan(59_000);
    expect(timerJob?.delay).toBeLessThanOrEqual(60_000);
    expect(await h.pipeline.queues.timers.getJobState('outbox-900003')).toBe('waiting');
  });

  it('does not fail the request when Redis is away: the row is committed and reconciled later', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const h = await harness({ redisUrl: redis.url });
    await redis.stop();

    const started = Date.now();
    const { delivery } = await acceptAdmission(h);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await getDelivery(h.db, delivery.id))?.state).toBe('waiting');

    await redis.restart();
    const result = await eventually(() => h.pipeline.reconcileOnce().catch(() => undefined), 15_000, 'reconcile after restart');
    expect(result).toEqual({ checked: 1, recreated: 1 });
    await deliveryState(h, delivery.id, 'delivered', 15_000);
    expect(h.endpoint.requests).toHaveLength(1);
  });
});

describe('Redis losing everything', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('FLUSHALL between accept and delivery: reconcileOnce() re-creates the jobs and the delivery completes', async () => {
    // A long backoff: after the first failed attempt, only the reconciler can bring the job back soon.
    const h = await harness({ redisUrl: redis.url, env: { MEDCOM_PUSH_BACKOFF_MS: '600000' } });
    h.endpoint.answer = (n) => (n === 1 ? 503 : 200);
    const { messageId, delivery } = await acceptAdmission(h);
    const [pushRow] = await outboxRows(h, delivery.id);
    const pushJobId = `outbox-${pushRow?.id}`;
    await eventually(async () => (await h.pipeline.queues.push.getJobState(pushJobId)) === 'delayed', 5_000, 'retry scheduled');
    expect((await getDelivery(h.db, delivery.id))?.pushAttempts).toBe(1);

    await redis.flushAll();
    expect(await h.pipeline.queues.push.getJobState(pushJobId)).toBe('unknown');
    expect(await h.pipeline.reconcileOnce()).toEqual({ checked: 1, recreated: 1 });

    const delivered = await deliveryState(h, delivery.id, 'delivered');
    expect(delivered.pushAttempts).toBe(2);
    expect((await eventsOf(h, messageId, delivery.id)).map((e) => e.kind)).toEqual(['push-failed', 'pushed']);

    // The receipt watchdog's timer is lost too, and comes back with the time it had left.
    const watchdog = (await outboxRows(h, delivery.id)).find((r) => r.kind === 'receipt-watchdog');
    if (!watchdog) throw new Error('no watchdog row');
    const timerId = `outbox-${watchdog.id}`;
    await eventually(async () => (await h.pipeline.queues.timers.getJobState(timerId)) === 'delayed', 5_000, 'watchdog queued');
    await redis.flushAll();
    expect(await h.pipeline.queues.timers.getJobState(timerId)).toBe('unknown');
    expect(await h.pipeline.reconcileOnce()).toEqual({ checked: 1, recreated: 1 });
    const timer = await h.pipeline.queues.timers.getJob(timerId);
    expect(await timer?.getState()).toBe('delayed');
    const left = watchdog.due_at.getTime() - h.clock.now().getTime();
    expect(timer?.delay).toBeGreaterThan(left - 5_000);
    expect(timer?.delay).toBeLessThanOrEqual(3_600_000);
    expect(timer?.data).toEqual({ outboxId: watchdog.id, deliveryId: delivery.id });

    // Once whole, a pass changes nothing.
    expect(await h.pipeline.reconcileOnce()).toEqual({ checked: 1, recreated: 0 });
  });

  it('a job that failed for good while its row is pending is run again', async () => {
    const h = await harness({ redisUrl: redis.url, workers: false });
    const { delivery } = await acceptAdmission(h);
    const [pushRow] = await outboxRows(h, delivery.id);
    const jobId = `outbox-${pushRow?.id}`;
    // As when the last attempt could not reach the store: the job failed for good, the row is pending.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const failer = new Worker(
      'push',
      async () => {
        throw new UnrecoverableError('the store was away');
      },
      { connection, prefix: h.prefix },
    );
    await eventually(async () => (await h.pipeline.queues.push.getJobState(jobId)) === 'failed', 5_000, 'job failed');
    await failer.close();
    connection.disconnect();

    expect(await h.pipeline.reconcileOnce()).toEqual({ checked: 1, recreated: 1 });
    expect(await h.pipeline.queues.push.getJobState(jobId)).toBe('waiting');
    expect((await h.pipeline.queues.push.getJob(jobId))?.attemptsMade).toBe(0);
  });
});

describe('graceful close', () => {
  it('waits for the push in flight, records it, and closes every Redis connection', async () => {
    const h = await harness();
    h.endpoint.delayMs = 500;
    const { delivery } = await acceptAdmission(h);
    await eventually(async () => h.endpoint.requests.length === 1, 5_000, 'push in flight');
    await h.pipeline.close();
    expect((await getDelivery(h.db, delivery.id))?.state).toBe('delivered');

    const admin = new Redis(TEST_REDIS_URL);
    try {
      const clients = (await admin.client('LIST')) as string;
      expect(clients).not.toContain(`name=${h.prefix}:`);
    } finally {
      admin.disconnect();
    }
    await h.pipeline.close(); // twice is fine
  });

  // A hang guard only: a close that waits on Redis forever fails here instead of in the cleanup hook.
  const CLOSE_GUARD_MS = 30_000;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  async function namedClients(url: string, prefix: string): Promise<string[]> {
    const admin = new Redis(url);
    try {
      return ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${prefix}:`));
    } finally {
      admin.disconnect();
    }
  }

  it('finishes when Redis died and is back a moment ago, and leaves no connection open', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const h = await harness({ redisUrl: redis.url });
    await redis.stop();
    // Long enough that the connections wait between reconnect attempts when Redis is back: a worker's
    // blocked read, aborted then, used to be left waiting for good.
    await sleep(1_500);
    await redis.restart();
    await withTimeout(h.pipeline.close(), CLOSE_GUARD_MS, 'closing the pipeline');
    expect(await namedClients(redis.url, h.prefix)).toEqual([]);
  });

  it('finishes while Redis is down', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const h = await harness({ redisUrl: redis.url });
    await redis.stop();
    await sleep(1_500);
    await withTimeout(h.pipeline.close(), CLOSE_GUARD_MS, 'closing the pipeline');
    // Nothing reconnects once closed.
    await redis.restart();
    await sleep(500);
    expect(await namedClients(redis.url, h.prefix)).toEqual([]);
  });

  it('still waits for the push in flight when Redis goes away during it, records it, and then finishes', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const h = await harness({ redisUrl: redis.url, logLevel: 'warn' });
    h.endpoint.delayMs = 1_500;
    const { delivery } = await acceptAdmission(h);
    await eventually(async () => h.endpoint.requests.length === 1, 5_000, 'push in flight');
    await redis.stop();
    await withTimeout(h.pipeline.close(), CLOSE_GUARD_MS, 'closing the pipeline');
    // The store has the push; the job's end could not reach Redis, so the worker was cut loose, saying so.
    expect((await getDelivery(h.db, delivery.id))?.state).toBe('delivered');
    expect(h.logs.lines.some((line) => line.queue === 'push' && String(line.msg).startsWith('the worker did not stop in time'))).toBe(true);
  });
});

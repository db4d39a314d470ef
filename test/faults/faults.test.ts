/**
 * The fault suite (`npm run test:faults`, run by `.ci/run`): under a steady load of mixed messages from
 * several senders, with a client that retries as an EPJ would, each fault below is injected into gateway
 * processes started with the built CLI on a PRIVATE PostgreSQL cluster and a PRIVATE redis-server. For
 * each: zero accepted messages lost (stored, delivered and acknowledged at the end), zero shown twice to
 * a receiver, every deadline breach timer fired (the load starts deadlines whose breach time is near, so
 * their timers are in flight when the fault strikes), and the time until a message sent after the fault
 * is accepted again — or, for a push endpoint that fails, until it takes pushes again. The processes'
 * log files are scanned for CPR numbers at the end. The table is printed (docs/reliability.md carries it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import type { EndpointsJson } from '../support/gateway.js';
import { settleDeadlines, writeNearBreachRules, type DeadlineOutcome } from './deadline-load.js';
import {
  Load,
  cprLinesIn,
  loadReceivers,
  recoverySeconds,
  settle,
  startEnvironment,
  startGatewayProcess,
  type Environment,
  type GatewayProcess,
  type Outcome,
} from './harness.js';
import { PushEndpoint, countPushes, firstTakenAfter, type PushCount } from './push-endpoint.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Load before the fault, and after it (after a push endpoint's trouble: after it is well again). */
const BEFORE_FAULT_MS = 4000;
const AFTER_FAULT_MS = 6000;

/** Demo Kommune Nord, half of the load's traffic, receives by push in the push scenarios. */
const PUSH_RECEIVER = '5790000000036';
const PUSH_TIMEOUT_MS = 1000;
/** A slow endpoint answers this late: the gateway has given up waiting long before. */
const SLOW_ANSWER_MS = 3 * PUSH_TIMEOUT_MS;
/** How long a push endpoint is down, slow or failing. */
const PUSH_TROUBLE_MS = 5000;
const PUSH_SETTINGS = { MEDCOM_PUSH_TIMEOUT_MS: String(PUSH_TIMEOUT_MS), MEDCOM_PUSH_BACKOFF_MS: '200', MEDCOM_PUSH_MAX_ATTEMPTS: '20' };

/** Demo Kommune Syd fetches but never answers in its scenario; the watchdog re-offers after a few seconds. */
const SILENT_RECEIVER = '5790000000043';
const RECEIPT_MAX_REOFFERS = 2;
const WATCHDOG_SETTINGS = { MEDCOM_RECEIPT_TIMEOUT_SECONDS: '3', MEDCOM_RECEIPT_MAX_REOFFERS: String(RECEIPT_MAX_REOFFERS) };

interface Topology {
  readonly apis: GatewayProcess[];
  readonly workers: GatewayProcess[];
}

interface Running {
  readonly topology: Topology;
  readonly load: Load;
  readonly database: string;
  /** The push endpoint the test runs (push scenarios). */
  readonly endpoint: PushEndpoint | undefined;
}

interface Row extends Outcome {
  readonly scenario: string;
  readonly recovery: number | undefined;
  readonly deadlines: DeadlineOutcome;
  readonly notes: readonly string[];
}

interface ScenarioOptions {
  readonly apis?: number;
  readonly workers?: number;
  readonly env?: Record<string, string>;
  /** PUSH_RECEIVER receives by push from an endpoint the test runs. */
  readonly push?: boolean;
  /** Receivers that fetch and never answer. */
  readonly silent?: readonly string[];
}

/** After the count, while the processes still run: the recovery when it is not the acceptance's, and notes for the report. */
type Measure = (running: Running, faultAt: number) => Promise<{ recovery?: number | undefined; notes?: string[] }>;

const rows: Row[] = [];
/** Processes whose graceful stop hung (reported with the table). */
const slowStops: string[] = [];
const logFiles: string[] = [];
let env: Environment;
let scenarioNumber = 0;

beforeAll(async () => {
  env = await startEnvironment('faults');
}, 120_000);

afterAll(async () => {
  if (rows.length > 0) console.log(table(rows));
  for (const row of rows) if (row.notes.length > 0) console.log(`${row.scenario}:\n  ${row.notes.join('\n  ')}`);
  for (const line of slowStops) console.log(line);
  // MEDCOM_FAULTS_KEEP=1 leaves the private servers and logs for a look (their folder is printed).
  if (process.env.MEDCOM_FAULTS_KEEP === '1') console.log(`kept: ${env?.root}, PostgreSQL on port ${env?.postgres.port}`);
  else await env?.close();
});

function table(all: readonly Row[]): string {
  const head = '| fault | accepted | stored | delivered | acknowledged | lost | shown twice | breach timers fired | recovery |';
  const line = '|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = all.map((r) => {
    const acknowledged = r.unacknowledged > 0 ? `${r.acknowledged} + ${r.unacknowledged} unacknowledged` : `${r.acknowledged}`;
    const timers = `${r.deadlines.breached} of ${r.deadlines.started}${r.deadlines.overduePending > 0 ? ` (${r.deadlines.overduePending} stuck)` : ''}`;
    const recovery = r.recovery === undefined ? '–' : `${r.recovery.toFixed(1)} s`;
    return `| ${r.scenario} | ${r.accepted} | ${r.stored} | ${r.delivered} | ${acknowledged} | ${r.lost} | ${r.shownTwice} | ${timers} | ${recovery} |`;
  });
  return [head, line, ...body].join('\n');
}

/** The scenario's configuration folder: the demo endpoints (PUSH_RECEIVER pushed to `pushUrl`) and the near-breach deadline rules. */
function scenarioConfig(n: number, pushUrl: string | undefined): string {
  const dir = join(env.root, `s${n}-config`);
  mkdirSync(dir, { recursive: true });
  const endpoints = JSON.parse(readFileSync(fromPackageRoot('config', 'endpoints.json'), 'utf8')) as EndpointsJson;
  if (pushUrl !== undefined) {
    const receiver = endpoints.endpoints.find((e) => e.ean === PUSH_RECEIVER);
    if (!receiver) throw new Error(`${PUSH_RECEIVER} is not in config/endpoints.json`);
    receiver.delivery = { mode: 'push', url: pushUrl };
  }
  writeFileSync(join(dir, 'endpoints.json'), JSON.stringify(endpoints, null, 2));
  writeNearBreachRules(dir);
  return dir;
}

/**
 * Starts API and worker processes on a fresh database and Redis prefix, runs the load for a few
 * seconds, injects the fault, keeps the load on, then stops sending and counts.
 */
async function scenario(name: string, options: ScenarioOptions, fault: (running: Running) => Promise<void>, measure?: Measure): Promise<Row> {
  const n = ++scenarioNumber;
  const database = `faults_${n}`;
  await env.postgres.createDatabase(database);
  const topology: Topology = { apis: [], workers: [] };
  const endpoint = options.push ? new PushEndpoint({ slowMs: SLOW_ANSWER_MS, receiverEan: PUSH_RECEIVER, urls: () => topology.apis.map((a) => a.url as string) }) : undefined;
  await endpoint?.start();
  const settings = {
    DATABASE_URL: env.postgres.urlOf(database),
    REDIS_URL: env.redis.url,
    MEDCOM_QUEUE_PREFIX: `faults-${n}`,
    MEDCOM_CONFIG_DIR: scenarioConfig(n, endpoint?.url),
    MEDCOM_LEASE_SECONDS: '5',
    MEDCOM_RECONCILE_INTERVAL_MS: '1000',
    ...options.env,
  };
  const start = (mode: 'api' | 'worker', index: number) => {
    const file = join(env.root, `s${n}-${mode}-${index}.log`);
    logFiles.push(file);
    return startGatewayProcess(mode, settings, file);
  };
  const load = new Load({ urls: () => topology.apis.map((a) => a.url as string), tag: `F${n}`, intervalMs: 250, deadlines: true, silent: options.silent ?? [] });
  const running: Running = { topology, load, database, endpoint };
  try {
    // Started together (their migrations take turns under an advisory lock), to keep the suite short.
    const [apis, workers] = await Promise.all([
      Promise.all(Array.from({ length: options.apis ?? 1 }, (_, i) => start('api', i))),
      Promise.all(Array.from({ length: options.workers ?? 1 }, (_, i) => start('worker', i))),
    ]);
    topology.apis.push(...apis);
    topology.workers.push(...workers);
    // A push receiver is served by its endpoint, not by polling.
    load.start(loadReceivers().filter((r) => !(options.push && r === PUSH_RECEIVER)));
    await sleep(BEFORE_FAULT_MS);
    const faultAt = Date.now();
    await fault(running);
    await sleep(AFTER_FAULT_MS);
    const outcome = await settle(env.postgres, database, load, 30_000, { silent: options.silent ?? [] });
    const deadlines = await settleDeadlines(env.postgres, database, 30_000);
    const measured = measure ? await measure(running, faultAt) : {};
    const recovery = 'recovery' in measured ? measured.recovery : recoverySeconds(load, faultAt);
    const row: Row = {
      scenario: name,
      ...outcome,
      unfinished: [...outcome.unfinished, ...(endpoint?.oddAnswers ?? [])],
      recovery,
      deadlines,
      notes: [
        `breach timers: ${deadlines.started} D21-GP deadlines, ${deadlines.aheadAtAcceptance} with the breach still ahead at acceptance; ${deadlines.breached} breached, at most ${deadlines.longestLateSeconds.toFixed(1)} s after the timer was due`,
        ...(measured.notes ?? []),
      ],
    };
    rows.push(row);
    return row;
  } finally {
    await load.stop();
    await endpoint?.close();
    const stopped = await Promise.all([...topology.apis, ...topology.workers].map(async (p) => ({ p, how: await p.stop() })));
    for (const { p, how } of stopped) if (how === 'killed') slowStops.push(`${name}: a ${p.mode} process did not stop within 30 s of SIGTERM and was killed`);
  }
}

function expectNothingLost(row: Row): void {
  expect(row.accepted, 'the load ran').toBeGreaterThan(20);
  expect(row.notAccepted, 'every message was accepted in the end (the client retried)').toBe(0);
  expect(row.stored).toBe(row.accepted);
  expect(row.unfinished, 'deliveries not finished, odd answers').toEqual([]);
  expect(row.lost, 'accepted messages not acknowledged at the end').toBe(0);
  expect(row.shownTwice, 'messages shown again to a receiver that had fetched them, beyond the watchdog re-offers').toBe(0);
  expect(row.deadlines.started, 'the load started deadlines').toBeGreaterThan(0);
  expect(row.deadlines.breachNotNear, "D21-GP breaches at the admission (the scenario's rules)").toBe(0);
  expect(row.deadlines.overduePending, 'deadlines still pending past their breach time').toBe(0);
  expect(row.deadlines.breached, 'every D21-GP deadline breached').toBe(row.deadlines.started);
}

// ---------------------------------------------------------------------------------------------
// Push endpoints

interface PushFigures {
  readonly count: PushCount;
  /** Load messages to the push receiver the endpoint never processed. */
  readonly neverArrived: readonly string[];
  /** Push deliveries not delivered at the end (any message, receipts included), and deliveries the gateway recorded as pushed twice. */
  readonly undelivered: number;
  readonly pushedTwice: number;
  readonly failedDeliveries: number;
}

const pushFigures = new Map<string, PushFigures>();

/**
 * Runs a push scenario: the endpoint is in trouble (`mode`) for PUSH_TROUBLE_MS, then up again. The
 * recovery is the time from the endpoint being well until the last delivery whose push had failed is
 * delivered (pushed, or answered by the receiver that had taken it late); the notes add when the
 * endpoint first took a push again.
 */
async function pushScenario(name: string, mode: 'down' | 'slow' | 'failing'): Promise<{ row: Row; figures: PushFigures }> {
  let recoveredAt = 0;
  const row = await scenario(
    name,
    { env: PUSH_SETTINGS, push: true },
    async ({ endpoint }) => {
      await endpoint?.setMode(mode);
      await sleep(PUSH_TROUBLE_MS);
      await endpoint?.setMode('up');
      recoveredAt = Date.now();
    },
    async ({ endpoint, load, database }) => {
      const seen = endpoint?.seen ?? [];
      // Receipts the gateway writes to the push receiver are pushed too: wait for them to go out.
      type Push = { undelivered: string; pushed_twice: string; failed: string; backlog: number | null };
      let push: Push | undefined;
      for (const until = Date.now() + 15_000; ; ) {
        [push] = await env.postgres.query<Push>(
          database,
          `SELECT count(*) FILTER (WHERE d.state IN ('waiting', 'leased', 'dead')) AS undelivered,
                  count(*) FILTER (WHERE (SELECT count(*) FROM events e WHERE e.delivery_id = d.id AND e.kind = 'pushed') > 1) AS pushed_twice,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.delivery_id = d.id AND e.kind = 'push-failed')) AS failed,
                  (max(extract(epoch FROM d.delivered_at)) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.delivery_id = d.id AND e.kind = 'push-failed')))::float8 AS backlog
           FROM deliveries d WHERE d.mode = 'push'`,
        );
        if ((push && Number(push.undelivered) === 0) || Date.now() > until) break;
        await sleep(500);
      }
      const count = countPushes(seen);
      const neverArrived = load.sent.filter((s) => s.id && s.receivers.includes(PUSH_RECEIVER) && !count.processed.has(s.envelope)).map((s) => s.envelope);
      const figures: PushFigures = {
        count,
        neverArrived,
        undelivered: Number(push?.undelivered ?? -1),
        pushedTwice: Number(push?.pushed_twice ?? -1),
        failedDeliveries: Number(push?.failed ?? 0),
      };
      pushFigures.set(name, figures);
      const backlog = push?.backlog ? Math.max(0, push.backlog - recoveredAt / 1000) : undefined;
      const first = firstTakenAfter(seen, recoveredAt);
      return {
        recovery: backlog,
        notes: [
          `pushes: ${count.requests} requests for ${count.deliveries} deliveries (${count.envelopes} envelopes), ${count.late} answered after the gateway had given up, ${count.refused} answered 500; ` +
            `${count.repeats} repeats of a delivery the endpoint had processed (same delivery id, envelope and sha256), ${count.afterTaken} after a 2xx the gateway received`,
          `${figures.failedDeliveries} deliveries had a failed attempt; the first push taken ${first?.toFixed(1) ?? '–'} s after the endpoint was well, the last of them delivered ${backlog?.toFixed(1) ?? '–'} s after`,
        ],
      };
    },
  );
  return { row, figures: pushFigures.get(name) as PushFigures };
}

function expectPushesDelivered(row: Row, figures: PushFigures): void {
  expectNothingLost(row);
  expect(row.recovery, 'the deliveries held up by the fault were delivered after the endpoint was well').toBeDefined();
  expect(figures.neverArrived, 'load messages to the push receiver that never reached its endpoint').toEqual([]);
  expect(figures.undelivered, 'push deliveries (receipts too) not delivered at the end').toBe(0);
  expect(figures.failedDeliveries, 'the fault made pushes fail').toBeGreaterThan(0);
  expect(figures.count.inconsistent, 'every push of a delivery carries the same delivery id, envelope and bytes').toEqual([]);
  expect(figures.count.afterTaken, 'a delivery pushed again after its endpoint answered 2xx in time').toBe(0);
  expect(figures.pushedTwice, 'deliveries the gateway recorded as pushed more than once').toBe(0);
}

describe('faults under load', () => {
  it('kill -9 of the api process (restarted a second later)', async () => {
    const row = await scenario('kill -9 api', {}, async ({ topology }) => {
      const api = topology.apis[0] as GatewayProcess;
      await api.kill9();
      await sleep(1000);
      await api.start();
    });
    expectNothingLost(row);
  });

  it('kill -9 of a worker process (restarted a second later)', async () => {
    const row = await scenario('kill -9 worker', {}, async ({ topology }) => {
      const worker = topology.workers[0] as GatewayProcess;
      await worker.kill9();
      await sleep(1000);
      await worker.start();
    });
    expectNothingLost(row);
  });

  it('Redis killed and restarted empty', async () => {
    const row = await scenario('Redis killed, restarted 2 s later', {}, async () => {
      await env.redis.stop();
      await sleep(2000);
      await env.redis.restart();
    });
    expectNothingLost(row);
  });

  it('Redis FLUSHALL', async () => {
    const row = await scenario('Redis FLUSHALL', {}, async () => {
      await env.redis.flushAll();
    });
    expectNothingLost(row);
  });

  it('PostgreSQL restarted', async () => {
    const row = await scenario('PostgreSQL restarted', {}, async () => {
      await env.postgres.restart();
    });
    expectNothingLost(row);
  });

  it('two api and two worker processes, one of each killed -9 and restarted', async () => {
    const row = await scenario('2 api + 2 worker, one of each kill -9', { apis: 2, workers: 2 }, async ({ topology }) => {
      const [api, worker] = [topology.apis[0] as GatewayProcess, topology.workers[0] as GatewayProcess];
      await Promise.all([api.kill9(), worker.kill9()]);
      await sleep(1000);
      await Promise.all([api.start(), worker.start()]);
    });
    expectNothingLost(row);
  });

  it('a push endpoint down (connection refused), then up again', async () => {
    const { row, figures } = await pushScenario(`push endpoint down ${PUSH_TROUBLE_MS / 1000} s (connection refused)`, 'down');
    expectPushesDelivered(row, figures);
    // Nothing reached the endpoint while it was down, so nothing can have reached it twice.
    expect(figures.count.repeats).toBe(0);
  });

  it('a push endpoint slower than MEDCOM_PUSH_TIMEOUT_MS, then normal', async () => {
    const { row, figures } = await pushScenario(`push endpoint slow ${PUSH_TROUBLE_MS / 1000} s (answers after ${SLOW_ANSWER_MS / 1000} s, timeout ${PUSH_TIMEOUT_MS / 1000} s)`, 'slow');
    expectPushesDelivered(row, figures);
    expect(figures.count.late, 'the endpoint answered pushes after the gateway had given up').toBeGreaterThan(0);
  });

  it('a push endpoint answering 500, then 200', async () => {
    const { row, figures } = await pushScenario(`push endpoint answers 500 for ${PUSH_TROUBLE_MS / 1000} s`, 'failing');
    expectPushesDelivered(row, figures);
    expect(figures.count.refused, 'pushes answered 500').toBeGreaterThan(0);
    // A 500 is not taken: every delivery was processed by the endpoint exactly once.
    expect(figures.count.repeats).toBe(0);
  });

  it('a municipality that never acknowledges: re-offered, then marked unacknowledged', async () => {
    let silentDeliveries: { state: string; reoffers: number; unacknowledged_events: number }[] = [];
    const row = await scenario(
      `${SILENT_RECEIVER} never acknowledges (receipt timeout 3 s, ${RECEIPT_MAX_REOFFERS} re-offers)`,
      { env: WATCHDOG_SETTINGS, silent: [SILENT_RECEIVER] },
      async () => undefined,
      async ({ load, database }) => {
        const ids = load.sent.flatMap((s) => (s.id && s.receivers.includes(SILENT_RECEIVER) ? [s.id] : []));
        silentDeliveries = await env.postgres.query(
          database,
          `SELECT d.state, d.reoffers, (SELECT count(*)::int FROM events e WHERE e.delivery_id = d.id AND e.kind = 'unacknowledged') AS unacknowledged_events
           FROM deliveries d WHERE d.message_id = ANY($1::uuid[]) AND d.receiver_ean = $2`,
          [ids, SILENT_RECEIVER],
        );
        const seenAgain = [...load.shownAgain].filter(([key]) => key.startsWith(`${SILENT_RECEIVER}:`)).reduce((sum, [, times]) => sum + times, 0);
        return {
          recovery: undefined,
          notes: [
            `${silentDeliveries.length} deliveries to ${SILENT_RECEIVER}, ${silentDeliveries.reduce((sum, d) => sum + d.reoffers, 0)} re-offers of them; ` +
              `the receiver was shown them again ${seenAgain} times, each as the same inbox item with more offers`,
          ],
        };
      },
    );
    expectNothingLost(row);
    expect(silentDeliveries.length, 'the silent municipality received messages').toBeGreaterThan(0);
    expect(silentDeliveries.filter((d) => d.state !== 'unacknowledged' || d.reoffers !== RECEIPT_MAX_REOFFERS || d.unacknowledged_events !== 1)).toEqual([]);
    expect(row.unacknowledged).toBe(silentDeliveries.length);
    expect(row.acknowledged + row.unacknowledged).toBe(row.delivered);
  });

  it('no log line of any process holds a CPR number of the fixtures', () => {
    expect(logFiles.length).toBeGreaterThan(0);
    expect(cprLinesIn(logFiles)).toEqual([]);
  });
});

/**
 * The fault suite (`npm run test:faults`, run by `.ci/run`): under a steady load of mixed messages from
 * several senders, with a client that retries as an EPJ would, each fault below is injected into gateway
 * processes started with the built CLI on a PRIVATE PostgreSQL cluster and a PRIVATE redis-server. For
 * each: zero accepted messages lost (stored, delivered and acknowledged at the end), zero shown twice to
 * a receiver, and the time until a message sent after the fault is accepted again. The processes' log
 * files are scanned for CPR numbers at the end. The table is printed (docs/reliability.md carries it).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Topology {
  readonly apis: GatewayProcess[];
  readonly workers: GatewayProcess[];
}

interface Row extends Outcome {
  readonly scenario: string;
  readonly recovery: number | undefined;
}

const rows: Row[] = [];
const logFiles: string[] = [];
let env: Environment;
let scenarioNumber = 0;

beforeAll(async () => {
  env = await startEnvironment('faults');
}, 120_000);

afterAll(async () => {
  if (rows.length > 0) console.log(table(rows));
  // MEDCOM_FAULTS_KEEP=1 leaves the private servers and logs for a look (their folder is printed).
  if (process.env.MEDCOM_FAULTS_KEEP === '1') console.log(`kept: ${env?.root}, PostgreSQL on port ${env?.postgres.port}`);
  else await env?.close();
});

function table(all: readonly Row[]): string {
  const head = '| fault | accepted | stored | delivered | acknowledged | lost | shown twice | recovery |';
  const line = '|---|---:|---:|---:|---:|---:|---:|---:|';
  const body = all.map(
    (r) =>
      `| ${r.scenario} | ${r.accepted} | ${r.stored} | ${r.delivered} | ${r.acknowledged} | ${r.lost} | ${r.shownTwice} | ${r.recovery === undefined ? '–' : `${r.recovery.toFixed(1)} s`} |`,
  );
  return [head, line, ...body].join('\n');
}

/**
 * Starts `apis` API and `workers` worker processes on a fresh database and Redis prefix, runs the load
 * for a few seconds, injects the fault, keeps the load on, then stops sending and counts.
 */
async function scenario(name: string, shape: { apis: number; workers: number }, fault: (t: Topology) => Promise<void>): Promise<Row> {
  const n = ++scenarioNumber;
  const database = `faults_${n}`;
  await env.postgres.createDatabase(database);
  const settings = {
    DATABASE_URL: env.postgres.urlOf(database),
    REDIS_URL: env.redis.url,
    MEDCOM_QUEUE_PREFIX: `faults-${n}`,
    MEDCOM_LEASE_SECONDS: '5',
    MEDCOM_RECONCILE_INTERVAL_MS: '1000',
  };
  const start = (mode: 'api' | 'worker', index: number) => {
    const file = join(env.root, `s${n}-${mode}-${index}.log`);
    logFiles.push(file);
    return startGatewayProcess(mode, settings, file);
  };
  const topology: Topology = { apis: [], workers: [] };
  for (let i = 0; i < shape.apis; i++) topology.apis.push(await start('api', i));
  for (let i = 0; i < shape.workers; i++) topology.workers.push(await start('worker', i));
  const load = new Load({ urls: () => topology.apis.map((a) => a.url as string), tag: `F${n}`, intervalMs: 250 });
  try {
    load.start(loadReceivers());
    await sleep(5000);
    const faultAt = Date.now();
    await fault(topology);
    await sleep(7000);
    const outcome = await settle(env.postgres, database, load, 30_000);
    const row = { scenario: name, ...outcome, recovery: recoverySeconds(load, faultAt) };
    rows.push(row);
    return row;
  } finally {
    await load.stop();
    for (const p of [...topology.apis, ...topology.workers]) await p.stop();
  }
}

function expectNothingLost(row: Row): void {
  expect(row.accepted, 'the load ran').toBeGreaterThan(20);
  expect(row.notAccepted, 'every message was accepted in the end (the client retried)').toBe(0);
  expect(row.stored).toBe(row.accepted);
  expect(row.unfinished, 'deliveries not acknowledged, odd answers').toEqual([]);
  expect(row.lost, 'accepted messages not acknowledged at the end').toBe(0);
  expect(row.shownTwice, 'messages shown again to a receiver that had fetched them').toBe(0);
}

describe('faults under load', () => {
  it('kill -9 of the api process (restarted a second later)', async () => {
    const row = await scenario('kill -9 api', { apis: 1, workers: 1 }, async ({ apis }) => {
      const api = apis[0] as GatewayProcess;
      await api.kill9();
      await sleep(1000);
      await api.start();
    });
    expectNothingLost(row);
  });

  it('kill -9 of a worker process (restarted a second later)', async () => {
    const row = await scenario('kill -9 worker', { apis: 1, workers: 1 }, async ({ workers }) => {
      const worker = workers[0] as GatewayProcess;
      await worker.kill9();
      await sleep(1000);
      await worker.start();
    });
    expectNothingLost(row);
  });

  it('Redis killed and restarted empty', async () => {
    const row = await scenario('Redis killed, restarted 2 s later', { apis: 1, workers: 1 }, async () => {
      await env.redis.stop();
      await sleep(2000);
      await env.redis.restart();
    });
    expectNothingLost(row);
  });

  it('Redis FLUSHALL', async () => {
    const row = await scenario('Redis FLUSHALL', { apis: 1, workers: 1 }, async () => {
      await env.redis.flushAll();
    });
    expectNothingLost(row);
  });

  it('PostgreSQL restarted', async () => {
    const row = await scenario('PostgreSQL restarted', { apis: 1, workers: 1 }, async () => {
      await env.postgres.restart();
    });
    expectNothingLost(row);
  });

  it('two api and two worker processes, one of each killed -9 and restarted', async () => {
    const row = await scenario('2 api + 2 worker, one of each kill -9', { apis: 2, workers: 2 }, async ({ apis, workers }) => {
      await Promise.all([(apis[0] as GatewayProcess).kill9(), (workers[0] as GatewayProcess).kill9()]);
      await sleep(1000);
      await Promise.all([(apis[0] as GatewayProcess).start(), (workers[0] as GatewayProcess).start()]);
    });
    expectNothingLost(row);
  });

  it('no log line of any process holds a CPR number of the fixtures', () => {
    expect(logFiles.length).toBeGreaterThan(0);
    expect(cprLinesIn(logFiles)).toEqual([]);
  });
});

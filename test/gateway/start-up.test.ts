/**
 * Start-up that tells the truth: /readyz is green only when the API can serve (the context is built
 * and the workers run), and it checks PostgreSQL and Redis live, so a dependency lost after start
 * shows within the cache time. The embedded store is one process's: a second one refuses to start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { createGateway, type RunningGateway } from '../../src/runtime/gateway.js';
import type { Database } from '../../src/store/database.js';
import { withTimeout } from '../../src/with-timeout.js';
import { startPrivateRedis, TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';
import { dropTestDatabase, openTestDatabase } from '../support/store.js';
import { HOSPITAL } from '../support/gateway.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function settingsFor(env: Record<string, string>): Settings {
  const queue = testQueuePrefix('start');
  cleanups.push(() => queue.cleanup());
  return readSettings({
    MEDCOM_CONFIG_DIR: fromPackageRoot('config'),
    REDIS_URL: TEST_REDIS_URL,
    MEDCOM_QUEUE_PREFIX: queue.prefix,
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** A monotonic clock the test moves, for the readiness cache. */
class Ticks {
  value = 0;
  now = (): number => this.value;
}

/**
 * The test's store, with two levers: `hold` makes the gateway's read of the patient-reference key
 * (the step after the migrations) wait until `release()`, and `fail` makes every query fail as a
 * lost connection does.
 */
function leveredDatabase(db: Database): { db: Database; hold(): void; release(): void; fail(on: boolean): void } {
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let failing = false;
  const guard = async (sql: string): Promise<void> => {
    if (failing) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    if (gate && sql.includes('patient_ref_key')) await gate;
  };
  const wrapped: Database = {
    kind: db.kind,
    async query(sql, params, name) {
      await guard(sql);
      return db.query(sql, params, name);
    },
    async transaction(work) {
      await guard('');
      return db.transaction(work);
    },
    close: () => db.close(),
  };
  return {
    db: wrapped,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      open();
      gate = undefined;
    },
    fail(on) {
      failing = on;
    },
  };
}

async function readyz(gateway: RunningGateway): Promise<LightMyRequestResponse> {
  return (gateway.app as NonNullable<RunningGateway['app']>).inject({ method: 'GET', url: '/readyz' });
}

interface Checks {
  checks?: Record<string, { ok: boolean; detail?: string }>;
  detail?: string;
}

/** Polls /readyz (bounded) until `until` holds for its answer; returns the last answer. */
async function pollReadyz(gateway: RunningGateway, until: (response: LightMyRequestResponse) => boolean, tries = 200): Promise<LightMyRequestResponse> {
  let response = await readyz(gateway);
  for (let i = 0; i < tries && !until(response); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    response = await readyz(gateway);
  }
  return response;
}

describe('/readyz', () => {
  it('stays 503 until the API can serve, though PostgreSQL and Redis are both reached', async () => {
    const store = await openTestDatabase('postgres');
    cleanups.push(() => dropTestDatabase(store));
    const levers = leveredDatabase(store);
    levers.hold();
    const gateway = await createGateway(settingsFor({}), { api: true, workers: true, database: levers.db, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => gateway.close());
    cleanups.push(() => levers.release());
    await gateway.app?.ready();

    // Both dependencies answer, the gateway itself is still building its context.
    const waiting = await pollReadyz(gateway, (r) => {
      const checks = r.json<Checks>().checks ?? {};
      return checks.store?.ok === true && checks.redis?.ok === true;
    });
    expect(waiting.json<Checks>().checks?.store?.ok).toBe(true);
    expect(waiting.json<Checks>().checks?.redis?.ok).toBe(true);
    expect(waiting.statusCode).toBe(503);
    expect(waiting.json<Checks>().detail).toMatch(/starting/);
    const early = await gateway.app?.inject({ method: 'GET', url: `/api/v1/messages/${randomUUID()}`, headers: { authorization: `Bearer demo-${HOSPITAL}` } });
    expect(early?.statusCode).toBe(503);

    levers.release();
    await gateway.ready;
    const ready = await readyz(gateway);
    expect(ready.statusCode).toBe(200);
    // Green means the API serves: a request right after it is answered by the use case (404), not 503.
    const served = await gateway.app?.inject({ method: 'GET', url: `/api/v1/messages/${randomUUID()}`, headers: { authorization: `Bearer demo-${HOSPITAL}` } });
    expect(served?.statusCode).toBe(404);
  });

  it('says so within the cache time when Redis dies after start, and again when it is back', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const store = await openTestDatabase('postgres');
    cleanups.push(() => dropTestDatabase(store));
    const ticks = new Ticks();
    const gateway = await createGateway(settingsFor({ REDIS_URL: redis.url }), {
      api: true,
      workers: true,
      database: store,
      logger: createLogger({ level: 'silent' }),
      monotonicNow: ticks.now,
    });
    cleanups.push(() => gateway.close());
    await gateway.ready;
    expect((await readyz(gateway)).statusCode).toBe(200);

    await redis.stop();
    // Within the cache time the last verdict stands; after it, the check runs again.
    ticks.value += 5_000;
    const down = await pollReadyz(gateway, (r) => r.statusCode === 503, 100);
    expect(down.statusCode).toBe(503);
    expect(down.json<Checks>().checks?.redis?.ok).toBe(false);
    expect(down.json<Checks>().detail).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is not reachable/);

    await redis.restart();
    const back = await pollReadyz(gateway, (r) => {
      ticks.value += 5_000;
      return r.statusCode === 200;
    });
    expect(back.statusCode).toBe(200);
  });

  it('says so when the store is lost after start', async () => {
    const store = await openTestDatabase('postgres');
    cleanups.push(() => dropTestDatabase(store));
    const levers = leveredDatabase(store);
    const ticks = new Ticks();
    const gateway = await createGateway(settingsFor({}), {
      api: true,
      workers: false,
      database: levers.db,
      logger: createLogger({ level: 'silent' }),
      monotonicNow: ticks.now,
    });
    cleanups.push(async () => {
      levers.fail(false);
      await gateway.close();
    });
    await gateway.ready;
    expect((await readyz(gateway)).statusCode).toBe(200);

    levers.fail(true);
    // Cached: a burst of probes costs the store one query per cache period.
    expect((await readyz(gateway)).statusCode).toBe(200);
    ticks.value += 5_000;
    const down = await readyz(gateway);
    expect(down.statusCode).toBe(503);
    expect(down.json<Checks>().checks?.store?.ok).toBe(false);

    levers.fail(false);
    ticks.value += 5_000;
    expect((await readyz(gateway)).statusCode).toBe(200);
  });
});

describe('closing', () => {
  // A hang guard only: a close that waits on Redis forever fails here instead of in the cleanup hook.
  const CLOSE_GUARD_MS = 30_000;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  async function gatewayWithWorkersOn(redisUrl: string): Promise<RunningGateway> {
    const store = await openTestDatabase('postgres');
    cleanups.push(() => dropTestDatabase(store));
    const gateway = await createGateway(settingsFor({ REDIS_URL: redisUrl }), { api: true, workers: true, database: store, logger: createLogger({ level: 'silent' }) });
    await gateway.ready;
    return gateway;
  }

  it('finishes when Redis died and is back a moment ago', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const gateway = await gatewayWithWorkersOn(redis.url);
    await redis.stop();
    // Long enough that the connections wait between reconnect attempts when Redis is back, as in the
    // readiness test above, whose cleanup once waited on a worker's aborted read for good.
    await sleep(1_500);
    await redis.restart();
    await withTimeout(gateway.close(), CLOSE_GUARD_MS, 'closing the gateway');
  });

  it('finishes while Redis is down', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const gateway = await gatewayWithWorkersOn(redis.url);
    await redis.stop();
    await sleep(1_500);
    await withTimeout(gateway.close(), CLOSE_GUARD_MS, 'closing the gateway');
  });
});

describe('the embedded store', () => {
  it('belongs to one process: a second gateway on the same data folder refuses to start and names the holder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medcom-lock-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const settings = settingsFor({ MEDCOM_DATA_DIR: dataDir });
    const first = await createGateway(settings, { api: false, workers: false, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => first.close());
    await first.ready;

    const second = createGateway(settings, { api: false, workers: false, logger: createLogger({ level: 'silent' }) }).then(async (gateway) => {
      cleanups.push(() => gateway.close());
      await gateway.ready;
    });
    await expect(second).rejects.toThrow(new RegExp(`${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*in use by process ${process.pid}`));
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medcom-lock-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dataDir, 'medcom-gateway.lock'), `${gone.stdout}\n`);
    const gateway = await createGateway(settingsFor({ MEDCOM_DATA_DIR: dataDir }), { api: false, workers: false, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => gateway.close());
    await gateway.ready;
    expect(gateway.context().db.kind).toBe('pglite');
  });
});

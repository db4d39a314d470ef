/**
 * Two ways one client could exhaust the gateway, and what it answers instead of failing: a key opening
 * more long-polls than `MEDCOM_LONG_POLLS_PER_KEY` gets 429 with Retry-After for the extra ones, and a
 * database pool whose every connection stays busy answers 503 with Retry-After (problem+json), never 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { createGateway, type RunningGateway } from '../../src/runtime/gateway.js';
import type { Database } from '../../src/store/database.js';
import { GP, HOSPITAL, MUNICIPALITY, startTestGateway, type TestGateway } from '../support/gateway.js';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';
import { dropTestDatabase, openTestDatabase } from '../support/store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('long-polls per key', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { MEDCOM_LONG_POLLS_PER_KEY: '2' } });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('the third long-poll of one key at once → 429 problem with Retry-After; others and later polls are served', async () => {
    const holding = [gw.get(GP, '/api/v1/inbox?wait=3'), gw.get(GP, '/api/v1/inbox?wait=3')];
    await sleep(500); // both are waiting on the empty inbox by now
    const third = await gw.get(GP, '/api/v1/inbox?wait=3');
    expect(third.statusCode, third.body).toBe(429);
    expect(third.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(third.json()).toMatchObject({ status: 429, limit: 2, detail: expect.stringMatching(/long-polls/) });
    // Another key is not held back, nor is a poll that does not wait.
    expect((await gw.get(MUNICIPALITY, '/api/v1/inbox?wait=1')).statusCode).toBe(200);
    expect((await gw.get(GP, '/api/v1/inbox')).statusCode).toBe(200);
    for (const response of await Promise.all(holding)) expect(response.statusCode).toBe(200);
    // The slots are given back when the polls end.
    expect((await gw.get(GP, '/api/v1/inbox?wait=1')).statusCode).toBe(200);
  });
});

describe('an exhausted database pool', () => {
  let db: Database;
  let gateway: RunningGateway;
  const queue = testQueuePrefix('pool');

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { max: 1, connectionTimeoutMillis: 300 });
    const settings = readSettings({
      REDIS_URL: TEST_REDIS_URL,
      MEDCOM_QUEUE_PREFIX: queue.prefix,
      MEDCOM_CONFIG_DIR: fromPackageRoot('config'),
      MEDCOM_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    gateway = await createGateway(settings, { api: true, workers: false, database: db, logger: createLogger({ level: 'silent' }) });
    await gateway.ready;
    await gateway.app?.ready();
  });

  afterAll(async () => {
    await gateway?.close();
    await dropTestDatabase(db);
    await queue.cleanup();
  });

  it('a request that cannot get a connection in time → 503 problem with Retry-After, not 500', async () => {
    let release = (): void => undefined;
    const held = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      await sleep(100);
      const response = await gateway.app?.inject({
        method: 'GET',
        url: '/api/v1/messages/0b8f9c1e-2a4d-4c5e-9f6a-7b8c9d0e1f2a',
        headers: { authorization: `Bearer demo-${HOSPITAL}` },
      });
      expect(response?.statusCode, response?.body).toBe(503);
      expect(response?.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(response?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response?.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/busy/) });
    } finally {
      release();
      await held;
    }
    // Once the connection is free again the same request is answered.
    const after = await gateway.app?.inject({
      method: 'GET',
      url: '/api/v1/messages/0b8f9c1e-2a4d-4c5e-9f6a-7b8c9d0e1f2a',
      headers: { authorization: `Bearer demo-${HOSPITAL}` },
    });
    expect(after?.statusCode).toBe(404);
  });
});

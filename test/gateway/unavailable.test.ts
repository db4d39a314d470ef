/**
 * A gateway whose PostgreSQL cannot be reached: it still answers /healthz, says in /readyz what is
 * missing and how to start it, and answers requests with 503 + Retry-After instead of failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { createGateway, type RunningGateway } from '../../src/runtime/gateway.js';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';
import { HOSPITAL, fixture } from '../support/gateway.js';

let gateway: RunningGateway;
const queue = testQueuePrefix('down');

beforeAll(async () => {
  const settings = readSettings({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    REDIS_URL: TEST_REDIS_URL,
    MEDCOM_QUEUE_PREFIX: queue.prefix,
    MEDCOM_CONFIG_DIR: fromPackageRoot('config'),
  });
  gateway = await createGateway(settings, { api: true, workers: true, logger: createLogger({ level: 'silent' }) });
  await gateway.app?.ready();
});

afterAll(async () => {
  await gateway.close();
  await queue.cleanup();
});

describe('PostgreSQL unreachable', () => {
  it('/healthz still answers: the process is alive', async () => {
    expect((await gateway.app?.inject({ method: 'GET', url: '/healthz' }))?.statusCode).toBe(200);
  });

  it('/readyz answers 503 naming the store, where it is and how to start it (and that Redis is fine)', async () => {
    // The Redis check runs beside the store's retries; wait (bounded) until it has answered.
    let response = await gateway.app?.inject({ method: 'GET', url: '/readyz' });
    for (let i = 0; i < 100 && !(response?.json() as { checks?: { redis?: { ok?: boolean } } }).checks?.redis?.ok; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      response = await gateway.app?.inject({ method: 'GET', url: '/readyz' });
    }
    expect(response?.statusCode).toBe(503);
    expect(response?.json()).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/nowhere is not reachable: start it/),
      checks: { store: { ok: false }, redis: { ok: true } },
    });
  });

  it('a message is answered 503 with Retry-After as problem+json, so the sender sends it again later', async () => {
    const response = await gateway.app?.inject({
      method: 'POST',
      url: '/api/v1/messages',
      headers: { authorization: `Bearer demo-${HOSPITAL}`, 'content-type': 'application/xml' },
      payload: fixture('XDIS20_admission_acute.xml'),
    });
    expect(response?.statusCode).toBe(503);
    expect(response?.headers['retry-after']).toBeDefined();
    expect(response?.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response?.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/not ready: PostgreSQL/) });
  });
});

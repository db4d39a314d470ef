/**
 * `MEDCOM_INBOX_CONCURRENCY`: a process runs at most that many inbox transactions (leases, fetches,
 * answers) at once; the next waits its turn, first come first served. A receiver's lease is held up
 * deterministically by holding its inbox's advisory lock from another connection (the lease takes
 * that lock first), on an endpoint of this file's own, so no other test file's leases touch it.
 */
import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { glnCheckDigit } from '../../src/domain/gln.js';
import { HOSPITAL, MUNICIPALITY, renumber, startTestGateway, testConfigDir, type InboxItemJson, type TestGateway } from '../support/gateway.js';
import { startListeningGateway, type ListeningGateway } from '../support/listening-gateway.js';
import { TEST_DATABASE_URL } from '../support/store.js';

/** A municipality of this file's own, set up as the demo one (its key is demo-<EAN>). */
const first12 = `57999${String(randomInt(10_000_000)).padStart(7, '0')}`;
const HELD = `${first12}${glnCheckDigit(first12)}`;
const config = testConfigDir((c) => {
  const template = c.endpoints.find((e) => e.ean === MUNICIPALITY);
  c.endpoints.push({ ...structuredClone(template), ean: HELD, name: 'Kommune med låst indbakke' } as (typeof c.endpoints)[number]);
});

afterAll(() => config.remove());

/** Holds the advisory lock a lease of `ean`'s inbox takes first, until `release`. */
async function holdInboxLock(ean: string): Promise<{ release(): Promise<void>; leaseIsWaiting(): Promise<boolean> }> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  const { rows } = await client.query<{ key: string }>("SELECT hashtextextended('medcom-inbox:' || $1, 0)::text AS key", [ean]);
  const key = rows[0]?.key as string;
  await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  return {
    release: async () => {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
      await client.end();
    },
    // A 64-bit advisory key shows in pg_locks as its high (classid) and low (objid) 32 bits.
    leaseIsWaiting: async () =>
      (
        await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
             AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [key],
        )
      ).rows[0]?.n === 1,
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe.each([1, 2])('MEDCOM_INBOX_CONCURRENCY=%i', (concurrency) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_INBOX_CONCURRENCY: String(concurrency) } });
  });

  afterAll(async () => {
    await gw?.close();
  });

  const work = () => (gw.gateway.app as NonNullable<typeof gw.gateway.app>).inboxWork;

  it(concurrency === 1 ? "another receiver's lease waits its turn while one lease is held up, then both are answered" : 'a second lease runs beside the held-up one', async () => {
    const lock = await holdInboxLock(HELD);
    let released = false;
    try {
      const held = gw.get(HELD, '/api/v1/inbox?include=body');
      await until(() => lock.leaseIsWaiting(), 'the held lease waits for its inbox lock');
      expect(work().activeCount).toBe(1);
      const other = gw.get(HOSPITAL, '/api/v1/inbox?include=body');
      if (concurrency === 1) {
        await until(() => work().pendingCount === 1, "the hospital's lease is queued");
        expect(work().activeCount).toBe(1);
        // Operations see it in /metrics.
        const metrics = await gw.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer demo-ops' } });
        expect(metrics.body).toMatch(/^medcom_inbox_work_running 1$/m);
        expect(metrics.body).toMatch(/^medcom_inbox_work_queued 1$/m);
        await lock.release();
        released = true;
      } else {
        // It has a turn of its own: it is answered while the other lease is still held up.
        expect((await other).statusCode).toBe(200);
        expect(await lock.leaseIsWaiting()).toBe(true);
        await lock.release();
        released = true;
      }
      for (const response of await Promise.all([held, other])) expect(response.statusCode, response.body).toBe(200);
      expect(work().activeCount + work().pendingCount).toBe(0);
    } finally {
      if (!released) await lock.release();
    }
  });
});

describe('a client that leaves while its lease waits for its turn', () => {
  let gw: ListeningGateway;

  beforeAll(async () => {
    gw = await startListeningGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_INBOX_CONCURRENCY: '1' } });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('is leased nothing: its messages stay waiting for the next lease', async () => {
    const app = gw.gateway.app as NonNullable<typeof gw.gateway.app>;
    const posted = await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope: 'GONEENV1', letter: 'GONELET1' }));
    expect(posted.statusCode, posted.body).toBe(202);
    const lock = await holdInboxLock(HELD);
    let released = false;
    try {
      const held = gw.get(HELD, '/api/v1/inbox?include=body');
      await until(() => lock.leaseIsWaiting(), 'the held lease waits for its inbox lock');
      // The municipality's lease over real HTTP, queued behind the held one, then the client leaves.
      const leaving = httpRequest(`${gw.url}/api/v1/inbox?include=body`, { headers: { authorization: `Bearer demo-${MUNICIPALITY}` } });
      leaving.on('error', () => undefined);
      leaving.end();
      await until(() => app.inboxWork.pendingCount === 1, "the municipality's lease is queued");
      leaving.destroy();
      await until(() => new Promise<boolean>((resolve) => app.server.getConnections((_error, n) => resolve(n === 0))), 'the gateway saw the client go');
      await lock.release();
      released = true;
      expect((await held).statusCode).toBe(200);
      await until(() => app.inboxWork.activeCount + app.inboxWork.pendingCount === 0, 'the queued lease had its turn');
    } finally {
      if (!released) await lock.release();
    }
    const lease = await gw.get(MUNICIPALITY, '/api/v1/inbox?include=body');
    expect(lease.statusCode, lease.body).toBe(200);
    const items = lease.json<{ items: (InboxItemJson & { body?: string })[] }>().items;
    expect(items.map((i) => i.messageId)).toEqual([posted.json<{ id: string }>().id]);
    expect(items[0]).toMatchObject({ offers: 1 });
    expect(items[0]?.body).toBeDefined();
  });
});

describe('MEDCOM_INBOX_CONCURRENCY out of range', () => {
  it.each(['0', '-1', 'two', '1.5', '1001'])('%s is refused with the variable named', (value) => {
    expect(() => readSettings({ MEDCOM_INBOX_CONCURRENCY: value })).toThrow(/MEDCOM_INBOX_CONCURRENCY/);
  });

  it('is 2 when not set', () => {
    expect(readSettings({}).inboxConcurrency).toBe(2);
  });
});

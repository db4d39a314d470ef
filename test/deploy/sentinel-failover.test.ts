/**
 * Redis high availability through Sentinel: the gateway reaches Redis only through three Sentinels
 * (MEDCOM_REDIS_SENTINELS) watching a private primary and replica. Under a light load of posted
 * messages the primary is failed over (SENTINEL FAILOVER); the queues, the inbox pub/sub and the rate
 * limits follow the new primary by themselves. At the end every accepted message has been pushed to
 * its receiver exactly once: none lost, none twice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { HOSPITAL, MUNICIPALITY, startTestGateway, testConfigDir, variant, type TestGateway } from '../support/gateway.js';
import { startSentinelSet, type SentinelSet } from '../support/sentinel.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The receiving municipality's system: counts each envelope it is pushed. */
class CountingEndpoint {
  readonly received = new Map<string, number>();
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const envelope = /<Envelope>[\s\S]*?<Identifier>([^<]*)<\/Identifier>/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '?';
      this.received.set(envelope, (this.received.get(envelope) ?? 0) + 1);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/medcom/inbound`;
  }
  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('Redis through Sentinel', () => {
  it('a failover under load loses no accepted message and pushes none twice', { timeout: 90_000 }, async () => {
    const set: SentinelSet = await startSentinelSet();
    cleanups.push(() => set.stop());
    const endpoint = new CountingEndpoint();
    await endpoint.start();
    cleanups.push(() => endpoint.close());
    const config = testConfigDir((c) => {
      const municipality = c.endpoints.find((e) => e.ean === MUNICIPALITY);
      if (!municipality) throw new Error('no demo municipality');
      municipality.delivery = { mode: 'push', url: endpoint.url };
    });
    cleanups.push(() => config.remove());

    const gw: TestGateway = await startTestGateway({
      env: {
        MEDCOM_CONFIG_DIR: config.dir,
        // Not a reachable Redis: everything must go through the Sentinels.
        REDIS_URL: 'redis://127.0.0.1:1',
        MEDCOM_REDIS_SENTINELS: set.sentinelList,
        MEDCOM_REDIS_SENTINEL_NAME: set.name,
        MEDCOM_RECONCILE_INTERVAL_MS: '1000',
        MEDCOM_PUSH_BACKOFF_MS: '200',
      },
    });
    cleanups.push(() => gw.close());
    expect((await gw.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    const accepted = new Set<string>();
    const refused: number[] = [];
    let n = 0;
    const postOne = async (): Promise<void> => {
      n += 1;
      const envelope = `SNTL${n}E`;
      const response = await gw.post(HOSPITAL, variant('XDIS17_discharge_home.xml', { envelope, letter: `SNTL${n}L` }));
      if (response.statusCode === 202) accepted.add(envelope);
      else refused.push(response.statusCode);
    };

    for (let i = 0; i < 15; i++) await postOne();
    let loading = true;
    const load = (async () => {
      while (loading) {
        await postOne();
        await sleep(40);
      }
    })();
    await set.failover();
    await sleep(1_000);
    loading = false;
    await load;
    expect(await set.currentPrimaryPort()).toBe(set.replicaPort);
    for (let i = 0; i < 15; i++) await postOne();

    // The accept path needs only PostgreSQL: a Redis failover refuses nothing.
    expect(refused).toEqual([]);
    expect(accepted.size).toBe(n);

    const deadline = Date.now() + 45_000;
    while ([...accepted].some((envelope) => !endpoint.received.has(envelope)) && Date.now() < deadline) await sleep(200);
    // A job run twice would push a moment later: look once more after a pause.
    await sleep(1_500);

    const missing = [...accepted].filter((envelope) => !endpoint.received.has(envelope));
    const twice = [...endpoint.received].filter(([, count]) => count > 1).map(([envelope]) => envelope);
    const unknown = [...endpoint.received.keys()].filter((envelope) => !accepted.has(envelope));
    expect({ missing, twice, unknown }).toEqual({ missing: [], twice: [], unknown: [] });
    expect(endpoint.received.size).toBe(accepted.size);
    expect((await gw.request({ method: 'GET', url: '/readyz' })).statusCode, 'readiness finds the new primary').toBe(200);
  });
});

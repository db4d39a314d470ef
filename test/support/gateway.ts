/**
 * A whole gateway for a test file: its own PostgreSQL schema (or PGlite), its own Redis key prefix,
 * the demo configuration, an injectable clock; driven through `app.inject` (no port needed).
 */
import { readFileSync } from 'node:fs';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { createGateway, type RunningGateway } from '../../src/runtime/gateway.js';
import type { Database } from '../../src/store/database.js';
import { TEST_REDIS_URL, testQueuePrefix } from './redis.js';
import { dropTestDatabase, openTestDatabase, type TestDatabaseKind } from './store.js';

export const HOSPITAL = '5790000000012';
export const HOSPITAL_2 = '5790000000029';
export const MUNICIPALITY = '5790000000036';
export const MUNICIPALITY_2 = '5790000000043';
export const GP = '5790000000050';
export const ENDPOINTS = [HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, GP];

export class TestClock {
  constructor(private current = new Date('2026-11-23T09:00:00Z')) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly db: Database;
  readonly clock: TestClock;
  readonly settings: Settings;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  post(ean: string, body: Buffer | string, contentType?: string): Promise<LightMyRequestResponse>;
  get(ean: string, url: string): Promise<LightMyRequestResponse>;
  answer(ean: string, deliveryId: string, answer: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function fixture(name: string): Buffer {
  return readFileSync(fromPackageRoot('fixtures', 'valid', name));
}

/**
 * Rewrites a fixture's envelope and letter identifiers (and optionally its receiver) so each test
 * message is new; the bytes keep their encoding.
 */
export function variant(name: string, ids: { envelope: string; letter?: string; ack?: 'pluspositivkvitt' | 'minuspositivkvitt' }): Buffer {
  const raw = fixture(name).toString('latin1');
  let first = true;
  let text = raw.replace(/(<Envelope>[\s\S]*?<Identifier>)([^<]*)(<\/Identifier>)/, `$1${ids.envelope}$3`);
  if (ids.letter) {
    text = text.replace(/(<Letter>\s*<Identifier>)([^<]*)(<\/Identifier>)/g, (_m, a: string, _b: string, c: string) => {
      const id = first ? ids.letter : `${ids.letter}B`;
      first = false;
      return `${a}${id}${c}`;
    });
  }
  if (ids.ack) text = text.replace(/<AcknowledgementCode>[^<]*<\/AcknowledgementCode>/, `<AcknowledgementCode>${ids.ack}</AcknowledgementCode>`);
  return Buffer.from(text, 'latin1');
}

export async function startTestGateway(
  options: { kind?: TestDatabaseKind; env?: Record<string, string>; workers?: boolean } = {},
): Promise<TestGateway> {
  const db = await openTestDatabase(options.kind ?? 'postgres');
  const queue = testQueuePrefix('gw');
  const clock = new TestClock();
  const settings = readSettings({
    MEDCOM_CONFIG_DIR: fromPackageRoot('config'),
    REDIS_URL: TEST_REDIS_URL,
    MEDCOM_QUEUE_PREFIX: queue.prefix,
    LOG_LEVEL: 'silent',
    MEDCOM_RATE_LIMIT_PER_MINUTE: '1000000',
    ...options.env,
  });
  const gateway = await createGateway(settings, {
    api: true,
    workers: options.workers ?? true,
    clock: clock.now,
    database: db,
    logger: createLogger({ level: 'silent' }),
  });
  await gateway.ready;
  await gateway.app?.ready();
  const request = (injectOptions: InjectOptions) => (gateway.app as NonNullable<typeof gateway.app>).inject(injectOptions);
  return {
    gateway,
    db,
    clock,
    settings,
    request,
    post: (ean, body, contentType = 'application/xml') =>
      request({ method: 'POST', url: '/api/v1/messages', headers: { authorization: `Bearer demo-${ean}`, 'content-type': contentType }, payload: body }),
    get: (ean, url) => request({ method: 'GET', url, headers: { authorization: `Bearer demo-${ean}` } }),
    answer: (ean, deliveryId, answer) =>
      request({
        method: 'POST',
        url: `/api/v1/inbox/${deliveryId}/receipt`,
        headers: { authorization: `Bearer demo-${ean}`, 'content-type': 'application/json' },
        payload: JSON.stringify(answer),
      }),
    async close() {
      await gateway.close();
      await dropTestDatabase(db);
      await queue.cleanup();
    },
  };
}

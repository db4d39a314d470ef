/**
 * A whole gateway for a test file: its own PostgreSQL schema (or PGlite), its own Redis key prefix,
 * the demo configuration, an injectable clock; driven through `app.inject` (no port needed).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { createLogger, type Logger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { addWeekdays, copenhagenDateOf } from '../../src/domain/calendar.js';
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

export interface TestGatewayOptions {
  kind?: TestDatabaseKind;
  env?: Record<string, string>;
  workers?: boolean;
  /**
   * A second gateway process on the same store, Redis prefix and clock as `sharedWith` (as several
   * `medcom-gateway api` processes would run). Its close() leaves the shared store and keys alone:
   * close it before `sharedWith`.
   */
  sharedWith?: TestGateway;
  /** The gateway's logger (default: silent). */
  logger?: Logger;
  /** How long /metrics reuses the store's figures (default 0: every scrape reads them). */
  metricsCacheMs?: number;
  /** Watch the configuration folder and reload keys.json on a change, as the commands do (default off). */
  watchKeys?: boolean;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const shared = options.sharedWith;
  const db = shared?.db ?? (await openTestDatabase(options.kind ?? 'postgres'));
  const queue = shared ? { prefix: shared.settings.queuePrefix, cleanup: async () => 0 } : testQueuePrefix('gw');
  const clock = shared?.clock ?? new TestClock();
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
    logger: options.logger ?? createLogger({ level: 'silent' }),
    metricsCacheMs: options.metricsCacheMs ?? 0,
    ...(options.watchKeys ? { watchKeys: true } : {}),
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
      if (shared) return;
      await dropTestDatabase(db);
      await queue.cleanup();
    },
  };
}

/**
 * Like `variant`, for every fixture: element names may carry a namespace prefix (`m0:Envelope` in the
 * municipality generation). Rewrites the envelope identifier, every letter identifier (the first
 * becomes `letter`, the next `letter`B, `letter`C …) and optionally the AcknowledgementCode.
 */
/**
 * The plan's own first-contact date (RehabilitationDeadline) set to the agreement's limit for a plan
 * arriving at `arrival`: the end of the 3rd weekday after (D7), so the date neither shortens D7 nor draws
 * D16's warning. The fixture's fixed date would otherwise be the (long past) limit.
 */
export function statingAgreedFirstContact(plan: Buffer, arrival: Date): Buffer {
  const date = addWeekdays(copenhagenDateOf(arrival), 3);
  return Buffer.from(plan.toString('utf8').replace(/(<RehabilitationDeadline>\s*<m0:Date>)[^<]*/, `$1${date}`), 'utf8');
}

export function renumber(source: string | Buffer, ids: { envelope: string; letter?: string; ack?: 'pluspositivkvitt' | 'minuspositivkvitt' }): Buffer {
  const raw = (typeof source === 'string' ? fixture(source) : source).toString('latin1');
  const p = '(?:[A-Za-z][\\w.-]*:)?';
  let text = raw.replace(new RegExp(`(<${p}Envelope>[\\s\\S]*?<${p}Identifier>)([^<]*)(</${p}Identifier>)`), `$1${ids.envelope}$3`);
  if (ids.letter) {
    let n = 0;
    text = text.replace(new RegExp(`(<${p}Letter>\\s*<${p}Identifier>)([^<]*)(</${p}Identifier>)`, 'g'), (_m, a: string, _b: string, c: string) => {
      const id = n === 0 ? ids.letter : `${ids.letter}${String.fromCharCode(65 + n)}`;
      n += 1;
      return `${a}${id}${c}`;
    });
  }
  if (ids.ack) text = text.replace(new RegExp(`(<${p}AcknowledgementCode>)[^<]*(</${p}AcknowledgementCode>)`), `$1${ids.ack}$2`);
  return Buffer.from(text, 'latin1');
}

/**
 * An XDIS20 admission (HOSPITAL → MUNICIPALITY) marked psychiatric with the gateway's extension: it
 * leaves the GP notice (D21-GP) pending with a breach timer, for tests that need a deadline to breach.
 */
export function psychiatricAdmission(ids: { envelope: string; letter: string }): Buffer {
  const psychiatric = fixture('XDIS20_admission_acute.xml')
    .toString('utf8')
    .replace('</Emessage>', '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:Psychiatric>true</gw:Psychiatric></gw:Gateway></Local_Elements></Emessage>');
  return renumber(Buffer.from(psychiatric, 'utf8'), ids);
}

/** The Sender EAN of a message's first letter (prefixed element names allowed). */
export function senderEanOf(body: Buffer): string {
  const found = /<(?:[A-Za-z][\w.-]*:)?Sender>\s*<(?:[A-Za-z][\w.-]*:)?EANIdentifier>([0-9]+)</.exec(body.toString('latin1'));
  if (!found?.[1]) throw new Error('no Sender/EANIdentifier in the message');
  return found[1];
}

export interface EndpointsJson {
  endpoints: { ean: string; accepts: string[]; enabled?: boolean; delivery: { mode: string; url?: string }; [key: string]: unknown }[];
  [key: string]: unknown;
}

/**
 * A configuration folder of its own: the demo `endpoints.json` changed by `edit`, in a temporary
 * folder. Pass `env: { MEDCOM_CONFIG_DIR: dir }` to startTestGateway; `remove()` in afterAll.
 */
export function testConfigDir(edit: (config: EndpointsJson) => void): { readonly dir: string; remove(): void } {
  const config = JSON.parse(readFileSync(fromPackageRoot('config', 'endpoints.json'), 'utf8')) as EndpointsJson;
  edit(config);
  const dir = mkdtempSync(join(tmpdir(), 'medcom-config-'));
  writeFileSync(join(dir, 'endpoints.json'), JSON.stringify(config, null, 2));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An item of `GET /api/v1/inbox`. */
export interface InboxItemJson {
  id: string;
  messageId: string;
  envelopeId: string;
  sender: string;
  role: 'receiver' | 'cc';
  letters: { letterId: string; type: string }[];
  contentType: string;
  sha256: string;
  leaseUntil: string | null;
  offers: number;
  ackRequested: boolean;
  href: string;
}

/** `GET /api/v1/messages/{id}`. */
export interface MessageViewJson {
  id: string;
  envelopeId: string;
  sender: string;
  origin: string;
  status: string;
  sha256: string;
  ackRequested: boolean;
  letters: { letterId: string; type: string; receiverEan: string; copies: string[] }[];
  deliveries: {
    id: string;
    receiver: string;
    role: 'receiver' | 'cc';
    state: string;
    offers: number;
    reoffers: number;
    receiptDueAt: string | null;
    receipt: { kind: string; refuseCode?: string; messageId: string | null } | null;
  }[];
  timeline: { at: string; kind: string; deliveryId: string | null; detail: Record<string, unknown> }[];
}

async function json<T>(response: LightMyRequestResponse, what: string): Promise<T> {
  if (response.statusCode !== 200) throw new Error(`${what}: HTTP ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

/** Leases `ean`'s inbox (`query` e.g. `?limit=5&wait=1`); throws unless 200. */
export async function leaseInbox(gw: TestGateway, ean: string, query = ''): Promise<InboxItemJson[]> {
  return (await json<{ items: InboxItemJson[] }>(await gw.get(ean, `/api/v1/inbox${query}`), `GET /api/v1/inbox${query} as ${ean}`)).items;
}

/** Fetches every item (so later messages for the same patients are not held back behind them). */
export async function fetchItems(gw: TestGateway, ean: string, items: readonly InboxItemJson[]): Promise<LightMyRequestResponse[]> {
  const responses: LightMyRequestResponse[] = [];
  for (const item of items) {
    const response = await gw.get(ean, `/api/v1/inbox/${item.id}`);
    if (response.statusCode !== 200) throw new Error(`GET /api/v1/inbox/${item.id} as ${ean}: HTTP ${response.statusCode} ${response.body}`);
    responses.push(response);
  }
  return responses;
}

/** `GET /api/v1/messages/{id}` as an endpoint or, with `'ops'`, the operations key. */
export async function viewMessage(gw: TestGateway, who: string, id: string): Promise<MessageViewJson> {
  return json<MessageViewJson>(await gw.get(who, `/api/v1/messages/${id}`), `GET /api/v1/messages/${id} as ${who}`);
}

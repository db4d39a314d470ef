/**
 * What the fault suite and the soak run share: a PRIVATE PostgreSQL cluster (initdb/pg_ctl into a
 * temporary folder) and a PRIVATE redis-server, gateway processes started with the built CLI (their
 * output written to log files), a load of mixed messages from several senders with a client that
 * retries as an EPJ would (network errors and 503, honouring Retry-After), receivers that long-poll,
 * fetch and answer, and the count at the end: accepted vs stored vs delivered vs acknowledged.
 * The shared PostgreSQL and Redis of the machine are never touched.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fromPackageRoot } from '../../src/package-root.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { fixture, renumber, senderEanOf } from '../support/gateway.js';
import { admissionFor, nearBreachAdmission } from './deadline-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// PostgreSQL of our own

export interface PrivatePostgres {
  readonly port: number;
  urlOf(database: string): string;
  createDatabase(name: string): Promise<void>;
  query<T>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` system user. */
function asClusterOwner(command: string, args: readonly string[]): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file: command, args: [...args] };
  return { file: 'runuser', args: ['-u', 'postgres', '--', command, ...args] };
}

export async function startPrivatePostgres(root: string): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const data = join(root, 'pgdata');
  mkdirSync(data, { recursive: true });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
    chownSync(data, uid, gid);
  }
  const port = await freePort();
  const run = (command: string, args: readonly string[]): void => {
    const { file, args: full } = asClusterOwner(join(bin, command), args);
    execFileSync(file, full, { stdio: 'pipe', cwd: root });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = (): void => run('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'postgres.log'), '-w', '-t', '60', 'start']);
  start();
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    urlOf,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
    },
    async query<T>(database: string, sql: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: urlOf(database) });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async restart() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await sleep(1000);
      start();
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Gateway processes

export interface GatewayProcess {
  readonly mode: 'api' | 'worker' | 'serve';
  readonly url: string | undefined;
  /** The running process's id (undefined while it is down). */
  pid(): number | undefined;
  kill9(): Promise<void>;
  start(): Promise<void>;
  /** SIGTERM, and SIGKILL if it has not exited `graceMs` (default 30 s) later: 'killed' then. */
  stop(graceMs?: number): Promise<'stopped' | 'killed'>;
}

export interface Environment {
  readonly root: string;
  readonly postgres: PrivatePostgres;
  readonly redis: PrivateRedis;
  close(): Promise<void>;
}

export async function startEnvironment(label: string): Promise<Environment> {
  const root = mkdtempSync(join(tmpdir(), `medcom-${label}-`));
  const redis = await startPrivateRedis();
  const postgres = await startPrivatePostgres(root);
  return {
    root,
    postgres,
    redis,
    async close() {
      await redis.stop();
      await postgres.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The API answers 200 on /readyz. */
async function answersReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** A worker has no port: it is ready when its log says so (after `offset`, where this start began writing). */
function loggedSince(file: string, offset: number, text: string): boolean {
  if (!existsSync(file)) return false;
  return readFileSync(file).subarray(offset).toString('utf8').includes(text);
}

export async function startGatewayProcess(
  mode: 'api' | 'worker' | 'serve',
  env: Record<string, string>,
  logFile: string,
): Promise<GatewayProcess> {
  const port = mode === 'worker' ? undefined : await freePort();
  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const start = async (): Promise<void> => {
    const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
    const log = createWriteStream(logFile, { flags: 'a' });
    const started = spawn(process.execPath, [fromPackageRoot('bin', 'medcom-gateway.js'), mode], {
      cwd: fromPackageRoot(),
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        MEDCOM_CONFIG_DIR: fromPackageRoot('config'),
        LOG_LEVEL: 'info',
        MEDCOM_RATE_LIMIT_PER_MINUTE: '1000000',
        ...(port === undefined ? {} : { PORT: String(port) }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Both streams write the one log: neither may end it while the other still writes.
    started.stdout?.pipe(log, { end: false });
    started.stderr?.pipe(log, { end: false });
    started.once('close', () => log.end());
    child = started;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`medcom-gateway ${mode} exited (${started.exitCode}); see ${logFile}`);
      if (url === undefined ? loggedSince(logFile, logStart, 'medcom-gateway is ready') : await answersReady(url)) return;
      if (Date.now() > deadline) throw new Error(`medcom-gateway ${mode} did not become ready; see ${logFile}`);
      await sleep(100);
    }
  };
  const exited = async (signal: NodeJS.Signals, graceMs = 0): Promise<'stopped' | 'killed'> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return 'stopped';
    return new Promise((resolve) => {
      // A graceful stop that hangs must not hang the suite: it is reported, and the process killed.
      const force = graceMs > 0 ? setTimeout(() => running.kill('SIGKILL'), graceMs) : undefined;
      running.once('exit', (_code, how) => {
        clearTimeout(force);
        resolve(how === 'SIGKILL' && signal !== 'SIGKILL' ? 'killed' : 'stopped');
      });
      running.kill(signal);
    });
  };
  await start();
  return {
    mode,
    url,
    pid: () => child?.pid,
    kill9: async () => {
      await exited('SIGKILL');
    },
    start,
    async stop(graceMs = 30_000) {
      const how = await exited('SIGTERM', graceMs);
      process.removeListener('exit', killOnExit);
      return how;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The retrying client

export interface Attempted {
  readonly status: number;
  readonly body: string;
}

/**
 * One request as an EPJ sends it: on a network error, 502/503 or 429 it waits (Retry-After when given,
 * else a short pause) and tries again, the next API process in turn, until `giveUpAt`.
 */
export async function retrying(
  urls: () => readonly string[],
  path: string,
  init: { method: string; headers: Record<string, string>; body?: Buffer | string },
  giveUpAt: number,
): Promise<Attempted | undefined> {
  for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
    const list = urls();
    const base = list[attempt % list.length] as string;
    let wait = 200;
    try {
      const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(70_000) });
      const body = await response.text();
      if (![429, 502, 503].includes(response.status)) return { status: response.status, body };
      const after = Number(response.headers.get('retry-after'));
      if (Number.isFinite(after) && after > 0) wait = Math.min(after * 1000, 5000);
    } catch {
      // connection refused or reset: the process died or restarts
    }
    await sleep(wait);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Load: senders and receivers

/** Fixtures of several senders to several receivers (all pull), each with a positive receipt asked for. */
export const LOAD_FIXTURES = [
  'XDIS20_admission_acute.xml',
  'XDIS91_clinical_email.xml',
  'XDIS18_report_of_discharge.xml',
  'XDIS17_iso-8859-1.xml',
  'XDIS16_report_of_admission.xml',
  'XDIS14_answer_of_admission.xml',
] as const;

export interface Sent {
  readonly envelope: string;
  readonly sender: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** The stored message's id when the gateway took it (202, or 200 duplicate after a retry). */
  readonly id: string | undefined;
  readonly receivers: readonly string[];
}

/** In a sender's rotation with `deadlines`: a psychiatric admission whose GP deadline breaches soon (deadline-load.ts). */
export const NEAR_BREACH_ADMISSION = 'psychiatric admission, breach near';

export interface LoadOptions {
  readonly urls: () => readonly string[];
  readonly tag: string;
  /** Milliseconds between two messages of one sender. */
  readonly intervalMs: number;
  /** Receivers that lease and fetch but never answer: a municipality that never acknowledges. */
  readonly silent?: readonly string[];
  /** The hospital also sends psychiatric admissions that start a deadline with a breach time near. */
  readonly deadlines?: boolean;
}

export class Load {
  readonly sent: Sent[] = [];
  /** Per receiver, message id → how many lease answers showed it after it had been fetched. */
  readonly shownAgain = new Map<string, number>();
  /**
   * Items shown again that a receiver could not tell from a new message: another item id, or no more
   * offers than when it was fetched (a re-offer is the same item, offered once more).
   */
  readonly shownAsNew: string[] = [];
  readonly fetched = new Map<string, Set<string>>();
  readonly acceptLatencies: number[] = [];
  /** Answers to fetches and receipts that were neither 2xx nor retried (for the report of a failure). */
  readonly oddAnswers: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private counter = 0;

  constructor(private readonly options: LoadOptions) {}

  start(receivers: readonly string[]): void {
    const bySender = new Map<string, string[]>();
    for (const name of LOAD_FIXTURES) {
      const sender = senderEanOf(fixture(name));
      bySender.set(sender, [...(bySender.get(sender) ?? []), name]);
    }
    if (this.options.deadlines) {
      const hospital = senderEanOf(fixture('XDIS20_admission_acute.xml'));
      bySender.set(hospital, [...(bySender.get(hospital) ?? []), NEAR_BREACH_ADMISSION]);
    }
    for (const [sender, names] of bySender) this.senders.push(this.sendLoop(sender, names));
    for (const receiver of receivers) this.loops.push(this.receiveLoop(receiver));
  }

  /** Stops sending and waits for the messages in flight to be answered; receivers keep draining until `stop()`. */
  async stopSending(): Promise<void> {
    this.running = false;
    await Promise.all(this.senders);
  }

  private readonly senders: Promise<void>[] = [];

  async stop(): Promise<void> {
    this.running = false;
    this.draining = false;
    await Promise.all([...this.senders, ...this.loops]);
  }

  private draining = true;

  private async sendLoop(sender: string, names: readonly string[]): Promise<void> {
    let index = 0;
    while (this.running) {
      const name = names[index++ % names.length] as string;
      const envelope = `${this.options.tag}N${this.counter++}`;
      // A second letter gets the first's identifier + "B": the X keeps "L<envelope>B" of one message from
      // being the first letter of another (which the gateway would rightly take for a resend).
      const ids = { envelope, letter: `L${envelope}X` };
      const body = name === NEAR_BREACH_ADMISSION ? nearBreachAdmission(ids, admissionFor(Date.now())) : renumber(name, { ...ids, ack: 'pluspositivkvitt' });
      const startedAt = Date.now();
      const answer = await retrying(
        this.options.urls,
        '/api/v1/messages',
        { method: 'POST', headers: { authorization: `Bearer demo-${sender}`, 'content-type': 'application/xml' }, body },
        Date.now() + 120_000,
      );
      const finishedAt = Date.now();
      let id: string | undefined;
      let receivers: string[] = [];
      if (answer && (answer.status === 202 || answer.status === 200)) {
        const parsed = JSON.parse(answer.body) as { id: string; letters: { receiver: string; copies: string[] }[] };
        id = parsed.id;
        receivers = [...new Set(parsed.letters.flatMap((l) => [l.receiver, ...l.copies]))];
        this.acceptLatencies.push(finishedAt - startedAt);
      } else if (answer) {
        throw new Error(`POST ${name} as ${sender}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      }
      this.sent.push({ envelope, sender, startedAt, finishedAt, id, receivers });
      await sleep(this.options.intervalMs);
    }
  }

  private async receiveLoop(receiver: string): Promise<void> {
    const headers = { authorization: `Bearer demo-${receiver}` };
    const mine = new Set<string>();
    this.fetched.set(receiver, mine);
    const silent = this.options.silent?.includes(receiver) ?? false;
    /** Message id → the item and its offers when last fetched. */
    const fetchedAs = new Map<string, { id: string; offers: number }>();
    while (this.running || this.draining) {
      const leased = await retrying(this.options.urls, '/api/v1/inbox?limit=20&wait=1', { method: 'GET', headers }, Date.now() + 120_000);
      if (!leased || leased.status !== 200) continue;
      const items = (JSON.parse(leased.body) as { items: { id: string; messageId: string; offers: number; ackRequested: boolean; letters: { type: string }[] }[] }).items;
      for (const item of items) {
        if (mine.has(item.messageId)) {
          this.shownAgain.set(`${receiver}:${item.messageId}`, (this.shownAgain.get(`${receiver}:${item.messageId}`) ?? 0) + 1);
          const before = fetchedAs.get(item.messageId);
          if (before && (before.id !== item.id || before.offers >= item.offers)) {
            this.shownAsNew.push(`${receiver}: message ${item.messageId} shown as item ${item.id} (offers ${item.offers}) after item ${before.id} (offers ${before.offers})`);
          }
        }
        const fetched = await retrying(this.options.urls, `/api/v1/inbox/${item.id}`, { method: 'GET', headers }, Date.now() + 120_000);
        if (!fetched || fetched.status !== 200) {
          this.oddAnswers.push(`fetch ${item.id} by ${receiver}: ${fetched ? `${fetched.status} ${fetched.body.slice(0, 200)}` : 'gave up'}`);
          continue;
        }
        mine.add(item.messageId);
        fetchedAs.set(item.messageId, { id: item.id, offers: item.offers });
        if (!item.ackRequested || silent) continue;
        const answered = await retrying(
          this.options.urls,
          `/api/v1/inbox/${item.id}/receipt`,
          { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'positive' }) },
          Date.now() + 120_000,
        );
        if (!answered || answered.status >= 300) {
          this.oddAnswers.push(`receipt ${item.id} by ${receiver}: ${answered ? `${answered.status} ${answered.body.slice(0, 200)}` : 'gave up'}`);
        }
      }
    }
  }
}

/** The receivers the load's fixtures address. */
export function loadReceivers(): string[] {
  return ['5790000000012', '5790000000029', '5790000000036', '5790000000043'];
}

// ---------------------------------------------------------------------------------------------
// The count

export interface Outcome {
  readonly accepted: number;
  readonly stored: number;
  readonly delivered: number;
  /** Deliveries answered positively, and (to silent receivers) marked unacknowledged after the re-offers. */
  readonly acknowledged: number;
  readonly unacknowledged: number;
  /** Re-offers the receipt watchdog made, over all deliveries of the load. */
  readonly reoffers: number;
  readonly lost: number;
  /** Messages shown again to a receiver that had fetched them, beyond the watchdog's re-offers. */
  readonly shownTwice: number;
  readonly notAccepted: number;
  /** The deliveries not finished at the end, and answers the receivers got that were not 2xx. */
  readonly unfinished: readonly string[];
}

export interface SettleOptions {
  /** Receivers that never answer: their deliveries are finished when marked unacknowledged. */
  readonly silent?: readonly string[];
}

/**
 * Waits (up to `timeoutMs`) until every accepted message's deliveries are finished — acknowledged, or
 * for a silent receiver unacknowledged — then counts.
 */
export async function settle(postgres: PrivatePostgres, database: string, load: Load, timeoutMs: number, options: SettleOptions = {}): Promise<Outcome> {
  await load.stopSending();
  const ids = load.sent.flatMap((s) => (s.id ? [s.id] : []));
  const silent = [...(options.silent ?? [])];
  const finished = `(d.state = 'acknowledged' AND NOT d.receiver_ean = ANY($2::text[])) OR (d.state = 'unacknowledged' AND d.receiver_ean = ANY($2::text[]))`;
  const deadline = Date.now() + timeoutMs;
  type Counts = { stored: string; delivered: string; acknowledged: string; unacknowledged: string; finished: string; deliveries: string; reoffers: string };
  let rows: Counts[] = [];
  for (;;) {
    rows = await postgres
      .query<Counts>(
        database,
        `SELECT count(DISTINCT m.id) AS stored, count(d.id) AS deliveries,
                count(d.id) FILTER (WHERE d.delivered_at IS NOT NULL) AS delivered,
                count(d.id) FILTER (WHERE d.state = 'acknowledged') AS acknowledged,
                count(d.id) FILTER (WHERE d.state = 'unacknowledged') AS unacknowledged,
                count(d.id) FILTER (WHERE ${finished}) AS finished,
                coalesce(sum(d.reoffers), 0) AS reoffers
         FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id WHERE m.id = ANY($1::uuid[])`,
        [ids, silent],
      )
      .catch(() => []);
    const row = rows[0];
    if (row && Number(row.finished) === Number(row.deliveries) && Number(row.stored) === ids.length) break;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  await load.stop();
  const unfinished = await postgres
    .query<{ state: string; receiver_ean: string; offers: number; events: string }>(
      database,
      `SELECT d.state, d.receiver_ean, d.offers, (SELECT string_agg(kind || 'x' || repeat_count, ',' ORDER BY id) FROM events e WHERE e.delivery_id = d.id) AS events
       FROM deliveries d WHERE d.message_id = ANY($1::uuid[]) AND NOT (${finished})`,
      [ids, silent],
    )
    .then((found): string[] => found.map((d) => `${d.receiver_ean} ${d.state} offers=${d.offers} ${d.events}`))
    .catch((error: Error) => [error.message]);
  // Every receiver the gateway named when it accepted a message must have a delivery of it.
  const stored = await postgres
    .query<{ message_id: string; receivers: string[] }>(
      database,
      'SELECT message_id, array_agg(receiver_ean ORDER BY receiver_ean) AS receivers FROM deliveries WHERE message_id = ANY($1::uuid[]) GROUP BY message_id',
      [ids],
    )
    .catch(() => []);
  const receiversOf = new Map(stored.map((r) => [r.message_id, r.receivers]));
  for (const s of load.sent) {
    if (!s.id) continue;
    const missing = s.receivers.filter((r) => !(receiversOf.get(s.id as string) ?? []).includes(r));
    if (missing.length > 0) unfinished.push(`${s.envelope} (${s.id}): no delivery to ${missing.join(', ')}`);
  }
  const row = rows[0] ?? { stored: '0', delivered: '0', acknowledged: '0', unacknowledged: '0', finished: '0', deliveries: '0', reoffers: '0' };
  const expectedDeliveries = load.sent.reduce((n, s) => n + (s.id ? s.receivers.length : 0), 0);
  return {
    accepted: ids.length,
    stored: Number(row.stored),
    delivered: Number(row.delivered),
    acknowledged: Number(row.acknowledged),
    unacknowledged: Number(row.unacknowledged),
    reoffers: Number(row.reoffers),
    lost: ids.length - Number(row.stored) + (expectedDeliveries - Number(row.finished)),
    shownTwice: (await shownBeyondReoffers(postgres, database, load)) + load.shownAsNew.length,
    notAccepted: load.sent.filter((s) => !s.id).length,
    unfinished: [...unfinished, ...load.oddAnswers],
  };
}

/**
 * Times a receiver was shown a message again after fetching it, beyond what the receipt watchdog
 * re-offered (MedCom's resends, which the receiver recognises by the item and letter identifiers).
 */
async function shownBeyondReoffers(postgres: PrivatePostgres, database: string, load: Load): Promise<number> {
  if (load.shownAgain.size === 0) return 0;
  const messageIds = [...new Set([...load.shownAgain.keys()].map((key) => key.split(':')[1] as string))];
  const reoffered = await postgres
    .query<{ key: string; reoffers: number }>(
      database,
      `SELECT receiver_ean || ':' || message_id AS key, sum(reoffers)::int AS reoffers FROM deliveries WHERE message_id = ANY($1::uuid[]) GROUP BY receiver_ean, message_id`,
      [messageIds],
    )
    .catch(() => []);
  const reoffersOf = new Map(reoffered.map((r) => [r.key, Number(r.reoffers)]));
  let beyond = 0;
  for (const [key, times] of load.shownAgain) beyond += Math.max(0, times - (reoffersOf.get(key) ?? 0));
  return beyond;
}

/** Seconds from the fault until the first message sent after it was accepted. */
export function recoverySeconds(load: Load, faultAt: number): number | undefined {
  const first = load.sent.filter((s) => s.id && s.startedAt >= faultAt).sort((a, b) => a.finishedAt - b.finishedAt)[0];
  return first ? (first.finishedAt - faultAt) / 1000 : undefined;
}

// ---------------------------------------------------------------------------------------------
// Logs

/** The 10-digit CPR numbers of the fixtures, to look for in the processes' log files. */
export function fixtureCprNumbers(): Set<string> {
  const found = new Set<string>();
  for (const folder of ['valid', 'invalid']) {
    for (const name of readdirSync(fromPackageRoot('fixtures', folder)).filter((n) => n.endsWith('.xml'))) {
      const text = readFileSync(fromPackageRoot('fixtures', folder, name), 'latin1');
      for (const match of text.matchAll(/CivilRegistrationNumber>\s*(\d{10})\s*</g)) found.add(match[1] as string);
    }
  }
  return found;
}

/** Log lines (of the files given) that hold a CPR number of the fixtures. */
export function cprLinesIn(files: readonly string[]): string[] {
  const cprs = fixtureCprNumbers();
  const hits: string[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      for (const cpr of cprs) if (line.includes(cpr) || line.includes(`${cpr.slice(0, 6)}-${cpr.slice(6)}`)) hits.push(`${file}: ${line.slice(0, 200)}`);
    }
  }
  return hits;
}

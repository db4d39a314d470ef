/**
 * Message body retention on PostgreSQL and on the embedded PGlite: bodies past their type's number of
 * days go (a dry run first reports them), everything else about the message stays, the message view
 * says when, a fetch answers 410, nothing still waiting for its receiver loses its bytes, the scheduled
 * job in the worker prunes by itself, and the space is really given back.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneExpiredBodies } from '../../src/app/retention.js';
import { runRetention } from '../../src/cli/retention-command.js';
import { parseRetentionPolicy, retentionCutoffs } from '../../src/domain/retention.js';
import { fromPackageRoot } from '../../src/package-root.js';
import {
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  renumber,
  senderEanOf,
  startTestGateway,
  viewMessage,
  type TestGateway,
} from '../support/gateway.js';
import { TEST_DATABASE_URL, type TestDatabaseKind } from '../support/store.js';

const DAY = 24 * 60 * 60 * 1000;
const POLICY = 'XDIS17=30,XDIS20=never,*=60';

interface Accepted {
  id: string;
  receiver: string;
}

let counter = 0;
async function post(gw: TestGateway, fixture: string, ack?: 'pluspositivkvitt'): Promise<Accepted> {
  counter += 1;
  const body = renumber(fixture, { envelope: `RET${counter}E${Date.now() % 100000}`, letter: `RET${counter}L${Date.now() % 100000}`, ...(ack ? { ack } : {}) });
  const response = await gw.post(senderEanOf(body), body);
  expect(response.statusCode, response.body).toBe(202);
  const json = response.json<{ id: string; letters: { receiver: string }[] }>();
  return { id: json.id, receiver: json.letters[0]?.receiver as string };
}

/**
 * Leases and fetches everything waiting for `receiver` and answers positive what asks for a receipt
 * (until then the receipt watchdog may offer it again, so its body must stay); returns the inbox item
 * id of each message.
 */
async function deliverAll(gw: TestGateway, receiver: string): Promise<Map<string, string>> {
  const items = await leaseInbox(gw, receiver, '?limit=100');
  await fetchItems(gw, receiver, items);
  for (const item of items.filter((i) => i.ackRequested)) expect((await gw.answer(receiver, item.id, { status: 'positive' })).statusCode).toBe(200);
  return new Map(items.map((item) => [item.messageId, item.id]));
}

async function report(gw: TestGateway, dryRun: boolean): Promise<string> {
  let text = '';
  await runRetention(gw.db, gw.settings, { dryRun, now: gw.clock.now() }, (chunk) => (text += chunk));
  return text;
}

describe.each<TestDatabaseKind>(['postgres', 'pglite'])('retention on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ kind, env: { MEDCOM_RETENTION_DAYS: POLICY } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('prunes only bodies past their type’s days that nobody still waits for; the rest of the message stays', async () => {
    const discharge = await post(gw, 'XDIS17_discharge_home.xml', 'pluspositivkvitt'); // 30 days
    const admission = await post(gw, 'XDIS20_admission_acute.xml'); // never
    const email = await post(gw, 'XDIS91_clinical_email.xml'); // * = 60 days
    const items = new Map<string, string>();
    for (const receiver of new Set([discharge.receiver, admission.receiver, email.receiver])) {
      for (const [messageId, itemId] of await deliverAll(gw, receiver)) items.set(messageId, itemId);
    }
    // Posted, never fetched: its receiver still needs the bytes, however old it gets.
    const waiting = await post(gw, 'XDIS17_discharge_home.xml');
    const before = await viewMessage(gw, 'ops', discharge.id);

    gw.clock.advance(45 * DAY);
    const dry = await report(gw, true);
    expect(dry).toMatch(/^retention policy: XDIS17 after 30 days, XDIS20 never, other types after 60 days\n/);
    expect(dry).toMatch(/dry run: would prune the bodies of 1 message \(1\.\d kB\); nothing was changed\n/);
    expect(dry).toMatch(/\n {2}type {4}messages +bytes +received from +to\n {2}XDIS17 +1 +1\.\d kB +2026-11-23T09:00:00\.000Z +2026-11-23T09:00:00\.000Z\n$/);
    expect((await viewMessage(gw, 'ops', discharge.id)) as unknown).toMatchObject({ bodyPrunedAt: null });

    const pruned = await report(gw, false);
    expect(pruned).toMatch(/pruned the bodies of 1 message \(1\.\d kB\); their metadata, receipts, deadlines and timelines are kept\n$/);
    const prunedAt = gw.clock.now().toISOString();

    const after = await viewMessage(gw, 'ops', discharge.id);
    expect((after as unknown as { bodyPrunedAt: string }).bodyPrunedAt).toBe(prunedAt);
    const { bodyPrunedAt: _was, ...beforeRest } = before as unknown as Record<string, unknown>;
    const { bodyPrunedAt: _now, ...afterRest } = after as unknown as Record<string, unknown>;
    expect(afterRest, 'status, receipts, deadlines and timeline are unchanged').toEqual(beforeRest);
    expect(after.deliveries[0]?.receipt?.kind).toBe('positive');
    // The sender's view of its own message says the same.
    expect(((await viewMessage(gw, HOSPITAL, discharge.id)) as unknown as { bodyPrunedAt: string }).bodyPrunedAt).toBe(prunedAt);

    const refetch = await gw.get(discharge.receiver, `/api/v1/inbox/${items.get(discharge.id)}`);
    expect(refetch.statusCode).toBe(410);
    expect(refetch.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refetch.json()).toMatchObject({ type: 'https://medcom-gateway.local/problems/body-pruned', status: 410 });
    expect(refetch.json<{ detail: string }>().detail).toContain(prunedAt);
    const timeline = (await viewMessage(gw, 'ops', discharge.id)).timeline.map((e) => e.kind);
    expect(timeline, 'a refused fetch is not recorded as a fetch').toEqual(before.timeline.map((e) => e.kind));

    // The others keep their bytes: XDIS20 never goes, the XDIS91 is 45 of 60 days old, one is still waiting.
    for (const id of [admission.id, email.id]) {
      expect(((await viewMessage(gw, 'ops', id)) as unknown as { bodyPrunedAt: unknown }).bodyPrunedAt).toBeNull();
      const receiver = id === admission.id ? admission.receiver : email.receiver;
      expect((await gw.get(receiver, `/api/v1/inbox/${items.get(id)}`)).statusCode).toBe(200);
    }

    gw.clock.advance(30 * DAY);
    const result = await pruneExpiredBodies(gw.db, gw.settings.retention, gw.clock.now());
    expect(result.messages).toBe(1); // the XDIS91, now 75 days old
    expect(((await viewMessage(gw, 'ops', email.id)) as unknown as { bodyPrunedAt: unknown }).bodyPrunedAt).not.toBeNull();
    expect(((await viewMessage(gw, 'ops', admission.id)) as unknown as { bodyPrunedAt: unknown }).bodyPrunedAt).toBeNull();
    const [stillWaiting] = await leaseInbox(gw, waiting.receiver);
    expect(stillWaiting?.messageId).toBe(waiting.id);
    const fetched = await gw.get(waiting.receiver, `/api/v1/inbox/${stillWaiting?.id}`);
    expect(fetched.statusCode, 'a message its receiver never fetched keeps its body').toBe(200);
  });

  it('keeps the body of a dead-lettered delivery: its receiver never got it, and it may be sent again', async () => {
    const message = await post(gw, 'XDIS91_clinical_email.xml');
    // As the push worker leaves a delivery after its last failed attempt.
    await gw.db.query("UPDATE deliveries SET state = 'dead' WHERE message_id = $1", [message.id]);
    gw.clock.advance(61 * DAY);
    await pruneExpiredBodies(gw.db, gw.settings.retention, gw.clock.now());
    expect(((await viewMessage(gw, 'ops', message.id)) as unknown as { bodyPrunedAt: unknown }).bodyPrunedAt).toBeNull();
  });

  it('gives the space back: the bodies table shrinks after a prune', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await post(gw, 'XDIS18_large_report.xml')).id);
    await deliverAll(gw, MUNICIPALITY_2);
    const size = async () =>
      Number((await gw.db.query<{ size: number }>("SELECT pg_total_relation_size('message_bodies')::bigint AS size")).rows[0]?.size);
    const before = await size();
    gw.clock.advance(61 * DAY);
    const result = await pruneExpiredBodies(gw.db, gw.settings.retention, gw.clock.now());
    expect(result.messages).toBeGreaterThanOrEqual(12);
    expect(result.bytes).toBeGreaterThan(12 * 190_000);
    const after = await size();
    expect(after, `message_bodies: ${before} bytes before, ${after} after`).toBeLessThan(before / 2);
    expect(senderEanOf(renumber('XDIS18_large_report.xml', { envelope: 'x' }))).toBe(HOSPITAL_2);
  });
});

describe('the scheduled job', () => {
  it('prunes in the worker process by itself, every MEDCOM_RETENTION_INTERVAL_MS', async () => {
    const gw = await startTestGateway({ env: { MEDCOM_RETENTION_DAYS: '*=1', MEDCOM_RETENTION_INTERVAL_MS: '1000' } });
    try {
      const message = await post(gw, 'XDIS91_clinical_email.xml');
      await deliverAll(gw, message.receiver);
      gw.clock.advance(2 * DAY);
      const deadline = Date.now() + 20_000;
      let prunedAt: unknown = null;
      while (prunedAt === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        prunedAt = ((await viewMessage(gw, 'ops', message.id)) as unknown as { bodyPrunedAt: unknown }).bodyPrunedAt;
      }
      expect(prunedAt).toBe(gw.clock.now().toISOString());
    } finally {
      await gw.close();
    }
  });
});

describe('the policy', () => {
  it('reads TYPE=DAYS pairs, * for the others and never', () => {
    const policy = parseRetentionPolicy('XDIS91=90, XCTL03=never ,*=3650');
    const now = new Date('2026-06-01T00:00:00Z');
    const cutoffs = retentionCutoffs(policy, now);
    expect(cutoffs.types).toEqual(['XDIS91', 'XCTL03']);
    expect(cutoffs.cutoffs).toEqual([new Date(now.getTime() - 90 * DAY), null]);
    expect(cutoffs.otherwise).toEqual(new Date(now.getTime() - 3650 * DAY));
    expect(cutoffs.latest).toEqual(new Date(now.getTime() - 90 * DAY));
    expect(retentionCutoffs(parseRetentionPolicy('XDIS17=never'), now).latest).toBeNull();
  });

  it('refuses what it cannot read, in one line naming the variable', async () => {
    const { readSettings } = await import('../../src/config/settings.js');
    for (const [bad, reason] of [
      ['XDIS99=30', /"XDIS99" is not a message type: write TYPE=DAYS pairs/],
      ['XDIS91=0', /"XDIS91=0": 0 is not a number of days/],
      ['XDIS91=ten', /"XDIS91=ten": ten is not a number of days/],
      ['XDIS91', /"XDIS91" is not TYPE=DAYS/],
      ['XDIS91=3,XDIS91=4', /XDIS91 is named twice/],
    ] as const) {
      expect(() => readSettings({ MEDCOM_RETENTION_DAYS: bad })).toThrow(new RegExp(`^MEDCOM_RETENTION_DAYS=${bad} is not valid: ${reason.source}`));
    }
  });
});

describe('medcom-gateway retention (the installed command)', () => {
  // An empty schema of its own: the command brings its tables up to date as every start does.
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  beforeAll(() => sql(`CREATE SCHEMA ${schema}`));
  afterAll(() => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  const cli = (args: string[], env: Record<string, string>) => {
    if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return spawnSync(process.execPath, [fromPackageRoot('bin', 'medcom-gateway.js'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, DATABASE_URL: url.toString(), ...env },
    });
  };

  it('says when retention is off, reports a dry run, and refuses an unknown option', () => {
    const off = cli(['retention', '--dry-run'], {});
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toBe('retention is off: MEDCOM_RETENTION_DAYS is not set, so every message body is kept\n');
    const dry = cli(['retention', '--dry-run'], { MEDCOM_RETENTION_DAYS: 'XDIS91=90' });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(
      'retention policy: XDIS91 after 90 days, other types never\ndry run: would prune the bodies of 0 messages (0 B); nothing was changed\n',
    );
    const bad = cli(['retention', '--dryrun'], {});
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option '--dryrun'[\s\S]*--dry-run/);
  });
});

/**
 * The one-statement insert of a message that correlates deadlines reads the patient's state in its
 * snapshot; the patient's version (migration 013) makes that safe. These tests hold a careful-way
 * transaction open on one connection while the insert runs on another, on real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advancePatientVersions } from '../../src/store/deadline-store.js';
import { insertMessages, type CorrelationGuard, type MessageInsert } from '../../src/store/message-store.js';
import { HOSPITAL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { messageInsert } from '../support/message-insert.js';

let gw: TestGateway;
let counter = 0;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});

afterAll(async () => {
  await gw?.close();
});

const NO_GUARD: CorrelationGuard = { patientRefs: [], discharging: [], awaiting: [], lookbacks: [], discharges: [] };

/** A message about `patientRef` that correlates (as a discharge or a plan would), guarded as given. */
function correlating(patientRef: string, guard: Partial<CorrelationGuard> = {}): MessageInsert {
  counter += 1;
  return { ...messageInsert(`PV${counter}`, { type: 'XDIS17', patientRef }), correlation: { ...NO_GUARD, patientRefs: [patientRef], ...guard } };
}

async function versionOf(patientRef: string): Promise<number | undefined> {
  const { rows } = await gw.db.query<{ version: string }>('SELECT version FROM patient_versions WHERE patient_ref = $1', [patientRef]);
  return rows[0] ? Number(rows[0].version) : undefined;
}

async function stored(insert: MessageInsert): Promise<boolean> {
  const { rows } = await gw.db.query('SELECT 1 FROM messages WHERE id = $1', [insert.message.id]);
  return rows.length === 1;
}

/** Resolves once a statement waits for the transaction of the connection `holder` (the insert, blocked by the open transaction). */
async function someoneWaitsFor(holder: number): Promise<void> {
  for (;;) {
    const { rows } = await gw.db.query(
      `SELECT 1 FROM pg_locks waiting JOIN pg_locks held ON held.transactionid = waiting.transactionid
       WHERE held.pid = $1 AND held.granted AND NOT waiting.granted AND waiting.locktype = 'transactionid'`,
      [holder],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs the insert while a careful-way transaction about the same patient is open, then ends that transaction as told. */
async function insertDuring(patientRef: string, insert: MessageInsert, end: 'commit' | 'rollback'): Promise<Awaited<ReturnType<typeof insertMessages>>> {
  let outcome: Promise<Awaited<ReturnType<typeof insertMessages>>> | undefined;
  await gw.db
    .transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await advancePatientVersions(tx, [patientRef]);
      outcome = insertMessages(gw.db, [insert], gw.clock.now());
      await someoneWaitsFor((rows[0] as { pid: number }).pid);
      if (end === 'rollback') throw new Error('rolled back on purpose');
    })
    .catch((error: Error) => {
      if (error.message !== 'rolled back on purpose') throw error;
    });
  return outcome as Promise<Awaited<ReturnType<typeof insertMessages>>>;
}

describe('patient versions guard the one-statement insert of a correlating message', () => {
  it('writes when the version it saw is still the latest, and advances it', async () => {
    const ref = `pv-${randomUUID()}`;
    const first = correlating(ref);
    expect(await insertMessages(gw.db, [first], gw.clock.now())).toEqual([[]]);
    expect(await versionOf(ref)).toBe(1);
    const second = correlating(ref);
    expect(await insertMessages(gw.db, [second], gw.clock.now())).toEqual([[]]);
    expect(await versionOf(ref)).toBe(2);
    expect([await stored(first), await stored(second)]).toEqual([true, true]);
  });

  it('writes nothing when an accept about the patient commits after its snapshot was taken, and waits for it rather than deciding early', async () => {
    const ref = `pv-${randomUUID()}`;
    await insertMessages(gw.db, [correlating(ref)], gw.clock.now());
    const late = correlating(ref);
    expect(await insertDuring(ref, late, 'commit')).toEqual(['not-inserted']);
    expect(await stored(late)).toBe(false);
    // The careful way's advance and nothing of the insert.
    expect(await versionOf(ref)).toBe(2);
  });

  it('the same for a patient it had never seen: the concurrent first version counts', async () => {
    const ref = `pv-${randomUUID()}`;
    const late = correlating(ref);
    expect(await insertDuring(ref, late, 'commit')).toEqual(['not-inserted']);
    expect(await stored(late)).toBe(false);
  });

  it('writes when that accept rolls back', async () => {
    const ref = `pv-${randomUUID()}`;
    await insertMessages(gw.db, [correlating(ref)], gw.clock.now());
    const insert = correlating(ref);
    expect(await insertDuring(ref, insert, 'rollback')).toEqual([[]]);
    expect(await stored(insert)).toBe(true);
    expect(await versionOf(ref)).toBe(2);
  });

  it('two messages about one patient in one statement cannot see each other: neither is written, others in the statement are', async () => {
    const ref = `pv-${randomUUID()}`;
    const a = correlating(ref);
    const b = correlating(ref);
    const other = correlating(`pv-${randomUUID()}`);
    expect(await insertMessages(gw.db, [a, other, b], gw.clock.now())).toEqual(['not-inserted', [], 'not-inserted']);
    expect([await stored(a), await stored(other), await stored(b)]).toEqual([false, true, false]);
  });

  it('records the discharges it states with the message, and none when it writes nothing', async () => {
    const ref = `pv-${randomUUID()}`;
    const discharge = { kind: 'discharge' as const, date: '2026-11-23', instant: new Date('2026-11-23T09:00:00Z'), label: 'the XDIS17 Discharge' };
    const insert = correlating(ref, { discharging: [{ patientRef: ref, senderEan: HOSPITAL }] });
    const withDischarge: MessageInsert = {
      ...insert,
      correlation: { ...(insert.correlation as CorrelationGuard), discharges: [{ messageId: insert.message.id, letterIndex: 0, patientRef: ref, senderEan: HOSPITAL, episodeId: 'EP1', discharge }] },
    };
    expect(await insertMessages(gw.db, [withDischarge], gw.clock.now())).toEqual([[]]);
    const { rows } = await gw.db.query<{ kind: string; discharge_day: string; discharge_at: Date; episode_id: string }>(
      'SELECT kind, discharge_day, discharge_at, episode_id FROM episode_discharges WHERE message_id = $1',
      [insert.message.id],
    );
    expect(rows).toEqual([{ kind: 'discharge', discharge_day: '2026-11-23', discharge_at: new Date('2026-11-23T09:00:00Z'), episode_id: 'EP1' }]);

    // A plan waiting for a discharge of this patient is now held back (the careful way starts it from this one).
    const waiting = correlating(ref, { awaiting: [{ patientRef: ref, senderEan: HOSPITAL }] });
    expect(await insertMessages(gw.db, [waiting], gw.clock.now())).toEqual(['not-inserted']);
    // Another hospital's discharges are not this one's.
    const elsewhere = correlating(ref, { awaiting: [{ patientRef: ref, senderEan: '5790000000000' }] });
    expect(await insertMessages(gw.db, [elsewhere], gw.clock.now())).toEqual([[]]);
  });
});

/**
 * The accept path's shared insert keeps probing an index per key as the tables grow: "a letter seen
 * before" with both the sender and the letter id in the index condition (with '= ANY' the planner put
 * only the sender there and filtered all of the sender's letters), "an open deadline to fulfil" by
 * patient and obliged sender. The statement is prepared: a plan made on nearly empty tables scans them
 * until the store renews the connection's plans (database-plan-renewal.test.ts); this test guards the
 * shape of the plan made once they have grown.
 *
 * The plan PostgreSQL actually used is read from auto_explain on the test's own connection
 * (client_min_messages=log sends its log lines to the client as notices).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/store/database.js';
import { insertMessages } from '../../src/store/message-store.js';
import { messageInsert } from '../support/message-insert.js';
import { dropTestDatabase, openTestDatabase, TEST_DATABASE_URL } from '../support/store.js';

const AT = new Date('2026-12-06T10:00:00Z');

describe('the shared insert on growing tables (PostgreSQL)', () => {
  let db: Database;
  let client: pg.Client;
  let explained: string[] = [];
  let connection: Queryable;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema as string;
    client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    client.on('notice', (notice) => explained.push(notice.message ?? ''));
    await client.query("LOAD 'auto_explain'");
    await client.query('SET auto_explain.log_min_duration = 0');
    await client.query('SET client_min_messages = log');
    connection = {
      query: async <T>(sql: string, params: readonly unknown[] = [], name?: string) => {
        const result = await client.query(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] });
        return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
      },
    };
  });

  afterAll(async () => {
    await client?.end();
    if (db) await dropTestDatabase(db);
  });

  it('probes an index per key for "a letter seen before" and "an open deadline to fulfil" after the tables have grown', async () => {
    // A message that may fulfil a deadline (a GGOP about a patient): both look-ups are in its plan.
    const mayFulfil = (envelopeId: string) => ({ ...messageInsert(envelopeId, { type: 'GGOP' }), unlessFulfilling: [{ patientRef: `other-${envelopeId}`, type: 'GGOP' }] });
    // Executions on a nearly empty store: where a prepared statement would settle on a generic plan.
    for (let i = 0; i < 8; i += 1) await insertMessages(connection, [mayFulfil(`PLANSMALL${i}`)], AT);
    // Statistics of the nearly empty tables (autovacuum analyzes a new table after its first 50 rows),
    // and a plan made with them: the one a prepared statement would keep while the tables grow.
    await db.query('ANALYZE letters, deadlines, messages');
    for (let i = 0; i < 8; i += 1) await insertMessages(connection, [mayFulfil(`PLANAGAIN${i}`)], AT);
    // The sender's letters and the open deadlines it is obliged to fulfil grow (through another
    // connection, as other requests would): 3 000 of each.
    for (let batch = 0; batch < 12; batch += 1) {
      await insertMessages(db, Array.from({ length: 250 }, (_, i) => messageInsert(`PLANGROW${batch}_${i}`)), AT);
    }
    await db.query(
      `INSERT INTO deadlines (id, rule_id, title, severity, state, message_id, letter_index, letter_id, letter_type, sender_ean, receiver_ean,
         obliged_ean, patient_ref, fulfil_kind, fulfil_types, started_at, evaluation, updated_at)
       SELECT gen_random_uuid(), 'D10', 'a plan is due', 'warning', 'pending', m.id, 0, 'L' || m.envelope_id, 'XDIS17', m.sender_ean, m.sender_ean,
         m.sender_ean, 'patient-' || m.envelope_id, 'correlated-message', ARRAY['GGOP'], $1, '{}'::jsonb, $1
       FROM messages m WHERE m.envelope_id LIKE 'PLANGROW%'`,
      [AT],
    );

    // The plan made on the nearly empty tables is still cached on this connection; the store renews it
    // as the work grows (database-plan-renewal.test.ts) with DISCARD PLANS, as here.
    await connection.query('DISCARD PLANS');
    explained = [];
    const [outcome] = await insertMessages(connection, [mayFulfil('PLANLAST')], AT);
    expect(outcome).not.toBe('not-inserted');
    const plan = explained.find((text) => text.includes('Insert on messages')) ?? '';
    // The letter id in the index condition (with or without the sender): nothing of the sender's letters
    // is filtered row by row.
    expect(plan).toMatch(/Index Scan using letters_by_(sender_letter|letter_id) on letters l [^\n]*\n\s+Index Cond: \([^\n]*letter_id = u\.letter_id/);
    expect(plan).toMatch(/Index Scan using deadlines_open_by_patient on deadlines dl [^\n]*\n\s+Index Cond: \(\(patient_ref = f\.patient_ref\) AND \(obliged_ean = [^)]+\)\)/);
    expect(plan).not.toMatch(/(Seq Scan|Bitmap Heap Scan) on (letters|deadlines)/);
  });
});

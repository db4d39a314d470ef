/**
 * The PostgreSQL store renews a connection's cached plans as the work grows: a prepared statement's
 * generic plan, made while a table was nearly empty, scans it; after the pool has done twice the work
 * (and at least a thousand checkouts more) the connection's plans are discarded and the next
 * execution plans with the table as it is, probing the index.
 *
 * One connection (a pool of one), so every query meets the same prepared statement; autovacuum is off
 * for the table, so no ANALYZE renews the plan behind the test's back. The renewal must also leave the
 * statement usable (the connection keeps it prepared) and the pool working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { dropTestDatabase, openTestDatabase } from '../support/store.js';

const PROBE = 'SELECT note FROM plan_renewal_probe WHERE id = $1';

describe('renewing cached plans (PostgreSQL)', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { max: 1 });
    await db.query('CREATE TABLE plan_renewal_probe (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = false)');
    await db.query("INSERT INTO plan_renewal_probe VALUES (1, 'first')");
    // Statistics of a table of one row, as a new gateway's tables have them.
    await db.query('ANALYZE plan_renewal_probe');
  });

  afterAll(async () => {
    await dropTestDatabase(db);
  });

  /** The plan the connection's prepared statement `probe` uses now. */
  async function planOfProbe(): Promise<string> {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>('EXPLAIN EXECUTE probe(1)');
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  it('plans a prepared statement again once the work has doubled, with the table as it is then', async () => {
    // Six executions: PostgreSQL settles on a generic plan, made for a table of one row.
    for (let n = 0; n < 6; n += 1) expect((await db.query(PROBE, [1], 'probe')).rows).toEqual([{ note: 'first' }]);
    expect(await planOfProbe()).toMatch(/Seq Scan on plan_renewal_probe/);

    await db.query("INSERT INTO plan_renewal_probe SELECT n, 'more' FROM generate_series(2, 100000) AS n");
    expect(await planOfProbe(), 'the cached plan does not notice the table grew').toMatch(/Seq Scan on plan_renewal_probe/);

    for (let n = 0; n < 1_000; n += 1) await db.query('SELECT 1');
    expect((await db.query(PROBE, [1], 'probe')).rows).toEqual([{ note: 'first' }]);
    expect(await planOfProbe()).toMatch(/Index Scan using plan_renewal_probe_pkey/);
  });
});

/**
 * The store plans its prepared statements on every execution (plan_cache_mode=force_custom_plan, see
 * database.ts). Without that, PostgreSQL keeps the generic plan it made while a table was nearly empty
 * and goes on scanning the table after it has grown, until autovacuum's next ANALYZE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { dropTestDatabase, openTestDatabase } from '../support/store.js';

describe('prepared statements on a growing table (PostgreSQL)', () => {
  let db: Database;
  beforeAll(async () => {
    // One connection, so every execution below reuses the one prepared statement.
    db = await openTestDatabase('postgres', { max: 1 });
  });
  afterAll(async () => {
    await dropTestDatabase(db);
  });

  it('are planned with the table as it is now, not as it was when first prepared', async () => {
    await db.query('CREATE TABLE growing (k int NOT NULL, v int NOT NULL)');
    await db.query('CREATE INDEX growing_by_k ON growing (k)');
    await db.query('INSERT INTO growing VALUES (1, 1)');
    // An SQL-level PREPARE is the same plan cache as the protocol's named statements, and EXPLAIN
    // EXECUTE shows which plan it uses. One connection (max: 1), so each statement finds it.
    await db.query('PREPARE find_growing (int) AS SELECT v FROM growing WHERE k = $1');
    // More than the five executions after which PostgreSQL would settle on a generic plan.
    for (let i = 0; i < 8; i += 1) await db.query('EXECUTE find_growing (1)');

    await db.query('INSERT INTO growing SELECT g, g FROM generate_series(2, 50000) AS g');
    const plan = (await db.query<{ 'QUERY PLAN': string }>('EXPLAIN EXECUTE find_growing (40000)')).rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    expect(plan).not.toMatch(/Seq Scan/);
    expect(plan).toContain('40000'); // a custom plan: the value itself, not $1
  });

  it('keep the connection settings the store relies on', async () => {
    const { rows } = await db.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
    expect(rows[0]?.plan_cache_mode).toBe('force_custom_plan');
  });
});

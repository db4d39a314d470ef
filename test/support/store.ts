/**
 * A real, migrated store for a test: on PostgreSQL, a schema of its own (`t_<random>`) in the
 * database `test` (so test files run in parallel without seeing each other's rows), or an in-memory
 * PGlite. Drop it with `dropTestDatabase` in `afterAll`.
 *
 * PostgreSQL is reached at `MEDCOM_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`
 * (the local `postgres` role with trust authentication on 127.0.0.1, as on every development and CI
 * machine). The database `test` is created when it is missing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgliteDatabase, PostgresDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';

export type TestDatabaseKind = 'postgres' | 'pglite';

export const TEST_DATABASE_URL = process.env.MEDCOM_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const schemas = new WeakMap<Database, string>();
let databaseChecked: Promise<void> | undefined;

/** Runs `work` on one short-lived connection to `url`. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the test database when PostgreSQL says it does not exist (3D000). */
async function ensureTestDatabase(url: string): Promise<void> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
    const target = new URL(url);
    const name = decodeURIComponent(target.pathname.slice(1));
    const admin = new URL(url);
    admin.pathname = '/postgres';
    await withClient(admin.toString(), async (client) => {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (createError) {
        // Another test file created it at the same moment.
        if ((createError as { code?: string }).code !== '42P04') throw createError;
      }
    });
  }
}

/** A migrated store of its own for one test file (or test). */
export async function openTestDatabase(
  kind: TestDatabaseKind = 'postgres',
  pool: { readonly max?: number; readonly connectionTimeoutMillis?: number } = {},
): Promise<Database> {
  if (kind === 'pglite') {
    const db = await PgliteDatabase.open(undefined);
    await migrate(db);
    return db;
  }
  databaseChecked ??= ensureTestDatabase(TEST_DATABASE_URL);
  await databaseChecked;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withClient(TEST_DATABASE_URL, (client) => client.query(`CREATE SCHEMA ${schema}`));
  const db = new PostgresDatabase(TEST_DATABASE_URL, { schema, max: 5, ...pool });
  schemas.set(db, schema);
  try {
    await migrate(db);
  } catch (error) {
    await dropTestDatabase(db);
    throw error;
  }
  return db;
}

/** Closes the store and, on PostgreSQL, drops its schema with everything in it. */
export async function dropTestDatabase(db: Database): Promise<void> {
  await db.close().catch(() => undefined);
  const schema = schemas.get(db);
  if (!schema) return;
  schemas.delete(db);
  await withClient(TEST_DATABASE_URL, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

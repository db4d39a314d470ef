/**
 * One small interface over PostgreSQL (pg) and the embedded PGlite, so the repositories and the
 * migrations are the same SQL for both. PostgreSQL is the system of record in production; PGlite lets
 * the gateway start on a machine with nothing but Redis.
 */
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { PGlite as PGliteType } from '@electric-sql/pglite';

export interface Queryable {
  /**
   * Runs one statement. `name` makes it a prepared statement on PostgreSQL (parsed and planned once per
   * connection instead of on every call), for the statements on the hot path.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], name?: string): Promise<{ rows: T[]; rowCount: number }>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Every connection of the pool stayed busy for `connectionTimeoutMillis` (pg-pool's words): the store is
 * up but overloaded. The caller should answer 503, as for a store that is down.
 */
export function isPoolExhausted(error: unknown): boolean {
  return /timeout exceeded when trying to connect/i.test((error as Error)?.message ?? '');
}

/** Connection-level failures (as opposed to SQL errors our code made): the caller should answer 503. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return (
    isPoolExhausted(error) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test((error as Error)?.message ?? '')
  );
}

/** See PostgresDatabase.release: the first renewal of a connection's plans comes after this many checkouts at the earliest. */
const PLAN_RENEWAL_MIN_CHECKOUTS = 1_000;

pg.types.setTypeParser(20, (value) => Number(value)); // bigint counters and sequences fit in a double here

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  /** Connections taken from the pool so far, and the count when each connection's plans were last renewed (see release). */
  private checkouts = 0;
  private readonly plannedAt = new WeakMap<pg.PoolClient, number>();

  constructor(connectionString: string, options: { schema?: string; max?: number; connectionTimeoutMillis?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params: readonly unknown[] = [], name?: string): Promise<{ rows: T[]; rowCount: number }> {
    const client = await this.checkout();
    try {
      const result = await client.query(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] });
      this.release(client);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      this.release(client, error);
      throw error;
    }
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.checkout();
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: readonly unknown[] = [], name?: string) => {
          const result = await client.query(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] });
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
      };
      const value = await work(tx);
      await client.query('COMMIT');
      this.release(client);
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.release(client);
      throw error;
    }
  }

  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    this.checkouts += 1;
    if (!this.plannedAt.has(client)) this.plannedAt.set(client, this.checkouts);
    return client;
  }

  /**
   * Back to the pool; first, when the pool has done twice the work it had done when this connection's
   * plans were made (and at least PLAN_RENEWAL_MIN_CHECKOUTS more), `DISCARD PLANS` so its prepared
   * statements are planned again with the tables as they are now. A prepared statement's generic plan
   * is made once, after its fifth execution; made while the tables were nearly empty (a new gateway),
   * it scans where an index should probe, and PostgreSQL keeps it until an ANALYZE of the table
   * (autovacuum's, a minute or more later). Doubling keeps renewals rare once the tables are large. The
   * caller does not wait for it. `error` (a broken connection) makes the pool close the connection.
   */
  private release(client: pg.PoolClient, error?: unknown): void {
    const plannedAt = this.plannedAt.get(client) ?? 0;
    if (error !== undefined || this.checkouts < Math.max(2 * plannedAt, plannedAt + PLAN_RENEWAL_MIN_CHECKOUTS)) {
      client.release(error instanceof Error ? error : error === undefined ? undefined : true);
      return;
    }
    this.plannedAt.set(client, this.checkouts);
    client.query('DISCARD PLANS').then(
      () => client.release(),
      (discardError: unknown) => client.release(discardError instanceof Error ? discardError : true),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;

  private constructor(private readonly db: PGliteType) {}

  /** Opens (creating if needed) the embedded store in `dataDir`; `undefined` keeps it in memory (tests). */
  static async open(dataDir: string | undefined): Promise<PgliteDatabase> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = new PGlite(dataDir);
    await db.waitReady;
    return new PgliteDatabase(db);
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<{ rows: T[]; rowCount: number }> {
    const result = await this.db.query<T>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (inner) =>
      work({
        query: async <R>(sql: string, params: readonly unknown[] = []) => {
          const result = await inner.query<R>(sql, params as unknown[]);
          return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
        },
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export async function openDatabase(settings: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  return settings.databaseUrl ? new PostgresDatabase(settings.databaseUrl) : PgliteDatabase.open(settings.dataDir);
}

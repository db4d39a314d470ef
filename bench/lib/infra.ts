/**
 * The bench's own PostgreSQL database and Redis key prefixes: made fresh for a run and removed after
 * it. Only 127.0.0.1 is used.
 */
import { Redis } from 'ioredis';
import pg from 'pg';

export interface PostgresTarget {
  /** e.g. postgres://postgres@127.0.0.1:5432 (no database name). */
  readonly serverUrl: string;
}

export function databaseUrl(target: PostgresTarget, database: string): string {
  return `${target.serverUrl.replace(/\/+$/, '')}/${database}`;
}

async function withAdmin<T>(target: PostgresTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(target, 'postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database and reports the durability settings the run is measured with. */
export async function createDatabase(target: PostgresTarget, name: string): Promise<{ synchronousCommit: string; fsync: string; version: string }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return withAdmin(target, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    const setting = async (sql: string): Promise<string> => {
      const value: unknown = Object.values((await client.query<Record<string, unknown>>(sql)).rows[0] ?? {})[0];
      return typeof value === 'string' ? value : '?';
    };
    return {
      synchronousCommit: await setting('SHOW synchronous_commit'),
      fsync: await setting('SHOW fsync'),
      version: await setting('SHOW server_version'),
    };
  });
}

export async function dropDatabase(target: PostgresTarget, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  await withAdmin(target, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Flushes dirty pages so one phase's checkpoint does not land in the next phase's measurement. */
export async function checkpoint(target: PostgresTarget): Promise<void> {
  await withAdmin(target, (client) => client.query('CHECKPOINT')).catch(() => undefined);
}

/** Deletes every key under `<prefix>:`; bounded by `maxRounds` SCAN rounds. Returns how many. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string, maxRounds = 100_000): Promise<number> {
  if (!/^[\w.-]+$/.test(prefix)) throw new Error(`unsafe Redis prefix ${prefix}`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      rounds++;
    } while (cursor !== '0' && rounds < maxRounds);
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Counters of the bench database (pg_stat_database) and of the server's WAL (pg_stat_wal). */
export interface PgCounters {
  readonly commits: number;
  readonly rollbacks: number;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  readonly rowsDeleted: number;
  readonly walBytes: number;
  /** Full-page images: the first change to a page after a checkpoint writes the whole 8 KB page. */
  readonly walFullPages: number;
  readonly walSyncs: number;
}

export async function pgCounters(target: PostgresTarget, database: string): Promise<PgCounters | undefined> {
  return withAdmin(target, async (client) => {
    const db = (
      await client.query<{ c: string; r: string; i: string; u: string; d: string }>(
        'SELECT xact_commit AS c, xact_rollback AS r, tup_inserted AS i, tup_updated AS u, tup_deleted AS d FROM pg_stat_database WHERE datname = $1',
        [database],
      )
    ).rows[0];
    const wal = (await client.query<{ b: string; f: string; s: string }>('SELECT wal_bytes AS b, wal_fpi AS f, wal_sync AS s FROM pg_stat_wal')).rows[0];
    if (!db || !wal) return undefined;
    return { commits: Number(db.c), rollbacks: Number(db.r), rowsInserted: Number(db.i), rowsUpdated: Number(db.u), rowsDeleted: Number(db.d), walBytes: Number(wal.b), walFullPages: Number(wal.f), walSyncs: Number(wal.s) };
  }).catch(() => undefined);
}

/** Rows inserted, updated (of which HOT) and deleted per table of the bench database (pg_stat_user_tables). */
export type TableCounters = ReadonlyMap<string, { readonly ins: number; readonly upd: number; readonly hot: number; readonly del: number }>;

export async function pgTableCounters(target: PostgresTarget, database: string): Promise<TableCounters | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl(target, database), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ t: string; i: string; u: string; h: string; d: string }>(
      'SELECT relname AS t, n_tup_ins AS i, n_tup_upd AS u, n_tup_hot_upd AS h, n_tup_del AS d FROM pg_stat_user_tables',
    );
    return new Map(rows.map((r) => [r.t, { ins: Number(r.i), upd: Number(r.u), hot: Number(r.h), del: Number(r.d) }]));
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Per table, the rows a phase wrote per accepted message, largest first; tables it did not touch are left out. */
export function tableRowsPerMessage(before: TableCounters | undefined, after: TableCounters | undefined, messages: number): string | undefined {
  if (!before || !after || messages <= 0) return undefined;
  const per = (n: number) => Math.round((n / messages) * 100) / 100;
  const lines = [...after.entries()]
    .map(([table, a]) => {
      const b = before.get(table) ?? { ins: 0, upd: 0, hot: 0, del: 0 };
      return { table, ins: per(a.ins - b.ins), upd: per(a.upd - b.upd), hot: per(a.hot - b.hot), del: per(a.del - b.del) };
    })
    .filter((r) => r.ins + r.upd + r.del > 0)
    .sort((x, y) => y.ins + y.upd + y.del - (x.ins + x.upd + x.del));
  return lines.map((r) => `${r.table} +${r.ins}${r.upd ? ` ~${r.upd}${r.hot ? ` (HOT ${r.hot})` : ''}` : ''}${r.del ? ` -${r.del}` : ''}`).join(', ');
}

/** What one phase cost PostgreSQL, per accepted message. */
export function pgPerMessage(before: PgCounters | undefined, after: PgCounters | undefined, messages: number): Record<string, number> | undefined {
  if (!before || !after || messages <= 0) return undefined;
  const per = (a: number, b: number) => Math.round(((b - a) / messages) * 100) / 100;
  return {
    commits: per(before.commits, after.commits),
    rollbacks: per(before.rollbacks, after.rollbacks),
    rowsInserted: per(before.rowsInserted, after.rowsInserted),
    rowsUpdated: per(before.rowsUpdated, after.rowsUpdated),
    walBytes: Math.round((after.walBytes - before.walBytes) / messages),
    walFullPages: per(before.walFullPages, after.walFullPages),
    walSyncs: per(before.walSyncs, after.walSyncs),
  };
}

/**
 * Samples pg_stat_activity of the bench database a few times a second: how many of the gateway's
 * connections are running a statement (and what they wait for), idle in a transaction (PostgreSQL is
 * waiting for the gateway's next statement) or idle. Averages per sample.
 */
export class PgActivitySampler {
  private readonly client: pg.Client;
  private readonly totals = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    target: PostgresTarget,
    private readonly database: string,
    private readonly intervalMs = 200,
  ) {
    this.client = new pg.Client({ connectionString: databaseUrl(target, 'postgres'), connectionTimeoutMillis: 5_000 });
    this.client.on('error', () => undefined);
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ what: string; n: string }>(
        `SELECT coalesce(state, '?') || CASE WHEN wait_event IS NULL OR state <> 'active' THEN '' ELSE ' (' || wait_event_type || ':' || wait_event || ')' END AS what, count(*) AS n
         FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' GROUP BY 1`,
        [this.database],
      );
      for (const row of rows) this.totals.set(row.what, (this.totals.get(row.what) ?? 0) + Number(row.n));
      this.samples++;
    } catch {
      // a missed sample changes nothing
    } finally {
      this.busy = false;
    }
  }

  /** Average number of connections per state over the samples, largest first. */
  async stop(): Promise<Record<string, number>> {
    clearInterval(this.timer);
    await this.client.end().catch(() => undefined);
    const out: Record<string, number> = {};
    for (const [what, total] of [...this.totals.entries()].sort((a, b) => b[1] - a[1])) out[what] = Math.round((total / Math.max(1, this.samples)) * 100) / 100;
    return out;
  }
}

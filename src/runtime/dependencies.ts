/**
 * Reaching PostgreSQL (or opening PGlite) and Redis at start. When one is not there the gateway says
 * so in one actionable line — what, where, how to start it — and keeps trying with backoff, while
 * /readyz names what is missing.
 */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import { openDatabase, type Database } from '../store/database.js';
import { hideUrlCredentials } from '../url-credentials.js';

export interface DependencyStatus {
  ok: boolean;
  detail?: string;
}

export function postgresHint(settings: Settings): string {
  return settings.databaseUrl
    ? `PostgreSQL at ${hideUrlCredentials(settings.databaseUrl)} is not reachable: start it (e.g. pg_ctlcluster <version> main start) or fix DATABASE_URL`
    : `the embedded store in ${settings.dataDir} cannot be opened: check that the folder is writable and no other gateway process uses it (MEDCOM_DATA_DIR)`;
}

export function redisHint(settings: Settings): string {
  if (settings.redisSentinels.length > 0) {
    const sentinels = settings.redisSentinels.map((s) => `${s.host}:${s.port}`).join(',');
    return `Redis primary "${settings.redisSentinelName ?? ''}" is not reachable through the Sentinels at ${sentinels}: check that they run and monitor that name, or fix MEDCOM_REDIS_SENTINELS / MEDCOM_REDIS_SENTINEL_NAME`;
  }
  return `Redis at ${hideUrlCredentials(settings.redisUrl)} is not reachable: start it (e.g. redis-server --daemonize yes) or fix REDIS_URL`;
}

/** Calls `attempt` until it succeeds or `stopped()` says to give up; backoff 0.5 s doubling to 30 s. */
export async function withRetry<T>(
  what: string,
  attempt: () => Promise<T>,
  hint: string,
  logger: Logger,
  status: DependencyStatus,
  stopped: () => boolean,
): Promise<T | undefined> {
  let delay = 500;
  for (;;) {
    try {
      const value = await attempt();
      status.ok = true;
      delete status.detail;
      return value;
    } catch (error) {
      status.ok = false;
      status.detail = hint;
      logger.error({ dependency: what, retryInMs: delay, reason: (error as Error).message }, hint);
      if (stopped()) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stopped()) return undefined;
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

export async function connectDatabase(settings: Settings): Promise<Database> {
  const db = await openDatabase(settings);
  try {
    await db.query('SELECT 1');
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

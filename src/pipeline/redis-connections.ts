/**
 * The Redis connections one pipeline opens, made here and closed here. BullMQ is handed connection
 * instances (so it shares the queue connection and duplicates a worker's for its blocking reads);
 * closing them is ours. Connections that block (workers, the subscriber) must have
 * `maxRetriesPerRequest: null`; the ones on the request path (queue producer, publisher) give up after
 * a few reconnects, so an unreachable Redis fails a command instead of holding an HTTP request.
 */
import { performance } from 'node:perf_hooks';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisSentinelAddress } from '../config/settings.js';
import type { Logger } from '../logging.js';
import { hideUrlCredentials } from '../url-credentials.js';
import { withTimeout } from '../with-timeout.js';

export type ConnectionRole =
  | 'queues'
  | 'push-worker'
  | 'timer-worker'
  | 'publisher'
  | 'subscriber'
  | 'rate-limit'
  | 'key-usage'
  | 'sessions'
  | 'events-publisher'
  | 'events-subscriber'
  | 'alert-webhooks'
  | 'alert-webhook-worker';

/**
 * Where Redis is: a URL, or (for high availability) Sentinels that name the current primary. With
 * Sentinels, ioredis asks them for the primary at every (re)connect, so after a failover every
 * connection (BullMQ's, the inbox pub/sub, the rate limits) finds the new primary by itself; the URL
 * then only gives the password and the database number.
 */
export interface RedisTarget {
  readonly redisUrl: string;
  readonly redisSentinels?: readonly RedisSentinelAddress[];
  readonly redisSentinelName?: string | undefined;
}

function targetOf(target: string | RedisTarget): RedisTarget {
  return typeof target === 'string' ? { redisUrl: target } : target;
}

function usesSentinels(target: RedisTarget): boolean {
  return (target.redisSentinels?.length ?? 0) > 0;
}

/** A Redis client for `target` with `options` (not connected yet when `lazyConnect`). */
export function newRedis(target: string | RedisTarget, options: RedisOptions): Redis {
  const t = targetOf(target);
  if (!usesSentinels(t)) return new Redis(t.redisUrl, options);
  const url = new URL(t.redisUrl);
  const db = Number(url.pathname.slice(1) || 0);
  return new Redis({
    sentinels: (t.redisSentinels ?? []).map((s) => ({ host: s.host, port: s.port })),
    name: t.redisSentinelName,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    // A primary demoted during a failover answers writes with READONLY until its clients are moved:
    // reconnect (the Sentinels then name the new primary) and send the command again.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    // Listen for the Sentinels' +switch-master, so a failover is noticed at once, not at the next error.
    failoverDetector: true,
    ...options,
  });
}

/** For logs: host, port and database, or the Sentinels and the primary's name; never a password. */
export function describeRedisTarget(target: string | RedisTarget): string {
  const t = targetOf(target);
  if (!usesSentinels(t)) return hideUrlCredentials(t.redisUrl);
  return `sentinel://${(t.redisSentinels ?? []).map((s) => `${s.host}:${s.port}`).join(',')}/${t.redisSentinelName ?? ''}`;
}

const BLOCKING_ROLES: ReadonlySet<ConnectionRole> = new Set(['push-worker', 'timer-worker', 'alert-webhook-worker', 'subscriber', 'events-subscriber']);

/** Ends a connection: QUIT when it is up (so pending replies arrive), otherwise a plain disconnect. */
export async function closeRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    // A QUIT that fails or hangs ends in a plain disconnect all the same.
    await withTimeout(redis.quit(), timeoutMs, 'QUIT').catch(() => undefined);
  } finally {
    if ((redis.status as string) !== 'end') redis.disconnect();
  }
}

export class RedisConnections {
  private readonly open = new Set<Redis>();

  private readonly description: string;

  constructor(
    private readonly target: string | RedisTarget,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.description = describeRedisTarget(target);
  }

  /** A new connection for `role`, named `<prefix>:<role>` in Redis's CLIENT LIST. */
  create(role: ConnectionRole): Redis {
    const redis = newRedis(this.target, {
      connectionName: `${this.prefix}:${role}`.replace(/[^\w:.-]/g, '_'),
      maxRetriesPerRequest: BLOCKING_ROLES.has(role) ? null : 2,
      // Rate limits are checked on every request: while Redis is away they are skipped at once
      // (fail open) instead of holding the request in the offline queue.
      // Recording when a key was last used is bookkeeping: skipped, not queued, while Redis is away.
      ...(role === 'rate-limit' || role === 'key-usage' ? { enableOfflineQueue: false } : {}),
    });
    // Reported once per outage, not on every reconnect attempt.
    let down = false;
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      this.logger.warn({ redis: this.description, role, err: error }, 'Redis connection failed; reconnecting');
    });
    redis.on('ready', () => {
      if (!down) return;
      down = false;
      this.logger.info({ redis: this.description, role }, 'Redis connection is back');
    });
    this.open.add(redis);
    return redis;
  }

  /** Closes every connection made here. */
  async closeAll(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((redis) => closeRedis(redis)));
  }
}

/**
 * Readiness: can a fresh connection reach Redis at `target` and get an answer to PING within
 * `timeoutMs`? Resolves with the round trip; rejects with a reason that never holds the password.
 */
export async function checkRedis(target: string | RedisTarget, timeoutMs = 2_000): Promise<{ latencyMs: number }> {
  const redis = newRedis(target, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const started = performance.now();
  try {
    await withTimeout(
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      timeoutMs,
      'PING',
    );
    return { latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    throw new Error(`Redis at ${describeRedisTarget(target)} does not answer: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

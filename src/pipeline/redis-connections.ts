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

/** ioredis's own words for a command that will never be answered; BullMQ takes them for a lost connection, not a fault. */
const CONNECTION_CLOSED = 'Connection is closed.';

/** The parts of an ioredis 5 client that `endRedis` finishes the job with; each is checked before use. */
interface IoredisInternals {
  setStatus?: (status: 'end') => void;
  flushQueue?: (error: Error) => void;
  prevCommandQueue?: { shift(): { command?: { reject?: (error: Error) => void } } | undefined } | null;
}

/**
 * Ends a connection now, whatever its state, and fails every command it still holds. A plain
 * `disconnect()` leaves commands waiting forever in two cases (redis/ioredis#1247 and #2197), and a
 * command left waiting is what a BullMQ worker's close waits for (its blocked BZPOPMIN):
 * - between two reconnect attempts, it cancels the next attempt, but no socket is there to emit
 *   'close', so the client stays 'reconnecting' and its offline queue is never flushed;
 * - the commands that were in flight when the connection dropped wait to be sent again once it is
 *   ready, which a disconnected client never is, and no flush reaches them.
 * For those two, what ioredis's close handler would have done is done here: status 'end', queues
 * flushed, waiting commands failed with "Connection is closed.".
 */
export function endRedis(redis: Redis): void {
  if (redis.status !== 'end') redis.disconnect();
  const internals = redis as unknown as IoredisInternals;
  // Otherwise the socket's 'close' (soon) ends the client and flushes its queues.
  if (redis.status === 'reconnecting') {
    internals.setStatus?.call(redis, 'end');
    internals.flushQueue?.call(redis, new Error(CONNECTION_CLOSED));
  }
  const resend = internals.prevCommandQueue;
  if (resend) {
    internals.prevCommandQueue = null;
    for (let item = resend.shift(); item; item = resend.shift()) item.command?.reject?.(new Error(CONNECTION_CLOSED));
  }
}

/** Ends a connection: QUIT when it is up (so pending replies arrive), otherwise at once (`endRedis`). */
export async function closeRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status !== 'ready') {
    endRedis(redis);
    return;
  }
  try {
    // A QUIT that fails or hangs ends in a plain disconnect all the same.
    await withTimeout(redis.quit(), timeoutMs, 'QUIT').catch(() => undefined);
  } finally {
    endRedis(redis);
  }
}

/** The connections BullMQ made from ours with duplicate() (a worker's blocking one), by the original. */
const copies = new WeakMap<Redis, Redis[]>();

/** What `duplicate()` made from `redis` since it was created by a `RedisConnections`. */
export function copiesOf(redis: Redis): readonly Redis[] {
  return copies.get(redis) ?? [];
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
    // A BullMQ worker duplicates its connection for its blocking reads. The copy is opened for this
    // pipeline too, so it is known here: a worker's close must be able to end it (see endRedis), and
    // closeAll ends it even when the worker did not.
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = (override) => {
      const copy = duplicate(override);
      copies.set(redis, [...copiesOf(redis), copy]);
      this.open.add(copy);
      return copy;
    };
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

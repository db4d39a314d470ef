/**
 * The Redis connections one pipeline opens, made here and closed here. BullMQ is handed connection
 * instances (so it shares the queue connection and duplicates a worker's for its blocking reads);
 * closing them is ours. Connections that block (workers, the subscriber) must have
 * `maxRetriesPerRequest: null`; the ones on the request path (queue producer, publisher) give up after
 * a few reconnects, so an unreachable Redis fails a command instead of holding an HTTP request.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Logger } from '../logging.js';
import { hideUrlCredentials } from '../url-credentials.js';
import { withTimeout } from '../with-timeout.js';

export type ConnectionRole = 'queues' | 'push-worker' | 'timer-worker' | 'publisher' | 'subscriber';

const BLOCKING_ROLES: ReadonlySet<ConnectionRole> = new Set(['push-worker', 'timer-worker', 'subscriber']);

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

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** A new connection for `role`, named `<prefix>:<role>` in Redis's CLIENT LIST. */
  create(role: ConnectionRole): Redis {
    const redis = new Redis(this.url, {
      connectionName: `${this.prefix}:${role}`.replace(/[^\w:.-]/g, '_'),
      maxRetriesPerRequest: BLOCKING_ROLES.has(role) ? null : 2,
    });
    // Reported once per outage, not on every reconnect attempt.
    let down = false;
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      this.logger.warn({ redis: hideUrlCredentials(this.url), role, err: error }, 'Redis connection failed; reconnecting');
    });
    redis.on('ready', () => {
      if (!down) return;
      down = false;
      this.logger.info({ redis: hideUrlCredentials(this.url), role }, 'Redis connection is back');
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
 * Readiness: can a fresh connection reach Redis at `url` and get an answer to PING within
 * `timeoutMs`? Resolves with the round trip; rejects with a reason that never holds the password.
 */
export async function checkRedis(url: string, timeoutMs = 2_000): Promise<{ latencyMs: number }> {
  const redis = new Redis(url, {
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
    throw new Error(`Redis at ${hideUrlCredentials(url)} does not answer: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

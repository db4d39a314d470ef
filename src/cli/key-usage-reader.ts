/**
 * `keys list` reads when each key was last used from the Redis the gateways write it to (the same
 * REDIS_URL or Sentinels and MEDCOM_QUEUE_PREFIX), giving up after a short wait: the list is still
 * useful without it.
 */
import type { Settings } from '../config/settings.js';
import { readKeyUsage } from '../pipeline/key-usage.js';
import { describeRedisTarget, newRedis } from '../pipeline/redis-connections.js';
import { withTimeout } from '../with-timeout.js';

export async function readLastUses(settings: Settings, timeoutMs = 2_000): Promise<Map<string, Date>> {
  const redis = newRedis(settings, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // ioredis rejects a refused connection with "Connection is closed"; the event carries the cause.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause = error;
  });
  try {
    return await withTimeout(
      (async () => {
        await redis.connect();
        return readKeyUsage(redis, settings.queuePrefix);
      })(),
      timeoutMs,
      'reading the last uses',
    );
  } catch (error) {
    throw new Error(`Redis at ${describeRedisTarget(settings)} does not answer (${(cause ?? (error as Error)).message})`);
  } finally {
    redis.disconnect();
  }
}

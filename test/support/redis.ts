/**
 * Redis for tests. Every test file works under a queue prefix of its own (`uniqueQueuePrefix`), so
 * files running in parallel on the one shared Redis never see each other's queues, and
 * `deleteKeysWithPrefix` removes exactly that prefix's keys afterwards (never FLUSHALL on the shared
 * server: other test files are using it at the same moment).
 *
 * Fault tests that need to lose *everything* (FLUSHALL, a restart without persistence) start a
 * private `redis-server` on a free port with `startPrivateRedis()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** A prefix no other test run uses: `t-<label>-<random>`. */
export function uniqueQueuePrefix(label = 'test'): string {
  const clean = label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 24) || 'test';
  return `t-${clean}-${randomBytes(4).toString('hex')}`;
}

/** SCAN's MATCH pattern for every key under `prefix:` (glob characters escaped). */
function patternOf(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
}

/** Deletes every key under `prefix:`; returns how many there were. */
export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', patternOf(prefix), 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** A prefix for one test file and its cleanup, for `afterAll`. */
export function testQueuePrefix(label?: string): { readonly prefix: string; cleanup: () => Promise<number> } {
  const prefix = uniqueQueuePrefix(label);
  return { prefix, cleanup: () => deleteKeysWithPrefix(prefix) };
}

/** A TCP port of 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** FLUSHALL on this server only. */
  flushAll(): Promise<void>;
  /** Stops the server (its data is gone: no persistence) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`private redis-server at ${url} did not come up: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      redis.disconnect();
    }
  }
}

/** A redis-server of this test's own, without persistence, on a free port of 127.0.0.1. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  // Never outlive the test process, whatever happens to the test.
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: 'ignore',
    });
    child = started;
    const failed = new Promise<never>((_, reject) => {
      started.once('error', (error) => reject(new Error(`cannot start redis-server (is it installed?): ${error.message}`)));
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPing(url, 10_000), failed]);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    process.removeListener('exit', killOnExit);
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };

  await launch();
  return {
    url,
    port,
    async flushAll() {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined);
      try {
        await redis.flushall();
      } finally {
        redis.disconnect();
      }
    },
    stop,
    async restart() {
      await stop();
      process.once('exit', killOnExit);
      await launch();
    },
  };
}

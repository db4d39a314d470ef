/**
 * A private Redis high-availability set for one test: a primary, a replica and three Sentinels
 * (`redis-server --sentinel`), all on free loopback ports, with their config files in a temporary
 * folder (Sentinels rewrite theirs). `failover()` is `SENTINEL FAILOVER`: the replica becomes the
 * primary, as when the primary's machine goes away. `stop()` ends every process the set started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis.js';

export interface SentinelSet {
  readonly name: string;
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** `host:port,…` for MEDCOM_REDIS_SENTINELS. */
  readonly sentinelList: string;
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** The primary's port as the Sentinels name it now. */
  currentPrimaryPort(): Promise<number>;
  /** Forces a failover and resolves once the Sentinels name the former replica as the primary. */
  failover(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const NAME = 'medcom';

async function withRedis<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `SENTINEL …` answers are flat [key, value, key, value, …] arrays. */
function fields(flat: unknown): Record<string, string> {
  const list = flat as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i] as string] = list[i + 1] as string;
  return out;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'medcom-sentinel-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'));
  process.once('exit', killAll);
  const launch = (args: string[]): void => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.once('error', () => undefined);
    children.push(child);
  };

  const primaryPort = await freePort();
  const replicaPort = await freePort();
  // --dir: a replica's full sync writes an RDB file, which belongs in the temporary folder.
  const common = ['--bind', HOST, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', dir];
  launch(['--port', String(primaryPort), ...common]);
  launch(['--port', String(replicaPort), ...common, '--replicaof', HOST, String(primaryPort)]);
  await until('the replica syncing with the primary', 15_000, () =>
    withRedis(replicaPort, async (redis) => /master_link_status:up/.test(await redis.info('replication'))),
  );

  const sentinels: { host: string; port: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        `bind ${HOST}`,
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${NAME} ${HOST} ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${NAME} 1000`,
        `sentinel failover-timeout ${NAME} 10000`,
        `sentinel parallel-syncs ${NAME} 1`,
        '',
      ].join('\n'),
    );
    launch([file, '--sentinel']);
    sentinels.push({ host: HOST, port });
  }
  // Every Sentinel must know the replica (to fail over to) and the other two (to agree).
  await until('the Sentinels discovering the replica and each other', 30_000, async () => {
    for (const sentinel of sentinels) {
      const ok = await withRedis(sentinel.port, async (redis) => {
        const replicas = (await redis.call('SENTINEL', 'REPLICAS', NAME)) as unknown[];
        const peers = (await redis.call('SENTINEL', 'SENTINELS', NAME)) as unknown[];
        return replicas.some((r) => !/down/.test(fields(r).flags ?? 'down')) && peers.length === 2;
      });
      if (!ok) return false;
    }
    return true;
  });

  const currentPrimaryPort = () =>
    withRedis(sentinels[0]?.port as number, async (redis) => Number(((await redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as string[])[1]));

  return {
    name: NAME,
    sentinels,
    sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    primaryPort,
    replicaPort,
    currentPrimaryPort,
    async failover(timeoutMs = 30_000) {
      await withRedis(sentinels[0]?.port as number, (redis) => redis.call('SENTINEL', 'FAILOVER', NAME));
      await until('the failover', timeoutMs, async () => {
        if ((await currentPrimaryPort()) !== replicaPort) return false;
        return withRedis(replicaPort, async (redis) => /role:master/.test(await redis.info('replication')));
      });
    },
    async stop() {
      process.removeListener('exit', killAll);
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

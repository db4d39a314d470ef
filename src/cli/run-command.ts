/**
 * `serve` (API and workers in one process), `api` and `worker`. Runs until SIGINT/SIGTERM, then shuts
 * down gracefully: stop taking requests, let in-flight work finish, close connections. A start that
 * cannot succeed (a failed migration, a port in use, a data folder another process holds) ends the
 * process with exit code 1 and one line on standard error saying why: a process that looks alive
 * but serves nothing is worse than one that stops. SIGHUP re-reads keys.json.
 */
import { readSettings, type Settings } from '../config/settings.js';
import { createGateway, type RunningGateway } from '../runtime/gateway.js';

/** One line an operator can act on. */
export function startFailure(error: unknown, settings: Pick<Settings, 'port' | 'host'>): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `port ${settings.port} on ${settings.host} is already in use (EADDRINUSE): stop the other process or set PORT`;
  if (code === 'EACCES') return `this process may not listen on port ${settings.port} on ${settings.host} (EACCES): use a port above 1023 or set PORT`;
  if (code === 'EADDRNOTAVAIL') return `${settings.host} is not an address of this machine (EADDRNOTAVAIL): fix HOST`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function reportFailure(line: string): void {
  process.stderr.write(`medcom-gateway: cannot start: ${line}\n`);
}

export async function runGateway(mode: 'serve' | 'api' | 'worker'): Promise<number> {
  const settings = readSettings();
  let gateway: RunningGateway;
  try {
    gateway = await createGateway(settings, { api: mode !== 'worker', workers: mode !== 'api', watchKeys: true });
  } catch (error) {
    reportFailure(startFailure(error, settings));
    return 1;
  }
  const { logger } = gateway;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (exitCode: number, why: () => void): void => {
      if (stopping) return;
      stopping = true;
      why();
      gateway.close().then(
        () => resolve(exitCode),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    const fail = (error: unknown): void =>
      stop(1, () => {
        logger.fatal({ err: error }, 'the gateway cannot start');
        reportFailure(startFailure(error, settings));
      });
    process.once('SIGINT', () => stop(0, () => logger.info({ signal: 'SIGINT' }, 'shutting down')));
    process.once('SIGTERM', () => stop(0, () => logger.info({ signal: 'SIGTERM' }, 'shutting down')));
    // SIGHUP re-reads keys.json (the API also watches its folder); a worker has no keys to reload.
    process.on('SIGHUP', () => {
      if (gateway.app) gateway.reloadKeys('SIGHUP');
    });

    gateway.ready.catch(fail);
    if (gateway.app) {
      gateway.listen().then((address) => logger.info({ address, mode }, `medcom-gateway ${mode} listening on ${address}`), fail);
    }
  });
}

export async function runMigrate(): Promise<number> {
  const settings = readSettings();
  const { connectDatabase } = await import('../runtime/dependencies.js');
  const { lockDataDir } = await import('../runtime/data-dir-lock.js');
  const { migrate } = await import('../store/migrate.js');
  // The embedded store may not change under a running gateway.
  const lock = settings.databaseUrl ? undefined : lockDataDir(settings.dataDir);
  try {
    const db = await connectDatabase(settings);
    try {
      const applied = await migrate(db);
      process.stdout.write(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'the store is up to date\n');
      return 0;
    } finally {
      await db.close();
    }
  } finally {
    lock?.release();
  }
}

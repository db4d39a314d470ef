/**
 * `serve` (API and workers in one process), `api` and `worker`. Runs until SIGINT/SIGTERM, then shuts
 * down gracefully: stop taking requests, let in-flight work finish, close connections.
 */
import { readSettings } from '../config/settings.js';
import { createGateway } from '../runtime/gateway.js';

export async function runGateway(mode: 'serve' | 'api' | 'worker'): Promise<number> {
  const settings = readSettings();
  const gateway = await createGateway(settings, { api: mode !== 'worker', workers: mode !== 'api' });
  const { logger } = gateway;
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  if (gateway.app) {
    const address = await gateway.listen();
    logger.info({ address, mode }, `medcom-gateway ${mode} listening on ${address}`);
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      gateway.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export async function runMigrate(): Promise<number> {
  const settings = readSettings();
  const { connectDatabase } = await import('../runtime/dependencies.js');
  const { migrate } = await import('../store/migrate.js');
  const db = await connectDatabase(settings);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'the store is up to date\n');
    return 0;
  } finally {
    await db.close();
  }
}

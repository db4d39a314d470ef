/**
 * The composition root: puts the gateway together from its parts. `serve` runs the API and the
 * workers in one process; `api` and `worker` run them apart so several of each can share one
 * PostgreSQL and one Redis. Dependencies that are down at start are retried with backoff while the API
 * answers /healthz and says in /readyz what is missing; /readyz turns green only once the API serves.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../app/context.js';
import type { Settings } from '../config/settings.js';
import { buildApp } from '../http/app.js';
import { serviceUnavailable } from '../http/problem.js';
import { createLogger, type Logger } from '../logging.js';
import { checkRedis, type RunningPipeline } from '../pipeline/pipeline.js';
import type { Database } from '../store/database.js';
import { loadConfiguration } from './configuration.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { postgresHint, redisHint } from './dependencies.js';
import { pipelineInboxWaiter } from './inbox-waiter.js';
import { Readiness } from './readiness.js';
import { startServices, type Started } from './start-up.js';

export interface GatewayOptions {
  readonly api: boolean;
  readonly workers: boolean;
  /** Injected in tests; the wall clock otherwise. */
  readonly clock?: () => Date;
  /** Monotonic milliseconds for the readiness cache; injected in tests, performance.now otherwise. */
  readonly monotonicNow?: () => number;
  readonly logger?: Logger;
  /** An already open store (tests); otherwise opened from settings. */
  readonly database?: Database;
}

export interface RunningGateway {
  readonly app: FastifyInstance | undefined;
  readonly logger: Logger;
  /** Resolves once the context is built and the pipeline runs; rejects when the start failed. */
  readonly ready: Promise<void>;
  context(): GatewayContext;
  pipeline(): RunningPipeline;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createGateway(settings: Settings, options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(settings);
  const configuration = loadConfiguration(settings, logger);
  // The embedded store is one process's; with an injected or PostgreSQL store there is nothing to lock.
  const lock: DataDirLock | undefined = options.database || settings.databaseUrl ? undefined : lockDataDir(settings.dataDir);
  const readiness = new Readiness({ now: options.monotonicNow ?? (() => performance.now()), hints: { store: postgresHint(settings), redis: redisHint(settings) } });
  let closing = false;
  let db: Database | undefined = options.database;
  let started: Started | undefined;

  const ready = startServices({
    settings,
    configuration,
    logger,
    clock: options.clock ?? (() => new Date()),
    readiness,
    workers: options.workers,
    ...(options.database ? { database: options.database } : {}),
    stopped: () => closing,
    opened: (store) => {
      db = store;
    },
  }).then((running) => {
    if (!running) return;
    started = running;
    readiness.running({ store: () => running.context.db.query('SELECT 1'), redis: () => checkRedis(settings.redisUrl, 1000) });
    logger.info({ store: running.context.db.kind, workers: options.workers, api: options.api }, 'medcom-gateway is ready');
  });
  // Observed by whoever runs the gateway (run-command, tests); this keeps an unobserved one quiet.
  ready.catch(() => undefined);

  const context = (): GatewayContext => {
    if (started) return started.context;
    throw serviceUnavailable(`the gateway is not ready: ${readiness.missing()}`, 5);
  };

  const app = options.api
    ? await buildApp({
        settings,
        logger,
        keyRing: configuration.keyRing,
        health: readiness,
        gateway: { context, inboxWaiter: pipelineInboxWaiter(() => started?.pipeline) },
      })
    : undefined;

  return {
    app,
    logger,
    ready,
    context,
    pipeline: () => {
      if (!started) throw new Error('the pipeline is not running yet');
      return started.pipeline;
    },
    async listen() {
      if (!app) throw new Error('this process runs no API');
      return app.listen({ port: settings.port, host: settings.host });
    },
    async close() {
      closing = true;
      readiness.stopping();
      // End open long-polls at once, stop taking requests (in-flight ones finish), drain the workers, close the store.
      await started?.pipeline.notifier.close();
      await app?.close();
      await ready.catch(() => undefined);
      await started?.pipeline.close();
      if (!options.database) await db?.close();
      lock?.release();
    },
  };
}

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
import { Registry } from 'prom-client';
import { opsGauges } from '../app/ops-gauges.js';
import { MessageCodec } from '../codec/decode-message.js';
import { OffThreadCodec } from '../codec/off-thread-codec.js';
import { RedisConnections } from '../pipeline/redis-connections.js';
import { listenHost, loadConfiguration, refuseUnsafeStart } from './configuration.js';
import { registerGatewayMetrics } from './gateway-metrics.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { postgresHint, redisHint } from './dependencies.js';
import { pipelineInboxWaiter } from './inbox-waiter.js';
import { Readiness } from './readiness.js';
import { startServices, type Started } from './start-up.js';
import { KeyReloader, type KeyReloadResult } from './key-reload.js';
import { KeyUsageRecorder } from '../pipeline/key-usage.js';
import { loadTlsMaterial } from '../config/tls-files.js';

/** A scrape's store figures are reused this long, so frequent or parallel scrapes read the store once. */
export const DEFAULT_METRICS_CACHE_MS = 5_000;

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
  /** How long a scrape's store figures are reused (default 5 s; tests use 0). */
  readonly metricsCacheMs?: number;
  /** Watch the configuration folder and reload keys.json when it changes (the commands do; tests choose). */
  readonly watchKeys?: boolean;
}

export interface RunningGateway {
  readonly app: FastifyInstance | undefined;
  readonly logger: Logger;
  /** Resolves once the context is built and the pipeline runs; rejects when the start failed. */
  readonly ready: Promise<void>;
  context(): GatewayContext;
  pipeline(): RunningPipeline;
  listen(): Promise<string>;
  /** Re-reads keys.json (SIGHUP); a file that fails validation keeps the old keys. Without an API: not applied. */
  reloadKeys(trigger?: string): KeyReloadResult;
  close(): Promise<void>;
}

export { listenHost, refuseUnsafeStart };

export async function createGateway(settings: Settings, options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(settings);
  const clock = options.clock ?? (() => new Date());
  const configuration = loadConfiguration(settings, clock);
  if (options.api) refuseUnsafeStart(settings, configuration.storedKeyCount);
  const tls = options.api && settings.tls ? loadTlsMaterial(settings.tls) : undefined;
  if (options.api && configuration.certificateOwners.size > 0 && !tls?.clientCa) {
    logger.warn('endpoints.json lists client certificates, but they authenticate only over HTTPS with MEDCOM_TLS_CLIENT_CA set');
  }
  if (settings.production && configuration.register.demoKeys) logger.warn('endpoints.json asks for demo keys, which are refused because NODE_ENV=production');
  const host = listenHost(settings, configuration.register.demoKeys);
  const codec = new OffThreadCodec(new MessageCodec(), { inlineBelowBytes: settings.codecInlineBelowBytes, threads: settings.codecThreads });
  // The embedded store is one process's; with an injected or PostgreSQL store there is nothing to lock.
  const lock: DataDirLock | undefined = options.database || settings.databaseUrl ? undefined : lockDataDir(settings.dataDir);
  const readiness = new Readiness({ now: options.monotonicNow ?? (() => performance.now()), hints: { store: postgresHint(settings), redis: redisHint(settings) } });
  let closing = false;
  let db: Database | undefined = options.database;
  let started: Started | undefined;
  const metricsRegistry = new Registry();
  const meters = registerGatewayMetrics(
    metricsRegistry,
    {
      gauges: () => opsGauges(context()),
      queueCounts: async () => {
        if (!started) return undefined;
        const { push, timers } = started.pipeline.queues;
        const states = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;
        const [p, t] = await Promise.all([push.getJobCounts(...states), timers.getJobCounts(...states)]);
        return { [push.name]: p, [timers.name]: t };
      },
    },
    { cacheMs: options.metricsCacheMs ?? DEFAULT_METRICS_CACHE_MS },
  );

  const ready = startServices({
    settings,
    configuration,
    logger,
    clock,
    readiness,
    codec,
    meters,
    workers: options.workers,
    ...(options.database ? { database: options.database } : {}),
    stopped: () => closing,
    opened: (store) => {
      db = store;
    },
  }).then((running) => {
    if (!running) return;
    started = running;
    readiness.running({ store: () => running.context.db.query('SELECT 1'), redis: () => checkRedis(settings, 1000) });
    logger.info({ store: running.context.db.kind, workers: options.workers, api: options.api }, 'medcom-gateway is ready');
  });
  // Observed by whoever runs the gateway (run-command, tests); this keeps an unobserved one quiet.
  ready.catch(() => undefined);

  const context = (): GatewayContext => {
    if (started) return started.context;
    throw serviceUnavailable(`the gateway is not ready: ${readiness.missing()}`, 5);
  };

  // Several API processes behind one address share their rate-limit counters in Redis (through the
  // Sentinels when configured); while Redis is away the limits are skipped, never the requests. The
  // operators' sessions live there too, so any process accepts a login made at another.
  const rateLimitConnections = options.api ? new RedisConnections(settings, settings.queuePrefix, logger.child({ component: 'rate-limit' })) : undefined;
  // When each stored key was last used, for `keys list`: in Redis, at most once a minute per key.
  const keyUsage = rateLimitConnections
    ? new KeyUsageRecorder({
        redis: rateLimitConnections.create('key-usage'),
        prefix: settings.queuePrefix,
        clock,
        onError: (error) => logger.debug({ err: error }, 'could not record when an API key was last used'),
      })
    : undefined;
  const keyReloader = options.api
    ? new KeyReloader({ configDir: settings.configDir, register: configuration.register, keyRing: configuration.keyRing, logger, clock, production: settings.production })
    : undefined;
  if (options.watchKeys) keyReloader?.watch();
  const app = options.api
    ? await buildApp({
        settings,
        logger,
        keyRing: configuration.keyRing,
        ...(keyUsage ? { keyUsed: (keyId: string) => keyUsage.used(keyId) } : {}),
        ...(tls ? { tls, certificateOwners: configuration.certificateOwners } : {}),
        health: readiness,
        gateway: {
          context,
          inboxWaiter: pipelineInboxWaiter(() => started?.pipeline),
          opsEvents: () => {
            if (started) return started.pipeline.events;
            throw serviceUnavailable(`the gateway is not ready: ${readiness.missing()}`, 5);
          },
        },
        metricsRegistry,
        ...(rateLimitConnections ? { rateLimitRedis: rateLimitConnections.create('rate-limit'), sessionRedis: rateLimitConnections.create('sessions') } : {}),
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
      if (host.chosenForDemo) {
        logger.warn(
          { host: host.address },
          'the demo keys are on, so the API listens on 127.0.0.1 only: set HOST=0.0.0.0 to reach the demo from other machines (everyone knows the demo keys)',
        );
      }
      return app.listen({ port: settings.port, host: host.address });
    },
    reloadKeys(trigger = 'request') {
      return keyReloader ? keyReloader.reload(trigger) : { applied: false, reason: 'no-api' };
    },
    async close() {
      closing = true;
      keyReloader?.close();
      readiness.stopping();
      // End open long-polls at once, stop taking requests (in-flight ones finish), drain the workers, close the store.
      await started?.pipeline.notifier.close();
      await app?.close();
      await rateLimitConnections?.closeAll();
      await ready.catch(() => undefined);
      await started?.pipeline.close();
      if (!options.database) await db?.close();
      await codec.close();
      lock?.release();
    },
  };
}

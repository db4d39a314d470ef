/**
 * Puts the gateway together: configuration, store, queues, HTTP API. `serve` runs the API and the
 * workers in one process; `api` and `worker` run them apart so several of each can share one
 * PostgreSQL and one Redis. Dependencies that are down at start are retried with backoff while the API
 * answers /healthz and says in /readyz what is missing.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MessageCodec } from '../codec/decode-message.js';
import { OffThreadCodec } from '../codec/off-thread-codec.js';
import { patientRefFunction, type GatewayContext } from '../app/context.js';
import { loadDeadlineConfig } from '../config/deadline-config.js';
import { ConfigError, loadEndpointRegister } from '../config/endpoints.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import { KeyRing, loadStoredKeys } from '../config/keys.js';
import { loadRetrainingRouting } from '../config/retraining-routing.js';
import type { Settings } from '../config/settings.js';
import { buildApp } from '../http/app.js';
import { serviceUnavailable } from '../http/problem.js';
import { registerDeadlineRoutes } from '../http/routes/deadlines.js';
import { registerInboxRoutes } from '../http/routes/inbox.js';
import { registerMessageRoutes } from '../http/routes/messages.js';
import { createLogger, type Logger } from '../logging.js';
import { checkRedis, startPipeline, type RunningPipeline } from '../pipeline/pipeline.js';
import { RedisConnections } from '../pipeline/redis-connections.js';
import type { Database } from '../store/database.js';
import { InsertBatcher } from '../store/insert-batcher.js';
import { migrate } from '../store/migrate.js';
import { patientRefKey } from '../store/message-store.js';
import { connectDatabase, postgresHint, redisHint, withRetry, type DependencyStatus } from './dependencies.js';

export interface GatewayOptions {
  readonly api: boolean;
  readonly workers: boolean;
  /** Injected in tests; the wall clock otherwise. */
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /** An already open store (tests); otherwise opened from settings. */
  readonly database?: Database;
}

export interface RunningGateway {
  readonly app: FastifyInstance | undefined;
  readonly logger: Logger;
  /** Resolves once the store and Redis are reached and the pipeline runs. */
  readonly ready: Promise<void>;
  context(): GatewayContext;
  pipeline(): RunningPipeline;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A production API nobody can call is a mistake, not a state to run in: with NODE_ENV=production the
 * demo keys are refused, so without a key in keys.json the gateway refuses to start.
 */
export function refuseUnsafeStart(settings: Settings, storedKeyCount: number): void {
  if (settings.production && storedKeyCount === 0) {
    throw new ConfigError(
      `NODE_ENV=production and ${join(settings.configDir, 'keys.json')} holds no API key (demo keys are refused in production): make one with "medcom-gateway keys create --endpoint EAN" or "--ops"`,
    );
  }
}

/** Where the API listens: HOST when set; otherwise loopback only while the (public) demo keys work. */
export function listenHost(settings: Settings, demoKeys: boolean): { address: string; chosenForDemo: boolean } {
  if (settings.host) return { address: settings.host, chosenForDemo: false };
  const demoOn = demoKeys && !settings.production;
  return { address: demoOn ? '127.0.0.1' : '0.0.0.0', chosenForDemo: demoOn };
}

export async function createGateway(settings: Settings, options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(settings);
  const register: EndpointRegister = loadEndpointRegister(settings.configDir);
  const retrainingRouting = loadRetrainingRouting(settings.configDir, register);
  const { deadlineRules, deadlineCorrelation } = loadDeadlineConfig(settings.configDir);
  const storedKeys = loadStoredKeys(settings.configDir);
  const keyRing = new KeyRing(storedKeys, register, settings.production);
  if (options.api) refuseUnsafeStart(settings, storedKeys.length);
  if (settings.production && register.demoKeys) logger.warn('endpoints.json asks for demo keys, which are refused because NODE_ENV=production');
  const host = listenHost(settings, register.demoKeys);
  const clock = options.clock ?? (() => new Date());
  const status: Record<'store' | 'redis', DependencyStatus> = {
    store: { ok: false, detail: 'connecting' },
    redis: { ok: false, detail: 'connecting' },
  };
  let closing = false;
  let db: Database | undefined = options.database;
  let context: GatewayContext | undefined;
  let pipeline: RunningPipeline | undefined;
  const codec = new OffThreadCodec(new MessageCodec(), { inlineBelowBytes: settings.codecInlineBelowBytes, threads: settings.codecThreads });

  const ready = (async () => {
    // Both at once, so /readyz tells about each of them from the start.
    const [store, redisOk] = await Promise.all([
      db ?? withRetry('store', () => connectDatabase(settings), postgresHint(settings), logger, status.store, () => closing),
      withRetry('redis', () => checkRedis(settings), redisHint(settings), logger, status.redis, () => closing),
    ]);
    db = store;
    if (!db || redisOk === undefined || closing) return;
    await migrate(db);
    status.store = { ok: true };
    const key = await patientRefKey(db);
    // Group commit only where several connections can commit side by side; PGlite has one.
    const insertBatcher = db.kind === 'postgres' ? new InsertBatcher(db) : undefined;
    const base = {
      db,
      codec,
      register,
      retrainingRouting,
      settings,
      clock,
      patientRef: patientRefFunction(key),
      deadlineRules,
      deadlineCorrelation,
      ...(insertBatcher ? { insertBatcher } : {}),
    };
    const running = await startPipeline({ ...base, logger }, { workers: options.workers });
    pipeline = running;
    context = { ...base, signals: running.signals };
    logger.info({ store: db.kind, workers: options.workers, api: options.api }, 'medcom-gateway is ready');
  })();

  const contextOrUnavailable = (): GatewayContext => {
    if (context) return context;
    const missing = Object.entries(status)
      .filter(([, s]) => !s.ok)
      .map(([, s]) => s.detail ?? 'starting')
      .join('; ');
    throw serviceUnavailable(`the gateway is not ready: ${missing || 'starting'}`, 5);
  };

  // Several API processes behind one address share their rate-limit counters in Redis (through the
  // Sentinels when configured); while Redis is away the limits are skipped, never the requests.
  const rateLimitConnections = options.api ? new RedisConnections(settings, settings.queuePrefix, logger.child({ component: 'rate-limit' })) : undefined;
  const app = options.api
    ? await buildApp({
        settings,
        logger,
        keyRing,
        ...(rateLimitConnections ? { rateLimitRedis: rateLimitConnections.create('rate-limit') } : {}),
        health: {
          async check() {
            return { store: { ...status.store }, redis: { ...status.redis } };
          },
        },
        registerRoutes: (routes) => {
          registerMessageRoutes(routes, contextOrUnavailable);
          registerDeadlineRoutes(routes, contextOrUnavailable);
          registerInboxRoutes(routes, {
            context: contextOrUnavailable,
            settings,
            waiter: {
              inboxVersion: (ean) => pipeline?.notifier.inboxVersion(ean) ?? 0,
              waitForInbox: (ean, timeoutMs, signal, sinceVersion) =>
                pipeline
                  ? pipeline.waitForInbox(ean, timeoutMs, signal, sinceVersion)
                  : new Promise((resolve) => setTimeout(() => resolve('timeout'), Math.min(timeoutMs, 1000))),
            },
          });
        },
      })
    : undefined;

  return {
    app,
    logger,
    ready,
    context: contextOrUnavailable,
    pipeline: () => {
      if (!pipeline) throw new Error('the pipeline is not running yet');
      return pipeline;
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
    async close() {
      closing = true;
      // End open long-polls at once, stop taking requests (in-flight ones finish), drain the workers, close the store.
      await pipeline?.notifier.close();
      await app?.close();
      await rateLimitConnections?.closeAll();
      await ready.catch(() => undefined);
      await pipeline?.close();
      if (!options.database) await db?.close();
      await codec.close();
    },
  };
}

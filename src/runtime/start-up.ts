/**
 * The gateway's start, after the configuration is read: reach the store and Redis (both at once,
 * retried with backoff so /readyz tells about each from the start), bring the tables up to date, build
 * the use cases' context and start the pipeline. Resolves undefined when shutdown began first;
 * rejects when the start cannot succeed (a failed migration), which the caller must report.
 */
import { patientRefFunction, type GatewayContext } from '../app/context.js';
import type { GatewayMeters } from '../app/meters.js';
import type { OffThreadCodec } from '../codec/off-thread-codec.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../logging.js';
import { checkRedis, startPipeline, type RunningPipeline } from '../pipeline/pipeline.js';
import type { Database } from '../store/database.js';
import { InsertBatcher } from '../store/insert-batcher.js';
import { migrate } from '../store/migrate.js';
import { patientRefKey } from '../store/message-store.js';
import type { GatewayConfiguration } from './configuration.js';
import { connectDatabase, postgresHint, redisHint, withRetry } from './dependencies.js';
import type { Readiness } from './readiness.js';

export interface StartUpDeps {
  readonly settings: Settings;
  readonly configuration: GatewayConfiguration;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly readiness: Readiness;
  /** The codec (decoding large bodies off the event loop); its owner closes it. */
  readonly codec: OffThreadCodec;
  /** The gateway's own counters for /metrics. */
  readonly meters: GatewayMeters;
  /** An already open store (tests); otherwise opened from settings. */
  readonly database?: Database;
  readonly workers: boolean;
  /** True once shutdown began: stop retrying. */
  readonly stopped: () => boolean;
  /** Called with the store as soon as it is open, so shutdown can close it whatever happens next. */
  readonly opened: (db: Database) => void;
}

export interface Started {
  readonly context: GatewayContext;
  readonly pipeline: RunningPipeline;
}

export async function startServices(deps: StartUpDeps): Promise<Started | undefined> {
  const { settings, logger, readiness, stopped } = deps;
  // A store handed in is open already.
  if (deps.database) {
    readiness.store.ok = true;
    delete readiness.store.detail;
  }
  const [db, redisOk] = await Promise.all([
    deps.database ?? withRetry('store', () => connectDatabase(settings), postgresHint(settings), logger, readiness.store, stopped),
    withRetry('redis', () => checkRedis(settings), redisHint(settings), logger, readiness.redis, stopped),
  ]);
  if (db) deps.opened(db);
  if (!db || redisOk === undefined || stopped()) return undefined;
  await migrate(db);
  const key = await patientRefKey(db);
  // Group commit only where several connections can commit side by side; PGlite has one.
  const insertBatcher = db.kind === 'postgres' ? new InsertBatcher(db) : undefined;
  const { keyRing: _keyRing, storedKeyCount: _storedKeyCount, certificateOwners: _certificateOwners, ...configuration } = deps.configuration;
  const base = {
    ...configuration,
    db,
    codec: deps.codec,
    meters: deps.meters,
    settings,
    clock: deps.clock,
    patientRef: patientRefFunction(key),
    ...(insertBatcher ? { insertBatcher } : {}),
  };
  const pipeline = await startPipeline({ ...base, logger }, { workers: deps.workers });
  return { context: { ...base, signals: pipeline.signals }, pipeline };
}

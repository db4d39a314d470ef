/**
 * Settings from the environment, read once at start. Every variable is documented in the README;
 * a bad value is refused at start with the variable's name and what it must be.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

export interface Settings {
  readonly port: number;
  readonly host: string;
  /** PostgreSQL connection string; undefined → the embedded PGlite store in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string;
  readonly configDir: string;
  readonly logLevel: string;
  /** BullMQ and pub/sub key prefix, so two gateways can share one Redis. */
  readonly queuePrefix: string;
  readonly production: boolean;
  /** How long a pulled message stays leased to the puller before it is offered again. */
  readonly leaseSeconds: number;
  /** Longest long-poll wait a client may ask for. */
  readonly maxWaitSeconds: number;
  /** MedCom: resend when no receipt arrives within 30 minutes. */
  readonly receiptTimeoutSeconds: number;
  /** MedCom: resend at most 2 times. */
  readonly receiptMaxReoffers: number;
  readonly pushMaxAttempts: number;
  readonly pushBackoffMs: number;
  readonly pushTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Requests per minute per API key. */
  readonly rateLimitPerMinute: number;
  /** How often the outbox reconciler re-creates lost jobs. */
  readonly reconcileIntervalMs: number;
  /** Bodies from this size up are decoded in worker threads, off the event loop. */
  readonly codecInlineBelowBytes: number;
  /** Worker threads for decoding large bodies (0: decode everything on the main thread). */
  readonly codecThreads: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${raw} is not valid: use a whole number from ${min} to ${max}`);
  }
  return value;
}

export function readSettings(env: Env = process.env): Settings {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.MEDCOM_DATA_DIR || './data'),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    configDir: resolve(env.MEDCOM_CONFIG_DIR || './config'),
    logLevel: env.LOG_LEVEL || 'info',
    queuePrefix: env.MEDCOM_QUEUE_PREFIX || 'medcom',
    production: env.NODE_ENV === 'production',
    leaseSeconds: integer(env, 'MEDCOM_LEASE_SECONDS', 300, 1, 86_400),
    maxWaitSeconds: integer(env, 'MEDCOM_MAX_WAIT_SECONDS', 60, 0, 600),
    receiptTimeoutSeconds: integer(env, 'MEDCOM_RECEIPT_TIMEOUT_SECONDS', 1800, 1, 7 * 86_400),
    receiptMaxReoffers: integer(env, 'MEDCOM_RECEIPT_MAX_REOFFERS', 2, 0, 10),
    // 20 attempts from 2 s doubling to the 1-hour cap span about a day: an endpoint down for a while loses nothing.
    pushMaxAttempts: integer(env, 'MEDCOM_PUSH_MAX_ATTEMPTS', 20, 1, 100),
    pushBackoffMs: integer(env, 'MEDCOM_PUSH_BACKOFF_MS', 2000, 1, 3_600_000),
    pushTimeoutMs: integer(env, 'MEDCOM_PUSH_TIMEOUT_MS', 15_000, 100, 600_000),
    maxBodyBytes: integer(env, 'MEDCOM_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    rateLimitPerMinute: integer(env, 'MEDCOM_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    reconcileIntervalMs: integer(env, 'MEDCOM_RECONCILE_INTERVAL_MS', 30_000, 100, 3_600_000),
    // Measured (README "Decoding off the event loop"): below 64 KB decoding inline is cheaper than the hand-over.
    codecInlineBelowBytes: integer(env, 'MEDCOM_CODEC_INLINE_BELOW_BYTES', 64 * 1024, 0, 100 * 1024 * 1024),
    codecThreads: integer(env, 'MEDCOM_CODEC_THREADS', Math.max(1, Math.min(4, availableParallelism() - 1)), 0, 64),
  };
}

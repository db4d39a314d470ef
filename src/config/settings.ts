/**
 * Settings from the environment, read once at start. Every variable is documented in the README;
 * a bad value is refused at start with the variable's name and what it must be.
 */
import { resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { envSchema } from 'env-schema';
// TypeBox as Fastify's type provider re-exports it: one TypeBox for the whole project.
import { Type, type Static } from '@fastify/type-provider-typebox';

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
}

type Env = Record<string, string | undefined>;

/** A whole-number variable: its default and the range it must lie in. */
function integer(fallback: number, minimum: number, maximum: number) {
  return Type.Integer({ default: fallback, minimum, maximum });
}

/**
 * The variables the gateway reads, as a JSON Schema checked by env-schema (ajv: defaults filled in,
 * numbers converted from text). An empty variable counts as unset.
 */
const ENV = Type.Object({
  PORT: integer(8080, 0, 65535),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String()),
  MEDCOM_DATA_DIR: Type.String({ default: './data' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  MEDCOM_CONFIG_DIR: Type.String({ default: './config' }),
  LOG_LEVEL: Type.String({ default: 'info' }),
  MEDCOM_QUEUE_PREFIX: Type.String({ default: 'medcom' }),
  NODE_ENV: Type.Optional(Type.String()),
  MEDCOM_LEASE_SECONDS: integer(300, 1, 86_400),
  MEDCOM_MAX_WAIT_SECONDS: integer(60, 0, 600),
  MEDCOM_RECEIPT_TIMEOUT_SECONDS: integer(1800, 1, 7 * 86_400),
  MEDCOM_RECEIPT_MAX_REOFFERS: integer(2, 0, 10),
  // 20 attempts from 2 s doubling to the 1-hour cap span about a day: an endpoint down for a while loses nothing.
  MEDCOM_PUSH_MAX_ATTEMPTS: integer(20, 1, 100),
  MEDCOM_PUSH_BACKOFF_MS: integer(2000, 1, 3_600_000),
  MEDCOM_PUSH_TIMEOUT_MS: integer(15_000, 100, 600_000),
  MEDCOM_MAX_BODY_BYTES: integer(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  MEDCOM_RATE_LIMIT_PER_MINUTE: integer(6000, 1, 10_000_000),
  MEDCOM_RECONCILE_INTERVAL_MS: integer(30_000, 100, 3_600_000),
});

type EnvName = keyof Static<typeof ENV>;

/** The first thing wrong, in one line: the variable, its value, and what it must be. */
function settingsError(errors: readonly ErrorObject[] | undefined, env: Env): Error {
  const first = errors?.[0];
  const name = (first?.instancePath.slice(1) ?? '') as EnvName;
  const schema = ENV.properties[name] as { minimum?: number; maximum?: number } | undefined;
  if (schema?.minimum !== undefined && schema.maximum !== undefined) {
    return new Error(`${name}=${env[name] ?? ''} is not valid: use a whole number from ${schema.minimum} to ${schema.maximum}`);
  }
  return new Error(`${name || 'the environment'} is not valid: ${first?.message ?? 'unknown reason'}`);
}

export function readSettings(env: Env = process.env): Settings {
  const known = Object.fromEntries(Object.keys(ENV.properties).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  let read: Static<typeof ENV>;
  try {
    read = envSchema<Static<typeof ENV>>({ schema: ENV, data: known, env: false, dotenv: false });
  } catch (error) {
    throw settingsError((error as { errors?: ErrorObject[] }).errors, env);
  }
  return {
    port: read.PORT,
    host: read.HOST,
    databaseUrl: read.DATABASE_URL,
    dataDir: resolve(read.MEDCOM_DATA_DIR),
    redisUrl: read.REDIS_URL,
    configDir: resolve(read.MEDCOM_CONFIG_DIR),
    logLevel: read.LOG_LEVEL,
    queuePrefix: read.MEDCOM_QUEUE_PREFIX,
    production: read.NODE_ENV === 'production',
    leaseSeconds: read.MEDCOM_LEASE_SECONDS,
    maxWaitSeconds: read.MEDCOM_MAX_WAIT_SECONDS,
    receiptTimeoutSeconds: read.MEDCOM_RECEIPT_TIMEOUT_SECONDS,
    receiptMaxReoffers: read.MEDCOM_RECEIPT_MAX_REOFFERS,
    pushMaxAttempts: read.MEDCOM_PUSH_MAX_ATTEMPTS,
    pushBackoffMs: read.MEDCOM_PUSH_BACKOFF_MS,
    pushTimeoutMs: read.MEDCOM_PUSH_TIMEOUT_MS,
    maxBodyBytes: read.MEDCOM_MAX_BODY_BYTES,
    rateLimitPerMinute: read.MEDCOM_RATE_LIMIT_PER_MINUTE,
    reconcileIntervalMs: read.MEDCOM_RECONCILE_INTERVAL_MS,
  };
}

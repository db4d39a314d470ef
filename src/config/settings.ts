/**
 * Settings from the environment, read once at start. Every variable is documented in the README;
 * a bad value is refused at start with the variable's name and what it must be.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { KEEP_FOREVER, parseRetentionPolicy, type RetentionPolicy } from '../domain/retention.js';

export interface Settings {
  readonly port: number;
  /**
   * `HOST`; undefined → the gateway chooses: 127.0.0.1 while the demo keys are on (their keys are
   * public, so the demo must not be reachable from the network by default), 0.0.0.0 otherwise.
   */
  readonly host: string | undefined;
  /** PostgreSQL connection string; undefined → the embedded PGlite store in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Redis; with sentinels, only its password and database number are used (the sentinels name the server). */
  readonly redisUrl: string;
  /** `MEDCOM_REDIS_SENTINELS`: reach Redis through these Sentinels (empty: connect to `redisUrl`). */
  readonly redisSentinels: readonly RedisSentinelAddress[];
  /** `MEDCOM_REDIS_SENTINEL_NAME`: the primary's name in the Sentinels' `sentinel monitor`. */
  readonly redisSentinelName: string | undefined;
  readonly configDir: string;
  readonly logLevel: string;
  /** BullMQ and pub/sub key prefix, so two gateways can share one Redis. */
  readonly queuePrefix: string;
  readonly production: boolean;
  /** How long a pulled message stays leased to the puller before it is offered again. */
  readonly leaseSeconds: number;
  /** Longest long-poll wait a client may ask for. */
  readonly maxWaitSeconds: number;
  /** `MEDCOM_LONG_POLLS_PER_KEY`: long-polls one API key may hold open at once in one process (the next gets 429). */
  readonly longPollsPerKey: number;
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
  /**
   * Fastify's `trustProxy` (`MEDCOM_TRUST_PROXY`): which proxies' X-Forwarded-For to believe for the
   * client address in logs and rate limits. false (default): the TCP peer is the client.
   */
  readonly trustProxy: TrustProxy;
  /** `MEDCOM_RETENTION_DAYS`: after how many days message bodies of each type are pruned (default never). */
  readonly retention: RetentionPolicy;
  /** How often a worker process prunes what the retention policy lets go. */
  readonly retentionIntervalMs: number;
  /** Bodies from this size up are decoded in worker threads, off the event loop. */
  readonly codecInlineBelowBytes: number;
  /** Worker threads for decoding large bodies (0: decode everything on the main thread). */
  readonly codecThreads: number;
}

export interface RedisSentinelAddress {
  readonly host: string;
  readonly port: number;
}

/** true (whoever connects is a proxy), false, or the proxies' addresses and CIDR ranges. */
export type TrustProxy = boolean | readonly string[];

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

function isAddressOrRange(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^[0-9]+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

function trustProxy(env: Env): TrustProxy {
  const raw = env.MEDCOM_TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^[0-9]+$/.test(raw)) {
    // Fastify ignores hop counts (they cannot tell a proxy from a client that adds hops itself).
    throw new Error(`MEDCOM_TRUST_PROXY=${raw} is not valid: a hop count cannot tell a proxy from a client that forges the header; list the proxies' addresses (CIDR ranges allowed) or use true`);
  }
  const addresses = raw.split(',').map((part) => part.trim());
  const bad = addresses.find((part) => !isAddressOrRange(part));
  if (bad !== undefined) {
    throw new Error(`MEDCOM_TRUST_PROXY=${raw} is not valid: use true, false, or the proxies' addresses (CIDR ranges allowed), comma-separated`);
  }
  return addresses;
}

function redisSentinels(env: Env): RedisSentinelAddress[] {
  const raw = env.MEDCOM_REDIS_SENTINELS?.trim();
  if (!raw) return [];
  return raw.split(',').map((part) => {
    // host:port, or [IPv6]:port
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):([0-9]{1,5})$/.exec(part.trim());
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new Error(`MEDCOM_REDIS_SENTINELS=${raw} is not valid: use host:port of each Sentinel, comma-separated (e.g. sentinel-1:26379,sentinel-2:26379,[::1]:26379)`);
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

function redisSentinelName(env: Env, sentinels: readonly RedisSentinelAddress[]): string | undefined {
  const name = env.MEDCOM_REDIS_SENTINEL_NAME?.trim() || undefined;
  if (sentinels.length > 0 && !name) {
    throw new Error('MEDCOM_REDIS_SENTINEL_NAME is not set: with MEDCOM_REDIS_SENTINELS, name the primary the Sentinels watch (the NAME of "sentinel monitor NAME host port quorum")');
  }
  return name;
}

function retention(env: Env): RetentionPolicy {
  const raw = env.MEDCOM_RETENTION_DAYS;
  if (raw === undefined || raw.trim() === '') return KEEP_FOREVER;
  try {
    return parseRetentionPolicy(raw);
  } catch (error) {
    throw new Error(`MEDCOM_RETENTION_DAYS=${raw} is not valid: ${(error as Error).message}`);
  }
}

export function readSettings(env: Env = process.env): Settings {
  const sentinels = redisSentinels(env);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.MEDCOM_DATA_DIR || './data'),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    redisSentinels: sentinels,
    redisSentinelName: redisSentinelName(env, sentinels),
    configDir: resolve(env.MEDCOM_CONFIG_DIR || './config'),
    logLevel: env.LOG_LEVEL || 'info',
    queuePrefix: env.MEDCOM_QUEUE_PREFIX || 'medcom',
    production: env.NODE_ENV === 'production',
    leaseSeconds: integer(env, 'MEDCOM_LEASE_SECONDS', 300, 1, 86_400),
    maxWaitSeconds: integer(env, 'MEDCOM_MAX_WAIT_SECONDS', 60, 0, 600),
    longPollsPerKey: integer(env, 'MEDCOM_LONG_POLLS_PER_KEY', 10, 1, 10_000),
    receiptTimeoutSeconds: integer(env, 'MEDCOM_RECEIPT_TIMEOUT_SECONDS', 1800, 1, 7 * 86_400),
    receiptMaxReoffers: integer(env, 'MEDCOM_RECEIPT_MAX_REOFFERS', 2, 0, 10),
    // 20 attempts from 2 s doubling to the 1-hour cap span about a day: an endpoint down for a while loses nothing.
    pushMaxAttempts: integer(env, 'MEDCOM_PUSH_MAX_ATTEMPTS', 20, 1, 100),
    pushBackoffMs: integer(env, 'MEDCOM_PUSH_BACKOFF_MS', 2000, 1, 3_600_000),
    pushTimeoutMs: integer(env, 'MEDCOM_PUSH_TIMEOUT_MS', 15_000, 100, 600_000),
    maxBodyBytes: integer(env, 'MEDCOM_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    rateLimitPerMinute: integer(env, 'MEDCOM_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    reconcileIntervalMs: integer(env, 'MEDCOM_RECONCILE_INTERVAL_MS', 30_000, 100, 3_600_000),
    trustProxy: trustProxy(env),
    retention: retention(env),
    retentionIntervalMs: integer(env, 'MEDCOM_RETENTION_INTERVAL_MS', 3_600_000, 1_000, 7 * 86_400_000),
    // Measured (docs/configuration.md): below 64 KB decoding inline is cheaper than the hand-over.
    codecInlineBelowBytes: integer(env, 'MEDCOM_CODEC_INLINE_BELOW_BYTES', 64 * 1024, 0, 100 * 1024 * 1024),
    codecThreads: integer(env, 'MEDCOM_CODEC_THREADS', Math.max(1, Math.min(4, availableParallelism() - 1)), 0, 64),
  };
}

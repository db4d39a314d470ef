/**
 * Settings from the environment, read once at start and validated by one JSON schema (ajv).
 * Every variable is documented in docs/configuration.md; a bad value is refused at start in one line
 * with the variable's name, its value and what it must be.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
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
  /**
   * `MEDCOM_INBOX_CONCURRENCY`: inbox transactions (leases, fetches, answers) one process runs at once;
   * the others wait their turn, so under load senders' posts keep the CPU and the store's connections.
   */
  readonly inboxConcurrency: number;
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
  /** `MEDCOM_TLS_CERT`/`MEDCOM_TLS_KEY`/`MEDCOM_TLS_CLIENT_CA`: serve HTTPS (undefined: plain HTTP). */
  readonly tls: TlsFiles | undefined;
}

/** Paths of the PEM files for HTTPS. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /** With it, clients may authenticate with a certificate issued under this CA (mutual TLS). */
  readonly clientCa: string | undefined;
}

export interface RedisSentinelAddress {
  readonly host: string;
  readonly port: number;
}

/** true (whoever connects is a proxy), false, or the proxies' addresses and CIDR ranges. */
export type TrustProxy = boolean | readonly string[];

type Env = Record<string, string | undefined>;

/** A whole-number variable: its range, and the default when it is unset or empty. */
function whole(minimum: number, maximum: number, fallback: number): { type: 'integer'; minimum: number; maximum: number; default: number } {
  return { type: 'integer', minimum, maximum, default: fallback };
}

const text = { type: 'string' } as const;

/**
 * Every variable the gateway reads, as one JSON schema: the ranges and defaults of the numbers live
 * here, not in code. The text-valued ones with a syntax of their own (proxies, sentinels, retention, TLS)
 * are read by the functions below after the schema has passed.
 */
function environmentSchema(): { type: 'object'; properties: Record<string, object> } {
  return {
    type: 'object',
    properties: {
      PORT: whole(0, 65535, 8080),
      HOST: text,
      DATABASE_URL: text,
      MEDCOM_DATA_DIR: { ...text, default: './data' },
      REDIS_URL: { ...text, default: 'redis://127.0.0.1:6379' },
      MEDCOM_REDIS_SENTINELS: text,
      MEDCOM_REDIS_SENTINEL_NAME: text,
      MEDCOM_CONFIG_DIR: { ...text, default: './config' },
      LOG_LEVEL: { ...text, default: 'info' },
      MEDCOM_QUEUE_PREFIX: { ...text, default: 'medcom' },
      NODE_ENV: text,
      MEDCOM_LEASE_SECONDS: whole(1, 86_400, 300),
      MEDCOM_MAX_WAIT_SECONDS: whole(0, 600, 60),
      MEDCOM_LONG_POLLS_PER_KEY: whole(1, 10_000, 10),
      MEDCOM_INBOX_CONCURRENCY: whole(1, 1_000, 2),
      MEDCOM_RECEIPT_TIMEOUT_SECONDS: whole(1, 7 * 86_400, 1800),
      MEDCOM_RECEIPT_MAX_REOFFERS: whole(0, 10, 2),
      // 20 attempts from 2 s doubling to the 1-hour cap span about a day: an endpoint down for a while loses nothing.
      MEDCOM_PUSH_MAX_ATTEMPTS: whole(1, 100, 20),
      MEDCOM_PUSH_BACKOFF_MS: whole(1, 3_600_000, 2000),
      MEDCOM_PUSH_TIMEOUT_MS: whole(100, 600_000, 15_000),
      MEDCOM_MAX_BODY_BYTES: whole(1024, 100 * 1024 * 1024, 10 * 1024 * 1024),
      MEDCOM_RATE_LIMIT_PER_MINUTE: whole(1, 10_000_000, 6000),
      MEDCOM_RECONCILE_INTERVAL_MS: whole(100, 3_600_000, 30_000),
      MEDCOM_TRUST_PROXY: text,
      MEDCOM_RETENTION_DAYS: text,
      MEDCOM_RETENTION_INTERVAL_MS: whole(1_000, 7 * 86_400_000, 3_600_000),
      // Measured (docs/configuration.md): below 64 KB decoding inline is cheaper than the hand-over.
      MEDCOM_CODEC_INLINE_BELOW_BYTES: whole(0, 100 * 1024 * 1024, 64 * 1024),
      MEDCOM_CODEC_THREADS: whole(0, 64, Math.max(1, Math.min(4, availableParallelism() - 1))),
      MEDCOM_TLS_CERT: text,
      MEDCOM_TLS_KEY: text,
      MEDCOM_TLS_CLIENT_CA: text,
    },
  };
}

// Numbers arrive as text: coerce them; fill in the defaults; report the first problem (one line, as an operator reads it).
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, verbose: true });

/** The variables the schema knows, validated, with defaults filled in; an empty variable counts as unset. */
function validatedEnvironment(env: Env): Record<string, string | number | undefined> {
  const schema = environmentSchema();
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') values[name] = raw;
  }
  const validate = ajv.compile(schema);
  if (!validate(values)) {
    const [error] = validate.errors ?? [];
    const name = error?.instancePath.slice(1) ?? 'the environment';
    const range = error?.parentSchema as { minimum?: number; maximum?: number } | undefined;
    const what = range?.minimum !== undefined ? `use a whole number from ${range.minimum} to ${range.maximum}` : (error?.message ?? 'is not valid');
    throw new Error(`${name}=${env[name]} is not valid: ${what}`);
  }
  return values as Record<string, string | number | undefined>;
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

function tlsFiles(env: Env): TlsFiles | undefined {
  const cert = env.MEDCOM_TLS_CERT?.trim() || undefined;
  const key = env.MEDCOM_TLS_KEY?.trim() || undefined;
  const clientCa = env.MEDCOM_TLS_CLIENT_CA?.trim() || undefined;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new Error('MEDCOM_TLS_CLIENT_CA is set but MEDCOM_TLS_CERT and MEDCOM_TLS_KEY are not: client certificates need HTTPS; set both, or unset MEDCOM_TLS_CLIENT_CA');
    return undefined;
  }
  if (cert === undefined || key === undefined) {
    const [set, unset] = cert === undefined ? ['MEDCOM_TLS_KEY', 'MEDCOM_TLS_CERT'] : ['MEDCOM_TLS_CERT', 'MEDCOM_TLS_KEY'];
    throw new Error(`${set} is set but ${unset} is not: for HTTPS set both (the PEM files of the server certificate and of its private key), for plain HTTP neither`);
  }
  return { cert: resolve(cert), key: resolve(key), clientCa: clientCa === undefined ? undefined : resolve(clientCa) };
}

export function readSettings(env: Env = process.env): Settings {
  const v = validatedEnvironment(env);
  const n = (name: string): number => v[name] as number;
  const t = (name: string): string | undefined => v[name] as string | undefined;
  const sentinels = redisSentinels(env);
  return {
    port: n('PORT'),
    host: t('HOST'),
    databaseUrl: t('DATABASE_URL'),
    dataDir: resolve(t('MEDCOM_DATA_DIR') as string),
    redisUrl: t('REDIS_URL') as string,
    redisSentinels: sentinels,
    redisSentinelName: redisSentinelName(env, sentinels),
    configDir: resolve(t('MEDCOM_CONFIG_DIR') as string),
    logLevel: t('LOG_LEVEL') as string,
    queuePrefix: t('MEDCOM_QUEUE_PREFIX') as string,
    production: env.NODE_ENV === 'production',
    leaseSeconds: n('MEDCOM_LEASE_SECONDS'),
    maxWaitSeconds: n('MEDCOM_MAX_WAIT_SECONDS'),
    longPollsPerKey: n('MEDCOM_LONG_POLLS_PER_KEY'),
    inboxConcurrency: n('MEDCOM_INBOX_CONCURRENCY'),
    receiptTimeoutSeconds: n('MEDCOM_RECEIPT_TIMEOUT_SECONDS'),
    receiptMaxReoffers: n('MEDCOM_RECEIPT_MAX_REOFFERS'),
    pushMaxAttempts: n('MEDCOM_PUSH_MAX_ATTEMPTS'),
    pushBackoffMs: n('MEDCOM_PUSH_BACKOFF_MS'),
    pushTimeoutMs: n('MEDCOM_PUSH_TIMEOUT_MS'),
    maxBodyBytes: n('MEDCOM_MAX_BODY_BYTES'),
    rateLimitPerMinute: n('MEDCOM_RATE_LIMIT_PER_MINUTE'),
    reconcileIntervalMs: n('MEDCOM_RECONCILE_INTERVAL_MS'),
    trustProxy: trustProxy(env),
    retention: retention(env),
    retentionIntervalMs: n('MEDCOM_RETENTION_INTERVAL_MS'),
    codecInlineBelowBytes: n('MEDCOM_CODEC_INLINE_BELOW_BYTES'),
    codecThreads: n('MEDCOM_CODEC_THREADS'),
    tls: tlsFiles(env),
  };
}

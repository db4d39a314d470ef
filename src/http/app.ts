/**
 * The gateway's Fastify application, not yet listening. Plumbing only, in this order:
 *
 * 1. request context — request id (`x-request-id`, kept when sane), one log line per request;
 * 2. errors — everything becomes RFC 9457 problem+json, unknown routes included;
 * 3. content types — XML bodies as the raw Buffer (+ `request.xmlCharset`), JSON, nothing else;
 * 4. security headers (helmet, strict CSP); authentication — `Authorization: Bearer <key>` (or, with
 *    mutual TLS, the client certificate) → `request.principal`; `config.auth` / `app.authenticate` …;
 *    the ops session cookie (and its CSRF token) for the ops API and pages;
 * 5. rate limit — per API key (else per address), 429 problem;
 * 6. OpenAPI — `/docs`, `/docs/json`;
 * 7. metrics — `/metrics` for operations keys;
 * 8. health — `/healthz`, `/readyz`;
 * 9. the gateway — `app.gateway` (the use cases' context) and `app.inboxWaiter`, then the routes of
 *    `routes/` (see routes/index.ts), when a gateway is given;
 * 10. `registerRoutes` of the caller (tests), in their own encapsulated scope.
 *
 * Like fastify/demo, each piece is a named plugin in `plugins/` (wrapped with fastify-plugin so its
 * decorators and hooks reach the routes), routes are plugins in `routes/` and their TypeBox schemas
 * live in `schemas/`. `Expect: 100-continue` with a body over the limit is answered 413 at once.
 * With `tls` the server is HTTPS (Node's https server through Fastify's `https` option).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ServerOptions } from 'node:https';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { KeyRing } from '../config/keys.js';
import type { TlsMaterial } from '../config/tls-files.js';
import type { Settings } from '../config/settings.js';
import { UUID_PATTERN } from '../domain/uuid.js';
import { PACKAGE_ROOT } from '../package-root.js';
import authentication from './plugins/authentication.js';
import contentTypes from './plugins/content-types.js';
import errors, { frameworkErrors } from './plugins/errors.js';
import metrics from './plugins/metrics.js';
import openApi from './plugins/openapi.js';
import opsSession from './plugins/ops-session.js';
import securityHeaders from './plugins/security-headers.js';
import { MemorySessionStore, RedisSessionStore } from './ops-sessions.js';
import opsSessionRoutes from './routes/ops-session.js';
import rateLimiting from './plugins/rate-limit.js';
import requestContext, { genReqId } from './plugins/request-context.js';
import expectContinue from './plugins/expect-continue.js';
import gateway, { type GatewayAccess } from './plugins/gateway.js';
import healthRoutes, { type HealthCheck } from './routes/health.js';
import gatewayRoutes from './routes/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The settings the gateway runs with. */
    readonly settings: Settings;
  }
}


export type { HealthCheck, DependencyHealth } from './routes/health.js';

export interface BuildAppOptions {
  readonly settings: Settings;
  /** A pino logger, normally `createLogger(settings)` from `src/logging.ts` (it scrubs CPR numbers). */
  readonly logger: FastifyBaseLogger;
  readonly keyRing: Pick<KeyRing, 'authenticate'>;
  /** Told the id of every accepted stored key, to record when it was last used. */
  readonly keyUsed?: (keyId: string) => void;
  /** Serve HTTPS with these; with `clientCa`, ask clients for a certificate (mutual TLS). */
  readonly tls?: TlsMaterial;
  /** With mutual TLS: endpoint EAN per SHA-256 fingerprint of its listed client certificates. */
  readonly certificateOwners?: ReadonlyMap<string, string>;
  readonly health: HealthCheck;
  /** The gateway's use cases: with it, the gateway's routes are served. */
  readonly gateway?: GatewayAccess;
  /** Adds routes (tests); runs in its own encapsulated scope after all the plumbing. */
  readonly registerRoutes?: (app: FastifyInstance) => Promise<void> | void;
  /** Share rate-limit counters between gateway processes (default: in memory). */
  readonly rateLimitRedis?: Redis;
  /** Keep operator sessions in Redis, so every gateway process accepts them (default: in memory). */
  readonly sessionRedis?: Redis;
  /** Use this prom-client registry instead of a new one. */
  readonly metricsRegistry?: Registry;
  /** Collect Node's default process metrics (default true). */
  readonly defaultMetrics?: boolean;
}

function packageVersion(): string {
  try {
    const parsed = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * An HTTPS server. With a client CA it asks every client for a certificate but lets in those without
 * one or with one it cannot verify (`rejectUnauthorized: false`): the authentication hook judges the
 * certificate, so API keys keep working over the same port.
 */
function httpsOptions(tls: TlsMaterial): { https: ServerOptions } {
  return {
    https: {
      cert: tls.cert,
      key: tls.key,
      ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    },
  };
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const app = Fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: options.logger,
    bodyLimit: settings.maxBodyBytes,
    // Behind a load balancer the client is in X-Forwarded-For; believed only from the proxies named
    // in MEDCOM_TRUST_PROXY, so nobody else can pick the address that logs and rate limits see.
    trustProxy: typeof settings.trustProxy === 'boolean' ? settings.trustProxy : [...settings.trustProxy],
    genReqId,
    requestIdHeader: false,
    // request-context logs one line per request itself (without bodies or headers).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    return503OnClosing: true,
    frameworkErrors,
    ...(options.tls ? httpsOptions(options.tls) : {}),
    // An unknown property is a mistake to report (400), not something to drop silently: with Fastify's
    // default a misspelt field ("when" for "at") would be ignored and the request half-done.
    ajv: {
      customOptions: { removeAdditional: false },
      // The `uuid` format as the store takes it: ajv-formats also passes `urn:uuid:…`, which PostgreSQL
      // refuses with an error (a 500) instead of the route's 400. (onCreate runs after ajv-formats.)
      onCreate: (ajv) => {
        ajv.addFormat('uuid', UUID_PATTERN);
      },
    },
  });
  app.decorate('settings', settings);

  await app.register(requestContext);
  await app.register(errors, { bodyLimit: settings.maxBodyBytes });
  await app.register(expectContinue, { bodyLimit: settings.maxBodyBytes });
  await app.register(contentTypes);
  await app.register(securityHeaders, { docsPrefix: '/docs' });
  await app.register(authentication, {
    keyRing: options.keyRing,
    ...(options.keyUsed ? { keyUsed: options.keyUsed } : {}),
    ...(options.tls?.clientCa && options.certificateOwners ? { certificateOwners: options.certificateOwners } : {}),
  });
  await app.register(opsSession, {
    keyRing: options.keyRing,
    store: options.sessionRedis ? new RedisSessionStore(options.sessionRedis, `${settings.queuePrefix}:ops-session:`) : new MemorySessionStore(),
  });
  await app.register(rateLimiting, {
    max: settings.rateLimitPerMinute,
    timeWindowMs: 60_000,
    ...(options.rateLimitRedis ? { redis: options.rateLimitRedis, nameSpace: `${settings.queuePrefix}:rate-limit:` } : {}),
  });
  await app.register(openApi, { version: packageVersion(), routePrefix: '/docs' });
  await app.register(metrics, {
    ...(options.metricsRegistry ? { registry: options.metricsRegistry } : {}),
    ...(options.defaultMetrics === undefined ? {} : { defaultMetrics: options.defaultMetrics }),
  });
  await app.register(healthRoutes, { health: options.health });
  await app.register(opsSessionRoutes);
  if (options.gateway) {
    await app.register(gateway, options.gateway);
    await app.register(gatewayRoutes);
  }

  const registerRoutes = options.registerRoutes;
  if (registerRoutes) {
    await app.register(async (scope) => {
      await registerRoutes(scope);
    });
  }
  return app;
}

/**
 * Requests per minute per API key (`settings.rateLimitPerMinute`); requests without a valid key count
 * per client address, so guessing keys and probing for URLs (404s) are limited too. Over the limit:
 * 429 problem+json with `Retry-After`. Runs as a global onRequest hook after authentication, before
 * any route hook reads the body. A route opts out with `config: { rateLimit: false }` (the health
 * probes do) or sets its own, stricter limit with `config: { rateLimit: { max, timeWindow } }`.
 *
 * The counters live in memory unless a Redis client is given, which several gateway processes
 * behind one address should share.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { tooManyRequests } from '../problem.js';

export interface RateLimitOptions {
  /** Requests per key per `timeWindowMs`. */
  readonly max: number;
  readonly timeWindowMs?: number;
  readonly redis?: Redis;
  readonly nameSpace?: string;
}

/** Whose budget a request spends: its key, or its address when it has no valid key. */
export function rateLimitKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal && request.apiKeyId) {
    // Demo keys share one id, so the endpoint is part of the key.
    return principal.kind === 'endpoint' ? `key:${request.apiKeyId}:${principal.ean}` : `key:${request.apiKeyId}:ops`;
  }
  return `ip:${request.ip}`;
}

async function rateLimiting(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    max: options.max,
    timeWindow: options.timeWindowMs ?? 60_000,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl / 1000, { extra: { limit: context.max } }),
    // Shared counters (several API processes); when Redis cannot answer, the request is let through
    // rather than failed: a limit is protection, refusing messages because Redis is away is not.
    ...(options.redis ? { redis: options.redis, nameSpace: options.nameSpace ?? 'medcom-gateway-rate-limit-', skipOnError: true } : {}),
  });
  const limit = app.rateLimit();
  app.addHook('onRequest', async function (request, reply) {
    const own = request.routeOptions.config?.rateLimit;
    // A route with a limit of its own is counted by the hook @fastify/rate-limit gives it, which would
    // not run after this one (the plugin runs one limiter per request).
    if (own === false || typeof own === 'object') return;
    await limit.call(this, request, reply);
  });
}

export default fp(rateLimiting, { name: 'rate-limit', fastify: '5.x', dependencies: ['authentication'] });

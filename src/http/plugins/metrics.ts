/**
 * Prometheus metrics at `GET /metrics` (operations key required): Node's default metrics and
 * `http_request_duration_seconds` by method, route pattern and status. Each app has its own
 * prom-client registry (`app.metrics.registry`) so routes, stores and queues can add theirs and
 * several apps (tests) never collide.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from '@fastify/type-provider-typebox';
import { problems } from '../schemas/common.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: GatewayMetrics;
  }
}

export interface MetricsOptions {
  /** A registry to use instead of a new one. */
  readonly registry?: Registry;
  /** Collect Node's default process metrics (default true). */
  readonly defaultMetrics?: boolean;
}

async function metrics(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Long-polls wait up to a minute.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  app.decorate('metrics', { registry, httpRequestDuration });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL (ids and unknown paths would explode the label set).
    const route = request.routeOptions.url ?? (reply.statusCode === 404 ? '(not found)' : '(none)');
    httpRequestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      // Scrapes every few seconds would drown the log; failures are still logged.
      logLevel: 'warn',
      config: { auth: 'ops' },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition format. Needs an operations key.',
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format' }),
          ...problems({ 500: 'The metrics could not be collected' }),
        },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}

export default fp(metrics, { name: 'metrics', fastify: '5.x', dependencies: ['authentication'] });

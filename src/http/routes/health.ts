/**
 * Probes, open to anyone and never rate limited:
 * - `GET /healthz` — liveness: 200 `{ status: 'ok' }` while the process can answer at all.
 * - `GET /readyz` — readiness: runs the dependency checks (PostgreSQL, Redis, …); 200
 *   `{ status: 'ready', checks }` when all are fine, else a 503 problem whose detail names what is
 *   missing ("Redis at redis://127.0.0.1:6379 is not reachable") and which carries `checks`.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { serviceUnavailable } from '../problem.js';
import { Open, problems } from '../schemas/common.js';
import { hideUrlCredentials } from '../../url-credentials.js';
import { TimeoutError, withTimeout } from '../../with-timeout.js';

export interface DependencyHealth {
  readonly ok: boolean;
  /** What is wrong, in words for operations staff, e.g. "Redis at redis://127.0.0.1:6379 is not reachable". */
  readonly detail?: string;
}

export interface HealthCheck {
  /** One entry per dependency, e.g. `{ postgres: { ok: true }, redis: { ok: false, detail: '…' } }`. */
  check(): Promise<Record<string, DependencyHealth>>;
}

export interface HealthRoutesOptions {
  readonly health: HealthCheck;
  /** How long the checks may take before the gateway counts as not ready (default 5 s). */
  readonly timeoutMs?: number;
  /** Retry-After of the 503 (default 5 s). */
  readonly retryAfterSeconds?: number;
}

async function runChecks(health: HealthCheck, timeoutMs: number): Promise<Record<string, DependencyHealth>> {
  try {
    return await withTimeout(health.check(), timeoutMs, 'the dependency checks');
  } catch (error) {
    if (error instanceof TimeoutError) return { checks: { ok: false, detail: `the dependency checks did not finish within ${timeoutMs} ms` } };
    return { checks: { ok: false, detail: `the dependency checks failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
}

const Checks = Type.Record(Type.String(), Open({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }), {
  description: 'One entry per dependency (store, redis) and, while starting or stopping, the gateway itself',
});

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, options) => {
  const timeoutMs = options.timeoutMs ?? 5000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;

  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        response: { 200: Open({ status: Type.Literal('ok') }, { description: 'The process answers' }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the gateway serves, PostgreSQL and Redis answer',
        response: {
          200: Open({ status: Type.Literal('ready'), checks: Checks }, { description: 'The gateway serves; PostgreSQL and Redis answer' }),
          ...problems({ 503: 'Starting, stopping, or a dependency is missing (with Retry-After); `checks` says which' }),
        },
      },
    },
    async (request) => {
      const results = await runChecks(options.health, timeoutMs);
      const checks: Record<string, DependencyHealth> = {};
      for (const [name, result] of Object.entries(results)) {
        checks[name] = result.detail === undefined ? { ok: result.ok } : { ok: result.ok, detail: hideUrlCredentials(result.detail) };
      }
      const failing = Object.entries(checks).filter(([, result]) => !result.ok);
      if (failing.length === 0) return { status: 'ready' as const, checks };
      const detail = failing.map(([name, result]) => result.detail ?? `${name} is not ready`).join('; ');
      request.log.warn({ checks }, `not ready: ${detail}`);
      throw serviceUnavailable(detail, retryAfterSeconds, { extra: { checks } });
    },
  );
};

export default healthRoutes;

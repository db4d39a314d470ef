/**
 * What /readyz says. While starting: what each dependency's connection attempts found, and "starting"
 * until the context is built and the workers run, so a green /readyz always means the API serves.
 * Once running: PostgreSQL and Redis are asked live (SELECT 1, PING), the verdict cached for a moment
 * so a burst of probes costs the dependencies one query per period. While stopping: not ready.
 */
import type { DependencyHealth, HealthCheck } from '../http/app.js';
import { withTimeout } from '../with-timeout.js';
import type { DependencyStatus } from './dependencies.js';

export interface LiveProbes {
  /** Resolves when the store answers; rejects with the reason. */
  store(): Promise<unknown>;
  /** Resolves when Redis answers; rejects with the reason. */
  redis(): Promise<unknown>;
}

export interface ReadinessOptions {
  /** Monotonic milliseconds (performance.now); injected in tests. */
  readonly now: () => number;
  /** How long a live verdict is reused (default 1.5 s). */
  readonly cacheMs?: number;
  /** How long one probe may take (default 1 s). */
  readonly probeTimeoutMs?: number;
  /** The actionable line for each dependency when it does not answer. */
  readonly hints: { readonly store: string; readonly redis: string };
}

type Checks = Record<string, DependencyHealth>;

export class Readiness implements HealthCheck {
  /** Filled in by the start-up's connection attempts (see dependencies.ts withRetry). */
  readonly store: DependencyStatus = { ok: false, detail: 'connecting to the store' };
  readonly redis: DependencyStatus = { ok: false, detail: 'connecting to Redis' };
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private probes: LiveProbes | undefined;
  private cached: { at: number; checks: Promise<Checks> } | undefined;

  constructor(private readonly options: ReadinessOptions) {}

  /** The context is built and the workers run: from now on the dependencies are asked live. */
  running(probes: LiveProbes): void {
    this.probes = probes;
    this.phase = 'running';
  }

  stopping(): void {
    this.phase = 'stopping';
  }

  /** Why the gateway cannot serve yet, for the 503 while starting. */
  missing(): string {
    const waiting = [this.store, this.redis].filter((s) => !s.ok).map((s) => s.detail ?? 'starting');
    return waiting.length > 0 ? waiting.join('; ') : 'starting';
  }

  async check(): Promise<Checks> {
    if (this.phase === 'stopping') return { gateway: { ok: false, detail: 'the gateway is shutting down' } };
    if (this.phase === 'starting' || !this.probes) {
      return { store: { ...this.store }, redis: { ...this.redis }, gateway: { ok: false, detail: 'the gateway is starting' } };
    }
    const now = this.options.now();
    if (!this.cached || now - this.cached.at >= (this.options.cacheMs ?? 1500)) {
      this.cached = { at: now, checks: this.probe(this.probes) };
    }
    return this.cached.checks;
  }

  private async probe(probes: LiveProbes): Promise<Checks> {
    const timeoutMs = this.options.probeTimeoutMs ?? 1000;
    const ask = async (probe: () => Promise<unknown>, hint: string, what: string): Promise<DependencyHealth> => {
      try {
        await withTimeout(probe(), timeoutMs, what);
        return { ok: true };
      } catch {
        return { ok: false, detail: hint };
      }
    };
    const [store, redis] = await Promise.all([ask(() => probes.store(), this.options.hints.store, 'the store check'), ask(() => probes.redis(), this.options.hints.redis, 'PING')]);
    return { store, redis };
  }
}

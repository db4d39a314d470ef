/** Latency samples, percentiles and status counts for the load report. */

export class Latencies {
  private samples = new Float64Array(1024);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    if (this.size === 0) return { count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null };
    const sorted = this.samples.slice(0, this.size).sort();
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number);
    let sum = 0;
    for (const value of sorted) sum += value;
    return { count: this.size, min: round(sorted[0] as number), mean: round(sum / this.size), p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted[sorted.length - 1] as number) };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly min: number | null;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Counts of outcomes per operation: `{ post: { '202': 19990, '503': 10 }, fetch: { 'ECONNRESET': 1 } }`. */
export class StatusCounts {
  readonly counts: Record<string, Record<string, number>> = {};
  /** The first response body (cut to 300 characters) seen per operation and outcome, for diagnosis. */
  readonly samples: Record<string, string> = {};

  add(operation: string, outcome: number | string, sample?: () => string): void {
    const byOutcome = (this.counts[operation] ??= {});
    const key = String(outcome);
    byOutcome[key] = (byOutcome[key] ?? 0) + 1;
    if (sample && byOutcome[key] === 1) this.samples[`${operation} ${key}`] = sample().slice(0, 300);
  }

  /** Only the outcomes that are not the operation's expected success status. */
  errors(expected: Record<string, number>): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [operation, byOutcome] of Object.entries(this.counts)) {
      for (const [outcome, count] of Object.entries(byOutcome)) {
        if (outcome === String(expected[operation] ?? 200)) continue;
        (out[operation] ??= {})[outcome] = count;
      }
    }
    return out;
  }
}

export function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/**
 * What one replayed message got, and the summary over a whole replay: accepted, duplicates, evaluated,
 * rejected by status and problem type, deadlines by state, latency percentiles, and every surprise.
 */

export type OutcomeKind = 'accepted' | 'duplicate' | 'evaluated' | 'rejected' | 'failed';

export interface ReplayOutcome {
  readonly file: string;
  readonly kind: OutcomeKind;
  /** HTTP status; absent when no answer came (unreachable gateway, no key). */
  readonly status?: number;
  readonly problem?: string;
  readonly detail?: string;
  readonly messageId?: string;
  /** Deadlines the message started (or, evaluated only, would start). */
  readonly deadlines: readonly { readonly ruleId: string; readonly state: string }[];
  /** Deadlines of earlier messages this one fulfilled. */
  readonly fulfilled: number;
  readonly latencyMs?: number;
  readonly expected: string;
  /** Set when the answer is not what was expected: the run fails. */
  readonly surprise?: string;
}

export interface ReplaySummary {
  readonly messages: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly evaluated: number;
  readonly failed: number;
  /** `422 unroutable` → count. */
  readonly rejected: Readonly<Record<string, number>>;
  /** State → count of deadlines started. */
  readonly deadlines: Readonly<Record<string, number>>;
  readonly fulfilled: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number } | undefined;
  readonly seconds: number;
  readonly surprises: readonly { readonly file: string; readonly surprise: string }[];
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export function summarise(outcomes: readonly ReplayOutcome[], seconds: number): ReplaySummary {
  const rejected: Record<string, number> = {};
  const deadlines: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  let fulfilled = 0;
  for (const outcome of outcomes) {
    increment(kinds, outcome.kind);
    if (outcome.kind === 'rejected') increment(rejected, `${outcome.status} ${outcome.problem ?? 'no problem type'}`);
    for (const deadline of outcome.deadlines) increment(deadlines, deadline.state);
    fulfilled += outcome.fulfilled;
  }
  const latencies = outcomes.flatMap((o) => (o.latencyMs !== undefined ? [o.latencyMs] : [])).sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    messages: outcomes.length,
    accepted: kinds.accepted ?? 0,
    duplicates: kinds.duplicate ?? 0,
    evaluated: kinds.evaluated ?? 0,
    failed: kinds.failed ?? 0,
    rejected,
    deadlines,
    fulfilled,
    latencyMs:
      latencies.length > 0
        ? { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1] as number) }
        : undefined,
    seconds: round(seconds),
    surprises: outcomes.flatMap((o) => (o.surprise ? [{ file: o.file, surprise: o.surprise }] : [])),
  };
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

/** The summary as a table for people. */
export function formatSummary(summary: ReplaySummary): string {
  const rows: [string, string][] = [['messages', `${summary.messages} in ${summary.seconds} s`]];
  if (summary.accepted > 0 || summary.evaluated === 0) rows.push(['accepted', String(summary.accepted)]);
  if (summary.duplicates > 0) rows.push(['duplicates', String(summary.duplicates)]);
  if (summary.evaluated > 0) rows.push(['evaluated', String(summary.evaluated)]);
  const rejected = Object.entries(summary.rejected).sort(([a], [b]) => (a < b ? -1 : 1));
  rows.push(['rejected', String(rejected.reduce((sum, [, n]) => sum + n, 0))]);
  for (const [what, n] of rejected) rows.push([`  ${what}`, String(n)]);
  if (summary.failed > 0) rows.push(['not sent or no answer', String(summary.failed)]);
  const states = Object.entries(summary.deadlines).sort(([a], [b]) => (a < b ? -1 : 1));
  rows.push(['deadlines started', String(states.reduce((sum, [, n]) => sum + n, 0))]);
  for (const [state, n] of states) rows.push([`  ${state}`, String(n)]);
  if (summary.fulfilled > 0) rows.push(['deadlines fulfilled', String(summary.fulfilled)]);
  if (summary.latencyMs) rows.push(['latency p50 / p95 / p99', `${summary.latencyMs.p50} / ${summary.latencyMs.p95} / ${summary.latencyMs.p99} ms`]);
  rows.push(['unexpected', String(summary.surprises.length)]);
  const lines = ['summary', ...table(rows)];
  if (summary.surprises.length > 0) {
    lines.push('unexpected answers:');
    for (const { file, surprise } of summary.surprises) lines.push(`  ${file}: ${surprise}`);
  }
  return `${lines.join('\n')}\n`;
}

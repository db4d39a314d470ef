/**
 * How a replay shows its progress: a progress bar with rate and ETA on a terminal, one plain line per
 * message otherwise (a CI log), one JSON line per message with `--json`. The summary follows at the end.
 */
import { relative } from 'node:path';
import cliProgress from 'cli-progress';
import { formatSummary, type ReplayOutcome, type ReplaySummary } from './summary.js';

export interface ReplayReporter {
  start(total: number): void;
  message(outcome: ReplayOutcome): void;
  finish(summary: ReplaySummary): void;
}

export interface ReporterStreams {
  readonly out: (text: string) => void;
  /** Where the progress bar draws: a terminal. */
  readonly tty?: NodeJS.WritableStream;
}

function shortName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** One plain line: `202 accepted  fixtures/valid/X.xml  12.3 ms  D3 pending` (and what was unexpected). */
export function formatOutcome(outcome: ReplayOutcome): string {
  const status = outcome.status !== undefined ? String(outcome.status) : '---';
  const what = outcome.problem ? `${outcome.kind} ${outcome.problem}` : outcome.kind;
  const parts = [`${status} ${what}`, shortName(outcome.file)];
  if (outcome.latencyMs !== undefined) parts.push(`${outcome.latencyMs.toFixed(1)} ms`);
  if (outcome.deadlines.length > 0) parts.push(outcome.deadlines.map((d) => `${d.ruleId} ${d.state}`).join(', '));
  if (outcome.fulfilled > 0) parts.push(`fulfils ${outcome.fulfilled}`);
  if (outcome.kind === 'failed' && outcome.detail) parts.push(outcome.detail);
  if (outcome.surprise) parts.push(`UNEXPECTED: ${outcome.surprise}`);
  return parts.join('  ');
}

export function plainReporter(streams: ReporterStreams): ReplayReporter {
  return {
    start: () => undefined,
    message: (outcome) => streams.out(`${formatOutcome(outcome)}\n`),
    finish: (summary) => streams.out(formatSummary(summary)),
  };
}

export function jsonReporter(streams: ReporterStreams): ReplayReporter {
  return {
    start: () => undefined,
    message: (outcome) => streams.out(`${JSON.stringify(outcome)}\n`),
    finish: (summary) => streams.out(`${JSON.stringify({ summary })}\n`),
  };
}

/** The bar on the terminal; surprises are listed in the summary, which replaces the bar at the end. */
export function progressReporter(streams: ReporterStreams & { tty: NodeJS.WritableStream }): ReplayReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: streams.tty,
      format: 'replay [{bar}] {value}/{total} | {rate} msg/s | ETA {eta_formatted} | unexpected {unexpected}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  let done = 0;
  let unexpected = 0;
  return {
    start(total) {
      started = Date.now();
      bar.start(total, 0, { rate: '0.0', unexpected: 0 });
    },
    message(outcome) {
      done += 1;
      if (outcome.surprise) unexpected += 1;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(done, { rate: (done / seconds).toFixed(1), unexpected });
    },
    finish(summary) {
      bar.stop();
      streams.out(formatSummary(summary));
    },
  };
}

/** The report's building blocks, shared by the bench's modes: latency rows, CPU, PostgreSQL and error lines. */
import type { ProfileSummary } from './cpu-profile.js';
import type { ProbeSummary } from './probe-report.js';
import type { CpuUse } from './processes.js';
import { fmt, type LatencySummary } from './stats.js';

export interface PhaseResources extends ProbeSummary {
  readonly peakRssMb: number;
  readonly cpu: CpuUse;
  readonly stopped: string;
  /** PostgreSQL's work per accepted message: commits, rows, WAL bytes and WAL fsyncs. */
  readonly postgresPerMessage?: Record<string, number>;
  /** The same rows per table: `table +inserted ~updated (HOT n) -deleted`. */
  readonly postgresRowsByTable?: string;
  /** Average number of the phase database's connections per state during the load. */
  readonly postgresConnections: Record<string, number>;
  readonly profile?: ProfileSummary;
}

export interface Phase<R> {
  readonly result: R;
  readonly resources: PhaseResources;
}


export function latencyRow(label: string, s: LatencySummary | undefined): string {
  return `  ${label.padEnd(36)} ${fmt(s?.p50).padStart(8)} ${fmt(s?.p95).padStart(8)} ${fmt(s?.p99).padStart(8)} ${fmt(s?.max).padStart(9)} ${String(s?.count ?? 0).padStart(8)}`;
}

export function cpuLines(label: string, cpu: CpuUse, messages: number): string[] {
  const cores = Object.entries(cpu.coresByProcess)
    .map(([name, n]) => `${name} ${n.toFixed(2)}`)
    .join(', ');
  // CPU milliseconds per message: cores × seconds of the window ÷ messages.
  const perMessage = Object.entries(cpu.coresByProcess)
    .map(([name, n]) => `${name} ${messages > 0 ? ((n * cpu.seconds * 1000) / messages).toFixed(2) : '–'}`)
    .join(', ');
  const others = Object.entries(cpu.others)
    .map(([name, n]) => `${name} ${n.toFixed(2)}`)
    .join(', ');
  const kinds = Object.entries(cpu.machineCores)
    .filter(([kind, n]) => n >= 0.01 && kind !== 'idle')
    .map(([kind, n]) => `${kind} ${n.toFixed(2)}`)
    .join(', ');
  const lines = [
    `  CPU, ${label}: ${cores} cores; other processes: ${others || 'none'}`,
    `      CPU ms per message: ${perMessage}`,
    `      machine ${(cpu.machineBusy * 100).toFixed(0)} % busy (cores: ${kinds})`,
  ];
  for (const [name, c] of Object.entries(cpu.children)) {
    lines.push(`      ${name}'s main thread: running ${(c.mainThreadRunning * 100).toFixed(0)} % of the time, runnable but waiting for a CPU ${(c.mainThreadWaitingForCpu * 100).toFixed(0)} %; kernel mode ${c.systemCores.toFixed(2)} cores`);
  }
  return lines;
}

export function pgText(r: PhaseResources): string {
  const p = r.postgresPerMessage;
  return p ? `${p.commits} commits, ${p.rowsInserted} rows inserted, ${p.rowsUpdated} updated, ${p.walBytes} WAL bytes (${p.walFullPages} full-page images), ${p.walSyncs} WAL fsyncs${r.postgresRowsByTable ? `\n      rows per table: ${r.postgresRowsByTable}` : ''}` : 'not available';
}

export function errorText(errors: Record<string, Record<string, number>>): string {
  return Object.keys(errors).length === 0
    ? 'none'
    : Object.entries(errors)
        .map(([op, byStatus]) => `${op}: ${Object.entries(byStatus).map(([s, c]) => `${s}×${c}`).join(' ')}`)
        .join('; ');
}

/** The reports of the open-loop and the backlog modes (the closed loop's is in gateway-bench.ts). */
import type { DrainResult, FillResult } from './backlog.js';
import type { PostOnlyLoadResult } from './load.js';
import type { OpenLoopResult } from './open-loop.js';
import type { CpuUse } from './processes.js';
import { cpuLines, errorText, latencyRow, pgText, type Phase } from './report.js';
import { fmt } from './stats.js';

const LINE = '─'.repeat(92);
const out = (text = '') => console.log(text);
const latencyHeader = () => out(`  ${'latency (ms)'.padEnd(36)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(9)} ${'count'.padStart(8)}`);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

export interface RateTargets {
  /** The rate the targets are set for. */
  readonly rate: number;
  readonly acceptP99Ms: number;
  readonly endToEndP99Ms: number;
}

export interface Verdict {
  readonly what: string;
  readonly measured: number | null;
  readonly target: string;
  readonly met: boolean;
}

function printVerdicts(title: string, verdicts: readonly Verdict[]): void {
  out(`  ${title}`);
  for (const v of verdicts) out(`    ${v.what.padEnd(40)} ${fmt(v.measured, 2).padStart(9)} (target ${v.target})  ${verdict(v.met)}`);
}

export function reportOpenLoop(header: readonly string[], phase: Phase<OpenLoopResult>, targets: RateTargets): Verdict[] {
  const r = phase.result;
  out(`\n${LINE}`);
  for (const text of header) out(text);
  out(`open loop: ${r.rate} msg/s on a fixed schedule for ${r.seconds} s after ${r.warmupSeconds} s of warm-up (not counted), full flow; times from each post's scheduled instant`);
  out(LINE);
  out(`  scheduled ${r.scheduled}, sent ${r.sent} (${fmt(r.sentPerSecond, 1)} msg/s as sent), accepted ${r.measuredAccepted} (${fmt(r.acceptedPerSecond, 1)} msg/s)`);
  out(`  complete end to end ${r.completed} (${fmt(r.endToEndPerSecond, 1)} msg/s)${r.incomplete > 0 ? `, ${r.incomplete} not complete when the drain time ran out (counted with their wait so far)` : ''}`);
  // The bench's own process short of CPU sends late; the lag is in the latencies, which count from the schedule.
  if ((r.sendLagMs.p99 ?? 0) > 10) out(`  the bench sent some posts late (send lag p99 ${fmt(r.sendLagMs.p99)} ms, max ${fmt(r.sendLagMs.max)} ms); the lag counts in the latencies`);
  out(LINE);
  latencyHeader();
  out(latencyRow('acceptance (due → 202)', r.acceptLatencyMs));
  out(latencyRow('  sent → 202', r.serviceLatencyMs));
  out(latencyRow('end to end (due → last receipt)', r.endToEndLatencyMs));
  out(latencyRow('  of which 202 → last receipt', r.afterAcceptanceLatencyMs));
  out(latencyRow('bench send lag (due → sent)', r.sendLagMs));
  for (const [op, summary] of Object.entries(r.requestLatencyMs)) out(latencyRow(`  ${op}`, summary));
  out(LINE);
  out(`  errors: ${errorText(r.errors)}`);
  for (const [what, body] of Object.entries(r.errorSamples)) out(`    first ${what}: ${body.replace(/\s+/g, ' ')}`);
  out(`  receipts per message: ${r.receiptsPerMessage}; peak RSS of the gateway ${fmt(phase.resources.peakRssMb, 0)} MB`);
  // Per message over the whole schedule, warm-up included, as the CPU window covers it.
  for (const text of cpuLines('open loop, warm-up included', phase.resources.cpu, r.accepted)) out(text);
  const loop = phase.resources.eventLoop;
  if (loop) out(`  gateway event loop: utilisation ${(loop.utilisationMean * 100).toFixed(0)} % mean, ${(loop.utilisationMax * 100).toFixed(0)} % peak; delay p99 up to ${loop.delayP99MsMax} ms`);
  out(`  PostgreSQL per message: ${pgText(phase.resources)}`);
  const postErrors = Object.values(r.errors.post ?? {}).reduce((a, b) => a + b, 0);
  const verdicts: Verdict[] = [
    {
      what: 'acceptance p99 (ms)',
      measured: r.acceptLatencyMs.p99,
      target: `≤ ${targets.acceptP99Ms} ms, every post accepted`,
      met: r.acceptLatencyMs.p99 !== null && r.acceptLatencyMs.p99 <= targets.acceptP99Ms && postErrors === 0 && r.measuredAccepted === r.scheduled,
    },
    {
      what: 'end to end p99 (ms)',
      measured: r.endToEndLatencyMs.p99,
      target: `≤ ${targets.endToEndP99Ms} ms`,
      met: r.endToEndLatencyMs.p99 !== null && r.endToEndLatencyMs.p99 <= targets.endToEndP99Ms && r.completed + r.incomplete === r.measuredAccepted,
    },
  ];
  const atTargetRate = r.rate === targets.rate;
  printVerdicts(
    atTargetRate ? `targets at ${targets.rate} msg/s:` : `targets (set for ${targets.rate} msg/s; this run is at ${r.rate} msg/s, so the verdicts say how this rate fares):`,
    verdicts,
  );
  out(LINE);
  return verdicts;
}

export interface BacklogRun {
  /** The batch drain's backlog, the fill that made it and the drain. */
  readonly fill: FillResult;
  readonly drain: DrainResult;
  readonly drainCpu: CpuUse;
  /** Seconds the bench waited after each fill for the gateway to go quiet before draining. */
  readonly settleSeconds: number[];
  readonly oneByOneFill?: FillResult;
  readonly oneByOne?: DrainResult;
  readonly oneByOneCpu?: CpuUse;
  /** Every message accepted in the phase (both fills). */
  readonly accepted: number;
}

export function reportBacklog(header: readonly string[], phase: Phase<BacklogRun>, floor: Phase<PostOnlyLoadResult> | undefined, drainTarget: number): Verdict[] {
  const { fill, drain, oneByOneFill, oneByOne } = phase.result;
  const floorRate = floor?.result.acceptedPerSecond ?? 0;
  const ratio = (perSecond: number) => (floorRate > 0 ? perSecond / floorRate : null);
  out(`\n${LINE}`);
  for (const text of header) out(text);
  out(`backlog: ${fill.attempted} messages posted for ${fill.municipality} while nobody reads, then one poller drains them`);
  out(LINE);
  out(`  ${'throughput'.padEnd(44)} ${'msg/s'.padStart(8)} ${'× floor'.padStart(8)} ${'count'.padStart(8)} ${'seconds'.padStart(8)} ${'requests'.padStart(9)}`);
  const rate = (label: string, perSecond: number, count: number, seconds: number, requests?: number) =>
    out(`  ${label.padEnd(44)} ${fmt(perSecond, 0).padStart(8)} ${fmt(ratio(perSecond), 2).padStart(8)} ${String(count).padStart(8)} ${fmt(seconds, 1).padStart(8)} ${(requests === undefined ? '' : String(requests)).padStart(9)}`);
  rate('fill: accepted (POST 202), nobody reading', fill.acceptedPerSecond, fill.accepted, fill.postSeconds);
  rate(drain.how === 'batch' ? 'drain in batches (include=body + receipts)' : 'drain in batches, lease overlapping answer', drain.perSecond, drain.acknowledged, drain.seconds, drain.requests);
  if (oneByOne && oneByOneFill) {
    rate(`drain one by one (${oneByOneFill.accepted} for ${oneByOne.municipality})`, oneByOne.perSecond, oneByOne.acknowledged, oneByOne.seconds, oneByOne.requests);
  }
  if (floor) rate('floor (INSERT + queue.add)', floor.result.acceptedPerSecond, floor.result.accepted, floor.result.postSeconds);
  if (drain.acknowledged < drain.expected) out(`  the batch drain acknowledged ${drain.acknowledged} of the ${drain.expected} messages in the inbox`);
  if (oneByOne && oneByOne.acknowledged < oneByOne.expected) out(`  the one-by-one drain acknowledged ${oneByOne.acknowledged} of ${oneByOne.expected}`);
  out(`  before each drain the bench waited for the gateway to go quiet: ${phase.result.settleSeconds.map((s) => `${fmt(s, 0)} s`).join(', ')}`);
  out(LINE);
  latencyHeader();
  out(latencyRow('fill: acceptance (POST → 202)', fill.acceptLatencyMs));
  for (const [op, summary] of Object.entries(drain.requestLatencyMs)) out(latencyRow(`batch drain: ${op} (100 at a time)`, summary));
  for (const [op, summary] of Object.entries(oneByOne?.requestLatencyMs ?? {})) out(latencyRow(`one by one: ${op}`, summary));
  if (floor) out(latencyRow('floor (POST → 202)', floor.result.acceptLatencyMs));
  out(LINE);
  out(`  errors, fill: ${errorText(fill.errors)}; batch drain: ${errorText(drain.errors)}${oneByOne ? `; one by one: ${errorText(oneByOne.errors)}` : ''}${floor ? `; floor: ${errorText(floor.result.errors)}` : ''}`);
  const samples = { ...fill.errorSamples, ...drain.errorSamples, ...(oneByOne?.errorSamples ?? {}) };
  for (const [what, body] of Object.entries(samples)) out(`    first ${what}: ${body.replace(/\s+/g, ' ')}`);
  out(`  peak RSS of the gateway ${fmt(phase.resources.peakRssMb, 0)} MB${floor ? `, floor ${fmt(floor.resources.peakRssMb, 0)} MB` : ''}`);
  for (const text of cpuLines('batch drain', phase.result.drainCpu, drain.acknowledged)) out(text);
  if (oneByOne && phase.result.oneByOneCpu) for (const text of cpuLines('one-by-one drain', phase.result.oneByOneCpu, oneByOne.acknowledged)) out(text);
  out(`  PostgreSQL per message filled and drained (the whole phase): ${pgText(phase.resources)}`);
  const drainRatio = ratio(drain.perSecond);
  const verdicts: Verdict[] = [];
  if (drainRatio === null) {
    out('  no floor in this run (BENCH_FLOOR=0): the drain target, a share of the floor, is not judged');
  } else {
    verdicts.push({
      what: 'batch drain ÷ floor',
      measured: drainRatio,
      target: `≥ ${drainTarget.toFixed(2)}, every message acknowledged`,
      met: drainRatio >= drainTarget && drain.acknowledged === drain.expected && Object.keys(drain.errors).length === 0,
    });
    printVerdicts('targets (× floor):', verdicts);
  }
  out(LINE);
  return verdicts;
}

/**
 * `npm run bench`: the gateway under load, measured from a separate process.
 *
 * Three phases, one after the other, each against a fresh PostgreSQL database (durable commits, as the
 * server is configured) and its own Redis prefix, each server a child process of this one:
 *
 * 1. flow: `node bin/medcom-gateway.js serve`; hospitals post fixture messages (each with its own
 *    envelope and letter identifiers and CPR number) with BENCH_CONCURRENCY in flight; municipalities
 *    and the GP long-poll, fetch and answer with positive receipts; the hospitals long-poll for the
 *    XCTL03s and match them to their messages. By default through the batch paths (a lease with the
 *    bodies, one answer per lease); BENCH_INBOX=one-by-one fetches and answers each item on its own.
 *    Accepted/s, end-to-end/s, latencies, errors.
 * 2. accept-only: the same gateway and posts with nobody reading inboxes: the acceptance path alone.
 * 3. floor: bench/floor-server.ts, a bare Fastify server doing one durable INSERT and one BullMQ add
 *    per request, with the same posts and concurrency.
 *
 * Two other modes (BENCH_MODE, or set by BENCH_RATE / BENCH_BACKLOG) measure what a closed loop cannot:
 *
 * - rate: the open loop, BENCH_RATE messages per second on a fixed schedule with the full flow reading,
 *   latencies counted from each message's scheduled instant (bench/lib/open-loop.ts);
 * - backlog: one municipality's inbox filled with BENCH_BACKLOG messages while nobody reads, then drained
 *   by one poller through the batch paths, and a smaller one one by one; then the floor
 *   (bench/lib/backlog.ts).
 *
 * Then the children are stopped, the databases dropped and the Redis keys of the prefixes deleted.
 * Results are printed and written to bench/results/latest.json (latest-rate.json, latest-backlog.json).
 * See docs/performance.md for the knobs.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { fromPackageRoot, PACKAGE_ROOT } from '../src/package-root.js';
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { HttpClient } from './lib/http-client.js';
import { checkpoint, createDatabase, databaseUrl, deleteRedisPrefix, dropDatabase, PgActivitySampler, pgCounters, pgPerMessage, pgTableCounters, tableRowsPerMessage, type PostgresTarget } from './lib/infra.js';
import { BACKLOG_INBOXES, drainInBatches, drainOneByOne, fillBacklog } from './lib/backlog.js';
import { INBOX_MODES, runGatewayLoad, runPostOnlyLoad, type GatewayLoadResult, type InboxMode, type LoadConfig, type PostOnlyLoadResult } from './lib/load.js';
import { loadTemplates, verifyTemplates, type Template } from './lib/messages.js';
import { runOpenLoopLoad, type OpenLoopConfig } from './lib/open-loop.js';
import { readProbe } from './lib/probe-report.js';
import { CpuWindow, freePort, MemorySampler, startChild, stopChild, waitUntilReady, type Child } from './lib/processes.js';
import { reportBacklog, reportOpenLoop, type BacklogRun } from './lib/report-modes.js';
import { cpuLines, errorText, latencyRow, pgText, type Phase, type PhaseResources } from './lib/report.js';
import { fmt } from './lib/stats.js';

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`${name}=${raw} is not valid: use a number from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

/** BENCH_INBOX: how the full flow reads the inboxes; batch unless `one-by-one` is asked for, to compare. */
function inboxModeOf(): InboxMode {
  const named = process.env.BENCH_INBOX;
  if (named === undefined || named === '') return 'batch';
  if (Object.hasOwn(INBOX_MODES, named)) return named as InboxMode;
  console.error(`BENCH_INBOX=${named} is not valid: use ${Object.keys(INBOX_MODES).join(' or ')}`);
  process.exit(2);
}

const load: LoadConfig = {
  messages: Math.floor(envNumber('BENCH_MESSAGES', 20_000, 1, 10_000_000)),
  seconds: envNumber('BENCH_SECONDS', 60, 1, 3_600),
  concurrency: Math.floor(envNumber('BENCH_CONCURRENCY', 32, 1, 1_024)),
  pollersPerEndpoint: Math.floor(envNumber('BENCH_POLLERS', 2, 1, 64)),
  itemConcurrency: Math.floor(envNumber('BENCH_ITEM_CONCURRENCY', 8, 1, 100)),
  pollLimit: 50,
  pollWaitSeconds: 1,
  patientGroup: Math.floor(envNumber('BENCH_PATIENT_GROUP', 1, 1, 1_000_000)),
  drainSeconds: envNumber('BENCH_DRAIN_SECONDS', 60, 0, 3_600),
  requestTimeoutMs: 30_000,
  inbox: inboxModeOf(),
};
/** The inbox mode as the load lines print it. */
const inboxText = `inbox ${load.inbox}: ${INBOX_MODES[load.inbox]}`;
/** The floor is fast: at least 10 000 posts so it is measured over seconds, not a blip. */
const floorLoad: LoadConfig = { ...load, messages: Math.floor(envNumber('BENCH_FLOOR_MESSAGES', Math.max(load.messages, 10_000), 1, 10_000_000)) };
const runFloor = process.env.BENCH_FLOOR !== '0';
/** The full flow's own cap (default: the load's); a small one measures acceptance and the floor quickly. */
const flowLoad: LoadConfig = { ...load, messages: Math.floor(envNumber('BENCH_FLOW_MESSAGES', load.messages, 1, 10_000_000)) };

/**
 * Seconds of the same load before a closed-loop phase is measured, not counted (as the open loop's
 * warm-up): a fresh node process spends its first tens of seconds compiling its hot code (V8's
 * optimising compiler took 30 % of the gateway's CPU in the first 20 s, 6 % after 45 s, per perf),
 * which the floor's few lines do not. The servers are measured as they run for days, after it.
 */
const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 10, 0, 600);
/** Warm-up messages are numbered from here: no envelope, letter or patient of the measured load repeats. */
const WARMUP_FIRST_MESSAGE = 500_000_000;
function warmupOf(config: LoadConfig): LoadConfig {
  return { ...config, seconds: warmupSeconds, messages: 10_000_000, firstMessage: WARMUP_FIRST_MESSAGE };
}

type Mode = 'closed' | 'rate' | 'backlog';
/** BENCH_MODE, else the mode whose variable is set, else the closed loop. */
function modeOf(): Mode {
  const named = process.env.BENCH_MODE;
  if (named !== undefined && named !== '') {
    if (named === 'closed' || named === 'rate' || named === 'backlog') return named;
    console.error(`BENCH_MODE=${named} is not valid: use closed, rate or backlog`);
    process.exit(2);
  }
  const rate = (process.env.BENCH_RATE ?? '') !== '';
  const backlog = (process.env.BENCH_BACKLOG ?? '') !== '';
  if (rate && backlog) {
    console.error('BENCH_RATE and BENCH_BACKLOG are both set: run one mode at a time (or say which with BENCH_MODE)');
    process.exit(2);
  }
  return rate ? 'rate' : backlog ? 'backlog' : 'closed';
}
const mode = modeOf();
const openLoop: OpenLoopConfig = {
  rate: envNumber('BENCH_RATE', 200, 1, 100_000),
  seconds: envNumber('BENCH_RATE_SECONDS', 30, 1, 3_600),
  warmupSeconds: envNumber('BENCH_RATE_WARMUP_SECONDS', 5, 0, 600),
  connections: Math.floor(envNumber('BENCH_RATE_CONNECTIONS', 64, 1, 1_024)),
};
/** The open loop's targets, set for 200 messages/s. */
const RATE_TARGETS = { rate: 200, acceptP99Ms: 50, endToEndP99Ms: 2_000 } as const;
const backlogMessages = Math.floor(envNumber('BENCH_BACKLOG', 50_000, 1, 10_000_000));
const backlogOverlap = process.env.BENCH_BACKLOG_OVERLAP === '1';
const oneByOneMessages = Math.floor(envNumber('BENCH_BACKLOG_ONE_BY_ONE', Math.min(backlogMessages, 2_000), 0, 10_000_000));
/** The drain's target: messages drained per second at least this share of the floor's accepted/s. */
const DRAIN_TARGET = 0.25;
const runAcceptOnly = process.env.BENCH_ACCEPT_ONLY !== '0';
const cpuProfile = process.env.BENCH_CPU_PROF === '1';
const startTimeoutMs = envNumber('BENCH_START_TIMEOUT_SECONDS', 60, 1, 600) * 1000;
const stopGraceMs = 15_000;
const postgres: PostgresTarget = { serverUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432' };
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const resultsDir = fromPackageRoot('bench', 'results');

const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const runId = `${stamp}_${process.pid}`;

type PhaseKind = 'flow' | 'accept' | 'floor' | 'rate' | 'backlog';
const databases = new Set<string>();
const prefixes = new Set<string>();
const children: Child[] = [];
const abort = { aborted: false };

let serverSettings: Awaited<ReturnType<typeof createDatabase>> | undefined;

const databaseOf = (kind: PhaseKind) => `medcom_bench_${runId}_${kind}`;
const prefixOf = (kind: PhaseKind) => `medcom-bench-${runId}-${kind}`;

process.on('SIGINT', () => {
  if (abort.aborted) process.exit(130);
  abort.aborted = true;
  console.error('interrupted: stopping the load and cleaning up (Ctrl-C again to quit at once)');
});

for (const hostUrl of [postgres.serverUrl, redisUrl]) {
  if (!/\/\/([^@/]*@)?127\.0\.0\.1(:\d+)?(\/|$)/.test(hostUrl)) {
    console.error(`${hostUrl}: the bench only talks to 127.0.0.1`);
    process.exit(2);
  }
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_ENV; // production refuses the demo keys
  delete env.NODE_OPTIONS;
  return env;
}

function latestProfile(dir: string, since: number): string | undefined {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ file: join(dir, f), at: statSync(join(dir, f)).mtimeMs }))
      .filter((f) => f.at >= since)
      .sort((a, b) => b.at - a.at)[0]?.file;
  } catch {
    return undefined;
  }
}

async function startOrFail(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<Child | undefined> {
  const child = startChild(name, process.execPath, args, env, PACKAGE_ROOT);
  children.push(child);
  const probe = new HttpClient('127.0.0.1', port, 1);
  try {
    if (await waitUntilReady(child, probe, '/readyz', startTimeoutMs)) return child;
  } finally {
    probe.close();
  }
  const how = child.hasExited() ? `it ended (${await child.exited})` : `/readyz did not answer 200 within ${startTimeoutMs / 1000} s`;
  console.error(`\n${name} did not become ready: ${how}. Its output:\n${child.output() || '(none)'}`);
  return undefined;
}

/**
 * One phase: a fresh database and prefix, the server as a child, the load, and around it the
 * samplers (memory, CPU, PostgreSQL activity and counters, and for the gateway the in-process probe).
 */
async function runPhase<R extends { readonly accepted: number }>(
  kind: PhaseKind,
  work: (port: number, pid: number) => Promise<R>,
  warmup?: (port: number) => Promise<unknown>,
): Promise<Phase<R> | undefined> {
  const database = databaseOf(kind);
  const prefix = prefixOf(kind);
  databases.add(database);
  serverSettings = await createDatabase(postgres, database);
  prefixes.add(prefix);
  const port = await freePort();
  const isGateway = kind !== 'floor';
  const profiling = cpuProfile && isGateway;
  const profileDir = join(resultsDir, 'profiles');
  const probeFile = join(resultsDir, `gateway-probe-${kind}.jsonl`);
  mkdirSync(resultsDir, { recursive: true });
  if (profiling) mkdirSync(profileDir, { recursive: true });
  rmSync(probeFile, { force: true });
  const startedAt = Date.now();
  const probe = pathToFileURL(fromPackageRoot('dist', 'bench', 'lib', 'gateway-probe.js')).href;
  const args = isGateway
    ? [...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), `--import=${probe}`, 'bin/medcom-gateway.js', 'serve']
    : ['dist/bench/floor-server.js'];
  const env = childEnv({
    DATABASE_URL: databaseUrl(postgres, database),
    REDIS_URL: redisUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(isGateway
      ? { MEDCOM_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', MEDCOM_RATE_LIMIT_PER_MINUTE: '10000000', BENCH_PROBE_FILE: probeFile }
      : { FLOOR_QUEUE_PREFIX: prefix }),
  });
  const title = {
    flow: 'the gateway, full flow',
    accept: 'the gateway, acceptance only (nobody reads the inboxes)',
    floor: 'the floor server',
    rate: 'the gateway, open loop with the full flow',
    backlog: 'the gateway, a backlog filled and drained',
  }[kind];
  console.log(`\n${title}: node ${args.filter((a) => !a.startsWith('--import')).join(' ')} on 127.0.0.1:${port}, database ${database}, Redis prefix ${prefix}`);
  const child = await startOrFail(title, args, env, port);
  if (!child) return undefined;
  if (warmup && warmupSeconds > 0 && !abort.aborted) {
    console.log(`warm-up: ${warmupSeconds} s of the same load, not counted`);
    await warmup(port);
  }

  await checkpoint(postgres);
  const pgBefore = await pgCounters(postgres, database);
  const tablesBefore = await pgTableCounters(postgres, database);
  const activity = new PgActivitySampler(postgres, database);
  await activity.start();
  const memory = new MemorySampler(child.pid);
  const cpu = new CpuWindow({ [isGateway ? 'gateway' : 'floor']: child.pid });
  const loadStart = Date.now();
  const result = await work(port, child.pid);
  const loadEnd = Date.now();
  const cpuUse = cpu.finish();
  const postgresConnections = await activity.stop();
  const peakRssMb = memory.stop();
  const stopped = await stopChild(child, stopGraceMs);
  if (!/exit code 0/.test(stopped)) console.error(`${title} stopped with ${stopped}; its last output:\n${child.output()}`);
  // Backends report their counters when they end, so read them after the server has closed its pool.
  const postgresPerMessage = pgPerMessage(pgBefore, await pgCounters(postgres, database), result.accepted);
  const postgresRowsByTable = tableRowsPerMessage(tablesBefore, await pgTableCounters(postgres, database), result.accepted);
  // Dropped now, not at the end: autovacuum would otherwise work through this phase's tables during
  // the next phase, on the same cores, and count as that phase's PostgreSQL CPU.
  await dropDatabase(postgres, database).then(
    () => databases.delete(database),
    (error: unknown) => console.error(`could not drop database ${database} after its phase: ${(error as Error).message}`),
  );
  let profile: ProfileSummary | undefined;
  if (profiling) {
    const file = latestProfile(profileDir, startedAt);
    if (file) profile = summarizeProfile(file);
    else console.error(`no CPU profile was written to ${profileDir} (the gateway must exit on its own for --cpu-prof to write one)`);
  }
  const probed = isGateway && existsSync(probeFile) ? readProbe(probeFile, loadStart, loadEnd, result.accepted) : {};
  return {
    result,
    resources: { peakRssMb, cpu: cpuUse, stopped, postgresConnections, ...(postgresPerMessage ? { postgresPerMessage } : {}), ...(postgresRowsByTable ? { postgresRowsByTable } : {}), ...probed, ...(profile ? { profile } : {}) },
  };
}

async function cleanUp(): Promise<void> {
  for (const child of children) {
    if (!child.hasExited()) await stopChild(child, stopGraceMs);
  }
  for (const database of databases) {
    await dropDatabase(postgres, database).then(
      () => console.log(`dropped database ${database}`),
      (error: unknown) => console.error(`could not drop database ${database}: ${(error as Error).message}`),
    );
  }
  for (const prefix of prefixes) {
    await deleteRedisPrefix(redisUrl, prefix).then(
      (count) => console.log(`deleted ${count} Redis keys under ${prefix}:`),
      (error: unknown) => console.error(`could not delete the Redis keys under ${prefix}: ${(error as Error).message}`),
    );
  }
}

function report(
  machine: Record<string, string | number>,
  database: Awaited<ReturnType<typeof createDatabase>>,
  flow: Phase<GatewayLoadResult>,
  accept: Phase<PostOnlyLoadResult> | undefined,
  floor: Phase<PostOnlyLoadResult> | undefined,
  benchPeakRssMb: number,
  source: { commit: string; srcChanged: boolean },
): { ratio: number | null; acceptOnlyRatio: number | null } {
  const g = flow.result;
  const floorRate = floor?.result.acceptedPerSecond ?? 0;
  const ratio = floor && floorRate > 0 ? g.acceptedPerSecond / floorRate : null;
  const acceptOnlyRatio = floor && accept && floorRate > 0 ? accept.result.acceptedPerSecond / floorRate : null;
  const line = '─'.repeat(92);
  const out = (text = '') => console.log(text);
  out(`\n${line}`);
  out(`gateway benchmark  ${new Date().toISOString()}  ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
  out(`gateway at commit ${source.commit}${source.srcChanged ? ' with uncommitted changes in src/' : ''}`);
  out(`PostgreSQL ${database.version}: synchronous_commit=${database.synchronousCommit}, fsync=${database.fsync}`);
  out(`load: ${load.concurrency} posts in flight; cap ${load.messages} messages or ${load.seconds} s (floor ${floorLoad.messages}); ${load.pollersPerEndpoint} pollers per endpoint, ${load.itemConcurrency} items at a time each; ${inboxText}`);
  out(`each phase measured after ${warmupSeconds} s of the same load (warm-up, not counted: BENCH_WARMUP_SECONDS)`);
  out(line);
  out(`  ${'throughput'.padEnd(36)} ${'msg/s'.padStart(8)}   ${'count'.padStart(8)}   ${'seconds'.padStart(8)}`);
  const rate = (label: string, perSecond: number, count: number, seconds: number) =>
    out(`  ${label.padEnd(36)} ${fmt(perSecond, 0).padStart(8)}   ${String(count).padStart(8)}   ${fmt(seconds, 1).padStart(8)}`);
  rate('gateway accepted (POST 202)', g.acceptedPerSecond, g.accepted, g.postSeconds);
  rate('gateway end to end (receipt back)', g.endToEndPerSecond, g.completed, g.endToEndSeconds);
  rate('  … completed while posting', g.endToEndWhilePostingPerSecond, g.completedWhilePosting, g.postSeconds);
  if (accept) rate('gateway accepted, nobody reading', accept.result.acceptedPerSecond, accept.result.accepted, accept.result.postSeconds);
  if (floor) rate('floor (INSERT + queue.add)', floor.result.acceptedPerSecond, floor.result.accepted, floor.result.postSeconds);
  if (ratio !== null) out(`  ${'gateway accepted ÷ floor'.padEnd(36)} ${ratio.toFixed(2).padStart(8)}`);
  if (acceptOnlyRatio !== null) out(`  ${'  (nobody reading) ÷ floor'.padEnd(36)} ${acceptOnlyRatio.toFixed(2).padStart(8)}`);
  if (g.incomplete > 0) out(`  ${g.incomplete} accepted messages had not all their receipts back when the drain time (${load.drainSeconds} s) ran out`);
  out(line);
  out(`  ${'latency (ms)'.padEnd(36)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(9)} ${'count'.padStart(8)}`);
  out(latencyRow('gateway acceptance (POST → 202)', g.acceptLatencyMs));
  out(latencyRow('gateway end to end (POST → receipt)', g.endToEndLatencyMs));
  for (const [op, summary] of Object.entries(g.requestLatencyMs)) out(latencyRow(`  ${op}`, summary));
  if (accept) out(latencyRow('gateway acceptance, nobody reading', accept.result.acceptLatencyMs));
  if (floor) out(latencyRow('floor (POST → 202)', floor.result.acceptLatencyMs));
  out(line);
  out(`  errors, full flow:   ${errorText(g.errors)}`);
  if (accept) out(`  errors, accept only: ${errorText(accept.result.errors)}`);
  if (floor) out(`  errors, floor:       ${errorText(floor.result.errors)}`);
  const samples = { ...g.errorSamples, ...(accept?.result.errorSamples ?? {}), ...(floor?.result.errorSamples ?? {}) };
  for (const [what, body] of Object.entries(samples)) out(`    first ${what}: ${body.replace(/\s+/g, ' ')}`);
  out(`  peak RSS: gateway ${fmt(flow.resources.peakRssMb, 0)} MB (full flow)${accept ? `, ${fmt(accept.resources.peakRssMb, 0)} MB (accept only)` : ''}${floor ? `, floor ${fmt(floor.resources.peakRssMb, 0)} MB` : ''}, bench ${fmt(benchPeakRssMb, 0)} MB`);
  for (const text of cpuLines('full flow', flow.resources.cpu, g.completed)) out(text);
  if (accept) for (const text of cpuLines('accept only', accept.resources.cpu, accept.result.accepted)) out(text);
  if (floor) for (const text of cpuLines('floor', floor.resources.cpu, floor.result.accepted)) out(text);
  const loop = flow.resources.eventLoop;
  if (loop) out(`  gateway event loop, full flow: utilisation ${(loop.utilisationMean * 100).toFixed(0)} % mean, ${(loop.utilisationMax * 100).toFixed(0)} % peak; delay p99 up to ${loop.delayP99MsMax} ms`);
  const acceptLoop = accept?.resources.eventLoop;
  if (acceptLoop) out(`  gateway event loop, accept only: utilisation ${(acceptLoop.utilisationMean * 100).toFixed(0)} % mean, ${(acceptLoop.utilisationMax * 100).toFixed(0)} % peak`);
  out(`  PostgreSQL connections of the gateway (average), full flow: ${Object.entries(flow.resources.postgresConnections).map(([what, n]) => `${n} ${what}`).join(', ') || 'not sampled'}`);
  out(`  PostgreSQL per message, full flow:   ${pgText(flow.resources)}`);
  if (accept) out(`  PostgreSQL per message, accept only: ${pgText(accept.resources)}`);
  if (floor) out(`  PostgreSQL per message, floor:       ${pgText(floor.resources)}`);
  const statementsOf = (label: string, r: PhaseResources) => {
    if (r.sqlPerMessage === undefined) return;
    out(`  gateway round trips per message, ${label}: ${r.sqlPerMessage} SQL statements, ${r.redisPerMessage} Redis commands (${Object.entries(r.redisCommands ?? {})
        .filter(([, n]) => n > 0)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')})`);
  };
  statementsOf('full flow', flow.resources);
  if (accept) statementsOf('accept only', accept.resources);
  out('  most frequent statements, full flow (per message × mean ms from query() to its answer, as the gateway sees it):');
  for (const st of (flow.resources.statements ?? []).slice(0, 12)) out(`    ${fmt(st.perMessage, 2).padStart(6)} × ${fmt(st.meanMs, 1).padStart(6)} ms  ${st.statement}`);
  out(`  receipts per message: ${g.receiptsPerMessage} (a GGOP's copy to the GP is answered too)`);
  // The targets are ratios to the floor measured in the same run, so they mean the same on any machine.
  if (floorRate > 0) {
    const targets: [string, number, number][] = [
      ...(accept ? [['acceptance, nobody reading', accept.result.acceptedPerSecond / floorRate, 0.5] as [string, number, number]] : []),
      ['accepted during the full flow', g.acceptedPerSecond / floorRate, 0.3],
      ['end to end', g.endToEndPerSecond / floorRate, 0.25],
    ];
    out('  targets (× floor):');
    for (const [what, measured, wanted] of targets) {
      out(`    ${what.padEnd(34)} ${measured.toFixed(2).padStart(6)} (target ≥ ${wanted.toFixed(2)})  ${measured >= wanted ? 'met' : 'NOT met'}`);
    }
  }
  for (const [label, phase] of [['full flow', flow], ['accept only', accept]] as const) {
    const p = phase?.resources.profile;
    if (!p) continue;
    out(line);
    out(`  gateway CPU profile, ${label} (${p.file}): ${p.busyMs} ms not idle of ${p.totalMs} ms sampled. Self time by area:`);
    for (const area of p.byArea.slice(0, 15)) out(`    ${fmt(area.percent).padStart(5)} %  ${String(area.ms).padStart(7)} ms  ${area.name}`);
    out('  top functions (self time):');
    for (const fn of p.topFunctions) out(`    ${fmt(fn.percent).padStart(5)} %  ${String(fn.ms).padStart(7)} ms  ${fn.name}`);
  }
  out(line);
  return { ratio, acceptOnlyRatio };
}

/** The commit measured, and whether src/ had uncommitted changes (the gateway is built from the working tree). */
function sourceVersion(): { commit: string; srcChanged: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, srcChanged: changed };
  } catch {
    return { commit: 'unknown', srcChanged: false };
  }
}

type Machine = Record<string, string | number>;
type Source = ReturnType<typeof sourceVersion>;

function writeResults(file: string, json: Record<string, unknown>): void {
  const out = join(resultsDir, file);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), ...json, aborted: abort.aborted }, null, 2)}\n`);
  console.log(`results written to ${out}`);
}

function reportHeader(machine: Machine, source: Source): string[] {
  const database = serverSettings ?? { version: '?', synchronousCommit: '?', fsync: '?' };
  return [
    `gateway benchmark  ${new Date().toISOString()}  ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`,
    `gateway at commit ${source.commit}${source.srcChanged ? ' with uncommitted changes in src/' : ''}`,
    `PostgreSQL ${database.version}: synchronous_commit=${database.synchronousCommit}, fsync=${database.fsync}`,
  ];
}

/** Waits (at most a minute) until the gateway has used under 0.05 cores for a second: its work after a fill is done. */
async function settle(pid: number): Promise<number> {
  const started = Date.now();
  while (!abort.aborted && Date.now() - started < 60_000) {
    const window = new CpuWindow({ gateway: pid });
    await sleep(1_000);
    if ((window.finish().coresByProcess.gateway ?? 0) < 0.05) break;
  }
  return (Date.now() - started) / 1000;
}

function allTemplates(): Template[] {
  const templates = loadTemplates();
  verifyTemplates(templates, load.patientGroup);
  console.log(`messages: ${templates.map((t) => t.file.replace(/\.xml$/, '')).join(', ')} (round robin; identifiers and CPR numbers rewritten per message)`);
  return templates;
}

async function closedLoop(machine: Machine, source: Source): Promise<number> {
  const templates = allTemplates();
  const benchMemory = new MemorySampler('self');

  const flow = await runPhase('flow', (port) => {
    console.log(
      `load: ${flowLoad.messages} messages or ${load.seconds} s, ${load.concurrency} posts in flight, ${load.pollersPerEndpoint} pollers per endpoint × ${load.itemConcurrency} items at a time; ${inboxText}`,
    );
    return runGatewayLoad(port, templates, flowLoad, abort, (text) => console.log(text));
  }, (port) => runGatewayLoad(port, templates, warmupOf(flowLoad), abort, () => undefined));
  if (!flow) return 1;
  const postOnlyWarmup = (port: number) => runPostOnlyLoad(port, templates, warmupOf(load), abort);
  const accept = runAcceptOnly && !abort.aborted ? await runPhase('accept', (port) => runPostOnlyLoad(port, templates, load, abort), postOnlyWarmup) : undefined;
  if (runAcceptOnly && !accept && !abort.aborted) return 1;
  const floor = runFloor && !abort.aborted ? await runPhase('floor', (port) => runPostOnlyLoad(port, templates, floorLoad, abort), postOnlyWarmup) : undefined;
  if (runFloor && !floor && !abort.aborted) return 1;
  const benchPeakRssMb = benchMemory.stop();
  const database = serverSettings ?? { version: '?', synchronousCommit: '?', fsync: '?' };

  const { ratio, acceptOnlyRatio } = report(machine, database, flow, accept, floor, benchPeakRssMb, source);
  writeResults('latest.json', {
    source,
    machine,
    postgres: database,
    config: { ...load, floorMessages: floorLoad.messages, floor: runFloor, acceptOnly: runAcceptOnly, cpuProfile, warmupSeconds },
    gateway: { ...flow.result, ...flow.resources },
    gatewayAcceptOnly: accept ? { ...accept.result, ...accept.resources } : null,
    floor: floor ? { ...floor.result, ...floor.resources } : null,
    ratioAcceptedToFloor: ratio,
    ratioAcceptOnlyToFloor: acceptOnlyRatio,
    bench: { peakRssMb: benchPeakRssMb },
  });
  return abort.aborted ? 130 : 0;
}

async function openLoopMode(machine: Machine, source: Source): Promise<number> {
  const templates = allTemplates();
  const benchMemory = new MemorySampler('self');
  const phase = await runPhase('rate', (port) => {
    console.log(
      `open loop: ${openLoop.rate} msg/s for ${openLoop.seconds} s after ${openLoop.warmupSeconds} s of warm-up, up to ${openLoop.connections} connections for the posts; ${load.pollersPerEndpoint} pollers per endpoint × ${load.itemConcurrency} items at a time; ${inboxText}`,
    );
    return runOpenLoopLoad(port, templates, load, openLoop, abort, (text) => console.log(text));
  });
  if (!phase) return 1;
  const benchPeakRssMb = benchMemory.stop();
  const verdicts = reportOpenLoop([...reportHeader(machine, source), `full flow: ${load.pollersPerEndpoint} pollers per endpoint; ${inboxText}`], phase, RATE_TARGETS);
  writeResults('latest-rate.json', {
    source,
    machine,
    postgres: serverSettings,
    config: { ...load, openLoop, cpuProfile },
    gateway: { ...phase.result, ...phase.resources },
    targets: verdicts,
    bench: { peakRssMb: benchPeakRssMb },
  });
  return abort.aborted ? 130 : 0;
}

async function backlogMode(machine: Machine, source: Source): Promise<number> {
  const { batch, oneByOne } = BACKLOG_INBOXES;
  const batchTemplates = loadTemplates(batch.fixtures);
  const oneByOneTemplates = loadTemplates(oneByOne.fixtures);
  verifyTemplates([...batchTemplates, ...oneByOneTemplates], load.patientGroup);
  // The fill is not cut short by BENCH_SECONDS: the backlog is the point.
  const fillConfig: LoadConfig = { ...load, messages: backlogMessages, seconds: 3_600 };
  const { inbox: _fullFlowOnly, ...backlogLoad } = load;
  const phase = await runPhase('backlog', async (port, pid): Promise<BacklogRun> => {
    console.log(`fill: ${backlogMessages} messages for ${batch.municipality} (${batch.fixtures.map((f) => f.replace(/\.xml$/, '')).join(', ')}), ${load.concurrency} posts in flight, nobody reading`);
    const fill = await fillBacklog(port, batchTemplates, batch.municipality, fillConfig, abort);
    console.log(`  accepted ${fill.accepted} in ${fmt(fill.postSeconds, 1)} s; waiting for the gateway to go quiet`);
    const settleSeconds = [await settle(pid)];
    console.log(`drain: one poller, GET /api/v1/inbox?limit=100&include=body then POST /api/v1/inbox/receipts, ${backlogOverlap ? 'the next lease while the receipts are recorded' : 'one request at a time'}`);
    const drainCpuWindow = new CpuWindow({ gateway: pid });
    const drain = await drainInBatches(port, batch.municipality, fill.accepted, load.requestTimeoutMs, backlogOverlap, abort);
    const drainCpu = drainCpuWindow.finish();
    console.log(`  acknowledged ${drain.acknowledged} in ${fmt(drain.seconds, 1)} s`);
    if (oneByOneMessages === 0 || abort.aborted) return { fill, drain, drainCpu, settleSeconds, accepted: fill.accepted };
    console.log(`fill: ${oneByOneMessages} messages for ${oneByOne.municipality}, to drain one by one`);
    const oneByOneFill = await fillBacklog(port, oneByOneTemplates, oneByOne.municipality, { ...fillConfig, messages: oneByOneMessages, firstMessage: backlogMessages }, abort);
    settleSeconds.push(await settle(pid));
    console.log(`drain: one poller, a lease of 100, then per message GET /api/v1/inbox/{id} and POST …/receipt, one request at a time`);
    const oneByOneCpuWindow = new CpuWindow({ gateway: pid });
    const drained = await drainOneByOne(port, oneByOne.municipality, oneByOneFill.accepted, load.requestTimeoutMs, abort);
    const oneByOneCpu = oneByOneCpuWindow.finish();
    console.log(`  acknowledged ${drained.acknowledged} in ${fmt(drained.seconds, 1)} s`);
    return { fill, drain, drainCpu, settleSeconds, oneByOneFill, oneByOne: drained, oneByOneCpu, accepted: fill.accepted + oneByOneFill.accepted };
  });
  if (!phase) return 1;
  const templates = runFloor && !abort.aborted ? allTemplates() : [];
  const floor = runFloor && !abort.aborted ? await runPhase('floor', (port) => runPostOnlyLoad(port, templates, floorLoad, abort)) : undefined;
  if (runFloor && !floor && !abort.aborted) return 1;
  const verdicts = reportBacklog(reportHeader(machine, source), phase, floor, DRAIN_TARGET);
  writeResults('latest-backlog.json', {
    source,
    machine,
    postgres: serverSettings,
    // The backlog drains in both ways on its own: the full flow's inbox mode does not apply.
    config: { ...backlogLoad, backlog: backlogMessages, overlap: backlogOverlap, oneByOne: oneByOneMessages, floorMessages: floorLoad.messages, floor: runFloor, cpuProfile },
    gateway: { ...phase.result, ...phase.resources },
    floor: floor ? { ...floor.result, ...floor.resources } : null,
    ratioDrainToFloor: floor && floor.result.acceptedPerSecond > 0 ? phase.result.drain.perSecond / floor.result.acceptedPerSecond : null,
    targets: verdicts,
  });
  return abort.aborted ? 130 : 0;
}

async function main(): Promise<number> {
  const source = sourceVersion();
  const machine = { cpuModel: cpus()[0]?.model ?? 'unknown CPU', cores: availableParallelism(), memoryGb: Math.round(totalmem() / 1024 ** 3), node: process.version };
  console.log(`gateway benchmark on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; gateway at ${source.commit}${source.srcChanged ? ' with uncommitted changes in src/' : ''}`);
  if (mode === 'rate') return openLoopMode(machine, source);
  if (mode === 'backlog') return backlogMode(machine, source);
  return closedLoop(machine, source);
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`the benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
// Give stdout a moment, then exit even if a stray handle would keep the loop alive.
await sleep(50);
process.exit(exitCode);

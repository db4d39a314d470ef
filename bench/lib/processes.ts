/**
 * Child processes (the gateway, the floor server): started with their output kept (the last 64 KB),
 * waited for until ready, stopped with SIGTERM and then SIGKILL. And /proc sampling: peak resident
 * memory of a process, and CPU time per process group (gateway, PostgreSQL, Redis, this bench).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.js';

const KEEP_BYTES = 64 * 1024;

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
}

export function startChild(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let kept = '';
  const keep = (chunk: Buffer) => {
    kept += chunk.toString('utf8');
    if (kept.length > KEEP_BYTES) kept = kept.slice(kept.length - KEEP_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(signal ? `signal ${signal}` : `exit code ${code}`);
    });
    child.once('error', (error) => {
      ended = true;
      keep(Buffer.from(`\n${name} could not be started: ${error.message}\n`));
      resolve(`spawn error ${error.message}`);
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT and the like); the 'error' event says why.
    return { name, process: child, pid: -1, output: () => kept, exited, hasExited: () => true };
  }
  return { name, process: child, pid: child.pid, output: () => kept, exited, hasExited: () => ended };
}

/** Polls `path` until it answers 200; false when the child exits first or the time runs out. */
export async function waitUntilReady(child: Child, client: HttpClient, path: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !child.hasExited()) {
    const reply = await client.request({ method: 'GET', path, timeoutMs: 2_000 });
    if (reply.status === 200) return true;
    await sleep(200);
  }
  return false;
}

/** SIGTERM, then SIGKILL when it has not ended within `graceMs`. Returns how it ended. */
export async function stopChild(child: Child, graceMs: number): Promise<string> {
  if (child.hasExited()) return child.exited;
  child.process.kill('SIGTERM');
  const ended = await Promise.race([child.exited, sleep(graceMs).then(() => undefined)]);
  if (ended !== undefined) return ended;
  child.process.kill('SIGKILL');
  const killed = await Promise.race([child.exited, sleep(5_000).then(() => 'did not end after SIGKILL')]);
  return `${killed} (SIGKILL after ${graceMs} ms)`;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** VmHWM (peak) and VmRSS of a process in MB, from /proc; undefined when it is gone. */
export function memoryOf(pid: number | 'self'): { hwmMb: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a process's memory every `intervalMs` and keeps the peak (VmHWM is itself a peak). */
export class MemorySampler {
  peakMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number | 'self',
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const memory = memoryOf(this.pid);
    if (memory) this.peakMb = Math.max(this.peakMb, Number.isNaN(memory.hwmMb) ? memory.rssMb : memory.hwmMb);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMb;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const availableCores = () => availableParallelism();

/** utime + stime of one process in seconds. */
function cpuSecondsOf(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of every process now, by pid, with its command name. For PostgreSQL's processes the
 * CPU of their ended children counts too (cutime, cstime): a backend whose connection closed is
 * reaped by the postmaster, which so accounts for it; without it, a gateway that renews its
 * connections would seem to cost PostgreSQL nothing.
 */
function allProcesses(): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const children = comm === 'postgres' ? Number(fields[13]) + Number(fields[14]) : 0;
      out.set(Number(pid), { comm, cpu: (Number(fields[11]) + Number(fields[12]) + children) / TICKS_PER_SECOND });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

const MACHINE_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** The machine's jiffies per kind (first line of /proc/stat). */
function machineTicks(): Record<(typeof MACHINE_FIELDS)[number], number> & { total: number } {
  const ticks = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, total: 0 };
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    MACHINE_FIELDS.forEach((field, i) => (ticks[field] = values[i] ?? 0));
    ticks.total = values.slice(0, 8).reduce((x, y) => x + y, 0);
  } catch {
    // not Linux: no machine figures
  }
  return ticks;
}

/** Main thread of a process: seconds on a CPU and seconds runnable but waiting for one (/proc/<pid>/schedstat). */
function schedOf(pid: number): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { run: (run ?? 0) / 1e9, wait: (wait ?? 0) / 1e9 };
  } catch {
    return { run: 0, wait: 0 };
  }
}

/** Kernel-mode share of a process's CPU seconds (stime). */
function systemSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[12]) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export interface ChildCpu {
  /** Cores used by the whole process (all threads), and the kernel-mode part of it. */
  readonly cores: number;
  readonly systemCores: number;
  /** Share of the window the main (JavaScript) thread ran, and waited runnable for a CPU. */
  readonly mainThreadRunning: number;
  readonly mainThreadWaitingForCpu: number;
}

export interface CpuUse {
  /** Average cores used over the window by each group, e.g. `{ gateway: 1.2, postgres: 0.6 }`. */
  readonly coresByProcess: Record<string, number>;
  /** Details of the named children. */
  readonly children: Record<string, ChildCpu>;
  /** Other processes that used at least 0.02 cores, by command name: someone else's load on the machine. */
  readonly others: Record<string, number>;
  /** Fraction of all the machine's cores busy over the window (0–1), and by kind (user, system, softirq, steal…). */
  readonly machineBusy: number;
  readonly machineCores: Record<string, number>;
  readonly seconds: number;
}

/** CPU use over a window, per process group: the named children, this process, PostgreSQL, Redis, the rest. */
export class CpuWindow {
  private readonly start: ReturnType<CpuWindow['snapshot']>;

  constructor(private readonly children: Record<string, number>) {
    this.start = this.snapshot();
  }

  private snapshot() {
    const own: Record<string, { cpu: number; sys: number; run: number; wait: number }> = {};
    for (const [name, pid] of Object.entries(this.children)) own[name] = { cpu: cpuSecondsOf(pid), sys: systemSecondsOf(pid), ...schedOf(pid) };
    return { at: process.hrtime.bigint(), processes: allProcesses(), own, machine: machineTicks() };
  }

  finish(): CpuUse {
    const end = this.snapshot();
    const seconds = Number(end.at - this.start.at) / 1e9;
    const cores = (a: number, b: number) => Math.round(((b - a) / seconds) * 100) / 100;
    const coresByProcess: Record<string, number> = {};
    const children: Record<string, ChildCpu> = {};
    const zero = { cpu: 0, sys: 0, run: 0, wait: 0 };
    for (const name of Object.keys(this.children)) {
      const a = this.start.own[name] ?? zero;
      const b = end.own[name] ?? zero;
      children[name] = { cores: cores(a.cpu, b.cpu), systemCores: cores(a.sys, b.sys), mainThreadRunning: cores(a.run, b.run), mainThreadWaitingForCpu: cores(a.wait, b.wait) };
    }
    // Every process's CPU over the window (a process started meanwhile counts from zero; one that ended is lost).
    const groupOf = new Map<number, string>(Object.entries(this.children).map(([name, pid]) => [pid, name]));
    groupOf.set(process.pid, 'bench');
    const byGroup: Record<string, number> = {};
    const others: Record<string, number> = {};
    for (const [pid, now] of end.processes) {
      const used = now.cpu - (this.start.processes.get(pid)?.cpu ?? 0);
      if (used <= 0) continue;
      const group = groupOf.get(pid) ?? (now.comm === 'postgres' ? 'postgres' : now.comm === 'redis-server' ? 'redis' : undefined);
      if (group) byGroup[group] = (byGroup[group] ?? 0) + used;
      else others[now.comm] = (others[now.comm] ?? 0) + used;
    }
    for (const group of [...Object.keys(this.children), 'postgres', 'redis', 'bench']) coresByProcess[group] = cores(0, byGroup[group] ?? 0);
    const otherCores: Record<string, number> = {};
    for (const [comm, used] of Object.entries(others).sort((a, b) => b[1] - a[1])) {
      const c = cores(0, used);
      if (c >= 0.02) otherCores[comm] = c;
    }
    const delta = (field: keyof ReturnType<typeof machineTicks>) => end.machine[field] - this.start.machine[field];
    const total = delta('total');
    const machineCores: Record<string, number> = {};
    const perCore = total > 0 ? availableCores() / total : 0;
    for (const field of ['user', 'nice', 'system', 'irq', 'softirq', 'steal', 'iowait', 'idle'] as const) machineCores[field] = Math.round(delta(field) * perCore * 100) / 100;
    const busy = total - delta('idle') - delta('iowait');
    return { coresByProcess, children, others: otherCores, machineBusy: total > 0 ? Math.round((busy / total) * 1000) / 1000 : 0, machineCores, seconds };
  }
}

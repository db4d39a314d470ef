/**
 * Loaded into the gateway child with `node --import <dist/bench/lib/gateway-probe.js> …` (the gateway's
 * own code is not touched). Once a second it appends one JSON line to BENCH_PROBE_FILE with:
 *
 * - the main thread's event-loop utilisation and event-loop delay over the last second, so the bench
 *   can tell whether the gateway's one JavaScript thread is the limit;
 * - running totals of the SQL statements the gateway sent (count and time from `client.query` to its
 *   answer, per statement text) and of the Redis commands, so the bench can say how many round trips
 *   a message costs. pg and ioredis are resolved from the project's node_modules, the same modules
 *   the gateway loads, and their prototypes are wrapped.
 *
 * Does nothing without BENCH_PROBE_FILE.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';

type AnyFunction = (...args: unknown[]) => unknown;

const file = process.env.BENCH_PROBE_FILE;

/** Statement texts seen so far and their keys (the gateway's SQL is a few dozen constant strings). */
const keys = new Map<string, string>();

function statementKey(query: unknown): string {
  const objectText = typeof query === 'object' && query !== null ? (query as { text?: unknown }).text : undefined;
  const text = typeof query === 'string' ? query : typeof objectText === 'string' ? objectText : typeof query === 'object' ? '(query object)' : '?';
  let key = keys.get(text);
  if (key === undefined) {
    key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    if (keys.size < 10_000) keys.set(text, key);
  }
  return key;
}

if (file) {
  const statements = new Map<string, { n: number; ms: number }>();
  const record = (key: string, started: number) => {
    const entry = statements.get(key) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += performance.now() - started;
    statements.set(key, entry);
  };
  const clientPrototype = pg.Client.prototype as unknown as { query: AnyFunction };
  const originalQuery = clientPrototype.query;
  clientPrototype.query = function (this: unknown, ...args: unknown[]) {
    const key = statementKey(args[0]);
    const started = performance.now();
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (...results: unknown[]) => {
        record(key, started);
        return (callback as AnyFunction)(...results);
      };
      return originalQuery.apply(this, args);
    }
    const result = originalQuery.apply(this, args);
    if (result instanceof Promise) result.then(() => record(key, started), () => record(key, started));
    return result;
  };

  const redisCommands = new Map<string, number>();
  const redisPrototype = Redis.prototype as unknown as { sendCommand: AnyFunction };
  const originalSend = redisPrototype.sendCommand;
  redisPrototype.sendCommand = function (this: unknown, ...args: unknown[]) {
    const commandName = (args[0] as { name?: unknown } | undefined)?.name;
    const name = typeof commandName === 'string' ? commandName : '?';
    redisCommands.set(name, (redisCommands.get(name) ?? 0) + 1);
    return originalSend.apply(this, args);
  };

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, last);
    last = now;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const line = {
      at: Date.now(),
      elu: Math.round(window.utilization * 1000) / 1000,
      delayP50Ms: ms(delay.percentile(50)),
      delayP99Ms: ms(delay.percentile(99)),
      delayMaxMs: ms(delay.max),
      sql: Object.fromEntries([...statements].map(([key, s]) => [key, [s.n, Math.round(s.ms)]])),
      redis: Object.fromEntries(redisCommands),
    };
    delay.reset();
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      clearInterval(timer);
    }
  }, 1_000);
  timer.unref();
}

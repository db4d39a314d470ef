/**
 * The soak (`npm run soak`, not in CI): an API and a worker process on a PRIVATE PostgreSQL and Redis
 * (see test/faults/harness.ts) under a fixed rate of mixed messages with receivers answering, for
 * SOAK_MINUTES (default 20). Every 10 s it samples RSS and heap, event-loop delay, acceptance latency,
 * inbox depth and the PostgreSQL table sizes, then reports the slope of each over the run after the
 * first minute (warm-up). It fails when memory (RSS, heap) or latency grows; the tables grow by design
 * (every message is kept) and are reported, not judged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Load, loadReceivers, settle, startEnvironment, startGatewayProcess, type Environment, type GatewayProcess } from '../faults/harness.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 20);
const SAMPLE_MS = 10_000;
const WARM_UP_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  readonly t: number;
  readonly apiRssMb: number;
  readonly workerRssMb: number;
  readonly apiHeapMb: number;
  readonly loopP99Ms: number;
  readonly acceptP50Ms: number;
  readonly acceptP99Ms: number;
  readonly inboxDepth: number;
  readonly tablesMb: number;
  readonly eventsRows: number;
}

let env: Environment;
beforeAll(async () => {
  env = await startEnvironment('soak');
}, 120_000);
afterAll(async () => {
  await env?.close();
});

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? Number.NaN) / 1024;
}

function metric(text: string, name: string): number {
  const values = text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return values.reduce((a, b) => a + b, 0);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Least-squares slope of `value` over time, per hour, and the series' mean. */
export function slopePerHour(samples: readonly { t: number; value: number }[]): { perHour: number; mean: number } {
  const n = samples.length;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mv = samples.reduce((a, s) => a + s.value, 0) / n;
  const num = samples.reduce((a, s) => a + (s.t - mt) * (s.value - mv), 0);
  const den = samples.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return { perHour: den === 0 ? 0 : (num / den) * 3_600_000, mean: mv };
}

describe(`soak for ${MINUTES} minutes`, () => {
  it('memory and latency stay flat; nothing is lost', async () => {
    const database = 'soak';
    await env.postgres.createDatabase(database);
    const settings = { DATABASE_URL: env.postgres.urlOf(database), REDIS_URL: env.redis.url, MEDCOM_QUEUE_PREFIX: 'soak' };
    const api: GatewayProcess = await startGatewayProcess('api', settings, join(env.root, 'soak-api.log'));
    const worker: GatewayProcess = await startGatewayProcess('worker', settings, join(env.root, 'soak-worker.log'));
    const load = new Load({ urls: () => [api.url as string], tag: 'S', intervalMs: 500 });
    const samples: Sample[] = [];
    const started = Date.now();
    try {
      load.start(loadReceivers());
      let seen = 0;
      while (Date.now() - started < MINUTES * 60_000) {
        await sleep(SAMPLE_MS);
        const metrics = await (await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer demo-ops' } })).text();
        const latencies = load.acceptLatencies.slice(seen);
        seen = load.acceptLatencies.length;
        const [tables] = await env.postgres.query<{ bytes: string; events: string }>(
          database,
          `SELECT sum(pg_total_relation_size(c.oid)) AS bytes, (SELECT count(*) FROM events) AS events
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
        );
        const sample: Sample = {
          t: Date.now() - started,
          apiRssMb: rssMb(api.pid()),
          workerRssMb: rssMb(worker.pid()),
          apiHeapMb: metric(metrics, 'nodejs_heap_size_used_bytes') / 1024 / 1024,
          loopP99Ms: metric(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
          acceptP50Ms: percentile(latencies, 50),
          acceptP99Ms: percentile(latencies, 99),
          inboxDepth: metric(metrics, 'medcom_inbox_depth'),
          tablesMb: Number(tables?.bytes ?? 0) / 1024 / 1024,
          eventsRows: Number(tables?.events ?? 0),
        };
        samples.push(sample);
        console.log(JSON.stringify(sample));
      }
      const outcome = await settle(env.postgres, database, load, 60_000);
      const steady = samples.filter((s) => s.t >= WARM_UP_MS);
      const keys = ['apiRssMb', 'workerRssMb', 'apiHeapMb', 'loopP99Ms', 'acceptP50Ms', 'acceptP99Ms', 'inboxDepth', 'tablesMb', 'eventsRows'] as const;
      const slopes = Object.fromEntries(keys.map((k) => [k, slopePerHour(steady.filter((s) => Number.isFinite(s[k])).map((s) => ({ t: s.t, value: s[k] })))]));
      const report = {
        minutes: MINUTES,
        messagesAccepted: outcome.accepted,
        lost: outcome.lost,
        shownTwice: outcome.shownTwice,
        ratePerSecond: outcome.accepted / ((Date.now() - started) / 1000),
        slopes,
        first: steady[0],
        last: steady.at(-1),
      };
      console.log(JSON.stringify(report, null, 1));
      if (process.env.SOAK_REPORT) writeFileSync(process.env.SOAK_REPORT, JSON.stringify({ ...report, samples }, null, 1));

      expect(outcome.lost).toBe(0);
      expect(outcome.shownTwice).toBe(0);
      // Growth over the measured span, as a share of the mean: more than 25 % (and more than a floor that
      // noise alone reaches) fails. A gateway that leaks grows steadily; one that does not stays flat.
      const span = (((steady.at(-1)?.t ?? 0) - (steady[0]?.t ?? 0)) / 3_600_000) || 1;
      const grows = (key: (typeof keys)[number], floor: number): boolean => {
        const s = slopes[key] as { perHour: number; mean: number };
        const growth = s.perHour * span;
        return growth > floor && growth > 0.25 * s.mean;
      };
      expect({
        apiRss: grows('apiRssMb', 30),
        workerRss: grows('workerRssMb', 30),
        apiHeap: grows('apiHeapMb', 20),
        acceptP50: grows('acceptP50Ms', 20),
        acceptP99: grows('acceptP99Ms', 50),
        loopP99: grows('loopP99Ms', 20),
      }).toEqual({ apiRss: false, workerRss: false, apiHeap: false, acceptP50: false, acceptP99: false, loopP99: false });
    } finally {
      await load.stop();
      await api.stop();
      await worker.stop();
    }
  });
});

/**
 * `npm run bench:ops -- [--database-url URL] [--runs 40]`: the operations queries against a store
 * filled by `npm run seed:ops`, through the same use cases the ops API calls. Each kind of question is
 * asked `runs` times with varying parameters (after 3 unmeasured warm-up calls) and its p50/p95/max
 * reported in milliseconds. Reads only; the database is left as it was.
 *
 * `--explain` instead runs each kind once and prints EXPLAIN (ANALYZE, BUFFERS) of every statement it
 * sends, to check that each query takes the index it was written for.
 */
import { performance } from 'node:perf_hooks';
import { patientRefFunction, type GatewayContext } from '../src/app/context.js';
import { listDeadLettersView } from '../src/app/ops-dead-letters.js';
import { opsMessageDetail } from '../src/app/ops-message-detail.js';
import { opsOverview } from '../src/app/ops-overview.js';
import { searchMessagesView } from '../src/app/ops-search.js';
import type { Endpoint, EndpointRegister } from '../src/domain/endpoint.js';
import { PostgresDatabase } from '../src/store/database.js';
import { patientRefKey } from '../src/store/message-store.js';
import { DEFAULT_OPS_DATABASE_URL, PUSH_MUNICIPALITIES, hospitalEans, municipalityEans, patientsFor, seedCpr } from './lib/ops-dataset.js';
import { Latencies, fmt, type LatencySummary } from './lib/stats.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return (index >= 0 ? process.argv[index + 1] : undefined) ?? fallback;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** The seeded endpoints as a register, so the overview lists them all. */
function seededRegister(): EndpointRegister {
  const endpoints: Endpoint[] = [
    ...hospitalEans().map((ean, i): Endpoint => ({ ean, kind: 'hospital', name: `Hospital ${i + 1}`, accepts: [], delivery: { mode: 'pull' }, enabled: true })),
    ...municipalityEans().map(
      (ean, i): Endpoint => ({
        ean,
        kind: 'municipality',
        name: `Municipality ${i + 1}`,
        accepts: [],
        delivery: i < PUSH_MUNICIPALITIES ? { mode: 'push', url: `https://kommune-${i + 1}.example/medcom` } : { mode: 'pull' },
        enabled: true,
      }),
    ),
  ];
  const byEan = new Map(endpoints.map((e) => [e.ean, e]));
  return { endpoints, gatewayEan: '5790000000005', demoKeys: false, find: (ean) => byEan.get(ean) };
}

const explaining = { on: false };

/** Prints the plan of each read before running it, while `explaining.on`. */
function explainingDatabase(db: PostgresDatabase): PostgresDatabase {
  const query = db.query.bind(db);
  db.query = (async (sql: string, params: readonly unknown[] = [], name?: string) => {
    if (explaining.on && /^\s*(SELECT|WITH)/i.test(sql)) {
      const plan = await query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return query(sql, params, name);
  });
  return db;
}

async function main(): Promise<void> {
  const url = option('database-url', process.env.MEDCOM_OPS_DATABASE_URL ?? DEFAULT_OPS_DATABASE_URL);
  const runs = Number(option('runs', '40'));
  const db = explainingDatabase(new PostgresDatabase(url, { max: 4 }));
  try {
    const { rows: counts } = await db.query<{ messages: number; deliveries: number; events: number; deadlines: number }>(
      `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM deadlines)::int AS deadlines`,
    );
    const size = counts[0];
    if (!size || size.messages === 0) throw new Error('the database holds no messages: run npm run seed:ops first');
    const { rows: latest } = await db.query<{ at: Date }>('SELECT max(received_at) AS at FROM messages');
    // The clock the seed ran at, so "waiting", "today" and "the last hour" mean what they meant then.
    const now = new Date(new Date(latest[0]?.at ?? Date.now()).getTime() + 1000);
    const ctx = {
      db,
      clock: () => now,
      register: seededRegister(),
      patientRef: patientRefFunction(await patientRefKey(db)),
    } as unknown as GatewayContext;
    const { rows: sample } = await db.query<{ id: string; envelope_id: string }>(
      "SELECT id, envelope_id FROM messages TABLESAMPLE SYSTEM (1) WHERE origin = 'endpoint' LIMIT 500",
    );
    const patients = patientsFor(size.messages);
    const hospitals = hospitalEans();
    const municipalities = municipalityEans();
    const day = 86_400_000;

    if (process.argv.includes('--explain')) explaining.on = true;
    const kinds: [string, () => Promise<unknown>][] = [
      ['overview', () => opsOverview(ctx)],
      ['search: by CPR', () => searchMessagesView(ctx, { cpr: seedCpr(Math.floor(Math.random() * patients)) })],
      [
        'search: by sender + 7-day range',
        () => {
          const from = new Date(now.getTime() - (7 + Math.random() * 80) * day);
          return searchMessagesView(ctx, { sender: pick(hospitals), from: from.toISOString(), to: new Date(from.getTime() + 7 * day).toISOString() });
        },
      ],
      [
        'search: by sender, next page',
        async () => {
          const first = await searchMessagesView(ctx, { sender: pick(municipalities) });
          return first.nextCursor ? searchMessagesView(ctx, { sender: pick(municipalities), cursor: first.nextCursor }) : first;
        },
      ],
      ['search: by envelope id', () => searchMessagesView(ctx, { envelopeId: pick(sample).envelope_id })],
      ['search: by letter id', () => searchMessagesView(ctx, { letterId: `L${pick(sample).envelope_id.slice(1)}` })],
      ['search: by status (rare: waiting, unacknowledged, dead)', () => searchMessagesView(ctx, { status: pick(['waiting', 'unacknowledged', 'dead']) })],
      ['search: by status (common: acknowledged, rejected)', () => searchMessagesView(ctx, { status: pick(['acknowledged', 'rejected']) })],
      ['search: by receiver + type', () => searchMessagesView(ctx, { receiver: pick(municipalities), type: pick(['XDIS17', 'XDIS20', 'XDIS18', 'XDIS19', 'GGOP']) })],
      ['search: newest, no filter', () => searchMessagesView(ctx, {})],
      ['message detail', () => opsMessageDetail(ctx, pick(sample).id)],
      ['dead letters', () => listDeadLettersView(ctx, { receiver: pick(municipalities.slice(0, PUSH_MUNICIPALITIES)) })],
    ];

    if (explaining.on) {
      for (const [name, run] of kinds) {
        console.log(`\n### ${name}`);
        await run();
      }
      return;
    }
    console.log(`${url.replace(/\/\/[^@]*@/, '//')}: ${size.messages} messages, ${size.deliveries} deliveries, ${size.events} events, ${size.deadlines} deadlines; ${runs} runs each`);
    const results: Record<string, LatencySummary> = {};
    for (const [name, run] of kinds) {
      for (let i = 0; i < 3; i += 1) await run();
      const latencies = new Latencies();
      for (let i = 0; i < runs; i += 1) {
        const started = performance.now();
        await run();
        latencies.add(performance.now() - started);
      }
      results[name] = latencies.summary();
      const s = results[name];
      console.log(`${name.padEnd(56)} p50 ${fmt(s.p50).padStart(7)} ms   p95 ${fmt(s.p95).padStart(7)} ms   max ${fmt(s.max).padStart(7)} ms`);
    }
    console.log(JSON.stringify({ database: size, runs, results }));
  } finally {
    await db.close();
  }
}

await main();

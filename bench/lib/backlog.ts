/**
 * The backlog: one municipality's inbox filled while nobody reads it (a night offline), then drained
 * by one poller as fast as it goes. The fill goes through the HTTP API with posts in parallel, as the
 * hospitals would send, so it is also a figure for acceptance into one inbox. The drain uses the
 * batch paths a catching-up receiver has: `GET /api/v1/inbox?limit=100&include=body` (lease and fetch
 * in one request) and `POST /api/v1/inbox/receipts` (100 positive receipts in one request), one
 * request at a time (or, if asked, the next lease while the last receipts are recorded). For comparison a second, smaller backlog for another municipality is drained one
 * message at a time: lease, then per message a fetch and a receipt.
 */
import { performance } from 'node:perf_hooks';
import { HttpClient, jsonOf, type Reply, type RequestSpec } from './http-client.js';
import { batchResults, checkedBytes, fetchRequest, leasedItems, leaseRequest, positiveAnswersRequest, positiveReceiptRequest, sha256Hex, type LeasedItem } from './inbox-api.js';
import { keyOf, outcomeOf, runPosters, sampleOf, type Abort, type LoadConfig, type PostPhaseResult } from './load.js';
import type { Template } from './messages.js';
import { Latencies, StatusCounts, type LatencySummary } from './stats.js';

/** One hospital's fixtures to one municipality, no copies (config/endpoints.json routes them there). */
export const BACKLOG_INBOXES = {
  /** The batch drain's municipality and the messages 5790000000012 sends it. */
  batch: {
    municipality: '5790000000036',
    fixtures: ['XDIS20_admission_acute.xml', 'XDIS17_discharge_home.xml', 'XDIS17_and_XDIS91_two_letters.xml', 'XDIS91_clinical_email.xml'],
  },
  /** The one-by-one drain's municipality and the messages 5790000000029 sends it. */
  oneByOne: {
    municipality: '5790000000043',
    fixtures: ['XDIS20_windows-1252.xml', 'XDIS17_iso-8859-1.xml', 'XDIS19_gateway_extension.xml'],
  },
} as const;

const EXPECTED_BACKLOG: Record<string, number> = { post: 202, lease: 200, answer: 200, fetch: 200 };

export interface FillResult extends PostPhaseResult {
  readonly municipality: string;
  readonly errors: Record<string, Record<string, number>>;
  readonly errorSamples: Record<string, string>;
}

export interface DrainResult {
  readonly municipality: string;
  readonly how: 'batch' | 'batch, lease and answer overlapping' | 'one by one';
  /** Messages acknowledged with a positive receipt the gateway recorded. */
  readonly acknowledged: number;
  /** Messages the fill put in the inbox; the drain should acknowledge them all. */
  readonly expected: number;
  readonly requests: number;
  /** From the first request sent to the last answered. */
  readonly seconds: number;
  readonly perSecond: number;
  readonly requestLatencyMs: Record<string, LatencySummary>;
  /** Items whose bytes did not match their sha256, and answers refused per problem code. */
  readonly errors: Record<string, Record<string, number>>;
  readonly errorSamples: Record<string, string>;
}

/** Posts `config.messages` messages to the municipality with `config.concurrency` in flight; nobody reads. */
export async function fillBacklog(port: number, templates: readonly Template[], municipality: string, config: LoadConfig, abort: Abort): Promise<FillResult> {
  const client = new HttpClient('127.0.0.1', port, config.concurrency);
  const counts = new StatusCounts();
  try {
    const result = await runPosters(client, templates, config, abort, counts, () => undefined, (_n, _key, reply) => {
      if (reply.status !== 202) return;
      // The backlog must be one inbox: a message routed anywhere else would not be drained.
      const letters = jsonOf<{ letters?: { receiver: string; copies?: string[] }[] }>(reply)?.letters ?? [];
      if (letters.length === 0 || letters.some((l) => l.receiver !== municipality || (l.copies ?? []).length > 0)) counts.add('post', 'routed elsewhere', () => reply.body.toString('utf8'));
    });
    return { ...result, municipality, errors: counts.errors(EXPECTED_BACKLOG), errorSamples: counts.samples };
  } finally {
    client.close();
  }
}

interface Meter {
  readonly counts: StatusCounts;
  readonly latency: Record<string, Latencies>;
  requests: number;
}

async function timed(client: HttpClient, meter: Meter, operation: string, request: RequestSpec): Promise<Reply> {
  const reply = await client.request(request);
  meter.requests++;
  meter.counts.add(operation, outcomeOf(reply), reply.status === EXPECTED_BACKLOG[operation] ? undefined : sampleOf(reply));
  if (reply.status > 0) (meter.latency[operation] ??= new Latencies()).add(reply.ms);
  return reply;
}

/**
 * The next lease that is not empty, or undefined when a lease fails, the run is aborted or the inbox
 * stays empty: a lease comes back empty twice, the second time after waiting a second, in case the
 * last messages were still being committed.
 */
async function nextLease(client: HttpClient, meter: Meter, key: string, withBodies: boolean, requestTimeoutMs: number, abort: Abort): Promise<LeasedItem[] | undefined> {
  for (let wait = 0; wait <= 1 && !abort.aborted; wait++) {
    const lease = await timed(client, meter, 'lease', leaseRequest(key, 100, wait, withBodies, requestTimeoutMs));
    if (lease.status !== 200) return undefined;
    const items = leasedItems(lease);
    if (items.length > 0) return items;
  }
  return undefined;
}

/**
 * Drains the municipality's inbox through the batch paths until it has leased `expected` messages or a
 * lease comes back empty twice (the second time after waiting a second, in case the last messages were
 * still being committed). One request at a time, or with `overlap` the next lease goes out while the
 * previous batch's receipts are being recorded (never more than one of each in flight).
 */
export async function drainInBatches(port: number, municipality: string, expected: number, requestTimeoutMs: number, overlap: boolean, abort: Abort): Promise<DrainResult> {
  const client = new HttpClient('127.0.0.1', port, overlap ? 2 : 1);
  const meter: Meter = { counts: new StatusCounts(), latency: {}, requests: 0 };
  const key = keyOf(municipality);
  let leased = 0;
  let acknowledged = 0;
  let lastAnswer = 0;
  let failed = false;
  const answerBatch = async (items: readonly LeasedItem[]) => {
    const answer = await timed(client, meter, 'answer', positiveAnswersRequest(items, key, requestTimeoutMs));
    lastAnswer = performance.now();
    if (answer.status !== 200) {
      failed = true;
      return;
    }
    for (const result of batchResults(answer)) {
      if (result.ok) acknowledged++;
      else meter.counts.add('answer', `refused ${result.code ?? '?'}`);
    }
  };
  const start = performance.now();
  let answering: Promise<void> | undefined;
  try {
    while (!abort.aborted && !failed && leased < expected) {
      const items = await nextLease(client, meter, key, true, requestTimeoutMs, abort);
      if (!items) break;
      leased += items.length;
      for (const item of items) {
        const bytes = checkedBytes(item);
        if (typeof bytes === 'string') meter.counts.add('fetch', bytes);
      }
      await answering;
      answering = answerBatch(items);
      if (!overlap) await answering;
    }
    await answering;
  } finally {
    client.close();
  }
  return drainResult(municipality, overlap ? 'batch, lease and answer overlapping' : 'batch', acknowledged, expected, meter, start, lastAnswer);
}

/**
 * Drains the municipality's inbox one message at a time, one request at a time: a lease of 100
 * without bodies, then per item a fetch and a positive receipt.
 */
export async function drainOneByOne(port: number, municipality: string, expected: number, requestTimeoutMs: number, abort: Abort): Promise<DrainResult> {
  const client = new HttpClient('127.0.0.1', port, 1);
  const meter: Meter = { counts: new StatusCounts(), latency: {}, requests: 0 };
  const key = keyOf(municipality);
  let acknowledged = 0;
  let lastAnswer = 0;
  const start = performance.now();
  try {
    while (!abort.aborted && acknowledged < expected) {
      const items = await nextLease(client, meter, key, false, requestTimeoutMs, abort);
      if (!items) break;
      for (const item of items) {
        if (abort.aborted) break;
        const fetched = await timed(client, meter, 'fetch', fetchRequest(item, key, requestTimeoutMs));
        if (fetched.status !== 200) continue;
        if (sha256Hex(fetched.body) !== item.sha256) meter.counts.add('fetch', 'sha256 mismatch');
        const answer = await timed(client, meter, 'answer', positiveReceiptRequest(item, key, requestTimeoutMs));
        lastAnswer = performance.now();
        if (answer.status === 200) acknowledged++;
      }
    }
  } finally {
    client.close();
  }
  return drainResult(municipality, 'one by one', acknowledged, expected, meter, start, lastAnswer);
}

function drainResult(municipality: string, how: DrainResult['how'], acknowledged: number, expected: number, meter: Meter, start: number, lastAnswer: number): DrainResult {
  const seconds = lastAnswer > start ? (lastAnswer - start) / 1000 : 0;
  return {
    municipality,
    how,
    acknowledged,
    expected,
    requests: meter.requests,
    seconds,
    perSecond: seconds > 0 ? acknowledged / seconds : 0,
    requestLatencyMs: Object.fromEntries(Object.entries(meter.latency).map(([op, l]) => [op, l.summary()])),
    errors: meter.counts.errors(EXPECTED_BACKLOG),
    errorSamples: meter.counts.samples,
  };
}

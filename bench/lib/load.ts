/**
 * The load itself, driven from the bench process over keep-alive HTTP:
 *
 * - hospitals post messages (`POST /api/v1/messages`) with a fixed number in flight;
 * - municipalities and the GP long-poll their inbox, fetch every item and answer it with a JSON
 *   positive receipt;
 * - the hospitals long-poll their own inbox for the XCTL03 receipts, fetch them and match each to the
 *   message it answers by its OriginalEnvelopeIdentifier.
 *
 * A message is complete end to end when the sender has fetched a receipt from every endpoint it was
 * delivered to (receiver and copy receivers, as the 202 response lists them).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, jsonOf, type Reply } from './http-client.js';
import { makeMessage, type Template } from './messages.js';
import { Latencies, StatusCounts, type LatencySummary } from './stats.js';

export interface LoadConfig {
  readonly messages: number;
  readonly seconds: number;
  readonly concurrency: number;
  readonly pollersPerEndpoint: number;
  readonly itemConcurrency: number;
  readonly pollLimit: number;
  readonly pollWaitSeconds: number;
  readonly patientGroup: number;
  readonly drainSeconds: number;
  readonly requestTimeoutMs: number;
}

export const HOSPITALS = ['5790000000012', '5790000000029'] as const;
export const RECEIVERS = ['5790000000036', '5790000000043', '5790000000050'] as const;

export const keyOf = (ean: string) => `demo-${ean}`;

export interface PostPhaseResult {
  readonly attempted: number;
  readonly accepted: number;
  /** From the first post sent to the last post answered. */
  readonly postSeconds: number;
  readonly acceptedPerSecond: number;
  readonly acceptLatencyMs: LatencySummary;
}

export interface GatewayLoadResult extends PostPhaseResult {
  readonly completed: number;
  /** Accepted messages with no complete set of receipts when the drain time ran out. */
  readonly incomplete: number;
  /** Completed while posts were still going, and that per second of the posting window. */
  readonly completedWhilePosting: number;
  readonly endToEndWhilePostingPerSecond: number;
  /** From the first post sent to the last receipt fetched. */
  readonly endToEndSeconds: number;
  readonly endToEndPerSecond: number;
  readonly endToEndLatencyMs: LatencySummary;
  readonly receiptsPerMessage: number;
  readonly requestLatencyMs: Record<string, LatencySummary>;
  readonly outcomes: Record<string, Record<string, number>>;
  readonly errors: Record<string, Record<string, number>>;
  /** One response body per unexpected operation and status. */
  readonly errorSamples: Record<string, string>;
}

export type PostOnlyLoadResult = PostPhaseResult & {
  readonly outcomes: Record<string, Record<string, number>>;
  readonly errors: Record<string, Record<string, number>>;
  readonly errorSamples: Record<string, string>;
};

/** Success status per operation; everything else counts as an error. */
const EXPECTED: Record<string, number> = { post: 202, 'receiver-lease': 200, 'receiver-fetch': 200, 'receiver-answer': 200, 'sender-lease': 200, 'sender-fetch': 200 };

interface Pending {
  readonly sentAt: number;
  expected: number | null;
  readonly answeredBy: Set<string>;
  done: boolean;
}

interface InboxItem {
  readonly id: string;
  readonly sender: string;
  readonly href: string;
}

async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

const outcomeOf = (reply: Reply): number | string => (reply.status === 0 ? (reply.error ?? 'network error') : reply.status);
/** The body of an unexpected answer, kept once per operation and status for the report. */
const sampleOf = (reply: Reply) => () => reply.body.toString('utf8');
const ORIGINAL_ENVELOPE = /<(?:[\w-]+:)?OriginalEnvelopeIdentifier>([^<]+)</;

export interface Abort {
  readonly aborted: boolean;
}

type PostHandler = (n: number, envelopeKey: string, reply: Reply) => void;

/** Posts messages 0…N-1 with `concurrency` in flight until the count or the time is reached. */
async function runPosters(
  client: HttpClient,
  templates: readonly Template[],
  config: LoadConfig,
  abort: Abort,
  counts: StatusCounts,
  beforePost: (envelopeKey: string, sentAt: number) => void,
  afterPost: PostHandler,
): Promise<PostPhaseResult> {
  const latencies = new Latencies();
  const start = performance.now();
  const deadline = start + config.seconds * 1000;
  let next = 0;
  let accepted = 0;
  let lastAnswer = start;
  const poster = async () => {
    while (!abort.aborted && next < config.messages && performance.now() < deadline) {
      const n = next++;
      const message = makeMessage(templates, n, config.patientGroup);
      const envelopeKey = `${message.senderEan}/${message.envelopeId}`;
      beforePost(envelopeKey, performance.now());
      const reply = await client.request({
        method: 'POST',
        path: '/api/v1/messages',
        key: keyOf(message.senderEan),
        body: message.body,
        contentType: 'application/xml',
        timeoutMs: config.requestTimeoutMs,
      });
      lastAnswer = performance.now();
      counts.add('post', outcomeOf(reply), reply.status === 202 ? undefined : sampleOf(reply));
      if (reply.status === 202) {
        accepted++;
        latencies.add(reply.ms);
      }
      afterPost(n, envelopeKey, reply);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, poster));
  const postSeconds = (lastAnswer - start) / 1000;
  return { attempted: next, accepted, postSeconds, acceptedPerSecond: postSeconds > 0 ? accepted / postSeconds : 0, acceptLatencyMs: latencies.summary() };
}

export async function runGatewayLoad(
  port: number,
  templates: readonly Template[],
  config: LoadConfig,
  abort: Abort,
  progress: (line: string) => void,
): Promise<GatewayLoadResult> {
  const pollers = config.pollersPerEndpoint;
  const postClient = new HttpClient('127.0.0.1', port, config.concurrency);
  const receiverClient = new HttpClient('127.0.0.1', port, RECEIVERS.length * pollers * (1 + config.itemConcurrency));
  const senderClient = new HttpClient('127.0.0.1', port, HOSPITALS.length * pollers * (1 + config.itemConcurrency));
  const counts = new StatusCounts();
  const requestLatency: Record<string, Latencies> = {};
  const track = (operation: string, reply: Reply) => {
    counts.add(operation, outcomeOf(reply), reply.status === EXPECTED[operation] ? undefined : sampleOf(reply));
    if (reply.status > 0) (requestLatency[operation] ??= new Latencies()).add(reply.ms);
  };
  const endToEnd = new Latencies();
  const pending = new Map<string, Pending>();
  const start = performance.now();
  let postsDone = false;
  let postEnd = Infinity;
  let stopPolling = false;
  let accepted = 0;
  let completed = 0;
  let completedWhilePosting = 0;
  let lastCompletion = start;
  let receiptsFetched = 0;
  const hardDeadline = start + (config.seconds + config.drainSeconds + 60) * 1000;
  const polling = () => !stopPolling && !abort.aborted && performance.now() < hardDeadline;

  const complete = (entry: Pending) => {
    if (entry.done || entry.expected === null || entry.answeredBy.size < entry.expected) return;
    entry.done = true;
    const now = performance.now();
    endToEnd.add(now - entry.sentAt);
    completed++;
    if (!postsDone) completedWhilePosting++;
    lastCompletion = now;
  };

  const receiver = async (ean: string) => {
    while (polling()) {
      const lease = await receiverClient.request({ method: 'GET', path: `/api/v1/inbox?limit=${config.pollLimit}&wait=${config.pollWaitSeconds}`, key: keyOf(ean), timeoutMs: config.requestTimeoutMs });
      track('receiver-lease', lease);
      if (lease.status !== 200) {
        await sleep(100);
        continue;
      }
      const items = jsonOf<{ items: InboxItem[] }>(lease)?.items ?? [];
      await forEachLimit(items, config.itemConcurrency, async (item) => {
        const fetched = await receiverClient.request({ method: 'GET', path: item.href, key: keyOf(ean), timeoutMs: config.requestTimeoutMs });
        track('receiver-fetch', fetched);
        if (fetched.status !== 200) return;
        const answered = await receiverClient.request({
          method: 'POST',
          path: `${item.href}/receipt`,
          key: keyOf(ean),
          body: '{"status":"positive"}',
          contentType: 'application/json',
          timeoutMs: config.requestTimeoutMs,
        });
        track('receiver-answer', answered);
      });
    }
  };

  const sender = async (ean: string) => {
    while (polling()) {
      const lease = await senderClient.request({ method: 'GET', path: `/api/v1/inbox?limit=${config.pollLimit}&wait=${config.pollWaitSeconds}`, key: keyOf(ean), timeoutMs: config.requestTimeoutMs });
      track('sender-lease', lease);
      if (lease.status !== 200) {
        await sleep(100);
        continue;
      }
      const items = jsonOf<{ items: InboxItem[] }>(lease)?.items ?? [];
      await forEachLimit(items, config.itemConcurrency, async (item) => {
        const fetched = await senderClient.request({ method: 'GET', path: item.href, key: keyOf(ean), timeoutMs: config.requestTimeoutMs });
        track('sender-fetch', fetched);
        if (fetched.status !== 200) return;
        receiptsFetched++;
        const original = ORIGINAL_ENVELOPE.exec(fetched.body.toString('latin1'))?.[1]?.trim();
        const entry = original ? pending.get(`${ean}/${original}`) : undefined;
        if (!entry) {
          counts.add('sender-fetch', 'unmatched receipt');
          return;
        }
        entry.answeredBy.add(item.sender);
        complete(entry);
      });
    }
  };

  const pollerTasks = [
    ...RECEIVERS.flatMap((ean) => Array.from({ length: pollers }, () => receiver(ean))),
    ...HOSPITALS.flatMap((ean) => Array.from({ length: pollers }, () => sender(ean))),
  ];

  const ticker = setInterval(() => {
    const seconds = (performance.now() - start) / 1000;
    progress(`  ${seconds.toFixed(0).padStart(4)} s  accepted ${accepted}  complete ${completed}  in flight end to end ${accepted - completed}  receipts fetched ${receiptsFetched}`);
  }, 5_000);
  ticker.unref();

  let posts: PostPhaseResult;
  try {
    posts = await runPosters(
      postClient,
      templates,
      config,
      abort,
      counts,
      (envelopeKey, sentAt) => pending.set(envelopeKey, { sentAt, expected: null, answeredBy: new Set(), done: false }),
      (_n, envelopeKey, reply) => {
        const entry = pending.get(envelopeKey);
        if (!entry) return;
        if (reply.status !== 202) {
          pending.delete(envelopeKey);
          return;
        }
        accepted++;
        const body = jsonOf<{ letters?: { receiver: string; copies?: string[] }[] }>(reply);
        const endpoints = new Set<string>();
        for (const letter of body?.letters ?? []) {
          endpoints.add(letter.receiver);
          for (const copy of letter.copies ?? []) endpoints.add(copy);
        }
        entry.expected = endpoints.size;
        complete(entry);
      },
    );
    postsDone = true;
    postEnd = performance.now();
    // Drain: wait for the receipts of everything accepted, within the drain time.
    const drainDeadline = postEnd + config.drainSeconds * 1000;
    while (!abort.aborted && completed < accepted && performance.now() < drainDeadline) await sleep(50);
  } finally {
    postsDone = true;
    stopPolling = true;
    await Promise.all(pollerTasks);
    clearInterval(ticker);
    postClient.close();
    receiverClient.close();
    senderClient.close();
  }
  const postWindow = (Math.min(postEnd, performance.now()) - start) / 1000;
  const endToEndSeconds = (lastCompletion - start) / 1000;
  let expectedReceipts = 0;
  for (const entry of pending.values()) expectedReceipts += entry.expected ?? 0;
  return {
    ...posts,
    completed,
    incomplete: accepted - completed,
    completedWhilePosting,
    endToEndWhilePostingPerSecond: postWindow > 0 ? completedWhilePosting / postWindow : 0,
    endToEndSeconds,
    endToEndPerSecond: endToEndSeconds > 0 ? completed / endToEndSeconds : 0,
    endToEndLatencyMs: endToEnd.summary(),
    receiptsPerMessage: accepted > 0 ? Math.round((expectedReceipts / accepted) * 100) / 100 : 0,
    requestLatencyMs: Object.fromEntries(Object.entries(requestLatency).map(([op, l]) => [op, l.summary()])),
    outcomes: counts.counts,
    errors: counts.errors(EXPECTED),
    errorSamples: counts.samples,
  };
}

/** Posts only, nobody reading: the floor server, or the gateway's acceptance path alone. */
export async function runPostOnlyLoad(port: number, templates: readonly Template[], config: LoadConfig, abort: Abort): Promise<PostOnlyLoadResult> {
  const client = new HttpClient('127.0.0.1', port, config.concurrency);
  const counts = new StatusCounts();
  try {
    const result = await runPosters(client, templates, config, abort, counts, () => undefined, () => undefined);
    return { ...result, outcomes: counts.counts, errors: counts.errors(EXPECTED), errorSamples: counts.samples };
  } finally {
    client.close();
  }
}

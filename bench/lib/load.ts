/**
 * The load itself, driven from the bench process over keep-alive HTTP:
 *
 * - hospitals post messages (`POST /api/v1/messages`) with a fixed number in flight;
 * - municipalities and the GP long-poll their inbox and answer every item with a positive receipt;
 * - the hospitals long-poll their own inbox for the XCTL03 receipts and match each to the message it
 *   answers by its OriginalEnvelopeIdentifier.
 *
 * How the inboxes are read is `LoadConfig.inbox`: `batch` (the bench's default) as a high-volume EOJ system
 * reads, a lease that carries the bodies and one answer for the whole lease (two requests per lease);
 * `one-by-one` as a simple client does, a lease and then per item a fetch and a receipt (with
 * the post and the sender's fetch, four requests per message besides the leases), kept for comparison.
 *
 * A message is complete end to end when the sender has fetched a receipt from every endpoint it was
 * delivered to (receiver and copy receivers, as the 202 response lists them).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, jsonOf, type Reply, type RequestSpec } from './http-client.js';
import {
  batchResults,
  checkedBytes,
  fetchRequest,
  leasedBytes,
  leasedItems,
  leaseRequest,
  positiveAnswersRequest,
  positiveReceiptRequest,
  type InboxItem,
  type LeasedItem,
} from './inbox-api.js';
import { makeMessage, type BenchMessage, type Template } from './messages.js';
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
  /** The number of the first message posted (default 0), so that loads into one database never repeat an envelope. */
  readonly firstMessage?: number;
  /** How the full flow's pollers read their inboxes (the backlog mode drains in both ways on its own). */
  readonly inbox: InboxMode;
}

export const INBOX_MODES = {
  batch: 'lease with bodies (include=body), one POST /api/v1/inbox/receipts per lease',
  'one-by-one': 'lease, then per item a fetch and a POST …/receipt',
} as const;
export type InboxMode = keyof typeof INBOX_MODES;

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

/** What a load's answers came to: every outcome per operation, the unexpected ones and a body of each. */
export interface LoadOutcomes {
  readonly outcomes: Record<string, Record<string, number>>;
  readonly errors: Record<string, Record<string, number>>;
  /** One response body per unexpected operation and status. */
  readonly errorSamples: Record<string, string>;
}

/** What the full flow's readers measured, in the closed and the open loop alike. */
export interface FlowOutcomes extends LoadOutcomes {
  readonly receiptsPerMessage: number;
  readonly requestLatencyMs: Record<string, LatencySummary>;
}

export interface GatewayLoadResult extends PostPhaseResult, FlowOutcomes {
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
}

export type PostOnlyLoadResult = PostPhaseResult & LoadOutcomes;

/** Success status per operation (one by one, then batch); everything else counts as an error. */
export const EXPECTED: Record<string, number> = {
  post: 202,
  'receiver-lease': 200,
  'receiver-fetch': 200,
  'receiver-answer': 200,
  'sender-lease': 200,
  'sender-fetch': 200,
  'receiver-lease+fetch': 200,
  'receiver-answer-batch': 200,
  'sender-lease+fetch': 200,
};

async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

export const outcomeOf = (reply: Reply): number | string => (reply.status === 0 ? (reply.error ?? 'network error') : reply.status);
/** The body of an unexpected answer, kept once per operation and status for the report. */
export const sampleOf = (reply: Reply) => () => reply.body.toString('utf8');
const ORIGINAL_ENVELOPE = /<(?:[\w-]+:)?OriginalEnvelopeIdentifier>([^<]+)</;

export interface Abort {
  readonly aborted: boolean;
}

/** A hospital posting one message. */
export function postRequest(message: BenchMessage, timeoutMs: number): RequestSpec {
  return { method: 'POST', path: '/api/v1/messages', key: keyOf(message.senderEan), body: message.body, contentType: 'application/xml', timeoutMs };
}

export type PostHandler = (n: number, envelopeKey: string, reply: Reply) => void;

/** Posts messages 0…N-1 (from `firstMessage`) with `concurrency` in flight until the count or the time is reached. */
export async function runPosters(
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
      const n = (config.firstMessage ?? 0) + next++;
      const message = makeMessage(templates, n, config.patientGroup);
      const envelopeKey = `${message.senderEan}/${message.envelopeId}`;
      beforePost(envelopeKey, performance.now());
      const reply = await client.request(postRequest(message, config.requestTimeoutMs));
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

/** A posted message on its way: the instant its end-to-end time counts from and the receipts it has back. */
export interface FlowEntry {
  readonly sentAt: number;
  /** False for a message of the open loop's warm-up: it flows, but its times are not counted. */
  readonly measured: boolean;
  /** Receipts that complete it (its receiver and copies), known from its 202; null until then. */
  expected: number | null;
  /** When its 202 arrived. */
  acceptedAt: number | null;
  readonly answeredBy: Set<string>;
  done: boolean;
}

/**
 * The reading side of the full flow, shared by the closed and the open loop: the municipalities and
 * the GP long-poll, fetch and answer every item; the hospitals long-poll for the XCTL03s, fetch them
 * and match each to the message it answers. Either in batches or one by one (`config.inbox`); the
 * counts mean the same in both: a receipt is fetched when its bytes are in hand, a message complete
 * when its sender has matched a receipt from every endpoint. Created when the load starts, stopped
 * when it ends.
 */
export class InboxFlow {
  readonly counts = new StatusCounts();
  readonly endToEnd = new Latencies();
  /** The part of the end-to-end time after the 202: delivery, answer and the receipt's way back. */
  readonly afterAcceptance = new Latencies();
  readonly started = performance.now();
  accepted = 0;
  completed = 0;
  completedWhilePosting = 0;
  receiptsFetched = 0;
  lastCompletion = this.started;
  /** Set when the posts are over: completions after it do not count as "while posting". */
  postsDone = false;
  private readonly requestLatency: Record<string, Latencies> = {};
  private readonly pending = new Map<string, FlowEntry>();
  private readonly receiverClient: HttpClient;
  private readonly senderClient: HttpClient;
  private stopPolling = false;
  private readonly tasks: Promise<void>[];

  constructor(
    port: number,
    private readonly config: LoadConfig,
    private readonly abort: Abort,
    private readonly hardDeadline: number,
  ) {
    const pollers = config.pollersPerEndpoint;
    this.receiverClient = new HttpClient('127.0.0.1', port, RECEIVERS.length * pollers * (1 + config.itemConcurrency));
    this.senderClient = new HttpClient('127.0.0.1', port, HOSPITALS.length * pollers * (1 + config.itemConcurrency));
    const batch = config.inbox === 'batch';
    this.tasks = [
      ...RECEIVERS.flatMap((ean) => Array.from({ length: pollers }, () => (batch ? this.receiverInBatches(ean) : this.receiver(ean)))),
      ...HOSPITALS.flatMap((ean) => Array.from({ length: pollers }, () => (batch ? this.senderInBatches(ean) : this.sender(ean)))),
    ];
  }

  track(operation: string, reply: Reply): void {
    this.counts.add(operation, outcomeOf(reply), reply.status === EXPECTED[operation] ? undefined : sampleOf(reply));
    if (reply.status > 0) (this.requestLatency[operation] ??= new Latencies()).add(reply.ms);
  }

  /** Before a post: the message's entry, with the instant its end-to-end time counts from. */
  posting(envelopeKey: string, sentAt: number, measured = true): void {
    this.pending.set(envelopeKey, { sentAt, measured, expected: null, acceptedAt: null, answeredBy: new Set(), done: false });
  }

  /** After a post: a 202 names the endpoints whose receipts complete the message; any other answer drops it. */
  answered(envelopeKey: string, reply: Reply): void {
    const entry = this.pending.get(envelopeKey);
    if (!entry) return;
    if (reply.status !== 202) {
      this.pending.delete(envelopeKey);
      return;
    }
    this.accepted++;
    entry.acceptedAt = performance.now();
    const body = jsonOf<{ letters?: { receiver: string; copies?: string[] }[] }>(reply);
    const endpoints = new Set<string>();
    for (const letter of body?.letters ?? []) {
      endpoints.add(letter.receiver);
      for (const copy of letter.copies ?? []) endpoints.add(copy);
    }
    entry.expected = endpoints.size;
    this.complete(entry);
  }

  /** Stops the pollers (each ends after its current long-poll) and closes the connections. */
  async stop(): Promise<void> {
    this.postsDone = true;
    this.stopPolling = true;
    await Promise.all(this.tasks);
    this.receiverClient.close();
    this.senderClient.close();
  }

  /** Accepted messages whose receipts are not all back. */
  incomplete(): FlowEntry[] {
    return [...this.pending.values()].filter((entry) => entry.expected !== null && !entry.done);
  }

  private receiptsPerMessage(): number {
    let expected = 0;
    for (const entry of this.pending.values()) expected += entry.expected ?? 0;
    return this.accepted > 0 ? Math.round((expected / this.accepted) * 100) / 100 : 0;
  }

  /** The readers' figures and every operation's outcomes, for the result. */
  outcomes(): FlowOutcomes {
    return {
      receiptsPerMessage: this.receiptsPerMessage(),
      requestLatencyMs: Object.fromEntries(Object.entries(this.requestLatency).map(([op, l]) => [op, l.summary()])),
      outcomes: this.counts.counts,
      errors: this.counts.errors(EXPECTED),
      errorSamples: this.counts.samples,
    };
  }

  private polling(): boolean {
    return !this.stopPolling && !this.abort.aborted && performance.now() < this.hardDeadline;
  }

  private complete(entry: FlowEntry): void {
    if (entry.done || entry.expected === null || entry.answeredBy.size < entry.expected) return;
    entry.done = true;
    const now = performance.now();
    if (entry.measured) {
      this.endToEnd.add(now - entry.sentAt);
      if (entry.acceptedAt !== null) this.afterAcceptance.add(now - entry.acceptedAt);
    }
    this.completed++;
    if (!this.postsDone) this.completedWhilePosting++;
    this.lastCompletion = now;
  }

  private async lease(client: HttpClient, ean: string, operation: string, withBodies = false): Promise<LeasedItem[] | undefined> {
    const { pollLimit, pollWaitSeconds, requestTimeoutMs } = this.config;
    const lease = await client.request(leaseRequest(keyOf(ean), pollLimit, pollWaitSeconds, withBodies, requestTimeoutMs));
    this.track(operation, lease);
    if (lease.status !== 200) {
      await sleep(100);
      return undefined;
    }
    return leasedItems(lease);
  }

  private async receiver(ean: string): Promise<void> {
    const client = this.receiverClient;
    const timeoutMs = this.config.requestTimeoutMs;
    while (this.polling()) {
      const items = await this.lease(client, ean, 'receiver-lease');
      if (!items) continue;
      await forEachLimit(items, this.config.itemConcurrency, async (item) => {
        const fetched = await client.request(fetchRequest(item, keyOf(ean), timeoutMs));
        this.track('receiver-fetch', fetched);
        if (fetched.status !== 200) return;
        const answered = await client.request(positiveReceiptRequest(item, keyOf(ean), timeoutMs));
        this.track('receiver-answer', answered);
      });
    }
  }

  /** Lease with bodies, check each against its sha256, then answer the whole lease in one request. */
  private async receiverInBatches(ean: string): Promise<void> {
    const client = this.receiverClient;
    while (this.polling()) {
      const items = await this.lease(client, ean, 'receiver-lease+fetch', true);
      if (!items || items.length === 0) continue;
      for (const item of items) {
        const bytes = checkedBytes(item);
        if (typeof bytes === 'string') this.counts.add('receiver-lease+fetch', bytes);
      }
      const answered = await client.request(positiveAnswersRequest(items, keyOf(ean), this.config.requestTimeoutMs));
      this.track('receiver-answer-batch', answered);
      if (answered.status !== 200) continue;
      for (const result of batchResults(answered)) {
        if (!result.ok) this.counts.add('receiver-answer-batch', `refused ${result.code ?? '?'}`);
      }
    }
  }

  private async sender(ean: string): Promise<void> {
    const client = this.senderClient;
    while (this.polling()) {
      const items = await this.lease(client, ean, 'sender-lease');
      if (!items) continue;
      await forEachLimit(items, this.config.itemConcurrency, async (item) => {
        const fetched = await client.request(fetchRequest(item, keyOf(ean), this.config.requestTimeoutMs));
        this.track('sender-fetch', fetched);
        if (fetched.status !== 200) return;
        this.matchReceipt(ean, item, fetched.body, 'sender-fetch');
      });
    }
  }

  /** Lease with bodies: each receipt is in hand with the lease, to be matched (a receipt needs no answer). */
  private async senderInBatches(ean: string): Promise<void> {
    const client = this.senderClient;
    while (this.polling()) {
      const items = await this.lease(client, ean, 'sender-lease+fetch', true);
      for (const item of items ?? []) {
        const bytes = leasedBytes(item);
        if (bytes === undefined) this.counts.add('sender-lease+fetch', 'no body');
        else this.matchReceipt(ean, item, bytes, 'sender-lease+fetch');
      }
    }
  }

  /** A receipt fetched by the hospital `ean`: the message it answers has one more endpoint's receipt back. */
  private matchReceipt(ean: string, item: InboxItem, bytes: Buffer, operation: string): void {
    this.receiptsFetched++;
    const original = ORIGINAL_ENVELOPE.exec(bytes.toString('latin1'))?.[1]?.trim();
    const entry = original ? this.pending.get(`${ean}/${original}`) : undefined;
    if (!entry) {
      this.counts.add(operation, 'unmatched receipt');
      return;
    }
    entry.answeredBy.add(item.sender);
    this.complete(entry);
  }
}

/** Waits until every accepted message is complete end to end, or the drain time runs out. */
export async function drainFlow(flow: InboxFlow, drainSeconds: number, abort: Abort): Promise<void> {
  const drainDeadline = performance.now() + drainSeconds * 1000;
  while (!abort.aborted && flow.completed < flow.accepted && performance.now() < drainDeadline) await sleep(50);
}

export function progressTicker(flow: InboxFlow, progress: (line: string) => void): NodeJS.Timeout {
  const ticker = setInterval(() => {
    const seconds = (performance.now() - flow.started) / 1000;
    progress(
      `  ${seconds.toFixed(0).padStart(4)} s  accepted ${flow.accepted}  complete ${flow.completed}  in flight end to end ${flow.accepted - flow.completed}  receipts fetched ${flow.receiptsFetched}`,
    );
  }, 5_000);
  ticker.unref();
  return ticker;
}

export async function runGatewayLoad(
  port: number,
  templates: readonly Template[],
  config: LoadConfig,
  abort: Abort,
  progress: (line: string) => void,
): Promise<GatewayLoadResult> {
  const postClient = new HttpClient('127.0.0.1', port, config.concurrency);
  const flow = new InboxFlow(port, config, abort, performance.now() + (config.seconds + config.drainSeconds + 60) * 1000);
  const start = flow.started;
  let postEnd = Infinity;
  const ticker = progressTicker(flow, progress);

  let posts: PostPhaseResult;
  try {
    posts = await runPosters(
      postClient,
      templates,
      config,
      abort,
      flow.counts,
      (envelopeKey, sentAt) => flow.posting(envelopeKey, sentAt),
      (_n, envelopeKey, reply) => flow.answered(envelopeKey, reply),
    );
    flow.postsDone = true;
    postEnd = performance.now();
    // Drain: wait for the receipts of everything accepted, within the drain time.
    await drainFlow(flow, config.drainSeconds, abort);
  } finally {
    await flow.stop();
    clearInterval(ticker);
    postClient.close();
  }
  const postWindow = (Math.min(postEnd, performance.now()) - start) / 1000;
  const endToEndSeconds = (flow.lastCompletion - start) / 1000;
  return {
    ...posts,
    completed: flow.completed,
    incomplete: flow.accepted - flow.completed,
    completedWhilePosting: flow.completedWhilePosting,
    endToEndWhilePostingPerSecond: postWindow > 0 ? flow.completedWhilePosting / postWindow : 0,
    endToEndSeconds,
    endToEndPerSecond: endToEndSeconds > 0 ? flow.completed / endToEndSeconds : 0,
    endToEndLatencyMs: flow.endToEnd.summary(),
    ...flow.outcomes(),
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

/**
 * The open loop: messages are posted at a fixed rate on a schedule set before the load starts, each
 * at its own instant whether or not earlier posts have been answered, with the full flow reading
 * (the same pollers as the closed loop). A closed loop slows its senders down when the gateway slows
 * down, and so never sends the messages that would have waited longest ("coordinated omission"); here
 * every time is counted from the instant the message was due to be sent, so a stall shows as the
 * waiting of every message scheduled during it, as real hospitals would see it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient } from './http-client.js';
import { drainFlow, InboxFlow, outcomeOf, postRequest, progressTicker, sampleOf, type Abort, type FlowOutcomes, type LoadConfig } from './load.js';
import { makeMessage, type Template } from './messages.js';
import { Latencies, type LatencySummary } from './stats.js';

export interface OpenLoopConfig {
  /** Messages per second. */
  readonly rate: number;
  /** The measured part of the schedule. */
  readonly seconds: number;
  /** A first part of the schedule whose messages flow but are not measured (a cold process is slow at first). */
  readonly warmupSeconds: number;
  /** Connections the posts may use at once; posts beyond them wait for one, and that wait counts. */
  readonly connections: number;
}

export interface OpenLoopResult extends FlowOutcomes {
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Measured messages: due in the schedule, posted, and answered 202. */
  readonly scheduled: number;
  readonly sent: number;
  /** Measured messages answered 202. */
  readonly measuredAccepted: number;
  /** Every message answered 202, warm-up included (what the phase's CPU and PostgreSQL figures are divided by). */
  readonly accepted: number;
  /** Posts sent per second over the measured schedule, as sent (not as planned). */
  readonly sentPerSecond: number;
  /** 202 answers per second, from the first measured post due to the last measured post answered. */
  readonly acceptedPerSecond: number;
  /** Completed end to end per second, from the first measured post due to the last measured completion. */
  readonly endToEndPerSecond: number;
  /** How late the bench sent a post against its schedule: large values mean the bench itself fell behind. */
  readonly sendLagMs: LatencySummary;
  /** Post due → 202 (the gateway's answer plus any wait for a connection). */
  readonly acceptLatencyMs: LatencySummary;
  /** Sent → 202: the POST from the moment the bench sent it, its wait for a free connection included. */
  readonly serviceLatencyMs: LatencySummary;
  /** Post due → the sender fetched the last receipt; messages still incomplete at the end count with their wait so far. */
  readonly endToEndLatencyMs: LatencySummary;
  /** 202 → the sender fetched the last receipt, for the completed messages. */
  readonly afterAcceptanceLatencyMs: LatencySummary;
  readonly completed: number;
  /** Measured messages accepted but not complete when the drain time ran out. */
  readonly incomplete: number;
}

export async function runOpenLoopLoad(
  port: number,
  templates: readonly Template[],
  config: LoadConfig,
  open: OpenLoopConfig,
  abort: Abort,
  progress: (line: string) => void,
): Promise<OpenLoopResult> {
  const postClient = new HttpClient('127.0.0.1', port, open.connections);
  const flow = new InboxFlow(port, config, abort, performance.now() + (open.warmupSeconds + open.seconds + config.drainSeconds + 60) * 1000);
  const ticker = progressTicker(flow, progress);
  const interval = 1000 / open.rate;
  const warmup = Math.round(open.rate * open.warmupSeconds);
  const total = warmup + Math.round(open.rate * open.seconds);
  // The schedule starts a little ahead so the first posts are not already late.
  const start = performance.now() + 20;
  const dueOf = (i: number) => start + i * interval;
  const acceptLatency = new Latencies();
  const serviceLatency = new Latencies();
  const sendLag = new Latencies();
  let sent = 0;
  let accepted = 0;
  let lastAnswer = dueOf(warmup);
  let firstMeasuredSent = Infinity;
  let lastMeasuredSent = 0;
  const inFlight = new Set<Promise<void>>();

  const post = async (i: number, due: number) => {
    const measured = i >= warmup;
    const message = makeMessage(templates, i, config.patientGroup);
    const envelopeKey = `${message.senderEan}/${message.envelopeId}`;
    const now = performance.now();
    if (measured) {
      sent++;
      sendLag.add(now - due);
      firstMeasuredSent = Math.min(firstMeasuredSent, now);
      lastMeasuredSent = Math.max(lastMeasuredSent, now);
    }
    flow.posting(envelopeKey, due, measured);
    const reply = await postClient.request(postRequest(message, config.requestTimeoutMs));
    const answeredAt = performance.now();
    flow.counts.add('post', outcomeOf(reply), reply.status === 202 ? undefined : sampleOf(reply));
    if (measured && reply.status === 202) {
      accepted++;
      acceptLatency.add(answeredAt - due);
      serviceLatency.add(reply.ms);
      lastAnswer = Math.max(lastAnswer, answeredAt);
    }
    flow.answered(envelopeKey, reply);
  };

  let incompleteMeasured = 0;
  try {
    let i = 0;
    while (i < total && !abort.aborted) {
      const wait = dueOf(i) - performance.now();
      if (wait > 1) {
        await sleep(wait - 0.5);
        continue;
      }
      // Everything due by now goes out, each on its own, however many are still unanswered.
      while (i < total && dueOf(i) <= performance.now() + 0.5) {
        const task = post(i, dueOf(i));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
        i++;
      }
      // Let the answers that arrived be read before the next round of sends.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(inFlight);
    flow.postsDone = true;
    await drainFlow(flow, config.drainSeconds, abort);
  } finally {
    const stoppedAt = performance.now();
    // A message not complete by the end has waited at least this long: leaving it out would flatter the tail.
    for (const entry of flow.incomplete()) {
      if (!entry.measured) continue;
      incompleteMeasured++;
      flow.endToEnd.add(stoppedAt - entry.sentAt);
    }
    await flow.stop();
    clearInterval(ticker);
    postClient.close();
  }
  const measuredStart = dueOf(warmup);
  const sendSeconds = (lastMeasuredSent - firstMeasuredSent) / 1000;
  const acceptSeconds = (lastAnswer - measuredStart) / 1000;
  const completedMeasured = flow.endToEnd.count - incompleteMeasured;
  const endToEndSeconds = (flow.lastCompletion - measuredStart) / 1000;
  return {
    rate: open.rate,
    seconds: open.seconds,
    warmupSeconds: open.warmupSeconds,
    scheduled: total - warmup,
    sent,
    measuredAccepted: accepted,
    accepted: flow.accepted,
    sentPerSecond: sendSeconds > 0 ? (sent - 1) / sendSeconds : 0,
    acceptedPerSecond: acceptSeconds > 0 ? accepted / acceptSeconds : 0,
    endToEndPerSecond: endToEndSeconds > 0 ? completedMeasured / endToEndSeconds : 0,
    sendLagMs: sendLag.summary(),
    acceptLatencyMs: acceptLatency.summary(),
    serviceLatencyMs: serviceLatency.summary(),
    endToEndLatencyMs: flow.endToEnd.summary(),
    afterAcceptanceLatencyMs: flow.afterAcceptance.summary(),
    completed: completedMeasured,
    incomplete: incompleteMeasured,
    ...flow.outcomes(),
  };
}

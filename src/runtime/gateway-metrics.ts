/**
 * The gateway's own Prometheus metrics, on the registry /metrics serves (names under `medcom_`):
 *
 * - counters bumped where things happen (the use cases call them through GatewayMeters);
 * - gauges of the store's backlog, read at scrape time from one cheap pass (app/ops-gauges.ts) that is
 *   cached for `cacheMs`, so a scrape every few seconds — or several scrapers — never loads the store;
 * - the BullMQ queues' job counts, read at scrape time from Redis.
 *
 * Labels are bounded: endpoints from the register, types from the catalogue, rules from the
 * configuration, fixed reasons, modes and outcomes. No CPR number or message identifier is a label.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryOutcome, GatewayMeters } from '../app/meters.js';
import type { OpsGauges } from '../app/ops-gauges.js';

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** The store's figures (called at most once per `cacheMs`). */
  gauges(): Promise<OpsGauges>;
  /** Job counts per queue and state; undefined while the queues are not there yet. */
  queueCounts(): Promise<Record<string, Record<string, number>> | undefined>;
}

/** Remembers a promise's result for `ttlMs` (a monotonic clock), sharing one call among concurrent callers. */
export function cachedFor<T>(ttlMs: number, load: () => Promise<T>, now: () => number = () => performance.now()): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const t = now();
    if (!last || t - last.at >= ttlMs) {
      const value = load();
      last = { at: t, value };
      // A failed read is not remembered: the next scrape asks again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

export function registerGatewayMetrics(registry: Registry, sources: MetricSources, options: { readonly cacheMs: number }): GatewayMeters {
  const registers = [registry];
  const accepted = new Counter({
    name: 'medcom_letters_accepted_total',
    help: 'Letters accepted from endpoints, by message type; duplicate="true" for a resend of a letter seen before',
    labelNames: ['type', 'duplicate'] as const,
    registers,
  });
  const rejected = new Counter({
    name: 'medcom_messages_rejected_total',
    help: "Messages refused at the door, by message type ('unknown' when it could not be read) and reason (the problem type)",
    labelNames: ['type', 'reason'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: 'medcom_deliveries_total',
    help: 'Delivery outcomes by mode (pull, push) and outcome (delivered, push-failed, dead-lettered, acknowledged, rejected, reoffered, unacknowledged)',
    labelNames: ['mode', 'outcome'] as const,
    registers,
  });
  const receiptLatency = new Histogram({
    name: 'medcom_receipt_latency_seconds',
    help: "Seconds from a message's delivery (fetch or push) to the receiver's receipt",
    // MedCom's receipt watchdog resends after 30 minutes; a receipt can come hours later.
    buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
    registers,
  });
  const breaches = new Counter({
    name: 'medcom_deadline_breaches_total',
    help: 'Deadlines breached (seen by this process), by rule id',
    labelNames: ['rule'] as const,
    registers,
  });

  const gauges = cachedFor(options.cacheMs, () => sources.gauges());
  const endpointGauge = (name: string, help: string, value: (e: OpsGauges['endpoints'][number]) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['endpoint'] as const,
      registers,
      async collect() {
        // While the store is away the gauges are left out rather than failing the whole scrape.
        const snapshot = await gauges().catch(() => undefined);
        this.reset();
        for (const endpoint of snapshot?.endpoints ?? []) {
          const v = value(endpoint);
          if (v !== null) this.set({ endpoint: endpoint.ean }, v);
        }
      },
    });
  };
  endpointGauge('medcom_inbox_waiting', 'Deliveries waiting for the endpoint (not yet leased or pushed)', (e) => e.waiting);
  endpointGauge('medcom_inbox_leased', 'Deliveries leased by the endpoint and not yet fetched', (e) => e.leased);
  endpointGauge('medcom_inbox_depth', 'Deliveries waiting or leased for the endpoint (its backlog)', (e) => e.waiting + e.leased);
  endpointGauge('medcom_inbox_oldest_age_seconds', 'Age of the oldest message waiting for the endpoint (absent when none waits)', (e) => e.oldestWaitingSeconds);
  endpointGauge('medcom_endpoint_seconds_since_poll', 'Seconds since the endpoint last polled its inbox (absent when it never has)', (e) => e.secondsSincePoll);
  endpointGauge('medcom_awaiting_receipt', 'Delivered messages awaiting the positive receipt the sender asked for', (e) => e.awaitingReceipt);
  endpointGauge('medcom_unacknowledged', 'Deliveries whose receipt never came after the last resend', (e) => e.unacknowledged);
  endpointGauge('medcom_dead_lettered', 'Deliveries dead-lettered (push attempts used up) and not yet retried', (e) => e.dead);
  new Gauge({
    name: 'medcom_deadline_breaches_today',
    help: 'Deadlines breached since midnight (Copenhagen), by rule id',
    labelNames: ['rule'] as const,
    registers,
    async collect() {
      const snapshot = await gauges().catch(() => undefined);
      this.reset();
      for (const [rule, n] of snapshot?.breachesToday ?? []) this.set({ rule }, n);
    },
  });
  new Gauge({
    name: 'medcom_queue_jobs',
    help: 'BullMQ jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      const counts = await sources.queueCounts().catch(() => undefined);
      this.reset();
      for (const [queue, byState] of Object.entries(counts ?? {})) {
        for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
      }
    },
  });

  return {
    accepted: (type, duplicate) => accepted.inc({ type, duplicate: String(duplicate) }),
    rejected: (type, reason) => rejected.inc({ type, reason }),
    delivery: (mode: 'pull' | 'push', outcome: DeliveryOutcome) => deliveries.inc({ mode, outcome }),
    receiptLatency: (seconds) => receiptLatency.observe(seconds),
    deadlineBreached: (rule) => breaches.inc({ rule }),
  };
}

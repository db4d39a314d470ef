/**
 * What the gateway's use cases need, passed in explicitly: the store, the codec, the endpoint
 * register, settings, a clock (injected so deadline and watchdog logic is testable) and the signals
 * that wake queues and long-polls once a transaction has committed.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import type { MessageDecoder } from '../codec/decode-message.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import type { Settings } from '../config/settings.js';
import type { RetrainingRouting } from '../domain/retraining-profile.js';
import type { CorrelationTypes } from '../domain/deadlines/correlation.js';
import type { DeadlineRuleSet } from '../domain/deadlines/types.js';
import type { Database, Queryable } from '../store/database.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { InsertBatcher } from '../store/insert-batcher.js';
import type { AlertConfig } from '../domain/alerts.js';
import type { OpsEvent } from '../domain/ops-event.js';
import type { GatewayMeters } from './meters.js';

export interface DeliverySignals {
  /** New or due queue work, written to the outbox by a committed transaction. */
  outbox(entries: readonly OutboxEntry[]): Promise<void>;
  /** These receivers' pull inboxes have something new (wakes long-polls in every process). */
  inboxChanged(receiverEans: readonly string[]): Promise<void>;
  /** Tells the ops pages' live streams in every process (best effort, never rejects); absent in tools. */
  opsEvent?(event: OpsEvent): Promise<void>;
}

/** Publishes an ops event of `type` now; nothing when the context has no event bus. */
export function announce(ctx: Pick<GatewayContext, 'signals' | 'clock'>, type: OpsEvent['type'], data: OpsEvent['data']): void {
  void ctx.signals.opsEvent?.({ type, at: ctx.clock().toISOString(), data });
}

export interface GatewayContext {
  readonly db: Database;
  /** Large bodies are decoded off the event loop (OffThreadCodec): always await it. */
  readonly codec: MessageDecoder;
  readonly register: EndpointRegister;
  /** Retraining-plan routing rules' actions and consent defaults (config/retraining-routing.json); built-in defaults when absent. */
  readonly retrainingRouting?: RetrainingRouting;
  readonly settings: Settings;
  readonly clock: () => Date;
  readonly signals: DeliverySignals;
  /** Keyed hash of a CPR number, so deliveries can be ordered per patient without storing it again. */
  readonly patientRef: (cpr: string) => string;
  /** Group commit for the accept path's one-statement inserts; without it each message commits alone. */
  readonly insertBatcher?: InsertBatcher;
  /** Counters of what happens (Prometheus in the running gateway); none in tools and some tests. */
  readonly meters?: GatewayMeters;
  /** The alert rules (config/alerts.json); none when absent. */
  readonly alerts?: AlertConfig;
  /** The health agreements' deadline rules (config/deadline-rules.json). */
  readonly deadlineRules: DeadlineRuleSet;
  /** How message types take part in deadline correlation (src/domain/deadlines/correlation.ts). */
  readonly deadlineCorrelation: CorrelationTypes;
}

export function patientRefFunction(key: string): (cpr: string) => string {
  // A KeyObject made once: a string key would be copied and prepared again for every CPR number.
  const secret = createSecretKey(Buffer.from(key, 'utf8'));
  return (cpr) => createHmac('sha256', secret).update(cpr).digest('hex').slice(0, 32);
}

/** Side effects a transaction asks for, released only after it commits. */
export class AfterCommit {
  readonly outbox: OutboxEntry[] = [];
  readonly inboxes = new Set<string>();
  /** Ops events of changes the transaction makes: a live view must never hear of one that rolls back. */
  readonly opsEvents: OpsEvent[] = [];
  /** Counters to bump (meters): a change that rolls back must not be counted. */
  readonly tallies: (() => void)[] = [];

  /** Like `announce`, but told only once the transaction has committed. */
  announce(ctx: Pick<GatewayContext, 'clock'>, type: OpsEvent['type'], data: OpsEvent['data']): void {
    this.opsEvents.push({ type, at: ctx.clock().toISOString(), data });
  }

  /** Counts `tally` once the transaction has committed. */
  count(tally: () => void): void {
    this.tallies.push(tally);
  }

  /** Takes over `other`'s effects: a part of the transaction that stood (see answerManyWithJson). */
  adopt(other: AfterCommit): void {
    this.outbox.push(...other.outbox);
    for (const ean of other.inboxes) this.inboxes.add(ean);
    this.opsEvents.push(...other.opsEvents);
    this.tallies.push(...other.tallies);
  }

  /**
   * Best effort: the transaction has committed, so the request has succeeded whatever happens here.
   * A lost signal only delays work: the outbox reconciler re-creates jobs and long-polls time out.
   */
  async release(signals: DeliverySignals): Promise<void> {
    for (const tally of this.tallies) tally();
    if (this.outbox.length > 0) await signals.outbox(this.outbox).catch(() => undefined);
    if (this.inboxes.size > 0) await signals.inboxChanged([...this.inboxes]).catch(() => undefined);
    for (const event of this.opsEvents) void signals.opsEvent?.(event);
  }
}

/** Runs `work` in one transaction and then releases its effects. */
export async function inTransaction<T>(ctx: GatewayContext, work: (tx: Queryable, effects: AfterCommit) => Promise<T>): Promise<T> {
  const effects = new AfterCommit();
  const result = await ctx.db.transaction((tx) => work(tx, effects));
  await effects.release(ctx.signals);
  return result;
}

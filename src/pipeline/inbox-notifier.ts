/**
 * The `inboxChanged(eans)` half of DeliverySignals, across processes: a notification is published on
 * `<prefix>:inbox:<ean>`, and every gateway process listens to all its prefix's inbox channels on one
 * subscriber connection (a pattern subscription made once at start, so a waiter is listening from the
 * moment it is registered; there is no per-EAN subscribe to wait for). The publishing process wakes
 * its own waiters at once and ignores the echo of its own notification.
 *
 * `waitForInbox` is what a long-poll waits on: many waiters per EAN, each resolved exactly once, by a
 * notification, its timeout or its abort signal, and then forgotten (timer cleared, abort listener
 * removed). To close the gap between "the inbox was empty" and "now waiting", a caller reads
 * `inboxVersion(ean)` before looking at the inbox and passes it as `sinceVersion`: a notification that
 * arrived in between resolves the wait at once.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeliverySignals } from '../app/context.js';
import type { Logger } from '../logging.js';
import { eanOfInboxChannel, inboxChannel, inboxChannelPattern } from './queue-names.js';
import { withTimeout } from '../with-timeout.js';
import { TurnBatch } from './turn-batch.js';

export type InboxWaitOutcome = 'notified' | 'timeout' | 'aborted';

interface Waiter {
  settle(outcome: InboxWaitOutcome): void;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 2_000;

/** setTimeout's longest delay (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class InboxNotifier implements Pick<DeliverySignals, 'inboxChanged'> {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly versions = new Map<string, number>();
  private started: Promise<void> | undefined;
  private closed = false;
  /** Sent as the message, so this process ignores its own notifications (it woke its waiters already). */
  private readonly instanceId = randomUUID();
  private readonly unpublished = new TurnBatch<string>((eans) => this.publish([...new Set(eans)]));
  private readonly onMessage = (_pattern: string, channel: string, message: string): void => {
    if (message === this.instanceId) return;
    const ean = eanOfInboxChannel(this.prefix, channel);
    if (ean) this.notifyLocal(ean);
  };

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly publishTimeoutMs = DEFAULT_PUBLISH_TIMEOUT_MS,
  ) {}

  /** Subscribes to this prefix's inbox channels; resolves once Redis confirmed it. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.subscriber.on('pmessage', this.onMessage);
      await this.subscriber.psubscribe(inboxChannelPattern(this.prefix));
    })();
    return this.started;
  }

  /**
   * DeliverySignals.inboxChanged: wakes this process's waiters at once and publishes for the others.
   * The publishes of one turn of the event loop go together, one per inbox: the messages of one
   * group-committed insert (and every accept finishing meanwhile) are told to the other processes with
   * a single notification each receiver, not one per message. Resolves once that is published. Never
   * rejects: a lost notification only makes a long-poll run to its timeout.
   */
  readonly inboxChanged = async (receiverEans: readonly string[]): Promise<void> => {
    if (receiverEans.length === 0) return;
    const eans = [...new Set(receiverEans)];
    for (const ean of eans) this.notifyLocal(ean);
    return this.unpublished.add(...eans);
  };

  private async publish(eans: readonly string[]): Promise<void> {
    try {
      const pipeline = this.publisher.pipeline();
      for (const ean of eans) pipeline.publish(inboxChannel(this.prefix, ean), this.instanceId);
      const results = await withTimeout(pipeline.exec(), this.publishTimeoutMs, 'publishing inbox notifications');
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      this.logger.warn({ receivers: eans, err: error }, 'could not publish inbox notifications');
    }
  }

  /** Counts the notifications this process has seen for `ean` (see `waitForInbox`'s `sinceVersion`). */
  inboxVersion(ean: string): number {
    return this.versions.get(ean) ?? 0;
  }

  /** Waiters currently registered, for one EAN or in all (metrics, tests). */
  waiterCount(ean?: string): number {
    if (ean !== undefined) return this.waiters.get(ean)?.size ?? 0;
    let total = 0;
    for (const set of this.waiters.values()) total += set.size;
    return total;
  }

  /**
   * Resolves 'notified' when `ean`'s inbox changes, 'timeout' after `timeoutMs`, 'aborted' when
   * `abortSignal` fires or the notifier closes. With `sinceVersion` (an earlier `inboxVersion(ean)`),
   * a notification seen since then resolves 'notified' at once.
   */
  waitForInbox(ean: string, timeoutMs: number, abortSignal?: AbortSignal, sinceVersion?: number): Promise<InboxWaitOutcome> {
    if (this.closed || abortSignal?.aborted) return Promise.resolve('aborted');
    if (sinceVersion !== undefined && this.inboxVersion(ean) > sinceVersion) return Promise.resolve('notified');
    if (!(timeoutMs > 0)) return Promise.resolve('timeout');
    return new Promise<InboxWaitOutcome>((resolve) => {
      let set = this.waiters.get(ean);
      if (!set) {
        set = new Set();
        this.waiters.set(ean, set);
      }
      const waiters = set;
      const onAbort = (): void => waiter.settle('aborted');
      const timer = setTimeout(() => waiter.settle('timeout'), Math.min(timeoutMs, MAX_TIMER_MS));
      const waiter: Waiter = {
        settle: (outcome) => {
          clearTimeout(timer);
          abortSignal?.removeEventListener('abort', onAbort);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiters.get(ean) === waiters) this.waiters.delete(ean);
          resolve(outcome);
        },
      };
      waiters.add(waiter);
      abortSignal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private notifyLocal(ean: string): void {
    this.versions.set(ean, this.inboxVersion(ean) + 1);
    const set = this.waiters.get(ean);
    if (!set) return;
    // settle() removes the waiter from the set; iterate over a copy.
    for (const waiter of [...set]) waiter.settle('notified');
  }

  /** Resolves every waiter 'aborted' and unsubscribes. The connections belong to the caller. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.settle('aborted');
    this.subscriber.off('pmessage', this.onMessage);
    if (this.started && this.subscriber.status === 'ready') {
      await withTimeout(this.subscriber.punsubscribe(inboxChannelPattern(this.prefix)), this.publishTimeoutMs, 'unsubscribing').catch(() => undefined);
    }
  }
}

/**
 * A started pipeline (see pipeline.ts): the signals the use cases call after each commit, the inbox
 * notifier the long-poll route waits on, and a graceful shutdown.
 */
import type { DeliverySignals } from '../app/context.js';
import type { AlertScheduler } from './alert-scheduler.js';
import type { InboxNotifier, InboxWaitOutcome } from './inbox-notifier.js';
import type { OpsEventBus } from './ops-event-bus.js';
import type { PipelineQueues } from './queues.js';
import type { ReconcileResult } from './reconcile-result.js';

export interface RunningPipeline {
  /** Pass these as `GatewayContext.signals`. */
  readonly signals: DeliverySignals;
  readonly notifier: InboxNotifier;
  /** Ops events of every process (the ops event stream subscribes here). */
  readonly events: OpsEventBus;
  /** The queues (for ops views and tests). */
  readonly queues: PipelineQueues;
  /** `notifier.waitForInbox`, for the long-poll route. */
  waitForInbox(ean: string, timeoutMs: number, abortSignal?: AbortSignal, sinceVersion?: number): Promise<InboxWaitOutcome>;
  /** The alert rules' judge, in a worker process with rules configured (subscribe with `onChange`). */
  readonly alerts: AlertScheduler | undefined;
  /** One reconciliation pass now: every pending outbox row gets its job back. */
  reconcileOnce(): Promise<ReconcileResult>;
  /** Resolves once Redis answers and the inbox subscription is active. */
  ready(): Promise<void>;
  /**
   * Graceful shutdown: stops taking new jobs, waits for the ones in flight, wakes long-poll waiters
   * and closes every Redis connection the pipeline opened. Safe to call more than once.
   */
  close(): Promise<void>;
}

/**
 * Makes the queues match the store: every pending outbox row must have its job. Runs once at start
 * and then every `settings.reconcileIntervalMs`; this is what makes losing Redis (FLUSHALL, a restart
 * without persistence, a failover to a stale replica) lose no message and no timer. Adding a job that
 * exists is harmless (job ids come from outbox ids), so several processes may reconcile at once.
 */
import type { Logger } from '../logging.js';
import type { Queryable } from '../store/database.js';
import { pendingOutbox } from '../store/outbox.js';
import { PeriodicTask } from './periodic-task.js';
import type { PipelineQueues } from './queues.js';
import type { ReconcileResult } from './reconcile-result.js';

export const RECONCILE_PAGE_SIZE = 500;

export class OutboxReconciler {
  private readonly task: PeriodicTask<ReconcileResult>;

  constructor(
    private readonly db: Queryable,
    private readonly queues: PipelineQueues,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly options: { readonly intervalMs: number; readonly pageSize?: number },
  ) {
    this.task = new PeriodicTask(
      () => this.pass(),
      options.intervalMs,
      (error) => this.logger.warn({ err: error }, 'outbox reconciliation failed; trying again at the next interval'),
    );
  }

  /** One pass over every pending outbox row, by id, a page at a time (passes in one process never overlap). */
  reconcileOnce(): Promise<ReconcileResult> {
    return this.task.runOnce();
  }

  private async pass(): Promise<ReconcileResult> {
    const pageSize = this.options.pageSize ?? RECONCILE_PAGE_SIZE;
    let checked = 0;
    let recreated = 0;
    let afterId = 0;
    for (;;) {
      const page = await pendingOutbox(this.db, pageSize, afterId);
      if (page.length === 0) break;
      const now = this.clock();
      const outcomes = await Promise.all(page.map((entry) => this.queues.ensureJob(entry, now)));
      checked += page.length;
      recreated += outcomes.filter((o) => o === 'recreated').length;
      afterId = page.at(-1)?.id ?? afterId;
      if (page.length < pageSize) break;
    }
    if (recreated > 0) this.logger.warn({ checked, recreated }, 'outbox reconciler re-created missing queue jobs');
    else this.logger.debug({ checked }, 'outbox reconciled');
    return { checked, recreated };
  }

  /** Reconciles now and then every interval until `stop()`. */
  start(): void {
    this.task.start();
  }

  /** Stops the schedule and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}

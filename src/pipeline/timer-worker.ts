/**
 * Processes `timers` jobs: the receipt watchdog of one outbox row, or a deadline's breach timer (the
 * job names its deadline). When the job fires before the row's due time by this process's clock
 * (clocks of processes and Redis differ a little), it is put back, delayed until the due time, under
 * the same job id.
 */
import { DelayedError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { GatewayContext } from '../app/context.js';
import { runDeadlineBreach, type BreachOutcome } from '../app/deadline-tracking.js';
import { runReceiptWatchdog, timerDueAt, type WatchdogOutcome } from '../app/delivery-lifecycle.js';
import type { Logger } from '../logging.js';
import type { OutboxJobData } from './outbox-job-data.js';
import { QUEUE_NAMES } from './queue-names.js';
import type { OutboxJob } from './queues.js';
import { BoundedWorker } from './bounded-worker.js';

export const DEFAULT_TIMER_CONCURRENCY = 4;

export type TimerOutcome = WatchdogOutcome | BreachOutcome;

/** The shortest wait before a job that came early runs again (the due time may be a moment away). */
export const MIN_REDELAY_MS = 20;

/** The longest a timer job may run: a few statements in the store and, when early, a re-delay in Redis. */
const TIMER_JOB_LIMIT_MS = 30_000;

export class TimerWorker {
  readonly worker: BoundedWorker<OutboxJobData, TimerOutcome, string>;

  constructor(
    private readonly ctx: GatewayContext,
    connection: Redis,
    private readonly logger: Logger,
    options: { readonly concurrency?: number } = {},
  ) {
    this.worker = new BoundedWorker<OutboxJobData, TimerOutcome, string>(
      QUEUE_NAMES.timers,
      (job, token) => this.process(job, token),
      { connection, prefix: ctx.settings.queuePrefix, concurrency: options.concurrency ?? DEFAULT_TIMER_CONCURRENCY },
      { logger, inFlightLimitMs: TIMER_JOB_LIMIT_MS },
    );
    this.worker.on('error', (error: Error) => this.logger.warn({ queue: QUEUE_NAMES.timers, err: error }, 'timer worker error'));
  }

  async process(job: OutboxJob, token: string | undefined): Promise<TimerOutcome> {
    const { outboxId, deliveryId, deadlineId } = job.data;
    let outcome: TimerOutcome;
    if (deadlineId !== undefined) {
      const result = await runDeadlineBreach(this.ctx, outboxId);
      outcome = result.outcome;
      if (result.outcome === 'breached' && result.deadline) {
        const { ruleId, obligedEan, messageId, severity } = result.deadline;
        this.logger.warn({ outboxId, deadlineId, ruleId, obligedEan, messageId, severity }, 'deadline breached');
      }
    } else {
      outcome = await runReceiptWatchdog(this.ctx, outboxId);
      if (outcome === 'reoffered' || outcome === 'unacknowledged') this.logger.info({ outboxId, deliveryId, outcome }, 'receipt watchdog');
    }
    if (outcome !== 'not-due') return outcome;
    const dueAt = await timerDueAt(this.ctx, outboxId);
    if (!dueAt) return 'done';
    const wait = Math.max(MIN_REDELAY_MS, dueAt.getTime() - this.ctx.clock().getTime());
    this.logger.debug({ outboxId, deliveryId, deadlineId, waitMs: wait }, 'timer fired early; delayed to its due time');
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError();
  }

  /** Stops taking jobs and waits for the ones in flight; returns in bounded time even when Redis is away. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}

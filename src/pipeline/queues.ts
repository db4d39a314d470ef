/**
 * The gateway's two BullMQ queues, `push` and `timers`, under `settings.queuePrefix`. Jobs are made
 * only from outbox entries: the job id is `outbox-<id>` (adding an entry twice makes one job) and the
 * payload is `{ outboxId, deliveryId }` (or `{ outboxId, deadlineId }` for a deadline's breach timer). Finished jobs are removed; failed ones are kept a week for
 * inspection (the outbox row, not the job, is the record).
 */
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../logging.js';
import type { OutboxEntry, OutboxKind } from '../store/outbox.js';
import type { OutboxJobData } from './outbox-job-data.js';
import { PUSH_BACKOFF_TYPE, QUEUE_NAMES, jobIdOf, jobNameOf } from './queue-names.js';
import { QuietWhenClosedConnection } from './quiet-connection.js';

/** Failed jobs stay this long (and at most this many) for inspection. */
export const FAILED_JOB_RETENTION = { age: 7 * 24 * 60 * 60, count: 10_000 } as const;

/** A timer job whose store work throws (the database away) is tried again this way before it fails. */
export const TIMER_JOB_ATTEMPTS = 10;
export const TIMER_JOB_BACKOFF = { type: 'exponential', delay: 1_000, jitter: 0.5 } as const;

export type OutboxQueue = Queue<OutboxJobData, unknown, string>;
export type OutboxJob = Job<OutboxJobData, unknown, string>;

/** What happened to one outbox entry's job when the reconciler looked at it. */
export type EnsureOutcome = 'present' | 'recreated';

export function pushJobOptions(settings: Settings): JobsOptions {
  return {
    attempts: settings.pushMaxAttempts,
    backoff: { type: PUSH_BACKOFF_TYPE },
    removeOnComplete: true,
    removeOnFail: FAILED_JOB_RETENTION,
  };
}

export function timerJobOptions(): JobsOptions {
  return {
    attempts: TIMER_JOB_ATTEMPTS,
    backoff: TIMER_JOB_BACKOFF,
    removeOnComplete: true,
    removeOnFail: FAILED_JOB_RETENTION,
  };
}

/** How long after `now` an entry's job must wait: until its due time, never negative. */
export function delayOf(entry: OutboxEntry, now: Date): number {
  return Math.max(0, entry.dueAt.getTime() - now.getTime());
}

export class PipelineQueues {
  readonly push: OutboxQueue;
  readonly timers: OutboxQueue;

  constructor(
    connection: Redis,
    settings: Settings,
    private readonly logger: Logger,
  ) {
    this.push = new Queue<OutboxJobData, unknown, string>(
      QUEUE_NAMES.push,
      { connection, prefix: settings.queuePrefix, defaultJobOptions: pushJobOptions(settings) },
      QuietWhenClosedConnection,
    );
    this.timers = new Queue<OutboxJobData, unknown, string>(
      QUEUE_NAMES.timers,
      { connection, prefix: settings.queuePrefix, defaultJobOptions: timerJobOptions() },
      QuietWhenClosedConnection,
    );
    for (const queue of [this.push, this.timers]) {
      queue.on('error', (error: Error) => this.logger.warn({ queue: queue.name, err: error }, 'queue error'));
    }
  }

  queueFor(kind: OutboxKind): OutboxQueue {
    return kind === 'push' ? this.push : this.timers;
  }

  /** Adds the entries' jobs (one command per queue); an entry whose job exists already is left alone. */
  async add(entries: readonly OutboxEntry[], now: Date): Promise<void> {
    const byQueue = new Map<OutboxQueue, OutboxEntry[]>();
    for (const entry of entries) {
      const queue = this.queueFor(entry.kind);
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), entry]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        queue.addBulk(
          list.map((entry) => ({
            name: jobNameOf(entry.kind),
            data: entry.kind === 'deadline-breach' ? { outboxId: entry.id, deadlineId: entry.deadlineId } : { outboxId: entry.id, deliveryId: entry.deliveryId },
            opts: { jobId: jobIdOf(entry.id), delay: delayOf(entry, now) },
          })),
        ),
      ),
    );
  }

  /** The job of an outbox entry, if Redis has it. */
  async getJob(entry: Pick<OutboxEntry, 'id' | 'kind'>): Promise<OutboxJob | undefined> {
    return this.queueFor(entry.kind).getJob(jobIdOf(entry.id));
  }

  /**
   * Makes sure a pending outbox entry has a live job. A missing job is added again; a job that
   * failed for good or completed while its row is still pending (its last attempt could not write
   * to the store) is run again with fresh attempts.
   */
  async ensureJob(entry: OutboxEntry, now: Date): Promise<EnsureOutcome> {
    const queue = this.queueFor(entry.kind);
    const jobId = jobIdOf(entry.id);
    const state = await queue.getJobState(jobId);
    switch (state) {
      case 'unknown':
        await this.add([entry], now);
        return 'recreated';
      case 'failed': {
        const job = await queue.getJob(jobId);
        if (!job) {
          await this.add([entry], now);
          return 'recreated';
        }
        try {
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        } catch (error) {
          // Another reconciler retried it first, or it just left the failed set: either way it lives.
          this.logger.debug({ jobId, err: error }, 'failed job was not retried');
        }
        return 'recreated';
      }
      case 'completed':
        await queue.remove(jobId);
        await this.add([entry], now);
        return 'recreated';
      default:
        return 'present';
    }
  }

  /** Waits until the queue connection answers. */
  async waitUntilReady(): Promise<void> {
    await Promise.all([this.push.waitUntilReady(), this.timers.waitUntilReady()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.push.close(), this.timers.close()]);
  }
}

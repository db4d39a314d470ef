/**
 * Processes `push` jobs: loads the delivery (through the delivery lifecycle), POSTs the original bytes to the
 * receiver's endpoint and records the outcome. A failed attempt is recorded and then thrown, so
 * BullMQ tries again after the custom backoff (push-backoff.ts); the attempt numbered
 * `settings.pushMaxAttempts` is recorded as final, which dead-letters the delivery and answers the
 * sender with an XCTL01. Message bodies are never logged.
 */
import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { GatewayContext } from '../app/context.js';
import { loadPush, recordPushFailure, recordPushSuccess, settleUnpushable } from '../app/delivery-lifecycle.js';
import type { Logger } from '../logging.js';
import type { OutboxJobData } from './outbox-job-data.js';
import { pushBackoffStrategy } from './push-backoff.js';
import { PushFailedError } from './push-failed-error.js';
import { postDelivery } from './push-request.js';
import { QUEUE_NAMES } from './queue-names.js';
import type { OutboxJob } from './queues.js';
import { BoundedWorker } from './bounded-worker.js';

export type PushJobResult = 'pushed' | 'nothing-to-push' | 'paused';

export const DEFAULT_PUSH_CONCURRENCY = 8;

/** Beyond the HTTP call's own limit, what a push may take to load and record it in the store. */
const STORE_MARGIN_MS = 30_000;

export class PushWorker {
  readonly worker: BoundedWorker<OutboxJobData, PushJobResult, string>;

  constructor(
    private readonly ctx: GatewayContext,
    connection: Redis,
    private readonly logger: Logger,
    options: { readonly concurrency?: number } = {},
  ) {
    this.worker = new BoundedWorker<OutboxJobData, PushJobResult, string>(
      QUEUE_NAMES.push,
      (job, _token, signal) => this.process(job, signal),
      {
        connection,
        prefix: ctx.settings.queuePrefix,
        concurrency: options.concurrency ?? DEFAULT_PUSH_CONCURRENCY,
        settings: { backoffStrategy: pushBackoffStrategy(ctx.settings.pushBackoffMs) },
      },
      { logger, inFlightLimitMs: ctx.settings.pushTimeoutMs + STORE_MARGIN_MS },
    );
    this.worker.on('error', (error: Error) => this.logger.warn({ queue: QUEUE_NAMES.push, err: error }, 'push worker error'));
  }

  /** One attempt at the job's delivery. */
  async process(job: OutboxJob, signal?: AbortSignal): Promise<PushJobResult> {
    const { ctx } = this;
    const { outboxId } = job.data;
    // Push jobs are made from push outbox rows only, which always name their delivery.
    const deliveryId = job.data.deliveryId ?? '';
    const payload = await loadPush(ctx, deliveryId);
    if (!payload) return this.nothingToPush(outboxId, deliveryId);
    // Paused by an operator: the job ends, its outbox row stays pending. Resuming queues the row
    // again at once (and until then the reconciler finds it pending, and finds the receiver paused).
    if (payload === 'paused') {
      this.logger.debug({ outboxId, deliveryId }, 'push held back: the receiver is paused');
      return 'paused';
    }

    const attempt = job.attemptsMade + 1;
    const outcome = await postDelivery(payload, ctx.settings.pushTimeoutMs, signal);
    if (outcome.ok) {
      await recordPushSuccess(ctx, outboxId, deliveryId, outcome.status, payload.receiverEan);
      this.logger.info({ outboxId, deliveryId, attempt, httpStatus: outcome.status }, 'pushed');
      return 'pushed';
    }
    // Cancelled by the worker (not by the receiver): nothing is recorded; the job runs again.
    if (signal?.aborted) throw new Error(`push of delivery ${deliveryId} was cancelled`);

    const final = attempt >= ctx.settings.pushMaxAttempts;
    await recordPushFailure(ctx, outboxId, deliveryId, outcome.reason, final);
    const fields = { outboxId, deliveryId, attempt, of: ctx.settings.pushMaxAttempts, reason: outcome.reason, ...(outcome.status ? { httpStatus: outcome.status } : {}) };
    if (final) {
      this.logger.error(fields, 'push failed for the last time; the delivery is dead-lettered');
      throw new UnrecoverableError(new PushFailedError(deliveryId, attempt, outcome.reason).message);
    }
    this.logger.warn(fields, 'push failed; it will be tried again');
    throw new PushFailedError(deliveryId, attempt, outcome.reason);
  }

  /**
   * The store has nothing (left) to push. When the delivery is no longer waiting (pushed, dead,
   * answered) the outbox row is simply done. A delivery still waiting whose receiver is no longer a
   * push endpoint in the register keeps its row pending and the job fails visibly: the reconciler
   * tries it again after every interval, so it goes out once the configuration is put right.
   */
  private async nothingToPush(outboxId: number, deliveryId: string): Promise<PushJobResult> {
    const settled = await settleUnpushable(this.ctx, outboxId, deliveryId);
    if (settled === 'done') return 'nothing-to-push';
    const reason = `receiver ${settled.waitsFor} is not a push endpoint in the endpoint register`;
    this.logger.warn({ outboxId, deliveryId, receiverEan: settled.waitsFor }, 'push delivery waits for an endpoint that is not configured for push');
    throw new UnrecoverableError(reason);
  }

  /** Stops taking jobs and waits for the ones in flight; returns in bounded time even when Redis is away. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}

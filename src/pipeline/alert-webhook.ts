/**
 * Alert notifications: each raised or cleared alert becomes a job on the `alert-webhooks` queue, whose
 * worker POSTs it as JSON to the configured webhook, retried with doubling delays (BullMQ) until the
 * receiver answers 2xx or the attempts are used up. The job holds the alert only (rule, subject — an
 * endpoint or a deadline rule — and its message), never patient data. A URL whose name resolves to a
 * loopback address is refused at call time too, unless `allowLoopback` is set.
 */
import { lookup } from 'node:dns/promises';
import { Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertView } from '../app/alerts.js';
import { isLoopbackHost, type AlertWebhook } from '../domain/alerts.js';
import type { Logger } from '../logging.js';
import { BoundedWorker } from './bounded-worker.js';
import { QuietWhenClosedConnection } from './quiet-connection.js';

export const ALERT_WEBHOOK_QUEUE = 'alert-webhooks';
const CALL_TIMEOUT_MS = 10_000;

export interface AlertNotification {
  readonly event: 'alert-raised' | 'alert-cleared';
  readonly alert: AlertView;
}

/** Whether the webhook's host reaches this machine (by name or by what the name resolves to). */
async function aimsAtLoopback(url: URL): Promise<boolean> {
  if (isLoopbackHost(url.hostname)) return true;
  const addresses = await lookup(url.hostname.replace(/^\[|\]$/g, ''), { all: true }).catch(() => []);
  return addresses.some((a) => isLoopbackHost(a.address));
}

export class AlertWebhookQueue {
  readonly queue: Queue<AlertNotification, void, string>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly webhook: AlertWebhook,
  ) {
    this.queue = new Queue<AlertNotification, void, string>(
      ALERT_WEBHOOK_QUEUE,
      {
        connection,
        prefix,
        defaultJobOptions: {
          attempts: webhook.attempts,
          backoff: { type: 'exponential', delay: webhook.retryDelayMs },
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
        },
      },
      QuietWhenClosedConnection,
    );
  }

  /** One job per alert and event (the id makes a second add of the same one a no-op). */
  async notify(notifications: readonly AlertNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    await this.queue.addBulk(notifications.map((n) => ({ name: n.event, data: n, opts: { jobId: `alert-${n.alert.id}-${n.event}` } })));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export class AlertWebhookWorker {
  readonly worker: BoundedWorker<AlertNotification, void, string>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly webhook: AlertWebhook,
    private readonly logger: Logger,
  ) {
    // A call ends within its own timeout; the name lookup before it gets as long again.
    this.worker = new BoundedWorker<AlertNotification, void, string>(
      ALERT_WEBHOOK_QUEUE,
      (job) => this.call(job.data),
      { connection, prefix, concurrency: 2 },
      { logger, inFlightLimitMs: 2 * CALL_TIMEOUT_MS },
    );
    this.worker.on('error', (error: Error) => logger.warn({ queue: ALERT_WEBHOOK_QUEUE, err: error }, 'alert webhook worker error'));
    this.worker.on('failed', (job, error: Error) =>
      logger.warn({ alert: job?.data.alert.id, event: job?.data.event, attempt: job?.attemptsMade, err: error.message }, 'alert webhook call failed'),
    );
  }

  async call(notification: AlertNotification): Promise<void> {
    const url = new URL(this.webhook.url);
    if (!this.webhook.allowLoopback && (await aimsAtLoopback(url))) {
      throw new UnrecoverableError(`the alert webhook ${url.host} resolves to a loopback address and allowLoopback is not set`);
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      // A redirect could lead to an address the checks above never saw.
      redirect: 'error',
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the alert webhook answered HTTP ${response.status}`);
    this.logger.info({ alert: notification.alert.id, event: notification.event }, 'alert webhook called');
  }

  /** Stops taking jobs and waits for the calls in flight; returns in bounded time even when Redis is away. */
  close(): Promise<void> {
    return this.worker.close();
  }
}

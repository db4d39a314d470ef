/**
 * Starts the gateway's queue side in one process: the two queues and the dispatcher that feeds them
 * from committed outbox entries, the cross-process inbox notifier, and (in worker processes) the push
 * and timer workers and the periodic outbox reconciler. `close()` shuts it all down gracefully.
 *
 *   const pipeline = await startPipeline({ db, codec, register, settings, clock, patientRef, logger }, { workers: true });
 *   const ctx: GatewayContext = { db, codec, register, settings, clock, patientRef, signals: pipeline.signals };
 *
 * Starting does not wait for Redis: a gateway whose Redis is away still accepts messages (the store
 * is the record and the reconciler catches up); `ready()` and `checkRedis()` tell when it is there.
 * `checkRedis(url)` (re-exported from redis-connections.ts) resolves when Redis answers PING and
 * rejects with a password-free reason when it does not.
 */
import type { DeliverySignals, GatewayContext } from '../app/context.js';
import { retentionIsOn } from '../domain/retention.js';
import { createLogger } from '../logging.js';
import { AlertScheduler } from './alert-scheduler.js';
import { AlertWebhookQueue, AlertWebhookWorker } from './alert-webhook.js';
import { InboxNotifier } from './inbox-notifier.js';
import { OpsEventBus } from './ops-event-bus.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';
import { OutboxReconciler } from './outbox-reconciler.js';
import type { PipelineDeps } from './pipeline-deps.js';
import type { PipelineOptions } from './pipeline-options.js';
import { PushWorker } from './push-worker.js';
import { PipelineQueues } from './queues.js';
import { RedisConnections, describeRedisTarget } from './redis-connections.js';
import { RetentionScheduler } from './retention-scheduler.js';
import type { RunningPipeline } from './running-pipeline.js';
import { TimerWorker } from './timer-worker.js';

export { checkRedis } from './redis-connections.js';
export type { PipelineDeps } from './pipeline-deps.js';
export type { PipelineOptions } from './pipeline-options.js';
export type { RunningPipeline } from './running-pipeline.js';

export async function startPipeline(deps: PipelineDeps, options: PipelineOptions): Promise<RunningPipeline> {
  const { settings } = deps;
  const logger = (deps.logger ?? createLogger(settings)).child({ component: 'pipeline' });
  const connections = new RedisConnections(settings, settings.queuePrefix, logger);

  const queues = new PipelineQueues(connections.create('queues'), settings, logger);
  const dispatcher = new OutboxDispatcher(queues, deps.clock, logger, options.dispatchTimeoutMs);
  const notifier = new InboxNotifier(connections.create('publisher'), connections.create('subscriber'), settings.queuePrefix, logger);
  const events = new OpsEventBus(connections.create('events-publisher'), connections.create('events-subscriber'), settings.queuePrefix, logger);
  const subscribed = Promise.all([notifier.start(), events.start()]).then(() => undefined);
  subscribed.catch((error: unknown) => logger.warn({ err: error }, 'could not subscribe to inbox notifications or ops events'));

  const signals: DeliverySignals = { outbox: dispatcher.outbox, inboxChanged: notifier.inboxChanged, opsEvent: events.publish };
  const { logger: _logger, insertBatcher: _batcher, ...shared } = deps;
  // The workers commit one change at a time: no group commit for them.
  const ctx: GatewayContext = { ...shared, signals };
  const reconciler = new OutboxReconciler(deps.db, queues, deps.clock, logger, { intervalMs: settings.reconcileIntervalMs });

  const retention = options.workers && retentionIsOn(settings.retention)
    ? new RetentionScheduler(deps.db, settings.retention, deps.clock, logger, settings.retentionIntervalMs)
    : undefined;

  // Alert rules are judged by the worker processes; their webhook calls are jobs any worker may run.
  const alertConfig = deps.alerts;
  const alertWebhook = options.workers && alertConfig?.webhook ? new AlertWebhookQueue(connections.create('alert-webhooks'), settings.queuePrefix, alertConfig.webhook) : undefined;
  const alerts = options.workers && alertConfig && alertConfig.rules.length > 0 ? new AlertScheduler(deps, alertConfig, alertWebhook, logger) : undefined;

  // Alerts this process raised reach the ops pages of every process.
  alerts?.onChange((n) => {
    if (n.event === 'alert-raised') void events.publish({ type: 'alert-raised', at: n.alert.raisedAt, data: { alertId: n.alert.id, rule: n.alert.rule, subject: n.alert.subject } });
  });

  const workers: (PushWorker | TimerWorker | AlertWebhookWorker)[] = [];
  if (options.workers) {
    workers.push(
      new PushWorker(ctx, connections.create('push-worker'), logger, { ...(options.pushConcurrency ? { concurrency: options.pushConcurrency } : {}) }),
      new TimerWorker(ctx, connections.create('timer-worker'), logger, { ...(options.timerConcurrency ? { concurrency: options.timerConcurrency } : {}) }),
    );
    if (alertConfig?.webhook) workers.push(new AlertWebhookWorker(connections.create('alert-webhook-worker'), settings.queuePrefix, alertConfig.webhook, logger));
    reconciler.start();
    retention?.start();
    alerts?.start();
  }
  logger.info({ redis: describeRedisTarget(settings), prefix: settings.queuePrefix, workers: options.workers }, 'pipeline started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await reconciler.stop();
      await retention?.stop();
      await alerts?.stop();
      // Workers first: a job in flight may still add jobs (a push arms its watchdog) and publish.
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await notifier.close();
      await events.close();
      await alertWebhook?.close();
      await queues.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the queues failed'));
      await connections.closeAll();
      logger.info('pipeline closed');
    })();
    return closing;
  };

  return {
    signals,
    notifier,
    events,
    queues,
    alerts,
    reconcileOnce: () => reconciler.reconcileOnce(),
    waitForInbox: (ean, timeoutMs, abortSignal, sinceVersion) => notifier.waitForInbox(ean, timeoutMs, abortSignal, sinceVersion),
    ready: async () => {
      await Promise.all([subscribed, queues.waitUntilReady()]);
    },
    close,
  };
}

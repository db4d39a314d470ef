/**
 * Judges the alert rules in worker processes: once at start, then every `alerts.intervalMs`, like the
 * outbox reconciler. Each alert this process raised or cleared is logged, handed to the listeners (the
 * operations live feed subscribes through `onChange`) and, with a webhook configured, queued for it.
 */
import { alertViewOf, evaluateAlerts, type AlertChanges } from '../app/alerts.js';
import type { GatewayContext } from '../app/context.js';
import type { AlertConfig } from '../domain/alerts.js';
import type { Logger } from '../logging.js';
import type { AlertNotification, AlertWebhookQueue } from './alert-webhook.js';
import { PeriodicTask } from './periodic-task.js';

export type AlertListener = (notification: AlertNotification) => void;

export class AlertScheduler {
  private readonly task: PeriodicTask<AlertChanges>;
  private readonly listeners = new Set<AlertListener>();

  constructor(
    ctx: Pick<GatewayContext, 'db' | 'register' | 'clock'>,
    config: AlertConfig,
    private readonly webhook: AlertWebhookQueue | undefined,
    private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(
      async () => {
        const changes = await evaluateAlerts(ctx, config);
        await this.announce(changes);
        return changes;
      },
      config.intervalMs,
      (error) => logger.warn({ err: error }, 'judging the alert rules failed; trying again at the next interval'),
    );
  }

  /** Called with every alert this process raises or clears. */
  onChange(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One pass now (passes in one process never overlap). */
  evaluateOnce(): Promise<AlertChanges> {
    return this.task.runOnce();
  }

  private async announce(changes: AlertChanges): Promise<void> {
    const notifications: AlertNotification[] = [
      ...changes.raised.map((a) => ({ event: 'alert-raised' as const, alert: alertViewOf(a) })),
      ...changes.cleared.map((a) => ({ event: 'alert-cleared' as const, alert: alertViewOf(a) })),
    ];
    for (const n of notifications) {
      this.logger.warn({ rule: n.alert.rule, subject: n.alert.subject, event: n.event }, n.alert.message);
      for (const listener of this.listeners) {
        try {
          listener(n);
        } catch (error) {
          this.logger.warn({ err: error }, 'an alert listener failed');
        }
      }
    }
    // The alert is in the store either way; a webhook Redis could not take is reported, not retried here.
    await this.webhook?.notify(notifications).catch((error: unknown) => this.logger.warn({ err: error }, 'could not queue the alert webhook'));
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}

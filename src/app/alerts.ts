/**
 * Judging the alert rules against the store's figures and keeping the outcome in the store: an alert
 * is raised once when its rule starts to hold for a subject and cleared when it stops. Both are single
 * statements, so of several worker processes exactly one raises (or clears) each alert and sends its
 * notification. `GET /api/v1/ops/alerts` reads `alertsView`.
 */
import { alertConditions, type AlertConfig } from '../domain/alerts.js';
import { clearAlertsExcept, listAlerts, raiseAlerts, type AlertRecord } from '../store/alert-store.js';
import type { GatewayContext } from './context.js';
import { opsGauges } from './ops-gauges.js';

export interface AlertChanges {
  readonly raised: readonly AlertRecord[];
  readonly cleared: readonly AlertRecord[];
}

export async function evaluateAlerts(ctx: Pick<GatewayContext, 'db' | 'register' | 'clock'>, config: AlertConfig): Promise<AlertChanges> {
  const facts = await opsGauges(ctx);
  const holding = alertConditions(config.rules, facts);
  const cleared = await clearAlertsExcept(ctx.db, holding, facts.at);
  const raised = await raiseAlerts(ctx.db, holding, facts.at);
  return { raised, cleared };
}

export interface AlertView {
  readonly id: number;
  readonly rule: string;
  readonly kind: string;
  readonly subject: string;
  readonly message: string;
  readonly value: number;
  readonly raisedAt: string;
  readonly clearedAt: string | null;
}

export function alertViewOf(alert: AlertRecord): AlertView {
  return {
    id: alert.id,
    rule: alert.ruleId,
    kind: alert.kind,
    subject: alert.subject,
    message: alert.message,
    value: alert.value,
    raisedAt: alert.raisedAt.toISOString(),
    clearedAt: alert.clearedAt?.toISOString() ?? null,
  };
}

/** The open alerts, newest first, and the most recently cleared ones. */
export async function alertsView(ctx: Pick<GatewayContext, 'db'>, recentCleared = 50): Promise<{ open: AlertView[]; cleared: AlertView[] }> {
  const all = (await listAlerts(ctx.db, recentCleared)).map(alertViewOf);
  return { open: all.filter((a) => a.clearedAt === null), cleared: all.filter((a) => a.clearedAt !== null) };
}

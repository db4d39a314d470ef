/**
 * Pausing and resuming a receiver. While paused, its inbox offers nothing (the lease statement reads
 * the pause), its push jobs end without pushing (loadPush) and its deliveries wait in the store:
 * nothing is lost, everything is offered or pushed once it is resumed. Each change is written to the audit log with who and why.
 */
import { endpointActivity, pauseEndpoint, pausedEndpoints, resumeEndpoint, type EndpointPause } from '../store/endpoint-state-store.js';
import { pendingPushesFor } from '../store/outbox.js';
import type { GatewayContext } from './context.js';
import { recordAudit } from './ops-audit.js';
import { EAN, requireReason, type Operator } from './ops-input.js';
import { Refusal } from './refusal.js';

export interface PauseResult {
  readonly ean: string;
  readonly paused: boolean;
  /** False when the endpoint already was in the asked state (nothing changed, nothing audited). */
  readonly changed: boolean;
}

function knownEndpoint(ctx: GatewayContext, ean: string): string {
  if (!EAN.test(ean) || !ctx.register.find(ean)) {
    throw new Refusal(404, 'unknown-endpoint', 'Unknown endpoint', `${EAN.test(ean) ? ean : 'that'} is not an endpoint of the register`);
  }
  return ean;
}

export async function pauseEndpointAction(ctx: GatewayContext, operator: Operator, ean: string, reason: unknown): Promise<PauseResult> {
  knownEndpoint(ctx, ean);
  const why = requireReason(reason);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const changed = await pauseEndpoint(tx, { endpointEan: ean, pausedAt: now, operator: operator.name, reason: why });
    if (changed) await recordAudit(tx, operator, { action: 'endpoint-pause', reason: why, details: { endpoint: ean } }, now);
    return { ean, paused: true, changed };
  });
}

/**
 * Resumes the endpoint. Its pull inbox is signalled so long-polls waiting on it return its backlog at
 * once; its push deliveries held back while it was paused are queued again at once.
 */
export async function resumeEndpointAction(ctx: GatewayContext, operator: Operator, ean: string, reason: unknown): Promise<PauseResult> {
  knownEndpoint(ctx, ean);
  const why = requireReason(reason);
  const result = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const changed = await resumeEndpoint(tx, ean);
    if (changed) await recordAudit(tx, operator, { action: 'endpoint-resume', reason: why, details: { endpoint: ean } }, now);
    return { ean, paused: false, changed };
  });
  if (result.changed) {
    await ctx.signals.inboxChanged([ean]).catch(() => undefined);
    // The push jobs that found it paused ended with their rows pending: queue them again now.
    await ctx.signals.outbox(await pendingPushesFor(ctx.db, ean));
  }
  return result;
}

export async function listPausedEndpoints(ctx: GatewayContext): Promise<EndpointPause[]> {
  return pausedEndpoints(ctx.db);
}

export interface EndpointStatus {
  readonly ean: string;
  readonly name: string;
  readonly kind: string;
  readonly mode: 'pull' | 'push';
  readonly enabled: boolean;
  readonly paused: { readonly since: string; readonly operator: string; readonly reason: string } | null;
  readonly lastPolledAt: string | null;
  readonly lastPushedAt: string | null;
}

/** `GET /api/v1/ops/endpoints`: the register, each endpoint with its pause and its last poll and push. */
export async function endpointStatuses(ctx: GatewayContext): Promise<{ endpoints: EndpointStatus[] }> {
  const [pauses, activity] = await Promise.all([pausedEndpoints(ctx.db), endpointActivity(ctx.db)]);
  const pauseOf = new Map(pauses.map((p) => [p.endpointEan, p]));
  return {
    endpoints: ctx.register.endpoints.map((endpoint) => {
      const pause = pauseOf.get(endpoint.ean);
      const seen = activity.get(endpoint.ean);
      return {
        ean: endpoint.ean,
        name: endpoint.name,
        kind: endpoint.kind,
        mode: endpoint.delivery.mode,
        enabled: endpoint.enabled,
        paused: pause ? { since: pause.pausedAt.toISOString(), operator: pause.operator, reason: pause.reason } : null,
        lastPolledAt: seen?.lastPolledAt?.toISOString() ?? null,
        lastPushedAt: seen?.lastPushedAt?.toISOString() ?? null,
      };
    }),
  };
}

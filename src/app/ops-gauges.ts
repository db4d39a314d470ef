/**
 * The store's figures that /metrics shows and the alert rules judge, read in one cheap pass: the
 * overview's own index-only counts of unsettled deliveries, the endpoints' activity, one index probe per
 * endpoint for the oldest waiting message, and today's breaches per rule. Only the register's endpoints
 * are reported (a bounded set of labels); nothing here names a patient.
 */
import { copenhagenDateOf, startOfDay } from '../domain/calendar.js';
import { endpointActivity } from '../store/endpoint-state-store.js';
import { breachesByRuleSince, oldestWaiting, unsettledByReceiver } from '../store/ops-queries.js';
import type { GatewayContext } from './context.js';

export interface EndpointGauges {
  readonly ean: string;
  readonly mode: 'pull' | 'push';
  readonly waiting: number;
  readonly leased: number;
  /** Delivered and awaiting the positive receipt the sender asked for. */
  readonly awaitingReceipt: number;
  readonly unacknowledged: number;
  readonly dead: number;
  /** Age in seconds of the oldest message waiting (or leased, not fetched); null when none waits. */
  readonly oldestWaitingSeconds: number | null;
  /** Seconds since the endpoint last polled its inbox; null when it never has. */
  readonly secondsSincePoll: number | null;
}

export interface OpsGauges {
  readonly at: Date;
  readonly endpoints: readonly EndpointGauges[];
  /** Deadlines breached since the start of today (Copenhagen), per rule id. */
  readonly breachesToday: ReadonlyMap<string, number>;
}

const secondsBetween = (from: Date, to: Date): number => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));

export async function opsGauges(ctx: Pick<GatewayContext, 'db' | 'register' | 'clock'>): Promise<OpsGauges> {
  const now = ctx.clock();
  const eans = ctx.register.endpoints.map((e) => e.ean);
  const [unsettled, activity, oldest, breachesToday] = await Promise.all([
    unsettledByReceiver(ctx.db, now),
    endpointActivity(ctx.db),
    oldestWaiting(ctx.db, eans),
    breachesByRuleSince(ctx.db, startOfDay(copenhagenDateOf(now)), now),
  ]);
  const endpoints = ctx.register.endpoints.map((endpoint): EndpointGauges => {
    const counts = unsettled.get(endpoint.ean);
    const since = oldest.get(endpoint.ean);
    const polled = activity.get(endpoint.ean)?.lastPolledAt;
    return {
      ean: endpoint.ean,
      mode: endpoint.delivery.mode,
      waiting: counts?.waiting ?? 0,
      leased: counts?.leased ?? 0,
      awaitingReceipt: counts?.delivered ?? 0,
      unacknowledged: counts?.unacknowledged ?? 0,
      dead: counts?.dead ?? 0,
      oldestWaitingSeconds: since ? secondsBetween(since, now) : null,
      secondsSincePoll: polled ? secondsBetween(polled, now) : null,
    };
  });
  return { at: now, endpoints, breachesToday };
}

/**
 * `GET /api/v1/ops/overview`: every endpoint of the register (and any other receiver the store still
 * holds deliveries for) with its backlog, the stuck ones first; accepted and rejected totals per type
 * over the last hour and day; receipts overdue; deadline breaches today and this week (Copenhagen
 * days, weeks from Monday).
 */
import { addCalendarDays, copenhagenDateOf, dayOfWeek, startOfDay } from '../domain/calendar.js';
import { endpointActivity, pausedEndpoints } from '../store/endpoint-state-store.js';
import { acceptedPerType, breachesSince, oldestWaiting, unsettledByReceiver, type UnsettledCounts } from '../store/ops-queries.js';
import { rejectionCounts } from '../store/rejection-store.js';
import type { GatewayContext } from './context.js';

export interface EndpointOverview {
  readonly ean: string;
  /** Absent for a receiver that is no longer in the register but still has deliveries. */
  readonly name: string | null;
  readonly kind: string | null;
  readonly mode: 'pull' | 'push' | null;
  readonly enabled: boolean;
  readonly paused: { readonly since: string; readonly operator: string; readonly reason: string } | null;
  readonly waiting: number;
  readonly leased: number;
  readonly deliveredNotAnswered: number;
  readonly unacknowledged: number;
  readonly deadLettered: number;
  readonly receiptsOverdue: number;
  /** Age in whole seconds of the oldest message waiting (or leased, not fetched) for it. */
  readonly oldestWaitingSeconds: number | null;
  readonly lastPolledAt: string | null;
  readonly lastPushedAt: string | null;
  /** Something for ops to look at: a backlog, a dead letter, an unanswered or overdue message, or a pause. */
  readonly stuck: boolean;
}

export interface TypeOverview {
  readonly type: string;
  readonly accepted: { readonly lastHour: number; readonly lastDay: number };
  readonly duplicates: { readonly lastHour: number; readonly lastDay: number };
  readonly rejected: { readonly lastHour: number; readonly lastDay: number; readonly byReason: Record<string, { lastHour: number; lastDay: number }> };
}

export interface OpsOverview {
  readonly generatedAt: string;
  readonly endpoints: readonly EndpointOverview[];
  readonly types: readonly TypeOverview[];
  readonly receiptsOverdue: number;
  readonly deadlineBreaches: { readonly today: number; readonly thisWeek: number; readonly todayFrom: string; readonly weekFrom: string };
}

const NONE: UnsettledCounts = { waiting: 0, leased: 0, delivered: 0, unacknowledged: 0, dead: 0, receiptsOverdue: 0 };

/** Stuck first (the oldest backlog first), then the rest by EAN. */
function stuckFirst(a: EndpointOverview, b: EndpointOverview): number {
  if (a.stuck !== b.stuck) return a.stuck ? -1 : 1;
  return (b.oldestWaitingSeconds ?? -1) - (a.oldestWaitingSeconds ?? -1) || b.deadLettered + b.unacknowledged - (a.deadLettered + a.unacknowledged) || a.ean.localeCompare(b.ean);
}

export async function opsOverview(ctx: GatewayContext): Promise<OpsOverview> {
  const now = ctx.clock();
  const today = copenhagenDateOf(now);
  const todayFrom = startOfDay(today);
  const weekFrom = startOfDay(addCalendarDays(today, 1 - dayOfWeek(today)));
  const [unsettled, activity, pauses, accepted, rejected, breaches] = await Promise.all([
    unsettledByReceiver(ctx.db, now),
    endpointActivity(ctx.db),
    pausedEndpoints(ctx.db),
    acceptedPerType(ctx.db, now),
    rejectionCounts(ctx.db, now),
    breachesSince(ctx.db, [weekFrom, todayFrom], now),
  ]);
  const eans = [...new Set([...ctx.register.endpoints.map((e) => e.ean), ...unsettled.keys()])];
  const oldest = await oldestWaiting(ctx.db, eans);
  const pauseOf = new Map(pauses.map((p) => [p.endpointEan, p]));
  const endpoints = eans.map((ean): EndpointOverview => {
    const endpoint = ctx.register.find(ean);
    const counts = unsettled.get(ean) ?? NONE;
    const pause = pauseOf.get(ean);
    const since = oldest.get(ean);
    const seen = activity.get(ean);
    const oldestWaitingSeconds = since ? Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000)) : null;
    return {
      ean,
      name: endpoint?.name ?? null,
      kind: endpoint?.kind ?? null,
      mode: endpoint?.delivery.mode ?? null,
      enabled: endpoint?.enabled ?? false,
      paused: pause ? { since: pause.pausedAt.toISOString(), operator: pause.operator, reason: pause.reason } : null,
      waiting: counts.waiting,
      leased: counts.leased,
      deliveredNotAnswered: counts.delivered,
      unacknowledged: counts.unacknowledged,
      deadLettered: counts.dead,
      receiptsOverdue: counts.receiptsOverdue,
      oldestWaitingSeconds,
      lastPolledAt: seen?.lastPolledAt?.toISOString() ?? null,
      lastPushedAt: seen?.lastPushedAt?.toISOString() ?? null,
      stuck: Boolean(pause) || counts.waiting + counts.leased + counts.dead + counts.unacknowledged + counts.receiptsOverdue > 0,
    };
  });
  const types = new Map<string, TypeOverview>();
  const typeEntry = (type: string): TypeOverview => {
    const entry = types.get(type) ?? {
      type,
      accepted: { lastHour: 0, lastDay: 0 },
      duplicates: { lastHour: 0, lastDay: 0 },
      rejected: { lastHour: 0, lastDay: 0, byReason: {} },
    };
    types.set(type, entry);
    return entry;
  };
  for (const row of accepted) {
    Object.assign(typeEntry(row.type), {
      accepted: { lastHour: row.acceptedLastHour, lastDay: row.acceptedLastDay },
      duplicates: { lastHour: row.duplicatesLastHour, lastDay: row.duplicatesLastDay },
    });
  }
  for (const row of rejected) {
    const entry = typeEntry(row.type);
    entry.rejected.byReason[row.reason] = { lastHour: row.lastHour, lastDay: row.lastDay };
    Object.assign(entry, { rejected: { ...entry.rejected, lastHour: entry.rejected.lastHour + row.lastHour, lastDay: entry.rejected.lastDay + row.lastDay } });
  }
  return {
    generatedAt: now.toISOString(),
    endpoints: endpoints.sort(stuckFirst),
    types: [...types.values()].sort((a, b) => a.type.localeCompare(b.type)),
    receiptsOverdue: endpoints.reduce((sum, e) => sum + e.receiptsOverdue, 0),
    deadlineBreaches: { thisWeek: breaches[0] ?? 0, today: breaches[1] ?? 0, todayFrom: todayFrom.toISOString(), weekFrom: weekFrom.toISOString() },
  };
}

/**
 * `GET /api/v1/ops/messages/{id}`: the message view every party sees, plus what ops need: the overall
 * status following the deliveries, the receipts with when they arrived, the duplicates in both
 * directions, and one timeline in time order holding the store's events and the ops actions and body
 * reads of the audit log.
 */
import { inTimeOrder } from '../domain/timeline-order.js';
import { overallStatus, type OverallStatus } from '../domain/message-status.js';
import { listAudit } from '../store/audit-store.js';
import { redeliveryParents } from '../store/delivery-store.js';
import { receiptArrivals, resendsOf } from '../store/ops-queries.js';
import type { GatewayContext } from './context.js';
import { viewMessage, type MessageView } from './message-view.js';

/** Ops actions on one message are few; this bounds the audit rows merged into its timeline. */
const AUDIT_ON_TIMELINE = 500;

export interface OpsTimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly deliveryId: string | null;
  readonly detail: Record<string, unknown>;
  /** 'gateway' for the store's events, 'ops' for audit entries (an operator's read or action). */
  readonly source: 'gateway' | 'ops';
}

export interface OpsMessageDetail extends Omit<MessageView, 'status' | 'timeline' | 'deliveries'> {
  readonly status: OverallStatus;
  /** The deliveries, each with the delivery it was redelivered from (null for the original ones). */
  readonly deliveries: readonly (MessageView['deliveries'][number] & { readonly redeliveryOf: string | null })[];
  /** The message row's own status: 'accepted', or 'duplicate' for a resend of letters seen before. */
  readonly storedStatus: string;
  readonly receipts: readonly {
    readonly deliveryId: string;
    readonly receiver: string;
    readonly kind: string;
    readonly refuseCode?: string;
    readonly messageId: string | null;
    readonly receivedAt: string | null;
  }[];
  readonly duplicates: {
    /** Letters of this message that resend letters of earlier messages. */
    readonly resendOf: readonly { readonly letterId: string; readonly messageId: string }[];
    /** Later messages that resent letters of this one. */
    readonly resentBy: readonly { readonly messageId: string; readonly envelopeId: string; readonly letterId: string; readonly receivedAt: string }[];
  };
  readonly timeline: readonly OpsTimelineEntry[];
}

/** 404 (a Refusal) for an unknown or malformed id, as the message view answers. */
export async function opsMessageDetail(ctx: GatewayContext, id: string): Promise<OpsMessageDetail> {
  const view = await viewMessage(ctx, { kind: 'ops' }, id);
  const [resends, arrivals, audit, parents] = await Promise.all([
    resendsOf(ctx.db, id),
    receiptArrivals(ctx.db, id),
    listAudit(ctx.db, { messageId: id }, { limit: AUDIT_ON_TIMELINE }),
    redeliveryParents(ctx.db, id),
  ]);
  const events = view.timeline.map((e, index) => ({ ...e, at: new Date(e.at), sequence: index, source: 'gateway' as const }));
  // Audit rows come newest first; after the events, oldest first, so equal instants keep their order.
  const actions = [...audit].reverse().map((a, index) => ({
    at: a.at,
    kind: `ops-${a.action}`,
    deliveryId: typeof a.details.deliveryId === 'string' ? a.details.deliveryId : null,
    detail: { operator: a.operator, ...(a.reason ? { reason: a.reason } : {}), ...a.details },
    sequence: events.length + index,
    source: 'ops' as const,
  }));
  return {
    ...view,
    status: overallStatus(view.status, view.deliveries.map((d) => d.state)),
    storedStatus: view.status,
    deliveries: view.deliveries.map((d) => ({ ...d, redeliveryOf: parents.get(d.id) ?? null })),
    receipts: view.deliveries.flatMap((d) =>
      d.receipt
        ? [{
            deliveryId: d.id,
            receiver: d.receiver,
            kind: d.receipt.kind,
            ...(d.receipt.refuseCode ? { refuseCode: d.receipt.refuseCode } : {}),
            messageId: d.receipt.messageId,
            receivedAt: d.receipt.messageId ? (arrivals.get(d.receipt.messageId)?.toISOString() ?? null) : null,
          }]
        : [],
    ),
    duplicates: {
      resendOf: view.letters.flatMap((l) => (l.duplicateOf ? [{ letterId: l.letterId, messageId: l.duplicateOf }] : [])),
      resentBy: resends.map((r) => ({ messageId: r.messageId, envelopeId: r.envelopeId, letterId: r.letterId, receivedAt: r.receivedAt.toISOString() })),
    },
    timeline: inTimeOrder([...events, ...actions]).map(({ at, kind, deliveryId, detail, source }) => ({
      at: at.toISOString(),
      kind,
      deliveryId,
      detail,
      source,
    })),
  };
}

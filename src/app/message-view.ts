/**
 * `GET /api/v1/messages/{id}`: status per receiver and the whole timeline, for the message's sender,
 * its receivers (copies included) and operations staff. Anyone else is told there is no such message.
 */
import type { Viewer } from '../domain/principal.js';
import { deliveriesOfMessage, getMessage, timelineOf } from '../store/message-store.js';
import type { DeadlineSummary, DeliveryState, MessageSummary } from '../store/records.js';
import { deadlinesOfMessageView, type DeadlineView } from './deadline-view.js';
import type { GatewayContext } from './context.js';
import { Refusal } from './refusal.js';
import { isUuid } from '../domain/uuid.js';

export interface MessageView {
  readonly id: string;
  readonly envelopeId: string;
  readonly sender: string;
  readonly origin: string;
  readonly status: string;
  readonly sha256: string;
  readonly contentType: string;
  readonly encoding: string;
  readonly receivedAt: string;
  /** When the retention policy removed the body (null: it is kept and can be fetched). */
  readonly bodyPrunedAt: string | null;
  readonly ackRequested: boolean;
  readonly letters: MessageSummary['letters'];
  readonly warnings: MessageSummary['warnings'];
  readonly deliveries: readonly {
    readonly id: string;
    readonly receiver: string;
    readonly role: string;
    readonly mode: string;
    readonly state: DeliveryState;
    readonly offers: number;
    readonly reoffers: number;
    readonly pushAttempts: number;
    readonly deliveredAt: string | null;
    readonly receiptDueAt: string | null;
    readonly receipt: { readonly kind: string; readonly refuseCode?: string; readonly messageId: string | null } | null;
  }[];
  /** One page of the timeline; an event that happened again identically is one entry with its `count`. */
  readonly timeline: readonly {
    readonly at: string;
    readonly kind: string;
    readonly deliveryId: string | null;
    readonly detail: Record<string, unknown>;
    readonly count: number;
    readonly lastAt: string | null;
  }[];
  /** The `timelineAfter` that reads the next page; null on the last page. */
  readonly timelineNext: string | null;
  /** The deadlines the letters started, in their current state, and those they fulfilled (as at acceptance). */
  readonly deadlines: readonly DeadlineView[];
  readonly fulfilledDeadlines: readonly DeadlineSummary[];
}

/** The timeline is read in pages: a message fetched or answered again and again cannot make the answer huge. */
export const TIMELINE_PAGE = { default: 100, max: 500 } as const;

export interface TimelinePage {
  /** The cursor from the previous page's `timelineNext` (absent: from the start). */
  readonly after?: string;
  readonly limit?: number;
}

export async function viewMessage(ctx: GatewayContext, principal: Viewer, id: string, page: TimelinePage = {}): Promise<MessageView> {
  const notFound = new Refusal(404, 'not-found', 'Not found', `there is no message ${id} visible to you`);
  if (!isUuid(id)) throw notFound;
  const message = await getMessage(ctx.db, id);
  if (!message) throw notFound;
  const deliveries = await deliveriesOfMessage(ctx.db, id);
  const visible =
    principal.kind === 'ops' || principal.ean === message.senderEan || deliveries.some((d) => d.receiverEan === principal.ean);
  if (!visible) throw notFound;
  const afterId = page.after === undefined ? 0 : Number(page.after);
  if (!Number.isSafeInteger(afterId) || afterId < 0) throw new Refusal(400, 'invalid-request', 'Bad request', 'timelineAfter is not a cursor this gateway gave out');
  const timeline = await timelineOf(ctx.db, id, { afterId, limit: Math.min(page.limit ?? TIMELINE_PAGE.default, TIMELINE_PAGE.max) });
  return {
    id: message.id,
    envelopeId: message.envelopeId,
    sender: message.senderEan,
    origin: message.origin,
    status: message.status,
    sha256: message.sha256,
    contentType: message.contentType,
    encoding: message.encoding,
    receivedAt: message.receivedAt.toISOString(),
    bodyPrunedAt: message.bodyPrunedAt?.toISOString() ?? null,
    ackRequested: message.ackRequested,
    letters: message.summary.letters,
    warnings: message.summary.warnings,
    deliveries: deliveries.map((d) => ({
      id: d.id,
      receiver: d.receiverEan,
      role: d.role,
      mode: d.mode,
      state: d.state,
      offers: d.offers,
      reoffers: d.reoffers,
      pushAttempts: d.pushAttempts,
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
      receiptDueAt: d.receiptDueAt?.toISOString() ?? null,
      receipt: d.receiptContent
        ? { kind: d.receiptContent.kind, ...(d.receiptContent.refuseCode ? { refuseCode: d.receiptContent.refuseCode } : {}), messageId: d.receiptMessageId }
        : null,
    })),
    timeline: timeline.events.map((e) => ({
      at: e.at.toISOString(),
      kind: e.kind,
      deliveryId: e.deliveryId,
      detail: e.detail,
      count: e.repeatCount,
      lastAt: e.lastAt?.toISOString() ?? null,
    })),
    timelineNext: timeline.more ? String(timeline.events.at(-1)?.id) : null,
    deadlines: await deadlinesOfMessageView(ctx, id),
    fulfilledDeadlines: (message.summary.deadlines ?? []).filter((d) => d.effect === 'fulfilled'),
  };
}

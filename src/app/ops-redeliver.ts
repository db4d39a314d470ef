/**
 * `POST /api/v1/ops/messages/{id}/redeliver`: an operator sends a message again to one of its
 * receivers (the receiver says it never got it, or lost it). A new delivery is made from the latest
 * delivery to that receiver, recording it as its parent, and goes through the usual lifecycle (offered
 * in the inbox or pushed, receipt watched). Written to the audit log with who and why.
 */
import { randomUUID } from 'node:crypto';
import { sourceStates } from '../domain/delivery-transitions.js';
import { isUuid } from '../domain/uuid.js';
import { getDelivery } from '../store/delivery-store.js';
import { deliveriesOfMessage, getMessage, getMessageBody } from '../store/message-store.js';
import { patientRefsOf } from '../store/ops-queries.js';
import { inTransaction, type GatewayContext } from './context.js';
import { redeliverFrom } from './delivery-lifecycle.js';
import { recordAudit } from './ops-audit.js';
import { EAN, requireReason, type Operator } from './ops-input.js';
import { bodyPruned, Refusal } from './refusal.js';

export interface RedeliverRequest {
  /** The receiver (EAN) to deliver to; may be left out when the message has exactly one. */
  readonly receiver?: string | undefined;
  readonly reason?: unknown;
}

export interface RedeliverResult {
  readonly messageId: string;
  readonly deliveryId: string;
  readonly redeliveryOf: string;
  readonly receiver: string;
  readonly mode: 'pull' | 'push';
  readonly state: 'waiting';
}

export async function redeliverMessage(ctx: GatewayContext, operator: Operator, messageId: string, request: RedeliverRequest): Promise<RedeliverResult> {
  const notFound = new Refusal(404, 'not-found', 'Not found', `there is no message ${messageId}`);
  if (!isUuid(messageId)) throw notFound;
  const reason = requireReason(request.reason);
  if (request.receiver !== undefined && !EAN.test(request.receiver)) {
    throw new Refusal(400, 'invalid-request', 'Invalid receiver', 'receiver must be a 13-digit location number (EAN)', [{ path: '/body/receiver', message: 'must be a 13-digit EAN' }]);
  }
  const message = await getMessage(ctx.db, messageId);
  if (!message) throw notFound;
  const deliveries = await deliveriesOfMessage(ctx.db, messageId);
  const receivers = [...new Set(deliveries.map((d) => d.receiverEan))];
  const receiver = request.receiver ?? (receivers.length === 1 ? receivers[0] : undefined);
  if (receiver === undefined) {
    throw new Refusal(400, 'receiver-required', 'Choose a receiver', `the message went to ${receivers.length} receivers (${receivers.join(', ')}): say which one to deliver it to again`, [
      { path: '/body/receiver', message: `one of ${receivers.join(', ')}` },
    ]);
  }
  // The latest delivery to that receiver is the one a redelivery follows (deliveries come in seq order).
  const parent = deliveries.filter((d) => d.receiverEan === receiver).at(-1);
  if (!parent) {
    throw new Refusal(422, 'not-a-receiver', 'Not a receiver of this message', `${receiver} is not a receiver of message ${messageId}`, [{ path: '/body/receiver', message: `one of ${receivers.join(', ')}` }]);
  }
  const endpoint = ctx.register.find(receiver);
  if (!endpoint || !endpoint.enabled) {
    throw new Refusal(409, 'receiver-unavailable', 'The receiver takes no deliveries', `${receiver} is not an enabled endpoint of the register, so nothing can be delivered to it`);
  }
  return inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const locked = await getDelivery(tx, parent.id, true);
    if (!locked || !sourceStates('redeliver').includes(locked.state)) {
      const state = locked?.state ?? 'gone';
      const hint = state === 'dead' ? '; retry the dead letter instead' : state === 'waiting' || state === 'leased' ? '; it is still on its way' : '';
      throw new Refusal(409, 'not-redeliverable', 'Cannot redeliver now', `the latest delivery to ${receiver} is ${state}${hint}`);
    }
    if (!(await getMessageBody(tx, messageId))) throw bodyPruned(messageId, message.bodyPrunedAt);
    const made = await redeliverFrom(tx, effects, locked, { id: randomUUID(), mode: endpoint.delivery.mode, detail: { operator: operator.name, reason } }, now);
    if (!made) throw new Error(`delivery ${locked.id} in state ${locked.state} was not redelivered`);
    const patientRefs = await patientRefsOf(tx, messageId);
    await recordAudit(
      tx,
      operator,
      { action: 'redeliver', messageId, patientRef: patientRefs[0] ?? null, reason, details: { deliveryId: made.id, redeliveryOf: locked.id, receiver } },
      now,
    );
    return { messageId, deliveryId: made.id, redeliveryOf: locked.id, receiver, mode: made.mode, state: 'waiting' as const };
  });
}

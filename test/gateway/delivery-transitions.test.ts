/**
 * The delivery lifecycle as a table: every (state, transition) pair, against the expected matrix below
 * (written out here, independently of src/domain/delivery-transitions.ts). Each pair is tried on the
 * table and on a real store: the lifecycle asks the table for the change and runs the transition's one
 * store function; an allowed pair must end in the expected state, any other must leave the delivery
 * exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeFor, retryDeadLettered } from '../../src/app/delivery-lifecycle.js';
import { DELIVERY_STATES, nextState, sourceStates, type DeliveryState, type DeliveryTransition } from '../../src/domain/delivery-transitions.js';
import type { Database } from '../../src/store/database.js';
import {
  fetchDelivery,
  getDelivery,
  insertRedelivery,
  leaseInbox,
  markUnacknowledged,
  recordPushed,
  recordPushFailure,
  recordReceipts,
  redeliveryParents,
  reoffer,
  type StateChange,
} from '../../src/store/delivery-store.js';
import { insertMessage } from '../../src/store/message-store.js';
import { dropTestDatabase, openTestDatabase } from '../support/store.js';

const TRANSITIONS: readonly DeliveryTransition[] = ['lease', 'fetch', 'push', 'push-fail', 'dead-letter', 'acknowledge', 'reject', 'reoffer', 'give-up', 'retry-dead-letter', 'redeliver'];

/** Rows: from-state; columns: TRANSITIONS in order; '-' where the transition must be refused. */
/** `redeliver` makes a new delivery and leaves the one it is made from as it was: hence from → from. */
const EXPECTED: Record<DeliveryState, readonly (DeliveryState | '-')[]> = {
  //               lease     fetch        push         push-fail  dead-letter ack             reject      reoffer    give-up           retry-dead-letter redeliver
  waiting: /*   */ ['leased', 'delivered', 'delivered', 'waiting', 'dead', /**/ 'acknowledged', 'rejected', 'waiting', 'waiting', /*     */ '-', /*  */ '-'],
  leased: /*    */ ['leased', 'delivered', '-', /*   */ '-', /*  */ '-', /*  */ 'acknowledged', 'rejected', 'waiting', 'leased', /*      */ '-', /*  */ '-'],
  delivered: /* */ ['-', /**/ '-', /*   */ '-', /*   */ '-', /*  */ '-', /*  */ 'acknowledged', 'rejected', 'waiting', 'unacknowledged', '-', /*  */ 'delivered'],
  acknowledged: /**/ ['-', '-', '-', '-', '-', '-', '-', '-', '-', '-', 'acknowledged'],
  rejected: /*  */ ['-', '-', '-', '-', '-', '-', '-', '-', '-', '-', 'rejected'],
  unacknowledged: ['-', '-', '-', '-', '-', 'acknowledged', 'rejected', '-', '-', '-', 'unacknowledged'],
  dead: /*      */ ['-', '-', '-', '-', '-', 'acknowledged', 'rejected', '-', '-', 'waiting', '-'],
};

const PAIRS = DELIVERY_STATES.flatMap((from) => TRANSITIONS.map((transition, column) => ({ from, transition, expected: EXPECTED[from][column] as DeliveryState | '-' })));

describe('the transition table', () => {
  it('names every state once', () => {
    expect([...DELIVERY_STATES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(PAIRS)('$transition from $from → $expected', ({ from, transition, expected }) => {
    expect(nextState(from, transition) ?? '-').toBe(expected);
    expect(changeFor(from, transition)).toEqual(expected === '-' ? undefined : { from, to: expected });
    expect(sourceStates(transition).includes(from)).toBe(expected !== '-');
  });
});

describe('each transition on the store honours the table', () => {
  let db: Database;
  const now = new Date('2026-11-23T09:00:00Z');
  const later = new Date(now.getTime() + 60_000);

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await dropTestDatabase(db);
  });

  /** A delivery to a receiver of its own (so a lease sees only it), put in `state`; a lease on it has run out. */
  async function deliveryIn(state: DeliveryState): Promise<{ id: string; receiverEan: string; messageId: string }> {
    const messageId = randomUUID();
    const id = randomUUID();
    const receiverEan = `R${randomUUID()}`;
    await insertMessage(
      db,
      {
        id: messageId,
        senderEan: '5790000000012',
        envelopeId: `E${messageId}`,
        sha256: 'x',
        contentType: 'application/xml',
        body: Buffer.from('<Emessage/>'),
        encoding: 'utf-8',
        generation: '2005/08/07',
        ackRequested: true,
        origin: 'endpoint',
        status: 'accepted',
        summary: { generation: '2005/08/07', acknowledgementCode: 'pluspositivkvitt', sent: { date: '2026-11-23', time: '10:00' }, letters: [], warnings: [] },
      },
      [],
      [{ id, letterIndexes: [0], receiverEan, role: 'receiver', mode: 'pull', patientRefs: [] }],
      now,
    );
    await db.query('UPDATE deliveries SET state = $2, lease_until = $3 WHERE id = $1', [id, state, state === 'leased' ? now : null]);
    return { id, receiverEan, messageId };
  }

  /** Runs the transition as the lifecycle does; true when the store reports a change. */
  async function run(transition: DeliveryTransition, delivery: { id: string; receiverEan: string; messageId: string }, from: DeliveryState): Promise<boolean> {
    const change = changeFor(from, transition);
    const outboxId = 0;
    switch (transition) {
      case 'lease':
        return (await db.transaction((tx) => leaseInbox(tx, delivery.receiverEan, 10, later, new Date(later.getTime() + 60_000)))).length > 0;
      case 'fetch': {
        const before = await getDelivery(db, delivery.id);
        await fetchDelivery(db, delivery.id, delivery.receiverEan, sourceStates('fetch'), later, later);
        return (await getDelivery(db, delivery.id))?.state !== before?.state;
      }
      case 'push':
        return (await recordPushed(db, delivery.id, sourceStates('push'), later, later, { httpStatus: 200, outboxId })).delivered;
      case 'retry-dead-letter':
        // Operations pick by id; what is not dead is skipped by the statement itself.
        return (await db.transaction((tx) => retryDeadLettered(tx, { ids: [delivery.id] }, 10, later, {}))).length > 0;
      case 'redeliver': {
        // The statement itself checks the parent's state; a made delivery waits and names its parent.
        const made = await db.transaction((tx) => insertRedelivery(tx, delivery.id, sourceStates('redeliver'), { id: randomUUID(), mode: 'pull', detail: {} }, later));
        if (made) {
          expect((await getDelivery(db, made.id))?.state).toBe('waiting');
          expect((await redeliveryParents(db, delivery.messageId)).get(made.id)).toBe(delivery.id);
        }
        return made !== undefined;
      }
    }
    // The others change only what the table allows: without a change the lifecycle does not call the store.
    if (!change) return false;
    return db.transaction(async (tx) => {
      switch (transition) {
        case 'push-fail':
        case 'dead-letter':
          return (await recordPushFailure(tx, delivery.id, change, later, { reason: 'test', final: transition === 'dead-letter', outboxId })) !== undefined;
        case 'acknowledge':
        case 'reject':
          // Any stored message will do as the receipt (the column references one).
          return (await recordReceipts(tx, [{ deliveryId: delivery.id, change, content: { kind: transition === 'acknowledge' ? 'positive' : 'negative' }, receiptMessageId: delivery.messageId }], later)).has(delivery.id);
        case 'reoffer':
          return (await reoffer(tx, delivery.id, change, later, { receiptDueAt: later, push: false, reoffer: 1, of: 2 })).length > 0;
        case 'give-up':
          return markUnacknowledged(tx, delivery.id, change, later, {});
        default:
          return false;
      }
    });
  }

  it.each(PAIRS)('$transition from $from → $expected', async ({ from, transition, expected }) => {
    const delivery = await deliveryIn(from);
    const changed = await run(transition, delivery, from);
    const after = await getDelivery(db, delivery.id);
    expect(after?.state).toBe(expected === '-' ? from : expected);
    expect(changed).toBe(expected !== '-');
  });

  it('a change decided from a state the delivery has left changes nothing (a racing or repeated job)', async () => {
    const delivery = await deliveryIn('delivered');
    const stale: StateChange = { from: 'waiting', to: 'dead' };
    await db.transaction(async (tx) => {
      expect(await recordPushFailure(tx, delivery.id, stale, later, { reason: 'late', final: true, outboxId: 0 })).toBeUndefined();
      expect((await recordReceipts(tx, [{ deliveryId: delivery.id, change: { from: 'waiting', to: 'acknowledged' }, content: { kind: 'positive' }, receiptMessageId: delivery.messageId }], later)).has(delivery.id)).toBe(false);
      expect(await reoffer(tx, delivery.id, { from: 'leased', to: 'waiting' }, later, { receiptDueAt: later, push: true, reoffer: 1, of: 2 })).toEqual([]);
      expect(await markUnacknowledged(tx, delivery.id, { from: 'waiting', to: 'waiting' }, later, {})).toBe(false);
    });
    expect((await getDelivery(db, delivery.id))?.state).toBe('delivered');
  });
});

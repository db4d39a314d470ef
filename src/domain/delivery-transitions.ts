/**
 * The life of a delivery, written once as data: which transition may take a delivery from which state
 * to which. The lifecycle (app/delivery-lifecycle.ts) consults it before every change and hands the
 * allowed source states to the store, whose statements change only a delivery in one of them — so a
 * late, repeated or racing job finds nothing to change instead of undoing a newer state.
 */

export type DeliveryState = 'waiting' | 'leased' | 'delivered' | 'acknowledged' | 'rejected' | 'unacknowledged' | 'dead';

export const DELIVERY_STATES: readonly DeliveryState[] = ['waiting', 'leased', 'delivered', 'acknowledged', 'rejected', 'unacknowledged', 'dead'];

export type DeliveryTransition =
  /** A receiver polls its pull inbox (a lease that ran out is leased again). */
  | 'lease'
  /** The receiver fetches the original bytes. */
  | 'fetch'
  /** The receiver's push endpoint took the message. */
  | 'push'
  /** A push attempt failed; another follows. */
  | 'push-fail'
  /** The last push attempt failed. */
  | 'dead-letter'
  /** A positive receipt (XCTL03 or JSON). */
  | 'acknowledge'
  /** A negative receipt (XCTL02 or JSON). */
  | 'reject'
  /** The receipt watchdog offers or pushes the message again. */
  | 'reoffer'
  /** The watchdog's re-offers are used up without a receipt. */
  | 'give-up'
  /** Operations put a dead-lettered delivery back (a new push job, or offered again). */
  | 'retry-dead-letter'
  /**
   * Operations redeliver a message to a receiver: a new delivery (waiting) is made from this one, which
   * keeps its state and its receipt. A delivery still on its way (waiting, leased) needs no second one,
   * and a dead-lettered one is retried instead.
   */
  | 'redeliver';

export interface TransitionRule {
  readonly transition: DeliveryTransition;
  readonly from: DeliveryState;
  readonly to: DeliveryState;
}

/**
 * Every allowed step. A receipt is the receiver's word and is recorded whatever the gateway last knew
 * of the delivery (an answer may come before the fetch, after the watchdog gave up, or for a push the
 * gateway dead-lettered); only an answer already on record stops it (a different one is a conflict,
 * the same one a harmless repeat). A re-offered pull delivery the receiver does not fetch again stays
 * under watch while waiting or leased; when the watchdog gives up on it, it stays offered.
 */
export const DELIVERY_TRANSITIONS: readonly TransitionRule[] = [
  { transition: 'lease', from: 'waiting', to: 'leased' },
  { transition: 'lease', from: 'leased', to: 'leased' },
  { transition: 'fetch', from: 'waiting', to: 'delivered' },
  { transition: 'fetch', from: 'leased', to: 'delivered' },
  { transition: 'push', from: 'waiting', to: 'delivered' },
  { transition: 'push-fail', from: 'waiting', to: 'waiting' },
  { transition: 'dead-letter', from: 'waiting', to: 'dead' },
  ...(['waiting', 'leased', 'delivered', 'unacknowledged', 'dead'] as const).flatMap((from) => [
    { transition: 'acknowledge' as const, from, to: 'acknowledged' as const },
    { transition: 'reject' as const, from, to: 'rejected' as const },
  ]),
  { transition: 'reoffer', from: 'delivered', to: 'waiting' },
  { transition: 'reoffer', from: 'waiting', to: 'waiting' },
  { transition: 'reoffer', from: 'leased', to: 'waiting' },
  { transition: 'give-up', from: 'delivered', to: 'unacknowledged' },
  { transition: 'give-up', from: 'waiting', to: 'waiting' },
  { transition: 'give-up', from: 'leased', to: 'leased' },
  { transition: 'retry-dead-letter', from: 'dead', to: 'waiting' },
  ...(['delivered', 'acknowledged', 'rejected', 'unacknowledged'] as const).map((from) => ({ transition: 'redeliver' as const, from, to: from })),
];

/** The state `transition` takes a delivery in state `from` to, or undefined when it may not happen. */
export function nextState(from: DeliveryState, transition: DeliveryTransition): DeliveryState | undefined {
  return DELIVERY_TRANSITIONS.find((rule) => rule.from === from && rule.transition === transition)?.to;
}

/** The states `transition` may start from: what the store's statement for it requires of the row. */
export function sourceStates(transition: DeliveryTransition): DeliveryState[] {
  return DELIVERY_TRANSITIONS.filter((rule) => rule.transition === transition).map((rule) => rule.from);
}

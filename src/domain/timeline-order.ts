/**
 * The order of a message's timeline. Events are stamped with the time of the transaction that wrote
 * them, so several share one instant: the receiver's answer and the receipt the gateway sends for it,
 * a dead letter and the XCTL01 it causes. Their insertion order is not their causal order (the receipt
 * is written before the answer is recorded), so within one instant they are ordered by what causes
 * what, and only then by insertion.
 */

/** Lower happens first within one instant. Unknown kinds (ops actions, later additions) come last. */
const CAUSAL_RANK: Readonly<Record<string, number>> = {
  accepted: 0,
  duplicate: 0,
  'receiver-disabled': 1,
  'lease-expired': 2,
  leased: 3,
  fetched: 4,
  pushed: 4,
  'push-failed': 4,
  'dead-lettered': 5,
  receipted: 6,
  'receipt-repeated': 6,
  reoffered: 6,
  unacknowledged: 6,
  'receipt-sent': 7,
  'deadline-fulfilled': 8,
  'deadline-breached': 8,
  'deadline-started': 8,
};

const LAST = 100;

export interface TimelineEntry {
  readonly at: Date;
  readonly kind: string;
  /** Insertion order within its source (the event id); the last tiebreak, so the order is stable. */
  readonly sequence: number;
}

/** A new array in time order, causes before their effects within one instant. */
export function inTimeOrder<T extends TimelineEntry>(entries: readonly T[]): T[] {
  return [...entries].sort(
    (a, b) =>
      a.at.getTime() - b.at.getTime() || (CAUSAL_RANK[a.kind] ?? LAST) - (CAUSAL_RANK[b.kind] ?? LAST) || a.sequence - b.sequence,
  );
}

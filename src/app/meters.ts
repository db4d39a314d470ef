/**
 * The counters the use cases bump where things happen (a message accepted or refused, a delivery's
 * outcome, a receipt's latency). The use cases only see this interface; the runtime backs it with
 * Prometheus (src/runtime/gateway-metrics.ts). Every label is bounded: message types come from the
 * catalogue ('unknown' otherwise), reasons are the problem slugs the code defines, modes and outcomes
 * are the fixed sets below. No identifier or patient data ever becomes a label.
 */
import { MESSAGE_TYPES } from '../domain/catalogue.js';

export type DeliveryOutcome = 'delivered' | 'push-failed' | 'dead-lettered' | 'acknowledged' | 'rejected' | 'reoffered' | 'unacknowledged';

export interface GatewayMeters {
  /** Letters accepted (duplicates counted apart), by message type. */
  accepted(type: string, duplicate: boolean): void;
  /** A message refused at the door, by its type (when it could be read) and the problem slug. */
  rejected(type: string, reason: string): void;
  delivery(mode: 'pull' | 'push', outcome: DeliveryOutcome): void;
  /** Seconds from a delivery's delivery (fetch or push) to the receiver's receipt. */
  receiptLatency(seconds: number): void;
  /** A deadline breached, by its rule's id (the rules come from the configuration: a bounded set). */
  deadlineBreached(ruleId: string): void;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES.map((t) => t.code));

/** A message type as a label: a catalogue code, or 'unknown' (so a forged type cannot grow the label set). */
export function typeLabel(type: string | undefined): string {
  return type !== undefined && KNOWN_TYPES.has(type) ? type : 'unknown';
}

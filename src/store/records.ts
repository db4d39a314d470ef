/**
 * The records the store keeps, as the rest of the gateway sees them. Column names are snake_case in
 * SQL and camelCase here; the mapping lives with the queries.
 */
import type { ReceiptKind, MessageTypeCode } from '../domain/catalogue.js';
import type { DeadlineEvaluation } from '../domain/deadlines/types.js';
import type { DeliveryState } from '../domain/delivery-transitions.js';

export type MessageOrigin = 'endpoint' | 'gateway';
export type MessageStatus = 'accepted' | 'duplicate';

export type { DeliveryState };

export type EventKind =
  | 'accepted'
  | 'duplicate'
  | 'leased'
  | 'lease-expired'
  | 'fetched'
  | 'pushed'
  | 'push-failed'
  | 'dead-lettered'
  | 'dead-letter-retried'
  | 'redelivered'
  | 'receipted'
  | 'receipt-repeated'
  | 'reoffered'
  | 'unacknowledged'
  | 'receiver-disabled'
  | 'receipt-sent'
  | 'deadline-fulfilled'
  | 'deadline-breached'
  | 'deadline-started';

/**
 * A deadline as the 202, the inbox item and the message summary report it: the evaluation, which
 * letter it concerns and whether the letter started it or fulfilled one another message started.
 */
export interface DeadlineSummary extends DeadlineEvaluation {
  readonly id: string;
  readonly letterId: string;
  readonly effect: 'started' | 'fulfilled';
  /**
   * For `fulfilled`: the message and letter that started the deadline. For `started` with it: a deadline
   * of that letter that waited for its episode's discharge (D7) and this letter's discharge started.
   */
  readonly startedBy?: { readonly messageId: string; readonly letterId: string };
}

/** What the summary column holds: the parsed message without patient data. */
export interface MessageSummary {
  readonly generation: string;
  readonly acknowledgementCode: string;
  readonly sent: { readonly date: string; readonly time: string };
  readonly letters: readonly {
    readonly index: number;
    readonly letterId: string;
    readonly type: MessageTypeCode;
    readonly versionCode: string;
    readonly statusCode?: string;
    readonly receiverEan: string;
    readonly copies: readonly string[];
    readonly duplicateOf?: string;
    readonly answers?: { readonly originalEnvelopeId?: string; readonly kind: ReceiptKind };
  }[];
  readonly warnings: readonly { readonly path: string; readonly message: string }[];
  /** The deadlines the letters started or fulfilled, as evaluated at acceptance (absent in rows written before deadlines existed). */
  readonly deadlines?: readonly DeadlineSummary[];
}

export interface MessageRecord {
  readonly id: string;
  readonly senderEan: string;
  readonly envelopeId: string;
  readonly sha256: string;
  readonly contentType: string;
  readonly encoding: string;
  readonly generation: string;
  readonly ackRequested: boolean;
  readonly origin: MessageOrigin;
  readonly status: MessageStatus;
  readonly summary: MessageSummary;
  readonly receivedAt: Date;
  /** When the retention policy removed the body (metadata, receipts and deadlines stay); null while kept. */
  readonly bodyPrunedAt: Date | null;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly seq: number;
  readonly messageId: string;
  readonly letterIndexes: readonly number[];
  readonly receiverEan: string;
  readonly role: 'receiver' | 'cc';
  readonly mode: 'pull' | 'push';
  readonly state: DeliveryState;
  readonly leaseUntil: Date | null;
  readonly offers: number;
  readonly reoffers: number;
  readonly pushAttempts: number;
  readonly deliveredAt: Date | null;
  readonly receiptDueAt: Date | null;
  readonly receiptKind: ReceiptKind | null;
  readonly receiptMessageId: string | null;
  readonly receiptContent: ReceiptContent | null;
}

/** What a receiver answered, kept so a resend can be answered with the same content (MedCom §3.3). */
export interface ReceiptContent {
  readonly kind: ReceiptKind;
  readonly refuseCode?: string;
  readonly refuseText?: string;
}

export interface EventRecord {
  readonly id: number;
  readonly messageId: string;
  readonly deliveryId: string | null;
  readonly kind: EventKind;
  readonly at: Date;
  readonly detail: Record<string, unknown>;
  /** How many times this identical event happened (1: once); repeats are counted, not stored again. */
  readonly repeatCount: number;
  /** When the last repeat happened; null while it happened once. */
  readonly lastAt: Date | null;
}

export interface DeliveryRow {
  id: string;
  seq: number;
  message_id: string;
  letter_indexes: number[];
  receiver_ean: string;
  role: 'receiver' | 'cc';
  mode: 'pull' | 'push';
  state: DeliveryState;
  lease_until: Date | null;
  offers: number;
  reoffers: number;
  push_attempts: number;
  delivered_at: Date | null;
  receipt_due_at: Date | null;
  receipt_kind: ReceiptKind | null;
  receipt_message_id: string | null;
  receipt_content: ReceiptContent | null;
}

export function deliveryFromRow(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    messageId: row.message_id,
    letterIndexes: row.letter_indexes,
    receiverEan: row.receiver_ean,
    role: row.role,
    mode: row.mode,
    state: row.state,
    leaseUntil: row.lease_until ? new Date(row.lease_until) : null,
    offers: row.offers,
    reoffers: row.reoffers,
    pushAttempts: row.push_attempts,
    deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
    receiptDueAt: row.receipt_due_at ? new Date(row.receipt_due_at) : null,
    receiptKind: row.receipt_kind,
    receiptMessageId: row.receipt_message_id,
    receiptContent: row.receipt_content,
  };
}

export interface MessageRow {
  id: string;
  sender_ean: string;
  envelope_id: string;
  sha256: string;
  content_type: string;
  encoding: string;
  generation: string;
  ack_requested: boolean;
  origin: MessageOrigin;
  status: MessageStatus;
  summary: MessageSummary;
  received_at: Date;
  body_pruned_at: Date | null;
}

export function messageFromRow(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    senderEan: row.sender_ean,
    envelopeId: row.envelope_id,
    sha256: row.sha256,
    contentType: row.content_type,
    encoding: row.encoding,
    generation: row.generation,
    ackRequested: row.ack_requested,
    origin: row.origin,
    status: row.status,
    summary: row.summary,
    receivedAt: new Date(row.received_at),
    bodyPrunedAt: row.body_pruned_at ? new Date(row.body_pruned_at) : null,
  };
}

export const MESSAGE_COLUMNS =
  'id, sender_ean, envelope_id, sha256, content_type, encoding, generation, ack_requested, origin, status, summary, received_at, body_pruned_at';
export const DELIVERY_COLUMNS =
  'id, seq, message_id, letter_indexes, receiver_ean, role, mode, state, lease_until, offers, reoffers, push_attempts, delivered_at, receipt_due_at, receipt_kind, receipt_message_id, receipt_content';

/**
 * Receipts the gateway writes itself and puts in the original sender's inbox as ordinary messages:
 * XCTL03/XCTL02 when a receiver answers with JSON, XCTL01 when a receiver is disabled or a push is
 * dead-lettered, and the same content again when a sender resends a message that was already answered.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { oioxmlReceiptOf, type ReceiptKind } from '../domain/catalogue.js';
import { copenhagenLocal } from '../domain/danish-time.js';
import { buildReceipt } from '../codec/receipt-writer.js';
import type { RefuseCode } from '../domain/message.js';
import type { Queryable } from '../store/database.js';
import { insertMessages, insertedOutbox, type MessageInsert } from '../store/message-store.js';
import type { AfterCommit, GatewayContext } from './context.js';

export interface ReceiptToIssue {
  readonly kind: ReceiptKind;
  /** Who the receipt is from: the original receiver, or the gateway (XCTL01). */
  readonly issuerEan: string;
  readonly original: {
    readonly messageId: string;
    readonly envelopeId: string;
    readonly senderEan: string;
    readonly receiverEan: string;
    readonly letters: readonly { readonly letterId: string; readonly versionCode: string }[];
  };
  readonly refuse?: { readonly code: RefuseCode; readonly text?: string };
  /** The event recorded on the original message's timeline. */
  readonly reason: string;
}

/**
 * 14 characters at most (String_1_14): a prefix, the time in base 36 and 24 random bits. randomInt
 * draws from node's cache of random bytes; randomBytes asked OpenSSL on every call (1 % of the
 * gateway's time in the full flow, which writes one receipt per message).
 */
export function gatewayIdentifier(prefix: string, now: Date): string {
  return `${prefix}${now.getTime().toString(36)}${randomInt(0x1000000).toString(16).padStart(6, '0')}`.slice(0, 14).toUpperCase();
}

/** The receipt message and its delivery to the original sender, ready to insert. */
interface BuiltReceipt {
  readonly id: string;
  readonly insert: MessageInsert;
  /** The original sender, whose inbox to wake when it pulls. */
  readonly wake: string | undefined;
}

function buildReceiptInsert(ctx: GatewayContext, receipt: ReceiptToIssue, now: Date, identifier: (prefix: string) => string): BuiltReceipt {
  const { type, variant } = oioxmlReceiptOf(receipt.kind);
  const envelopeId = identifier('G');
  const letterId = identifier('R');
  const built = buildReceipt({
    kind: receipt.kind,
    issuerEan: receipt.issuerEan,
    envelopeIdentifier: envelopeId,
    letterIdentifier: letterId,
    sent: copenhagenLocal(now),
    original: {
      envelope: { identifier: receipt.original.envelopeId },
      letters: receipt.original.letters.map((l) => ({
        identifier: l.letterId,
        versionCode: l.versionCode,
        sender: { ean: receipt.original.senderEan },
        receiver: { ean: receipt.original.receiverEan },
      })),
      senderEan: receipt.original.senderEan,
      receiverEan: receipt.original.receiverEan,
    },
    ...(receipt.refuse && receipt.kind !== 'positive' ? { refuse: receipt.refuse } : {}),
  });
  const id = randomUUID();
  const recipient = ctx.register.find(receipt.original.senderEan);
  const mode = recipient?.delivery.mode ?? 'pull';
  const deliveryId = randomUUID();
  const insert: MessageInsert = {
    message: {
      id,
      senderEan: receipt.issuerEan,
      envelopeId,
      sha256: createHash('sha256').update(built.bytes).digest('hex'),
      contentType: 'application/xml; charset=utf-8',
      body: built.bytes,
      encoding: 'utf-8',
      generation: '2005/08/07',
      ackRequested: false,
      origin: 'gateway',
      status: 'accepted',
      summary: {
        generation: variant.generation,
        acknowledgementCode: 'minuspositivkvitt',
        sent: copenhagenLocal(now),
        letters: [
          {
            index: 0,
            letterId,
            type: type.code,
            versionCode: variant.versionCode,
            receiverEan: receipt.original.senderEan,
            copies: [],
            answers: { originalEnvelopeId: receipt.original.envelopeId, kind: receipt.kind },
          },
        ],
        warnings: [],
      },
    },
    letters: [{ letterIndex: 0, letterId, type: type.code, versionCode: variant.versionCode, patientRef: null, duplicateOf: null }],
    deliveries: [{ id: deliveryId, letterIndexes: [0], receiverEan: receipt.original.senderEan, role: 'receiver', mode, patientRefs: [] }],
    events: [
      { messageId: id, kind: 'accepted', detail: { origin: 'gateway', answers: receipt.original.messageId } },
      { messageId: receipt.original.messageId, kind: 'receipt-sent', detail: { receipt: type.code, receiptMessageId: id, reason: receipt.reason } },
    ],
    onlyIfLettersAreNew: false,
  };
  return { id, insert, wake: mode === 'pull' ? receipt.original.senderEan : undefined };
}

/**
 * Writes receipt messages and their deliveries to the original senders, all in one statement; returns
 * the receipts' message ids, in order.
 */
export async function issueReceipts(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, receipts: readonly ReceiptToIssue[]): Promise<string[]> {
  if (receipts.length === 0) return [];
  const now = ctx.clock();
  // Receipts written together share their time, so only the random part tells their identifiers apart:
  // drawn again on a clash (the batch's statement would fail as a whole on a reused envelope identifier).
  const used = new Set<string>();
  const identifier = (prefix: string): string => {
    let id = gatewayIdentifier(prefix, now);
    while (used.has(id)) id = gatewayIdentifier(prefix, now);
    used.add(id);
    return id;
  };
  const built = receipts.map((receipt) => buildReceiptInsert(ctx, receipt, now, identifier));
  const outcomes = await insertMessages(
    tx,
    built.map((b) => b.insert),
    now,
  );
  for (const outcome of outcomes) effects.outbox.push(...insertedOutbox(outcome));
  for (const { wake } of built) if (wake) effects.inboxes.add(wake);
  return built.map((b) => b.id);
}

/** Writes the receipt message and its delivery to the original sender; returns the receipt's message id. */
export async function issueReceipt(tx: Queryable, ctx: GatewayContext, effects: AfterCommit, receipt: ReceiptToIssue): Promise<string> {
  return (await issueReceipts(tx, ctx, effects, [receipt]))[0] as string;
}

/**
 * What a receipt says and what it answers: the receipt's content, the message it answers, and whether
 * it repeats or contradicts an answer on record. Recording it is the delivery lifecycle's part.
 */
import type { Letter } from '../domain/message.js';
import type { Queryable } from '../store/database.js';
import { deliveriesFor } from '../store/delivery-store.js';
import { findByEnvelope, findFirstLetters } from '../store/message-store.js';
import type { MessageRecord, ReceiptContent } from '../store/records.js';
import { Refusal } from './refusal.js';

/**
 * MedCom: a receiver never answers positive and then negative (or the reverse). Compares an answer with
 * the one on record: 'new' when none is, 'repeated' for the same answer; throws 409 for another one.
 */
export function compareWithRecordedAnswer(before: ReceiptContent | null, answer: ReceiptContent, envelopeId: string): 'new' | 'repeated' {
  if (before === null) return 'new';
  if (before.kind === answer.kind && (before.refuseCode ?? null) === (answer.refuseCode ?? null)) return 'repeated';
  throw new Refusal(
    409,
    'receipt-conflict',
    'Already answered differently',
    `message ${envelopeId} was already answered with a ${before.kind} receipt; MedCom does not allow a different answer to the same message`,
  );
}

/**
 * The message a receipt letter answers: by the original envelope identifier (XCTL01/02/03) or, for
 * the FHIR Acknowledgement that quotes only the letter, by the original letter identifier.
 */
export async function findAnsweredMessage(db: Queryable, letter: Letter): Promise<MessageRecord | undefined> {
  const receipt = letter.body.receipt;
  if (!receipt) return undefined;
  const originalSender = receipt.originalSender ?? letter.receiver.ean;
  if (receipt.originalEnvelopeIdentifier) return findByEnvelope(db, originalSender, receipt.originalEnvelopeIdentifier);
  const letterId = receipt.originalLetters[0]?.letterIdentifier;
  if (!letterId) return undefined;
  const first = (await findFirstLetters(db, originalSender, [letterId])).get(letterId);
  if (!first) return undefined;
  const { rows } = await db.query<{ envelope_id: string }>('SELECT envelope_id FROM messages WHERE id = $1', [first.messageId]);
  return rows[0] ? findByEnvelope(db, originalSender, rows[0].envelope_id) : undefined;
}

/**
 * One answer for "no such message" and "a message that was not sent to you": were they told apart, a
 * stranger quoting envelope identifiers could learn which messages exist. Nothing of the original is
 * echoed, not even the identifier quoted.
 */
export function unknownOriginal(letter: Letter): Refusal {
  return new Refusal(422, 'unknown-original', 'Receipt for an unknown message', `the ${letter.type} answers a message the gateway has not carried to you from the receipt's Receiver`, [
    { path: `${letter.path}/OriginalEmessage/OriginalEnvelopeIdentifier`, message: 'no message with this envelope identifier was sent to you by the receipt receiver' },
  ]);
}

/**
 * The message a receipt letter answers, when `answererEan` received it; a receipt goes back to the
 * original's sender and nobody else (MedCom: the receipt swaps the parties), else 422 naming whom.
 */
export async function originalAnsweredBy(db: Queryable, letter: Letter, answererEan: string): Promise<MessageRecord> {
  const original = await findAnsweredMessage(db, letter);
  if (!original || (await deliveriesFor(db, original.id, answererEan)).length === 0) throw unknownOriginal(letter);
  if (letter.receiver.ean !== original.senderEan) {
    throw new Refusal(422, 'receipt-misaddressed', 'The receipt is not addressed to the original sender', `a receipt goes to the sender of the message it answers: address the ${letter.type} to ${original.senderEan}, not ${letter.receiver.ean}`, [
      { path: `${letter.path}/Receiver/EANIdentifier`, message: `must be ${original.senderEan}, the sender of the original message` },
    ]);
  }
  return original;
}

export function receiptContentOf(letter: Letter): ReceiptContent | undefined {
  const receipt = letter.body.receipt;
  if (!receipt) return undefined;
  const refuse = receipt.refuseCode ? receipt : receipt.originalLetters.find((l) => l.refuseCode);
  return {
    kind: receipt.kind,
    ...(refuse?.refuseCode ? { refuseCode: refuse.refuseCode } : {}),
    ...(refuse?.refuseText ? { refuseText: refuse.refuseText } : receipt.refuseText ? { refuseText: receipt.refuseText } : {}),
  };
}

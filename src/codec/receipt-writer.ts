/**
 * Writes the OIOXML receipts XCTL01 (NegativeVansReceipt), XCTL02 (NegativeReceipt) and XCTL03
 * (PositiveReceipt) for a message the gateway received, in the shape MedCom's XSD 2005/08/07
 * requires (medcom.md §3.1; PositiveReceipt.xsd, NegativeReceipt.xsd, NegativeVansReceipt.xsd).
 *
 * A receipt is only useful if the original sender can match it to what it sent, so the original
 * envelope and letter identifiers are quoted exactly. Anything that XML or the XSD cannot carry
 * unchanged (too long, control characters, a carriage return that a parser would turn into a line
 * feed) is refused with an Error instead of being silently trimmed or dropped, which is what
 * xmlbuilder2 would otherwise do with characters XML does not allow.
 */
import { create } from 'xmlbuilder2';
import { isRealDay } from '../domain/calendar.js';
import { oioxmlReceiptOf, type ReceiptKind } from '../domain/catalogue.js';
import { NS_2005 } from '../domain/namespaces.js';
import { REFUSE_CODES, type Envelope, type Letter, type LocalDateTime, type RefuseCode } from '../domain/message.js';
import { hasNonXmlCharacter, replaceNonXmlCharacters } from './xml-characters.js';

export interface Refusal {
  readonly code: RefuseCode;
  /** Free text for a person; line breaks become `<Break/>`, MedCom's line break in BreakableText. */
  readonly text?: string;
}

/** What a receipt needs to know about the message it answers: a ParsedMessage fits as it is. */
export interface OriginalMessage {
  readonly envelope: Pick<Envelope, 'identifier'>;
  readonly letters: readonly Pick<Letter, 'identifier' | 'versionCode' | 'sender' | 'receiver'>[];
  /**
   * The original sender's and receiver's EAN when they cannot be read from the letters (an envelope
   * whose letters could not be parsed). When given they win over the letters' EANs.
   */
  readonly senderEan?: string;
  readonly receiverEan?: string;
}

export interface ReceiptRequest {
  readonly kind: ReceiptKind;
  readonly original: OriginalMessage;
  /** Who issues the receipt: normally the original receiver; for XCTL01 the gateway acting as VANS. */
  readonly issuerEan: string;
  /** The receipt's own envelope identifier (kuvertnummer), 1–14 characters. */
  readonly envelopeIdentifier: string;
  /** The receipt's own letter identifier (brevnummer), 1–14 characters. */
  readonly letterIdentifier: string;
  /** The clock value to stamp, Danish local time; seconds are dropped (the envelope says hh:mm). */
  readonly sent: LocalDateTime;
  /** Envelope-level refusal (negative kinds only). */
  readonly refuse?: Refusal;
  /** Letter-level refusals keyed by the original letter identifier (negative kinds only). */
  readonly letterRefusals?: Readonly<Record<string, Refusal>>;
}

export interface BuiltReceipt {
  readonly xml: string;
  /** The UTF-8 bytes of `xml`, as they go on the wire and into the store. */
  readonly bytes: Buffer;
}

/** Limits from the XSD (GeneralTypes.xsd, ValueLists.xsd and the three receipt XSDs). */
const MAX_IDENTIFIER = 14; // String_1_14: envelope and letter identifiers
const MAX_EAN = 35; // EANIdentifierType = String_1_35
const MAX_ORIGINAL_VERSION_CODE = 7; // OriginalVersionCodeType = String_1_7
const MAX_ORIGINAL_LETTERS = 99; // OriginalLetter maxOccurs

/** Receipts never ask for a receipt, so two gateways can never acknowledge each other forever. */
const RECEIPT_ACKNOWLEDGEMENT_CODE = 'minuspositivkvitt';

/**
 * Builds the receipt and returns it as UTF-8 text with an XML declaration. The output is not
 * indented: pretty-printing would put whitespace into RefuseText's mixed content.
 * Throws an Error naming the offending field when the request cannot become a valid receipt.
 */
export function buildReceipt(req: ReceiptRequest): BuiltReceipt {
  const receiptType = receiptTypeOf(req.kind);
  const parties = originalParties(req.original);
  checkRequest(req, parties);

  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(NS_2005, 'Emessage');
  const envelope = root.ele('Envelope');
  const sent = envelope.ele('Sent');
  sent.ele('Date').txt(req.sent.date);
  sent.ele('Time').txt(req.sent.time.slice(0, 5));
  envelope.ele('Identifier').txt(req.envelopeIdentifier);
  envelope.ele('AcknowledgementCode').txt(RECEIPT_ACKNOWLEDGEMENT_CODE);

  const receipt = root.ele(receiptType.rootElement);
  const letter = receipt.ele('Letter');
  letter.ele('Identifier').txt(req.letterIdentifier);
  letter.ele('VersionCode').txt(receiptType.versionCode);
  letter.ele('StatisticalCode').txt(receiptType.statisticalCode);
  receipt.ele('Sender').ele('EANIdentifier').txt(req.issuerEan);
  receipt.ele('Receiver').ele('EANIdentifier').txt(parties.senderEan);

  const original = receipt.ele('OriginalEmessage');
  original.ele('OriginalEnvelopeIdentifier').txt(req.original.envelope.identifier);
  original.ele('OriginalSender').ele('EANIdentifier').txt(parties.senderEan);
  original.ele('OriginalReceiver').ele('EANIdentifier').txt(parties.receiverEan);
  if (req.refuse) writeRefusal(original, req.refuse);
  for (const originalLetter of req.original.letters) {
    const quoted = original.ele('OriginalLetter');
    quoted.ele('OriginalLetterIdentifier').txt(originalLetter.identifier);
    quoted.ele('OriginalVersionCode').txt(originalLetter.versionCode);
    const refusal = letterRefusalFor(req, originalLetter.identifier);
    if (refusal) writeRefusal(quoted, refusal);
  }

  const xml = root.end();
  return { xml, bytes: Buffer.from(xml, 'utf8') };
}

type XmlElementBuilder = ReturnType<typeof create>;

interface ReceiptTypeInfo {
  readonly rootElement: string;
  readonly versionCode: string;
  readonly statisticalCode: string;
}

/** Root element, VersionCode and StatisticalCode come from the catalogue, not from literals here. */
function receiptTypeOf(kind: ReceiptKind): ReceiptTypeInfo {
  const { type, variant } = oioxmlReceiptOf(kind);
  return { rootElement: type.rootElement, versionCode: variant.versionCode, statisticalCode: type.statisticalCode };
}

interface OriginalParties {
  readonly senderEan: string;
  readonly receiverEan: string;
}

/**
 * The original sender and receiver EANs. An envelope travels from one sender to one receiver, so
 * letters that disagree are refused rather than answered with a receipt that names one of them.
 */
function originalParties(original: OriginalMessage): OriginalParties {
  const senderEan = original.senderEan ?? onlyValue(original.letters.map((l) => l.sender.ean), 'sender');
  const receiverEan = original.receiverEan ?? onlyValue(original.letters.map((l) => l.receiver.ean), 'receiver');
  return { senderEan, receiverEan };
}

function onlyValue(values: readonly string[], role: 'sender' | 'receiver'): string {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) {
    throw new Error(`receipt: the original message has no letters, so original.${role}Ean must be given`);
  }
  if (distinct.length > 1) {
    throw new Error(`receipt: the original letters name different ${role}s (${distinct.join(', ')}); give original.${role}Ean`);
  }
  return distinct[0] as string;
}

function checkRequest(req: ReceiptRequest, parties: OriginalParties): void {
  checkQuotable('envelopeIdentifier', req.envelopeIdentifier, MAX_IDENTIFIER);
  checkQuotable('letterIdentifier', req.letterIdentifier, MAX_IDENTIFIER);
  checkQuotable('issuerEan', req.issuerEan, MAX_EAN);
  checkQuotable('original sender EAN', parties.senderEan, MAX_EAN);
  checkQuotable('original receiver EAN', parties.receiverEan, MAX_EAN);
  checkQuotable('original envelope identifier', req.original.envelope.identifier, MAX_IDENTIFIER);
  checkSent(req.sent);

  const letters = req.original.letters;
  if (letters.length > MAX_ORIGINAL_LETTERS) {
    throw new Error(`receipt: a receipt can quote at most ${MAX_ORIGINAL_LETTERS} letters, the original has ${letters.length}`);
  }
  letters.forEach((letter, index) => {
    checkQuotable(`original letter ${index + 1} identifier`, letter.identifier, MAX_IDENTIFIER);
    checkQuotable(`original letter ${index + 1} VersionCode`, letter.versionCode, MAX_ORIGINAL_VERSION_CODE);
  });
  checkRefusals(req);
}

function checkRefusals(req: ReceiptRequest): void {
  const letterRefusals = Object.entries(req.letterRefusals ?? {});
  if (req.kind === 'positive' && (req.refuse || letterRefusals.length > 0)) {
    throw new Error('receipt: a positive receipt (XCTL03) carries no refuse code; use kind "negative" or "negative-vans"');
  }
  if (req.refuse) checkRefuseCode('refuse.code', req.refuse.code);
  const quotedIds = new Set(req.original.letters.map((l) => l.identifier));
  for (const [letterId, refusal] of letterRefusals) {
    // A refusal for a letter the receipt does not quote would be lost without a trace.
    if (!quotedIds.has(letterId)) {
      throw new Error(`receipt: letterRefusals names letter "${letterId}", which is not among the original letters`);
    }
    checkRefuseCode(`letterRefusals["${letterId}"].code`, refusal.code);
  }
}

/** Own properties only: a letter named "constructor" must not pick up Object.prototype.constructor. */
function letterRefusalFor(req: ReceiptRequest, letterIdentifier: string): Refusal | undefined {
  const refusals = req.letterRefusals;
  return refusals && Object.hasOwn(refusals, letterIdentifier) ? refusals[letterIdentifier] : undefined;
}

function checkRefuseCode(field: string, code: string): void {
  if (!(REFUSE_CODES as readonly string[]).includes(code)) {
    throw new Error(`receipt: ${field} "${code}" is not a MedCom refuse code (${REFUSE_CODES.join(', ')})`);
  }
}

/** Envelope/Sent: a real calendar date (xs:date) and hh:mm, optionally with seconds we then drop. */
function checkSent(sent: LocalDateTime): void {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(sent.date);
  const valid = date !== null && isRealDay(Number(date[1]), Number(date[2]), Number(date[3]));
  if (!valid) throw new Error(`receipt: sent.date "${sent.date}" is not a calendar date YYYY-MM-DD`);
  if (!/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(sent.time)) {
    throw new Error(`receipt: sent.time "${sent.time}" is not a time hh:mm or hh:mm:ss`);
  }
}

/** A value the receipt must reproduce exactly: 1..max characters (XSD counts code points). */
function checkQuotable(field: string, value: string, max: number): void {
  if (typeof value !== 'string') throw new Error(`receipt: ${field} is missing`);
  const length = Array.from(value).length;
  if (length < 1 || length > max) {
    throw new Error(`receipt: ${field} "${value}" has ${length} characters; MedCom allows 1 to ${max}`);
  }
  // A quoted value also refuses CR: a parser reads a literal CR as LF, so the value would come back changed.
  if (hasNonXmlCharacter(value) || value.includes('\r')) {
    throw new Error(`receipt: ${field} ${JSON.stringify(value)} contains a control character that XML cannot carry unchanged`);
  }
}

/**
 * RefuseCode and RefuseText (a BreakableText). The text is for a person, so instead of refusing it
 * we replace characters XML cannot carry with U+FFFD and turn each line break into `<Break/>`.
 */
function writeRefusal(parent: XmlElementBuilder, refusal: Refusal): void {
  parent.ele('RefuseCode').txt(refusal.code);
  if (refusal.text === undefined || refusal.text === '') return;
  const text = parent.ele('RefuseText');
  const lines = replaceNonXmlCharacters(refusal.text).split(/\r\n|\r|\n/);
  lines.forEach((line, index) => {
    if (index > 0) text.ele('Break');
    if (line !== '') text.txt(line);
  });
}

/**
 * The identifiers a replay rewrites: the envelope's, each letter's, and — in a receipt — those of the
 * message it answers. MedCom identifiers are ASCII, so the text is handled as latin1: every byte maps
 * to one character and back, and a windows-1252, ISO-8859-1 or UTF-8 file keeps its bytes except the
 * identifiers. Element names may carry a namespace prefix (`m0:Envelope` in the municipality generation).
 */
const P = '(?:[A-Za-z][\\w.-]*:)?';
const ENVELOPE_ID = new RegExp(`(<${P}Envelope\\b[^>]*>[\\s\\S]*?<${P}Identifier>)([^<]*)(</${P}Identifier>)`);
const LETTER_ID = new RegExp(`(<${P}Letter\\b[^>]*>\\s*<${P}Identifier>)([^<]*)(</${P}Identifier>)`, 'g');
const ORIGINAL_ENVELOPE_ID = new RegExp(`(<${P}OriginalEnvelopeIdentifier>)([^<]*)(</${P}OriginalEnvelopeIdentifier>)`, 'g');
const ORIGINAL_LETTER_ID = new RegExp(`(<${P}OriginalLetterIdentifier>)([^<]*)(</${P}OriginalLetterIdentifier>)`, 'g');
const ORIGINAL_SENDER = new RegExp(`<${P}OriginalSender>\\s*<${P}EANIdentifier>([0-9]+)<`);
const SENDER = new RegExp(`<${P}Sender>\\s*<${P}EANIdentifier>([0-9]+)<`);
const RECEIVER = new RegExp(`<${P}Receiver>\\s*<${P}EANIdentifier>([0-9]+)<`);

/** What a receipt answers, as written in it. */
export interface QuotedMessage {
  /** The sender of the answered message (OriginalSender, else the receipt's Receiver). */
  readonly senderEan: string;
  readonly envelopeId: string;
}

export interface MessageIds {
  readonly envelopeId?: string;
  readonly letterIds: readonly string[];
  readonly quotes?: QuotedMessage;
}

/** Old identifier → new one, for one message. */
export type IdMap = ReadonlyMap<string, string>;

/** Reads the identifiers from a message's latin1 text (also from messages the codec refuses). */
export function scanIds(text: string): MessageIds {
  const envelopeId = ENVELOPE_ID.exec(text)?.[2];
  const letterIds = [...text.matchAll(LETTER_ID)].map((match) => match[2] as string);
  const quotedEnvelope = new RegExp(ORIGINAL_ENVELOPE_ID.source).exec(text)?.[2];
  const quotedSender = ORIGINAL_SENDER.exec(text)?.[1] ?? RECEIVER.exec(text)?.[1];
  return {
    ...(envelopeId !== undefined ? { envelopeId } : {}),
    letterIds,
    ...(quotedEnvelope !== undefined && quotedSender !== undefined ? { quotes: { senderEan: quotedSender, envelopeId: quotedEnvelope } } : {}),
  };
}

/** The first letter's Sender EAN found in the text: for messages the codec cannot read. */
export function scanSenderEan(text: string): string | undefined {
  return SENDER.exec(text)?.[1];
}

/**
 * New identifiers for a message's envelope and letters, each as long as the one it replaces (so a
 * fixture whose defect is an identifier of 15 characters keeps it; never shorter than 10, to stay
 * unique). An empty identifier is a defect of its own and is left alone. A letter whose identifier
 * equals the envelope's (as in MedCom's receipts) gets the envelope's new one, so the two stay equal.
 */
export function freshIdMap(ids: MessageIds, next: (length: number) => string): IdMap {
  const map = new Map<string, string>();
  for (const id of [ids.envelopeId, ...ids.letterIds]) {
    if (id === undefined || id.trim() === '' || map.has(id)) continue;
    map.set(id, next(Math.max(10, id.length)));
  }
  return map;
}

/**
 * The text with its own identifiers replaced from `own` and, when it is a receipt for a message of
 * the same set, the quoted identifiers replaced from that message's map `quoted`.
 */
export function rewriteIds(text: string, own: IdMap, quoted?: IdMap): string {
  const swap = (map: IdMap | undefined) => (_match: string, open: string, id: string, close: string) => `${open}${map?.get(id) ?? id}${close}`;
  let result = text.replace(ENVELOPE_ID, swap(own)).replace(LETTER_ID, swap(own));
  if (quoted) result = result.replace(ORIGINAL_ENVELOPE_ID, swap(quoted)).replace(ORIGINAL_LETTER_ID, swap(quoted));
  return result;
}

/**
 * Identifiers unique to one replay: a random run token of 6 upper-case letters and digits, then a
 * counter in base 36 padded to the length asked for (at least 10: over a million per run).
 */
export function freshIdSource(random: () => number = Math.random): (length: number) => string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let run = '';
  for (let i = 0; i < 6; i += 1) run += alphabet[Math.floor(random() * alphabet.length)];
  let counter = 0;
  return (length) => {
    counter += 1;
    return `${run}${counter.toString(36).toUpperCase().padStart(Math.max(4, length - run.length), '0')}`;
  };
}

/**
 * The load's messages: fixtures from `fixtures/valid/` that hospitals send to the municipalities (and
 * copies to the GP), each rewritten per message with a unique envelope identifier, unique letter
 * identifiers and a synthetic CPR number, so every post is a new message and per-patient ordering does
 * not serialise the inboxes. Rewriting works on the bytes read as latin1, so windows-1252, ISO-8859-1
 * and UTF-8 fixtures keep their exact bytes outside the replaced ASCII fields.
 */
import { readFileSync } from 'node:fs';
import { decodeMessage } from '../../src/codec/decode-message.js';
import { fromPackageRoot } from '../../src/package-root.js';

export interface Template {
  readonly file: string;
  /** The EAN of the hospital that sends it (its key is `demo-<EAN>`). */
  readonly senderEan: string;
  /** The fixture as a latin1 string (one char per byte). */
  readonly text: string;
  readonly letters: number;
  readonly cprs: readonly string[];
}

export interface BenchMessage {
  readonly template: Template;
  readonly senderEan: string;
  readonly envelopeId: string;
  readonly letterIds: readonly string[];
  readonly cprs: readonly string[];
  readonly body: Buffer;
}

/** Hospital → municipality / GP messages with pull delivery (see config/endpoints.json). */
export const BENCH_FIXTURES: readonly string[] = [
  'XDIS20_admission_acute.xml', // 012 → 036, UTF-8
  'XDIS20_windows-1252.xml', // 029 → 043, windows-1252
  'XDIS17_discharge_home.xml', // 012 → 036
  'XDIS17_iso-8859-1.xml', // 029 → 043, ISO-8859-1
  'XDIS17_and_XDIS91_two_letters.xml', // 012 → 036, two letters in one envelope
  'XDIS19_gateway_extension.xml', // 029 → 043, gateway extension
  'XDIS91_clinical_email.xml', // 012 → 036, 2006/07/01
  'GGOP_rehabilitation_plan.xml', // 029 → 043 + copy to the GP 050, municipality generation
];

const ENVELOPE_ID = /(<(?:[\w-]+:)?Envelope>(?:(?!<\/(?:[\w-]+:)?Envelope>)[\s\S])*?<(?:[\w-]+:)?Identifier>)([^<]*)(<)/;
const LETTER_ID = /(<(?:[\w-]+:)?Letter>\s*<(?:[\w-]+:)?Identifier>)([^<]*)(<)/g;
const CPR = /(<(?:[\w-]+:)?CivilRegistrationNumber>)(\d{10})(<)/g;
const SENDER_EAN = /<(?:[\w-]+:)?Sender>\s*<(?:[\w-]+:)?EANIdentifier>(\d{13})</;

export function loadTemplates(files: readonly string[] = BENCH_FIXTURES): Template[] {
  return files.map((file) => {
    const text = readFileSync(fromPackageRoot('fixtures', 'valid', file)).toString('latin1');
    const sender = SENDER_EAN.exec(text)?.[1];
    if (!sender) throw new Error(`${file}: no Sender/EANIdentifier found`);
    if (!ENVELOPE_ID.test(text)) throw new Error(`${file}: no Envelope/Identifier found`);
    const letters = [...text.matchAll(LETTER_ID)].length;
    if (letters === 0) throw new Error(`${file}: no Letter/Identifier found`);
    const cprs = [...new Set([...text.matchAll(CPR)].map((m) => m[2] as string))];
    return { file, senderEan: sender, text, letters, cprs };
  });
}

/**
 * A synthetic CPR number for patient `p`: DDMMYY is always a real date (day 1–28), the last four
 * digits spread the numbers; 28 × 12 × 100 × 10 000 distinct values before they repeat.
 */
export function syntheticCpr(p: number): string {
  const day = 1 + (p % 28);
  const month = 1 + (Math.floor(p / 28) % 12);
  const year = Math.floor(p / 336) % 100;
  const serial = Math.floor(p / 33_600) % 10_000;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(day)}${two(month)}${two(year)}${String(serial).padStart(4, '0')}`;
}

/**
 * Message number `n` (0-based): template `n mod templates`, envelope `BE<n>`, letters `BL<n><i>` (both
 * at most 14 characters), and patient `floor(n / patientGroup)` for the template's CPR numbers.
 */
export function makeMessage(templates: readonly Template[], n: number, patientGroup: number): BenchMessage {
  const template = templates[n % templates.length] as Template;
  const envelopeId = `BE${String(n).padStart(9, '0')}`;
  const letterIds: string[] = [];
  let text = template.text.replace(ENVELOPE_ID, (_m, head: string, _old: string, tail: string) => `${head}${envelopeId}${tail}`);
  text = text.replace(LETTER_ID, (_m, head: string, _old: string, tail: string) => {
    const id = `BL${String(n).padStart(9, '0')}${letterIds.length}`;
    letterIds.push(id);
    return `${head}${id}${tail}`;
  });
  const patient = Math.floor(n / Math.max(1, patientGroup));
  const cprs = template.cprs.map((_c, i) => syntheticCpr(patient * template.cprs.length + i));
  text = text.replace(CPR, (_m, head: string, old: string, tail: string) => `${head}${cprs[template.cprs.indexOf(old)] ?? old}${tail}`);
  return { template, senderEan: template.senderEan, envelopeId, letterIds, cprs, body: Buffer.from(text, 'latin1') };
}

/**
 * Checks, in this process and before any load, that the rewritten messages are valid and carry the
 * identifiers and CPR numbers the bench put in: a broken rewrite would otherwise show up as a wall
 * of 422s. Throws with the codec's first error.
 */
export function verifyTemplates(templates: readonly Template[], patientGroup: number): void {
  for (let n = 0; n < templates.length * 2; n++) {
    const message = makeMessage(templates, 1_000_000 + n, patientGroup);
    const decoded = decodeMessage(message.body);
    const where = `${message.template.file} (rewritten as ${message.envelopeId})`;
    if (!decoded.ok) throw new Error(`${where} is not valid: ${decoded.stage}: ${decoded.errors[0]?.path} ${decoded.errors[0]?.message}`);
    const parsed = decoded.message;
    if (parsed.envelope.identifier !== message.envelopeId) throw new Error(`${where}: envelope identifier reads ${parsed.envelope.identifier}`);
    const ids = parsed.letters.map((l) => l.identifier).join(',');
    if (ids !== message.letterIds.join(',')) throw new Error(`${where}: letter identifiers read ${ids}`);
    for (const letter of parsed.letters) {
      if (letter.patient?.cpr && !message.cprs.includes(letter.patient.cpr)) throw new Error(`${where}: a letter kept the fixture's CPR number`);
      if (letter.sender.ean !== message.senderEan) throw new Error(`${where}: sender ${letter.sender.ean}`);
    }
  }
}

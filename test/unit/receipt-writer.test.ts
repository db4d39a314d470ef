/**
 * The receipt writer must produce XCTL01/02/03 that MedCom's own XSD accepts and that quote the
 * original identifiers exactly. The XSD checks read ../shared (through test/support/shared-dir.ts: found from the project root, not the
 * cwd); without it they are skipped with a warning, and with MEDCOM_REQUIRE_SHARED=1 they fail.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import type { ReceiptKind } from '../../src/domain/catalogue.js';
import { buildReceipt, type OriginalMessage, type ReceiptRequest } from '../../src/codec/receipt-writer.js';
import type { RefuseCode } from '../../src/domain/message.js';
import { hasShared, SHARED_DIR } from '../support/shared-dir.js';

const XSD_DIR = join(SHARED_DIR, 'medcom-xsd', '2005', '08', '07');
const SAMPLES_DIR = join(SHARED_DIR, 'medcom-samples');
const XSD_AVAILABLE = hasShared('medcom-xsd', '2005', '08', '07', 'EMessage.xsd');
const SAMPLES_AVAILABLE = hasShared('medcom-samples', 'CTL03_1.xml');
const SKIPPED_XSD = XSD_AVAILABLE ? '' : ` (skipped: MedCom XSD not found at ${XSD_DIR})`;
const SKIPPED_SAMPLES = SAMPLES_AVAILABLE ? '' : ` (skipped: MedCom samples not found at ${SAMPLES_DIR})`;
if (!XSD_AVAILABLE) console.warn(`receipt-writer: XSD conformance tests skipped, ${XSD_DIR} is absent`);
if (!SAMPLES_AVAILABLE) console.warn(`receipt-writer: sample comparison tests skipped, ${SAMPLES_DIR} is absent`);

// ---------------------------------------------------------------------------------------------
// Demo network parties and request builders

const HOSPITAL = '5790000000012';
const MUNICIPALITY = '5790000000036';
const GATEWAY = '5790000000067';

function letter(identifier: string, versionCode = 'XD2030C', from = HOSPITAL, to = MUNICIPALITY) {
  return { identifier, versionCode, sender: { ean: from }, receiver: { ean: to } };
}

function original(envelopeIdentifier: string, ...letters: ReturnType<typeof letter>[]): OriginalMessage {
  return { envelope: { identifier: envelopeIdentifier }, letters };
}

function request(overrides: Partial<ReceiptRequest> = {}): ReceiptRequest {
  return {
    kind: 'positive',
    original: original('RHD2603090001', letter('A260309001417')),
    issuerEan: MUNICIPALITY,
    envelopeIdentifier: 'KNK2603090044',
    letterIdentifier: 'KNK2603090044',
    sent: { date: '2026-03-09', time: '14:13' },
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the output back

/** Keeps text exactly as written (no trimming, no number conversion) so quoting can be compared. */
const exactParser = new XMLParser({
  ignoreAttributes: false,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'OriginalLetter',
});

interface ParsedReceipt {
  Envelope: { Sent: { Date: string; Time: string }; Identifier: string; AcknowledgementCode: string };
  Letter: { Identifier: string; VersionCode: string; StatisticalCode: string };
  Sender: { EANIdentifier: string };
  Receiver: { EANIdentifier: string };
  OriginalEmessage: {
    OriginalEnvelopeIdentifier: string;
    OriginalSender: { EANIdentifier: string };
    OriginalReceiver: { EANIdentifier: string };
    RefuseCode?: string;
    OriginalLetter?: { OriginalLetterIdentifier: string; OriginalVersionCode: string; RefuseCode?: string }[];
  };
}

function readBack(xml: string, rootElement: string): ParsedReceipt {
  const emessage = (exactParser.parse(xml) as { Emessage: Record<string, unknown> }).Emessage;
  const receipt = emessage[rootElement] as Omit<ParsedReceipt, 'Envelope'>;
  expect(receipt, `root element ${rootElement}`).toBeDefined();
  return { ...receipt, Envelope: emessage.Envelope as ParsedReceipt['Envelope'] };
}

// ---------------------------------------------------------------------------------------------
// MedCom's XSD through xmllint-wasm

interface XsdSet {
  schema: { fileName: string; contents: string };
  preload: { fileName: string; contents: string }[];
}

let xsdSet: XsdSet | undefined;

/** Every .xsd of the generation, named by its path relative to the folder as the includes expect. */
function loadXsdSet(): XsdSet {
  if (xsdSet) return xsdSet;
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.xsd')) files.push(path);
    }
  };
  walk(XSD_DIR);
  const named = files.map((path) => ({
    fileName: relative(XSD_DIR, path).split(sep).join('/'),
    contents: readFileSync(path, 'utf8'),
  }));
  const schema = named.find((file) => file.fileName === 'EMessage.xsd');
  if (!schema) throw new Error(`EMessage.xsd missing in ${XSD_DIR}`);
  xsdSet = { schema, preload: named.filter((file) => file !== schema) };
  return xsdSet;
}

async function xsdErrors(xml: string): Promise<string[]> {
  const { schema, preload } = loadXsdSet();
  const result = await validateXML({ xml: [{ fileName: 'receipt.xml', contents: xml }], schema: [schema], preload });
  return result.valid ? [] : result.errors.map((error) => error.rawMessage);
}

// ---------------------------------------------------------------------------------------------

const KINDS: { kind: ReceiptKind; root: string; version: string; statistical: string }[] = [
  { kind: 'negative-vans', root: 'NegativeVansReceipt', version: 'XC0130Q', statistical: 'XCTL01' },
  { kind: 'negative', root: 'NegativeReceipt', version: 'XC0230Q', statistical: 'XCTL02' },
  { kind: 'positive', root: 'PositiveReceipt', version: 'XC0330Q', statistical: 'XCTL03' },
];

describe('buildReceipt: structure', () => {
  it('names the issuer as Sender and the original sender as Receiver, and quotes both original EANs', () => {
    const { xml } = buildReceipt(request());
    const receipt = readBack(xml, 'PositiveReceipt');
    expect(receipt.Sender.EANIdentifier).toBe(MUNICIPALITY);
    expect(receipt.Receiver.EANIdentifier).toBe(HOSPITAL);
    expect(receipt.OriginalEmessage.OriginalSender.EANIdentifier).toBe(HOSPITAL);
    expect(receipt.OriginalEmessage.OriginalReceiver.EANIdentifier).toBe(MUNICIPALITY);
    expect(receipt.OriginalEmessage.OriginalEnvelopeIdentifier).toBe('RHD2603090001');
    expect(receipt.OriginalEmessage.OriginalLetter).toEqual([
      { OriginalLetterIdentifier: 'A260309001417', OriginalVersionCode: 'XD2030C' },
    ]);
  });

  it.each(KINDS)('$kind is a $root with VersionCode $version and StatisticalCode $statistical', ({ kind, root, version, statistical }) => {
    const refuse = kind === 'positive' ? undefined : { code: 'ikke_specificeret' as const };
    const { xml } = buildReceipt(request({ kind, refuse, letterIdentifier: 'BrevNr5678' }));
    const receipt = readBack(xml, root);
    expect(receipt.Letter).toEqual({ Identifier: 'BrevNr5678', VersionCode: version, StatisticalCode: statistical });
  });

  it('never asks for a receipt of the receipt: AcknowledgementCode is minuspositivkvitt', () => {
    for (const { kind } of KINDS) {
      const { xml } = buildReceipt(request({ kind }));
      expect(readBack(xml, KINDS.find((k) => k.kind === kind)?.root ?? '').Envelope.AcknowledgementCode).toBe('minuspositivkvitt');
    }
  });

  it('stamps the injected clock value and drops seconds, because Envelope/Sent/Time is hh:mm', () => {
    const { xml } = buildReceipt(request({ sent: { date: '2026-12-31', time: '23:59:59' } }));
    expect(readBack(xml, 'PositiveReceipt').Envelope.Sent).toEqual({ Date: '2026-12-31', Time: '23:59' });
  });

  it('returns UTF-8 bytes of the text, with an XML declaration', () => {
    const { xml, bytes } = buildReceipt(
      request({ kind: 'negative', refuse: { code: 'syntaksfejl', text: 'Ærø' } }),
    );
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(bytes.equals(Buffer.from(xml, 'utf8'))).toBe(true);
    expect(bytes.includes(Buffer.from([0xc3, 0x86]))).toBe(true); // Æ as UTF-8
  });

  it('puts an envelope-level refusal before the letters and a letter-level refusal inside its letter', () => {
    const { xml } = buildReceipt(
      request({
        kind: 'negative',
        original: original('RHD2603110002', letter('A1'), letter('A2')),
        refuse: { code: 'problem_med_version' },
        letterRefusals: { A2: { code: 'syntaksfejl' } },
      }),
    );
    const quoted = readBack(xml, 'NegativeReceipt').OriginalEmessage;
    expect(quoted.RefuseCode).toBe('problem_med_version');
    expect(quoted.OriginalLetter?.map((l) => l.RefuseCode)).toEqual([undefined, 'syntaksfejl']);
    expect(xml.indexOf('<RefuseCode>problem_med_version')).toBeLessThan(xml.indexOf('<OriginalLetter>'));
  });

  it('writes the refuse text as BreakableText: each line break becomes <Break/>', () => {
    const { xml } = buildReceipt(
      request({ kind: 'negative', refuse: { code: 'syntaksfejl', text: 'Første linje\r\nAnden linje\nSidste linje\n' } }),
    );
    expect(xml).toContain('<RefuseText>Første linje<Break/>Anden linje<Break/>Sidste linje<Break/></RefuseText>');
  });

  it('replaces characters XML cannot carry in the refuse text instead of dropping them silently', () => {
    const { xml } = buildReceipt(request({ kind: 'negative', refuse: { code: 'syntaksfejl', text: 'tegn \u0001 her' } }));
    expect(xml).toContain('<RefuseText>tegn \uFFFD her</RefuseText>');
  });

  it('leaves RefuseText out when there is no text', () => {
    const { xml } = buildReceipt(request({ kind: 'negative', refuse: { code: 'ikke_specificeret', text: '' } }));
    expect(xml).not.toContain('RefuseText');
  });

  it('takes the original EANs from original.senderEan/receiverEan when the letters are unknown', () => {
    const { xml } = buildReceipt(
      request({
        kind: 'negative-vans',
        issuerEan: GATEWAY,
        original: { envelope: { identifier: 'X1' }, letters: [], senderEan: HOSPITAL, receiverEan: '5790000000074' },
        refuse: { code: 'ukendt_lokationsnummer' },
      }),
    );
    const receipt = readBack(xml, 'NegativeVansReceipt');
    expect(receipt.Receiver.EANIdentifier).toBe(HOSPITAL);
    expect(receipt.OriginalEmessage.OriginalReceiver.EANIdentifier).toBe('5790000000074');
    expect(receipt.OriginalEmessage.OriginalLetter).toBeUndefined();
  });
});

describe('buildReceipt: identifiers are quoted exactly', () => {
  const awkward = ['A&B<C>D', `"quo'ted"`, ' padded id ', 'ÆØÅæøå12345678', '0012', 'a]]>b', 'constructor'];

  it.each(awkward)('original envelope and letter identifier %j come back unchanged', (identifier) => {
    const { xml } = buildReceipt(
      request({
        kind: 'negative',
        original: original(identifier, letter(identifier, 'XD9134L')),
        letterRefusals: { [identifier]: { code: 'problem_med_modtagerID' } },
        envelopeIdentifier: identifier,
        letterIdentifier: identifier,
      }),
    );
    const receipt = readBack(xml, 'NegativeReceipt');
    expect(receipt.Envelope.Identifier).toBe(identifier);
    expect(receipt.Letter.Identifier).toBe(identifier);
    expect(receipt.OriginalEmessage.OriginalEnvelopeIdentifier).toBe(identifier);
    expect(receipt.OriginalEmessage.OriginalLetter?.[0]?.OriginalLetterIdentifier).toBe(identifier);
    expect(receipt.OriginalEmessage.OriginalLetter?.[0]?.RefuseCode).toBe('problem_med_modtagerID');
  });

  it('does not take a refusal from Object.prototype for a letter named like one of its properties', () => {
    const { xml } = buildReceipt(request({ kind: 'negative', original: original('E1', letter('toString')), letterRefusals: {} }));
    expect(xml).not.toContain('RefuseCode');
  });

  it('quotes every letter of a multi-letter original in order, with its VersionCode as it was', () => {
    const { xml } = buildReceipt(
      request({ original: original('M1', letter('L1', 'XD1730C'), letter('L2', 'XD9133L'), letter('L3', 'ggop100')) }),
    );
    expect(readBack(xml, 'PositiveReceipt').OriginalEmessage.OriginalLetter).toEqual([
      { OriginalLetterIdentifier: 'L1', OriginalVersionCode: 'XD1730C' },
      { OriginalLetterIdentifier: 'L2', OriginalVersionCode: 'XD9133L' },
      { OriginalLetterIdentifier: 'L3', OriginalVersionCode: 'ggop100' },
    ]);
  });
});

describe('buildReceipt: refuses requests that cannot become a valid receipt', () => {
  const invalid: [string, Partial<ReceiptRequest>, RegExp][] = [
    ['an empty envelope identifier', { envelopeIdentifier: '' }, /envelopeIdentifier .* 0 characters/],
    ['a 15-character letter identifier', { letterIdentifier: 'L23456789012345' }, /letterIdentifier .* 15 characters/],
    ['an original envelope identifier over 14 characters', { original: original('E23456789012345', letter('A1')) }, /original envelope identifier/],
    ['an original letter identifier over 14 characters', { original: original('E1', letter('L23456789012345')) }, /original letter 1 identifier/],
    ['an original VersionCode over 7 characters', { original: original('E1', letter('A1', 'XD2030CX')) }, /VersionCode .* 1 to 7/],
    ['an empty issuer EAN', { issuerEan: '' }, /issuerEan/],
    ['a carriage return in an identifier', { envelopeIdentifier: 'K1\r2' }, /control character/],
    ['a control character in an original identifier', { original: original('E\u00011', letter('A1')) }, /control character/],
    ['a refuse code on a positive receipt', { refuse: { code: 'syntaksfejl' } }, /positive receipt/],
    ['a letter refusal on a positive receipt', { letterRefusals: { A260309001417: { code: 'syntaksfejl' } } }, /positive receipt/],
    ['an unknown envelope refuse code', { kind: 'negative', refuse: { code: 'ukendt_modtager' as RefuseCode } }, /not a MedCom refuse code/],
    ['an unknown letter refuse code', { kind: 'negative', letterRefusals: { A260309001417: { code: 'fejl' as RefuseCode } } }, /not a MedCom refuse code/],
    ['a refusal for a letter that is not quoted', { kind: 'negative', letterRefusals: { A999: { code: 'syntaksfejl' } } }, /"A999", which is not among/],
    ['an impossible date', { sent: { date: '2026-02-30', time: '10:00' } }, /not a calendar date/],
    ['a time of 24:00', { sent: { date: '2026-03-01', time: '24:00' } }, /not a time/],
    ['an unknown kind', { kind: 'maybe' as ReceiptKind }, /unknown receipt kind/],
    ['an original without letters and without EANs', { original: { envelope: { identifier: 'E1' }, letters: [] } }, /no letters/],
    ['letters from different senders', { original: original('E1', letter('A1'), letter('A2', 'XD2030C', '5790000000029')) }, /different senders/],
    [
      'more than 99 original letters',
      { original: original('E1', ...Array.from({ length: 100 }, (_, i) => letter(`L${i}`))) },
      /at most 99 letters/,
    ],
  ];

  it.each(invalid)('%s', (_name, overrides, message) => {
    expect(() => buildReceipt(request(overrides))).toThrow(message);
  });
});

describe('buildReceipt: output validates against MedCom XSD 2005/08/07', () => {
  const ninetyNineLetters = Array.from({ length: 99 }, (_, i) => letter(`L${String(i).padStart(3, '0')}`));
  const cases: [string, ReceiptRequest][] = [
    ['XCTL03 for one letter', request()],
    ['XCTL03 for a multi-letter original with mixed versions', request({ original: original('M1', letter('L1', 'XD1730C'), letter('L2', 'XD9133L')) })],
    ['XCTL03 for a GGOP (ggop100) letter', request({ original: original('UHD26032000420', letter('UHD26032000420', 'ggop100')) })],
    ['XCTL03 quoting 99 letters', request({ original: original('M99', ...ninetyNineLetters) })],
    ['XCTL02 without any refuse code', request({ kind: 'negative' })],
    [
      'XCTL02 with an envelope refusal in Danish',
      request({ kind: 'negative', refuse: { code: 'syntaksfejl', text: 'Kuverten kunne ikke læses.\nKontakt IT-support på Ærø, tlf. 63751000.\n' } }),
    ],
    [
      'XCTL02 with letter refusals on a multi-letter original',
      request({
        kind: 'negative',
        original: original('RHD2603110002', letter('A260311000731'), letter('A260311000732')),
        letterRefusals: {
          A260311000732: { code: 'problem_med_modtagerID', text: 'Borgeren kendes ikke i omsorgssystemet – ring til visitationen.' },
        },
      }),
    ],
    [
      'XCTL02 with refusals on both levels',
      request({
        kind: 'negative',
        refuse: { code: 'problem_med_version', text: 'Versionen understøttes ikke.' },
        letterRefusals: { A260309001417: { code: 'problem_med_version' } },
      }),
    ],
    [
      'XCTL01 from the gateway for an unknown location number',
      request({
        kind: 'negative-vans',
        issuerEan: GATEWAY,
        original: original('RHD2603120003', letter('A260312000829', 'XD2030C', HOSPITAL, '5790000000074'), letter('A260312000830', 'XD2030C', HOSPITAL, '5790000000074')),
        refuse: { code: 'ukendt_lokationsnummer', text: 'Modtagerens lokationsnummer 5790000000074 er ukendt.' },
      }),
    ],
    [
      'XCTL01 for an envelope whose letters are unknown',
      request({
        kind: 'negative-vans',
        issuerEan: GATEWAY,
        original: { envelope: { identifier: 'X1' }, letters: [], senderEan: HOSPITAL, receiverEan: MUNICIPALITY },
        refuse: { code: 'ikke_specificeret' },
      }),
    ],
    [
      'receipts whose identifiers contain & and < and Danish letters',
      request({
        kind: 'negative',
        envelopeIdentifier: 'K&<æøå>1',
        letterIdentifier: 'B&2',
        original: original('Kuv&Nr<1>', letter('Brev&Nr"2\'')),
        letterRefusals: { 'Brev&Nr"2\'': { code: 'syntaksfejl', text: 'Tegnet & og < i brevet.' } },
      }),
    ],
  ];

  it.skipIf(!XSD_AVAILABLE).each(cases)(`%s${SKIPPED_XSD}`, async (_name, req) => {
    expect(await xsdErrors(buildReceipt(req).xml)).toEqual([]);
  });

  it.skipIf(!XSD_AVAILABLE)(`the XSD check itself rejects a broken receipt${SKIPPED_XSD}`, async () => {
    const broken = buildReceipt(request()).xml.replace('<VersionCode>XC0330Q', '<VersionCode>XC0230Q');
    expect((await xsdErrors(broken)).length).toBeGreaterThan(0);
  });
});

describe('buildReceipt: matches MedCom sample receipts', () => {
  /** Compares element order and text, ignoring indentation and the declared encoding. */
  const orderedParser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, ignoreDeclaration: true, parseTagValue: false });

  function sample(name: string): unknown {
    // The samples are declared windows-1252/ISO-8859-1 but contain only ASCII.
    return orderedParser.parse(readFileSync(join(SAMPLES_DIR, name), 'latin1'));
  }

  const ctlOriginal = (...ids: string[]): OriginalMessage => ({
    envelope: { identifier: 'MEDREF01095' },
    letters: ids.map((id) => letter(id, 'H0130R', '5790000181872', '5790000120420')),
  });
  const ctlCommon = {
    envelopeIdentifier: 'KuvertNr1234',
    letterIdentifier: 'BrevNr5678',
    sent: { date: '1999-11-11', time: '18:50' },
  };

  it.skipIf(!SAMPLES_AVAILABLE)(`reproduces CTL03_1.xml${SKIPPED_SAMPLES}`, () => {
    const built = buildReceipt({ ...ctlCommon, kind: 'positive', issuerEan: '5790000120420', original: ctlOriginal('1111FRE01095') });
    expect(orderedParser.parse(built.xml)).toEqual(sample('CTL03_1.xml'));
  });

  it.skipIf(!SAMPLES_AVAILABLE)(`reproduces CTL02_1.xml with its letter-level refusal${SKIPPED_SAMPLES}`, () => {
    const built = buildReceipt({
      ...ctlCommon,
      kind: 'negative',
      issuerEan: '5790000120420',
      original: ctlOriginal('1111MAN01095'),
      letterRefusals: {
        '1111MAN01095': {
          code: 'problem_med_version',
          text:
            'EDI-brev med nummeret 1111MAN01095, afsendt 11/11 1999 kl 18.46 har ikke kunnet modtages. ' +
            'Horsens Sygehus, laboratoriet kan ikke modtage sygehushenvisninger. \nMed venlig hilsen\n IT-Hotline. Horsens Sygehus.Telefon 86345678.\n',
        },
      },
    });
    expect(orderedParser.parse(built.xml)).toEqual(sample('CTL02_1.xml'));
  });

  it.skipIf(!SAMPLES_AVAILABLE)(`reproduces CTL01_1.xml with its envelope-level refusal${SKIPPED_SAMPLES}`, () => {
    const built = buildReceipt({
      ...ctlCommon,
      kind: 'negative-vans',
      issuerEan: 'DKKMDKMDNET',
      original: ctlOriginal('1111FRE01095', '1111MAN01095'),
      refuse: {
        code: 'ukendt_lokationsnummer',
        text: 'EDI-kuvert afsendt 11/11 1999 kl 18.46 har ikke kunnet modtages. \nModtagerlokationsnummer har ikke kunnet identificeres.\n',
      },
    });
    expect(orderedParser.parse(built.xml)).toEqual(sample('CTL01_1.xml'));
  });

  it.skipIf(!SAMPLES_AVAILABLE)(`reproduces Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml (the 2023 pair)${SKIPPED_SAMPLES}`, () => {
    const built = buildReceipt({
      kind: 'positive',
      issuerEan: '5790000121441',
      envelopeIdentifier: 'KuvertNr1256',
      letterIdentifier: 'BrevNr5698',
      sent: { date: '2023-11-20', time: '17:46' },
      original: original('KuvNrerwerwe99', letter('Brevt23400929', 'XD9134L', '5790001382445', '5790000121441')),
    });
    expect(orderedParser.parse(built.xml)).toEqual(sample('Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'));
  });
});

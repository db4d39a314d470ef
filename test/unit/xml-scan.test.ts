/**
 * The characters XML 1.0 forbids and the limits that keep a hostile message cheap to refuse: each
 * refused with line and column (the characters before parsing, the limits as the parser meets them),
 * and the codec refusing them as a whole.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/decode-message.js';
import { parseXml } from '../../src/codec/xml-tree.js';
import { fromPackageRoot } from '../../src/package-root.js';

const DISCHARGE = readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS17_discharge_home.xml'), 'utf8');

function refusal(xml: string, limits?: Parameters<typeof parseXml>[1]) {
  const result = parseXml(xml, limits);
  if (result.ok) throw new Error('expected a refusal');
  expect(result.issues).toHaveLength(1);
  return result.issues[0]!;
}

function decodeRefusal(xml: string | Buffer) {
  const result = decodeMessage(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml);
  if (result.ok) throw new Error('expected the codec to refuse');
  return result;
}

describe('characters XML 1.0 forbids', () => {
  const forbidden = [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0xfffe, 0xffff];
  for (const code of forbidden) {
    it(`refuses a raw U+${code.toString(16).toUpperCase().padStart(4, '0')} with its line and column`, () => {
      const found = refusal(`<a>\n  <b>x${String.fromCharCode(code)}y</b>\n</a>`);
      expect(found.code).toBe('not-well-formed');
      expect(found).toMatchObject({ line: 2, column: 7 });
      expect(found.message).toContain(`U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
    });
  }

  it('refuses a lone surrogate, raw or as a character reference, but takes a proper pair', () => {
    expect(refusal('<a>\uD800</a>').message).toMatch(/U\+D800/);
    expect(refusal('<a>x\uDC00</a>').column).toBe(5);
    expect(refusal('<a>&#xD800;</a>').message).toMatch(/&#xD800;/);
    expect(parseXml('<a>\uD83D\uDE00 &#x1F600;</a>').ok).toBe(true);
  });

  it('refuses character references to forbidden characters, at the reference', () => {
    for (const reference of ['&#0;', '&#x0;', '&#1;', '&#x1B;', '&#xFFFE;', '&#65535;']) {
      const found = refusal(`<a>\n<b>ok ${reference}</b></a>`);
      expect(found.code).toBe('not-well-formed');
      expect(found).toMatchObject({ line: 2, column: 7 });
    }
  });

  it('keeps tab, line feed, carriage return and C1 characters', () => {
    expect(parseXml('<a>\t\r\n\u0085\u00A0</a>').ok).toBe(true);
    expect(parseXml('<a>&#9;&#10;&#13;&#x85;</a>').ok).toBe(true);
  });

  it('refuses a NUL in an envelope identifier before anything is stored (it once reached PostgreSQL)', () => {
    const result = decodeRefusal(DISCHARGE.replace('<Identifier>RHD2603170004', '<Identifier>RHD\u00002603170004'));
    expect(result.stage).toBe('xml');
    expect(result.errors[0]).toMatchObject({ line: 8, column: 20 });
  });

  it('refuses a control character in windows-1252 bytes too', () => {
    const latin = Buffer.from(DISCHARGE.replace('encoding="UTF-8"', 'encoding="windows-1252"').replace('Sengeafsnit M3', 'Sengeafsnit\u001bM3'), 'latin1');
    expect(decodeRefusal(latin).errors[0]?.message).toMatch(/U\+001B/);
  });
});

describe('limits', () => {
  it('refuses more attributes on one element than the limit, naming it', () => {
    const attributes = Array.from({ length: 40 }, (_, i) => ` a${i}="v"`).join('');
    const found = refusal(`<a>\n<b${attributes}/></a>`);
    expect(found.code).toBe('limit-exceeded');
    expect(found.message).toMatch(/more than 32 attributes; the gateway's limit is 32 per element/);
    expect(found).toMatchObject({ line: 2, column: 1 });
    expect(parseXml(`<a><b${attributes}/></a>`, { maxAttributesPerElement: 40 }).ok).toBe(true);
  });

  it('counts attributes written with spaces around "=" and with ">" inside their values', () => {
    const attributes = Array.from({ length: 33 }, (_, i) => ` a${i} =\n '>x>'`).join('');
    expect(refusal(`<a${attributes}></a>`).code).toBe('limit-exceeded');
  });

  it('refuses more namespace declarations than the limit, across elements', () => {
    const declarations = (from: number) => Array.from({ length: 30 }, (_, i) => ` xmlns:p${from + i}="urn:x"`).join('');
    const xml = `<a${declarations(0)}><b${declarations(30)}/><c${declarations(60)}/><d${declarations(90)}/></a>`;
    const found = refusal(xml);
    expect(found.message).toMatch(/more than 100 namespaces/);
    expect(parseXml(xml, { maxNamespaceDeclarations: 120 }).ok).toBe(true);
  });

  it('refuses a flood of character references, naming the limit', () => {
    const found = refusal(`<a>${'&#65;'.repeat(11)}</a>`, { maxCharacterReferences: 10 });
    expect(found.code).toBe('limit-exceeded');
    expect(found.message).toMatch(/more than 10 character references/);
    expect(found.column).toBe(54);
    expect(parseXml(`<a>${'&#65;'.repeat(10)}</a>`, { maxCharacterReferences: 10 }).ok).toBe(true);
  });

  it('does not count markup inside comments, CDATA or processing instructions as elements', () => {
    const xml = `<?xml version="1.0"?><a><!-- <b><b><b> --><![CDATA[<c><c><c>]]><?pi <d><d>?><e/></a>`;
    expect(parseXml(xml, { maxElements: 2, maxDepth: 2 }).ok).toBe(true);
  });

  it('counts self-closing elements without nesting them', () => {
    expect(parseXml(`<a>${'<b/>'.repeat(100)}</a>`, { maxDepth: 2 }).ok).toBe(true);
    expect(refusal(`<a>${'<b/>'.repeat(100)}</a>`, { maxElements: 50 }).message).toMatch(/more than 50 elements/);
  });

  it('refuses 200,000 attributes on the root quickly instead of accepting them', () => {
    const attributes = Array.from({ length: 200_000 }, (_, i) => ` a${i}="x"`).join('');
    const result = decodeRefusal(DISCHARGE.replace('<Emessage ', `<Emessage${attributes} `));
    expect(result.errors[0]?.code).toBe('limit-exceeded');
  });

  it('refuses 200,000 namespace declarations instead of accepting them', () => {
    const declarations = Array.from({ length: 200_000 }, (_, i) => ` xmlns:p${i}="urn:x"`).join('');
    expect(decodeRefusal(DISCHARGE.replace('<Emessage ', `<Emessage${declarations} `)).errors[0]?.code).toBe('limit-exceeded');
  });

  it('refuses an unknown attribute on <Emessage> as on any other element', () => {
    const result = decodeRefusal(DISCHARGE.replace('<Emessage ', '<Emessage version="2" '));
    expect(result.stage).toBe('structure');
    expect(result.errors[0]).toMatchObject({ path: '/Emessage/@version', code: 'unexpected-element' });
  });

  it('still lets xsi:schemaLocation stand on <Emessage>', () => {
    const located = DISCHARGE.replace(
      '<Emessage ',
      '<Emessage xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/ XDIS17.xsd" ',
    );
    const result = decodeMessage(Buffer.from(located));
    expect(result.ok ? 'ok' : JSON.stringify(result.errors)).toBe('ok');
  });
});

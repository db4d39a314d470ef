import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/codec/decode-text.js';

const danish = 'Ærø Sønderborg Åbenrå æøå';

function bytes(text: string, encoding: 'utf-8' | 'latin1'): Buffer {
  return Buffer.from(text, encoding === 'utf-8' ? 'utf8' : 'latin1');
}

function xml(encoding: string | undefined, body = danish): string {
  return `${encoding ? `<?xml version="1.0" encoding="${encoding}"?>` : ''}<a>${body}</a>`;
}

function decoded(input: Buffer, charset?: string) {
  const result = decodeText(input, charset);
  if (!result.ok) throw new Error(`expected to decode: ${JSON.stringify(result.issues)}`);
  return result;
}

describe('decodeText', () => {
  it.each([
    ['UTF-8', 'utf-8', 'utf-8'],
    ['ISO-8859-1', 'latin1', 'iso-8859-1'],
    ['windows-1252', 'latin1', 'windows-1252'],
    ['iso_8859-1', 'latin1', 'iso-8859-1'],
  ] as const)('keeps æ, ø and å intact in a message declared %s', (label, byteEncoding, expected) => {
    const result = decoded(bytes(xml(label), byteEncoding));
    expect(result.encoding).toBe(expected);
    expect(result.text).toContain(danish);
  });

  it('reads windows-1252 specific characters (€ at 0x80) that ISO-8859-1 lacks', () => {
    const input = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1252"?><a>'), Buffer.from([0x80]), Buffer.from('</a>')]);
    expect(decoded(input).text).toContain('€');
  });

  it('uses the HTTP charset when the message has no declaration', () => {
    expect(decoded(bytes(xml(undefined), 'latin1'), 'ISO-8859-1').text).toContain(danish);
  });

  it('accepts an HTTP charset that agrees with the declaration', () => {
    expect(decoded(bytes(xml('windows-1252'), 'latin1'), 'cp1252').encoding).toBe('windows-1252');
  });

  it('refuses a declaration that contradicts the HTTP charset', () => {
    const result = decodeText(bytes(xml('UTF-8'), 'utf-8'), 'ISO-8859-1');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.message).toMatch(/charset=ISO-8859-1.*encoding="UTF-8"/);
  });

  it('refuses an unknown declared encoding', () => {
    const result = decodeText(bytes(xml('EBCDIC-DK'), 'utf-8'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.message).toMatch(/EBCDIC-DK/);
  });

  it('refuses an unknown HTTP charset', () => {
    expect(decodeText(bytes(xml(undefined), 'utf-8'), 'koi8-r').ok).toBe(false);
  });

  it('refuses bytes that are not the UTF-8 they claim to be, naming the position', () => {
    const result = decodeText(bytes(xml('UTF-8'), 'latin1'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]?.code).toBe('invalid-bytes');
      expect(result.issues[0]?.column).toBe('<?xml version="1.0" encoding="UTF-8"?><a>'.length + 1);
    }
  });

  it('refuses UTF-16', () => {
    expect(decodeText(Buffer.from('\uFEFF<a/>', 'utf16le')).ok).toBe(false);
  });

  it('reads undeclared non-UTF-8 bytes as windows-1252 with a warning (Region H Latin-1 payloads)', () => {
    const result = decoded(bytes(xml(undefined), 'latin1'));
    expect(result.encoding).toBe('windows-1252');
    expect(result.text).toContain(danish);
    expect(result.warnings[0]?.severity).toBe('warning');
  });

  it('strips a UTF-8 byte order mark', () => {
    const result = decoded(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(xml('UTF-8'), 'utf-8')]));
    expect(result.text.startsWith('<?xml')).toBe(true);
  });
});

/**
 * Bytes → text. MedCom traffic arrives as UTF-8, ISO-8859-1 or windows-1252 (medcom.md §2.7); the
 * XML declaration and the HTTP charset say which, and when they contradict each other we refuse
 * rather than guess, because a wrong guess silently corrupts æ, ø and å in a patient's record.
 * The original bytes are never touched: this only produces the text the parser reads.
 */
import iconv from 'iconv-lite';
import { issue, type ValidationIssue } from './issues.js';

export type SupportedEncoding = 'utf-8' | 'iso-8859-1' | 'windows-1252';

const ALIASES: Record<string, SupportedEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'iso-8859-1',
  iso8859_1: 'iso-8859-1',
  'iso_8859-1': 'iso-8859-1',
  'iso-ir-100': 'iso-8859-1',
  latin1: 'iso-8859-1',
  'latin-1': 'iso-8859-1',
  l1: 'iso-8859-1',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
};

export type DecodeTextResult =
  | { ok: true; text: string; encoding: SupportedEncoding; warnings: ValidationIssue[] }
  | { ok: false; issues: ValidationIssue[] };

/** Normalises a charset label to one the gateway supports, or undefined. */
export function normaliseEncoding(label: string): SupportedEncoding | undefined {
  return ALIASES[label.trim().toLowerCase()];
}

/** The `encoding="…"` of the XML declaration, read from the ASCII-compatible head of the bytes. */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1').replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '');
  if (!head.startsWith('<?xml')) return undefined;
  const end = head.indexOf('?>');
  const declaration = end === -1 ? head : head.slice(0, end);
  return /\sencoding\s*=\s*["']([^"']*)["']/.exec(declaration)?.[1];
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/**
 * windows-1252 through iconv-lite: Node 20's TextDecoder('windows-1252') decodes 0x80–0x9F as C1
 * controls (Latin-1), losing €, „, “, ” and the like.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'windows-1252');
}

function decodeAs(bytes: Uint8Array, encoding: SupportedEncoding): string {
  switch (encoding) {
    case 'utf-8':
      return utf8Decoder.decode(bytes);
    case 'iso-8859-1':
      // Node's 'latin1' is true ISO-8859-1; TextDecoder('iso-8859-1') would silently be windows-1252.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    case 'windows-1252':
      return decodeWindows1252(bytes);
  }
}

/**
 * Decodes `bytes` using the XML declaration and the HTTP `charset` parameter (when the message came
 * over HTTP). Without either, XML says UTF-8; bytes that are not UTF-8 and declare nothing (the Region H
 * Latin-1 payloads) are read as windows-1252 with a warning.
 */
export function decodeText(bytes: Uint8Array, httpCharset?: string): DecodeTextResult {
  if (bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) {
    return {
      ok: false,
      issues: [issue('unsupported-encoding', '/', 'the message is UTF-16 encoded; send it as UTF-8, ISO-8859-1 or windows-1252')],
    };
  }
  const declaredLabel = declaredEncoding(bytes);
  const declared = declaredLabel === undefined ? undefined : normaliseEncoding(declaredLabel);
  if (declaredLabel !== undefined && declared === undefined) {
    return {
      ok: false,
      issues: [
        issue('unsupported-encoding', '/', `the XML declaration names the encoding "${declaredLabel}", which the gateway does not read; use UTF-8, ISO-8859-1 or windows-1252`, { line: 1, column: 1 }),
      ],
    };
  }
  const fromHttp = httpCharset === undefined ? undefined : normaliseEncoding(httpCharset);
  if (httpCharset !== undefined && fromHttp === undefined) {
    return {
      ok: false,
      issues: [issue('unsupported-encoding', '/', `the Content-Type charset "${httpCharset}" is not supported; use UTF-8, ISO-8859-1 or windows-1252`)],
    };
  }
  if (declared && fromHttp && declared !== fromHttp) {
    return {
      ok: false,
      issues: [
        issue('encoding-mismatch', '/', `the Content-Type says charset=${httpCharset} but the XML declaration says encoding="${declaredLabel}"; make them agree`, { line: 1, column: 1 }),
      ],
    };
  }
  const encoding = declared ?? fromHttp;
  const warnings: ValidationIssue[] = [];
  if (encoding) {
    try {
      return { ok: true, text: stripBom(decodeAs(bytes, encoding)), encoding, warnings };
    } catch {
      return { ok: false, issues: [issue('invalid-bytes', '/', `the bytes are not valid ${encoding}, as the message declares`, invalidUtf8Position(bytes))] };
    }
  }
  try {
    return { ok: true, text: stripBom(utf8Decoder.decode(bytes)), encoding: 'utf-8', warnings };
  } catch {
    warnings.push(
      issue('undeclared-encoding', '/', 'no encoding is declared and the bytes are not UTF-8; they were read as windows-1252 (declare encoding="windows-1252" or "ISO-8859-1" to be explicit)', invalidUtf8Position(bytes), 'warning'),
    );
    return { ok: true, text: stripBom(decodeWindows1252(bytes)), encoding: 'windows-1252', warnings };
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Line and column of the first byte that breaks UTF-8, for the error message. */
function invalidUtf8Position(bytes: Uint8Array): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < bytes.length; ) {
    const byte = bytes[i] as number;
    const length = byte < 0x80 ? 1 : byte >> 5 === 0x6 ? 2 : byte >> 4 === 0xe ? 3 : byte >> 3 === 0x1e ? 4 : 0;
    if (length === 0) return { line, column };
    for (let k = 1; k < length; k++) {
      if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return { line, column };
    }
    if (byte === 0x0a) {
      line += 1;
      column = 1;
    } else column += 1;
    i += length;
  }
  return { line, column };
}

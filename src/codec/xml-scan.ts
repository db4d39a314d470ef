/**
 * One linear pass over the decoded text before any parser sees it: the characters XML 1.0 forbids, and
 * the limits that keep a hostile message cheap to refuse (elements, depth, attributes per element,
 * namespace declarations, character references).
 *
 * WHY before the parser: fast-xml-parser's validator and parser accept raw control characters, and
 * their cost grows faster than the input for attribute and namespace floods (200,000 attributes took
 * seconds). This scan touches each character at most a few times, skips quoted values and text with
 * native `indexOf`, and stops at the first limit broken — so refusing costs time in proportion to the
 * bytes read, whatever their shape.
 */
import { issue, type ValidationIssue } from './issues.js';

export interface XmlLimits {
  /** Deepest element nesting accepted. MedCom messages are below 15; 64 leaves room and stops abuse. */
  readonly maxDepth: number;
  /** Most elements in one message. A 200 KB report has a few thousand. */
  readonly maxElements: number;
  /** Most attributes (namespace declarations included) on one element. MedCom elements carry three at most. */
  readonly maxAttributesPerElement: number;
  /** Most namespace declarations in one message: a handful in practice, one more per Local_Elements block. */
  readonly maxNamespaceDeclarations: number;
  /** Most character references (`&#230;`) in one message: systems that escape every æ, ø, å need a few thousand. */
  readonly maxCharacterReferences: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxDepth: 64,
  maxElements: 50_000,
  maxAttributesPerElement: 32,
  maxNamespaceDeclarations: 100,
  maxCharacterReferences: 50_000,
};

/**
 * XML 1.0 §2.2 Char, as what it excludes: C0 controls other than tab, LF and CR; U+FFFE and U+FFFF;
 * and surrogates that are not part of a pair. Surrogates are matched here and pairs let through below:
 * the `u` flag's `\p{Cs}` would do it in one expression but costs six times as much on every message.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const SUSPECT_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]/g;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

export type Positioner = (offset: number) => { line: number; column: number };

function describeCharacter(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character XML 1.0 forbids, as an issue naming it and its line and column. */
export function forbiddenCharacterIssue(text: string, position: Positioner): ValidationIssue | undefined {
  SUSPECT_CHARACTER.lastIndex = 0;
  for (let found = SUSPECT_CHARACTER.exec(text); found; found = SUSPECT_CHARACTER.exec(text)) {
    const code = text.charCodeAt(found.index);
    if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(found.index + 1))) {
      SUSPECT_CHARACTER.lastIndex = found.index + 2;
      continue;
    }
    return issue(
      'not-well-formed',
      '/',
      `the character ${describeCharacter(code)} is not allowed in XML 1.0 (control characters other than tab, line feed and carriage return, U+FFFE, U+FFFF and unpaired surrogates are forbidden, raw or as a character reference)`,
      position(found.index),
    );
  }
  return undefined;
}

/** XML 1.0 §2.2 Char as a code point test. */
export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

const CHARACTER_REFERENCE = /&#(x[0-9a-fA-F]{1,8}|[0-9]{1,10});/y;

/** The code point of the character reference at `at`, when a well-formed one is there. */
function referencedCharacter(text: string, at: number): { code: number; text: string } | undefined {
  CHARACTER_REFERENCE.lastIndex = at;
  const match = CHARACTER_REFERENCE.exec(text);
  const digits = match?.[1];
  if (!match || digits === undefined) return undefined;
  const code = digits[0] === 'x' ? Number.parseInt(digits.slice(1), 16) : Number.parseInt(digits, 10);
  return { code, text: match[0] };
}

function limitIssue(message: string, offset: number, position: Positioner): ValidationIssue {
  return issue('limit-exceeded', '/', message, position(offset));
}

function isNameStart(code: number): boolean {
  // Anything that can begin a tag name: letters, '_', ':' and every non-ASCII character.
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code === 0x3a || code > 0x7f;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** `xmlns` or `xmlns:prefix` starts at `at` (followed by '=', a space or ':'). */
function isNamespaceDeclaration(text: string, at: number): boolean {
  if (!text.startsWith('xmlns', at)) return false;
  const after = text.charCodeAt(at + 5);
  return after === 0x3a || after === 0x3d || isSpace(after);
}

/**
 * Counts attributes and namespace declarations of the start tag at `start` (its '<'). Returns the offset
 * after the tag, whether it closes itself, and its counts; -1 as the end when the tag never ends (the
 * well-formedness check reports that properly) or when the counts are past a limit already.
 */
function scanStartTag(text: string, start: number, limits: XmlLimits): { end: number; selfClosing: boolean; attributes: number; namespaces: number } {
  let attributes = 0;
  let namespaces = 0;
  /** Where the last attribute name began (-1: none since the last '=' or value), and whether we are inside it. */
  let nameStart = -1;
  let inName = false;
  let i = start + 1;
  // The element name itself.
  while (i < text.length && !isSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x3e && text.charCodeAt(i) !== 0x2f) i++;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x3e) return { end: i + 1, selfClosing: text.charCodeAt(i - 1) === 0x2f, attributes, namespaces };
    if (code === 0x22 || code === 0x27) {
      const close = text.indexOf(code === 0x22 ? '"' : "'", i + 1);
      if (close === -1) return { end: -1, selfClosing: false, attributes, namespaces };
      i = close + 1;
      nameStart = -1;
      inName = false;
      continue;
    }
    if (isSpace(code)) {
      inName = false;
    } else if (code === 0x3d) {
      if (nameStart !== -1) {
        attributes++;
        if (isNamespaceDeclaration(text, nameStart)) namespaces++;
        // Past a limit the rest of the tag cannot matter: stop reading it.
        if (attributes > limits.maxAttributesPerElement || namespaces > limits.maxNamespaceDeclarations) return { end: -1, selfClosing: false, attributes, namespaces };
      }
      nameStart = -1;
      inName = false;
    } else if (!inName) {
      nameStart = i;
      inName = true;
    }
    i++;
  }
  return { end: -1, selfClosing: false, attributes, namespaces };
}

/** Where the construct opened by `<!` or `<?` at `start` ends, or -1. */
function endOfMarkup(text: string, start: number): number {
  if (text.startsWith('<!--', start)) {
    const close = text.indexOf('-->', start + 4);
    return close === -1 ? -1 : close + 3;
  }
  if (text.startsWith('<![CDATA[', start)) {
    const close = text.indexOf(']]>', start + 9);
    return close === -1 ? -1 : close + 3;
  }
  const close = text.indexOf(text.charCodeAt(start + 1) === 0x3f ? '?>' : '>', start + 2);
  return close === -1 ? -1 : close + (text.charCodeAt(start + 1) === 0x3f ? 2 : 1);
}

/**
 * The first rule of XML 1.0's character set or of `limits` that `text` breaks, or undefined. Malformed
 * markup is left to the well-formedness check that follows; this only has to be linear and to count right
 * for the documents that check would accept.
 */
export function scanXml(text: string, limits: XmlLimits, position: Positioner): ValidationIssue | undefined {
  const forbidden = forbiddenCharacterIssue(text, position);
  if (forbidden) return forbidden;

  let references = 0;
  for (let at = text.indexOf('&#'); at !== -1; at = text.indexOf('&#', at + 2)) {
    if (++references > limits.maxCharacterReferences) {
      return limitIssue(`the message has more than ${limits.maxCharacterReferences} character references (&#…;); the gateway's limit is ${limits.maxCharacterReferences}`, at, position);
    }
    const referenced = referencedCharacter(text, at);
    if (referenced !== undefined && !isXmlChar(referenced.code)) {
      return issue('not-well-formed', '/', `the character reference ${referenced.text} names ${describeCharacter(referenced.code)}, which XML 1.0 does not allow`, position(at));
    }
  }

  let elements = 0;
  let depth = 0;
  let namespaces = 0;
  let i = text.indexOf('<');
  while (i !== -1 && i < text.length - 1) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x21 || next === 0x3f) {
      const end = endOfMarkup(text, i);
      if (end === -1) return undefined;
      i = text.indexOf('<', end);
      continue;
    }
    if (next === 0x2f) {
      depth--;
      i = text.indexOf('<', i + 2);
      continue;
    }
    if (!isNameStart(next)) {
      i = text.indexOf('<', i + 1);
      continue;
    }
    if (++elements > limits.maxElements) {
      return limitIssue(`the message has more than ${limits.maxElements} elements; the gateway's limit is ${limits.maxElements}`, i, position);
    }
    const tag = scanStartTag(text, i, limits);
    namespaces += tag.namespaces;
    if (namespaces > limits.maxNamespaceDeclarations) {
      return limitIssue(`the message declares more than ${limits.maxNamespaceDeclarations} namespaces (xmlns); the gateway's limit is ${limits.maxNamespaceDeclarations}`, i, position);
    }
    if (tag.attributes > limits.maxAttributesPerElement) {
      return limitIssue(`an element has more than ${limits.maxAttributesPerElement} attributes; the gateway's limit is ${limits.maxAttributesPerElement} per element`, i, position);
    }
    if (!tag.selfClosing && ++depth > limits.maxDepth) {
      return limitIssue(`elements are nested deeper than ${limits.maxDepth} levels; the gateway's limit is ${limits.maxDepth}`, i, position);
    }
    if (tag.end === -1) return undefined;
    i = text.indexOf('<', tag.end);
  }
  return undefined;
}

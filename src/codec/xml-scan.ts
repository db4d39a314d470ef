/**
 * The characters XML 1.0 forbids, and the limits that keep a hostile message cheap to refuse (elements,
 * depth, attributes per element, namespace declarations, character references).
 *
 * The characters are checked over the whole text in one native regular-expression pass before parsing,
 * so a control character anywhere (a comment included) is refused naming its line and column. The
 * limits are enforced by the parser (xml-parser.ts) as it reads, at the first element, attribute or
 * reference that breaks one: refusing costs time in proportion to the bytes read, whatever their shape.
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

export function describeCharacter(code: number): string {
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

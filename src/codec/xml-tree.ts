/**
 * Safe XML parsing into a namespace-resolved tree that ajv can validate.
 *
 * The tree convention the JSON Schemas in `schemas/` are written against:
 *  - an element with only text (or nothing) becomes a string;
 *  - an element with child elements or attributes becomes an object whose keys are the children's
 *    local names and whose values are ALWAYS arrays (so "appears twice" is visible to `maxItems`);
 *  - mixed content keeps its text under `#text`, attributes other than namespace declarations and
 *    `xsi:*` appear as `@name`;
 *  - where each element sits (namespace, line, column, child order) is kept under the META symbol,
 *    which ajv never sees, so error messages can name lines and the `xmlSequence` keyword can check order.
 *
 * Safety: DOCTYPE and ENTITY declarations are refused before parsing (no XXE, no billion laughs),
 * entity processing in the parser is off (we decode the five predefined entities and character
 * references ourselves), and every character XML forbids and every limit (xml-scan.ts) is checked in one
 * linear pass before the parser runs.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { issue, type ValidationIssue } from './issues.js';
import { DEFAULT_XML_LIMITS, isXmlChar, scanXml, type XmlLimits } from './xml-scan.js';

export { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-scan.js';

export const META: unique symbol = Symbol('medcom-xml-meta');

export interface ChildMeta {
  readonly name: string;
  readonly ns: string;
  /** Offset of the child's start tag in the text (for line/column on demand). */
  readonly offset: number;
}

export interface ElementMeta {
  readonly name: string;
  readonly ns: string;
  readonly offset: number;
  /** Every child element in document order, including those that became plain strings. */
  readonly children: readonly ChildMeta[];
}

export type XmlNode = string | XmlElement;

export interface XmlElement {
  [key: string]: XmlNode[] | string;
  [META]: ElementMeta;
}

export interface XmlDocument {
  readonly root: XmlElement;
  readonly rootName: string;
  readonly rootNamespace: string;
  readonly elementCount: number;
  /** Line and column (1-based) of a text offset. */
  position(offset: number): { line: number; column: number };
}

export type XmlParseResult = { ok: true; document: XmlDocument } | { ok: false; issues: ValidationIssue[] };

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_REF = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
const BARE_AMPERSAND = /&(?!#x[0-9a-fA-F]+;|#[0-9]+;|[A-Za-z_][\w.-]*;)/;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  captureMetaData: true,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 10_000,
  // No callbacks use paths; building the jPath strings costs ~15% of a small message's parse.
  jPath: false,
});
const METADATA = XMLParser.getMetaDataSymbol() as unknown as symbol;

class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}
  position(offset: number): { line: number; column: number } {
    if (!this.starts) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

class ParseFailure extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues[0]?.message ?? 'parse failure');
  }
}

/** Parses `text` safely into the tree described above, or explains precisely why it cannot. */
export function parseXml(text: string, limitsGiven: Partial<XmlLimits> = DEFAULT_XML_LIMITS): XmlParseResult {
  const limits: XmlLimits = limitsGiven === DEFAULT_XML_LIMITS ? DEFAULT_XML_LIMITS : { ...DEFAULT_XML_LIMITS, ...limitsGiven };
  const lines = new LineIndex(text);
  const forbidden = /<!(DOCTYPE|ENTITY)/i.exec(text);
  if (forbidden) {
    return {
      ok: false,
      issues: [
        issue(
          'forbidden-declaration',
          '/',
          `a <!${forbidden[1]?.toUpperCase()}> declaration is not accepted: MedCom messages never carry one, and it could be used for entity expansion or external entity attacks`,
          lines.position(forbidden.index),
        ),
      ],
    };
  }
  const broken = scanXml(text, limits, (offset) => lines.position(offset));
  if (broken) return { ok: false, issues: [broken] };
  const wellFormed = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (wellFormed !== true) {
    const { line, col, msg } = wellFormed.err;
    return {
      ok: false,
      issues: [issue('not-well-formed', '/', `the XML is not well-formed: ${msg}`, { line, column: col })],
    };
  }
  let ordered: OrderedNode[];
  try {
    ordered = parser.parse(text) as OrderedNode[];
  } catch (error) {
    return { ok: false, issues: [issue('not-well-formed', '/', `the XML is not well-formed: ${(error as Error).message}`)] };
  }
  const rootNode = ordered.find((node) => elementNameOf(node) !== undefined);
  if (!rootNode) return { ok: false, issues: [issue('not-well-formed', '/', 'the document has no root element')] };
  try {
    const state = { count: 0, lines };
    const rootName = elementNameOf(rootNode) as string;
    const scope = new Map<string, string>([['xml', XML_NS]]);
    const { element, ns, localName } = convertElement(rootNode, rootName, scope, '', state);
    const root = typeof element === 'string' ? emptyElement(localName, ns, offsetOf(rootNode), element) : element;
    return {
      ok: true,
      document: {
        root,
        rootName: localName,
        rootNamespace: ns,
        elementCount: state.count,
        position: (offset) => lines.position(offset),
      },
    };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, issues: error.issues };
    throw error;
  }
}

function emptyElement(name: string, ns: string, offset: number, text: string): XmlElement {
  const element = {} as XmlElement;
  if (text !== '') element['#text'] = text;
  element[META] = { name, ns, offset, children: [] };
  return element;
}

function elementNameOf(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ':@' && key !== '#text' && key !== '#cdata') return key;
  }
  return undefined;
}

interface ConvertState {
  count: number;
  readonly lines: LineIndex;
}

function offsetOf(node: OrderedNode): number {
  const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[METADATA];
  return meta?.startIndex ?? 0;
}

function splitName(qualified: string): [prefix: string, local: string] {
  const colon = qualified.indexOf(':');
  return colon === -1 ? ['', qualified] : [qualified.slice(0, colon), qualified.slice(colon + 1)];
}

function convertElement(
  node: OrderedNode,
  qualifiedName: string,
  parentScope: Map<string, string>,
  parentPath: string,
  state: ConvertState,
): { element: XmlElement | string; ns: string; localName: string } {
  const offset = offsetOf(node);
  state.count += 1;
  const attributes = node[':@'] ?? {};
  let scope = parentScope;
  const plainAttributes: [string, string][] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      scope.set(name === 'xmlns' ? '' : name.slice(6), decodeEntities(value, parentPath, offset, state));
    } else {
      plainAttributes.push([name, value]);
    }
  }
  const [prefix, localName] = splitName(qualifiedName);
  const ns = scope.get(prefix);
  const path = `${parentPath}/${localName}`;
  if (ns === undefined && prefix !== '') {
    throw new ParseFailure([
      issue('not-well-formed', path, `the namespace prefix "${prefix}" is not declared`, state.lines.position(offset)),
    ]);
  }
  const children = (node[qualifiedName] ?? []) as OrderedNode[];
  const element = {} as XmlElement;
  const childMeta: ChildMeta[] = [];
  let text = '';
  let hasStructure = false;
  for (const [name, value] of plainAttributes) {
    const [attrPrefix, attrLocal] = splitName(name);
    if (attrPrefix && scope.get(attrPrefix) === XSI_NS) continue; // xsi:schemaLocation and friends carry no content
    element[`@${attrLocal}`] = decodeEntities(value, path, offset, state);
    hasStructure = true;
  }
  for (const child of children) {
    if ('#text' in child) {
      text += decodeEntities(String(child['#text']), path, offset, state);
      continue;
    }
    if ('#cdata' in child) {
      const parts = child['#cdata'] as { '#text'?: string }[];
      for (const part of parts) text += part['#text'] ?? '';
      continue;
    }
    const childName = elementNameOf(child);
    if (childName === undefined) continue;
    const converted = convertElement(child, childName, scope, path, state);
    const existing = element[converted.localName];
    if (Array.isArray(existing)) existing.push(converted.element);
    else element[converted.localName] = [converted.element];
    childMeta.push({ name: converted.localName, ns: converted.ns, offset: offsetOf(child) });
    hasStructure = true;
  }
  const resolvedNs = ns ?? '';
  if (!hasStructure) return { element: text, ns: resolvedNs, localName };
  if (text !== '') element['#text'] = text;
  element[META] = { name: localName, ns: resolvedNs, offset, children: childMeta };
  return { element, ns: resolvedNs, localName };
}

function decodeEntities(raw: string, path: string, offset: number, state: ConvertState): string {
  if (!raw.includes('&')) return raw;
  if (BARE_AMPERSAND.test(raw)) {
    throw new ParseFailure([
      issue('not-well-formed', path, 'a bare "&" must be written as &amp;', state.lines.position(offset)),
    ]);
  }
  return raw = raw.replace(ENTITY_REF, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!isXmlChar(code)) {
        throw new ParseFailure([
          issue('not-well-formed', path, `the character reference ${whole} is not a legal XML character`, state.lines.position(offset)),
        ]);
      }
      return String.fromCodePoint(code);
    }
    const predefined = PREDEFINED[ref];
    if (predefined === undefined) {
      throw new ParseFailure([
        issue('not-well-formed', path, `the entity ${whole} is not defined (only &lt; &gt; &amp; &quot; &apos; exist without a DOCTYPE)`, state.lines.position(offset)),
      ]);
    }
    return predefined;
  });
}

/** The child elements of `element` named `name` (always an array; empty when absent). */
export function childrenOf(element: XmlElement, name: string): XmlNode[] {
  const value = element[name];
  return Array.isArray(value) ? value : [];
}

/** The text of the first child named `name`, when that child holds text. */
export function textOf(element: XmlElement | undefined, name: string): string | undefined {
  if (!element) return undefined;
  const first = childrenOf(element, name)[0];
  return typeof first === 'string' ? first : undefined;
}

/** The first child named `name` when it is an element with structure. */
export function elementOf(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined;
  const first = childrenOf(element, name)[0];
  return typeof first === 'object' ? first : undefined;
}

/** The value of the attribute `name` (stored under `@name`), when the element has it. */
export function attributeOf(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function isElement(node: XmlNode | undefined): node is XmlElement {
  return typeof node === 'object' && node !== null;
}

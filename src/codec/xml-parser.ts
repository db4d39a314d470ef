/**
 * A strict XML 1.0 + Namespaces parser that reads the text once and builds the codec's tree (see
 * xml-tree.ts) as it goes, enforcing the gateway's limits on the way.
 *
 * WHY hand-written: the codec used to run a general-purpose parser twice (a validation pass, then a
 * parse into an intermediate tree) and convert that tree again; most of a message's decoding time went
 * there. MedCom messages need a small part of XML — no DTD (refused before this runs), five predefined
 * entities, character references, CDATA, comments and processing instructions — and that part is
 * checked here completely: names, tag nesting, attribute syntax and uniqueness, references, `]]>` and
 * `--` where XML forbids them, one root element, the XML declaration's form, and namespace prefixes.
 * Every step moves forward through the text (native `indexOf` for text and values), so the time to
 * accept or refuse grows with the bytes read, whatever their shape.
 *
 * Text follows the tree's long-standing convention: line ends are normalised (CR LF and CR become
 * LF), each run of text between tags, CDATA sections and processing instructions is trimmed
 * (comments do not split a run), then references are decoded; CDATA is kept literally. Attribute
 * values are normalised as XML says (tab, CR and LF become spaces; a character reference keeps its
 * character), then trimmed.
 */
import { issue, type ValidationIssue } from './issues.js';
import { META, type ChildMeta, type XmlElement, type XmlNode } from './xml-node.js';
import { describeCharacter, isXmlChar, type Positioner, type XmlLimits } from './xml-scan.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** `<?xml version="1.x" encoding="…" standalone="…"?>` as XML 1.0 §2.8 writes it (encoding and standalone optional). */
const XML_DECLARATION =
  /<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/y;
const LINE_END = /\r\n?/g;
const ATTRIBUTE_WHITESPACE = /\r\n|[\t\n\r]/g;

/** ASCII name characters (XML 1.0 fifth edition); everything from U+0080 is decided by `nonAsciiNameWidth`. */
const NAME_START = new Uint8Array(128);
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a;
  NAME_START[c] = letter ? 1 : 0;
  NAME_CHAR[c] = letter || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e ? 1 : 0;
}

/** How many UTF-16 units the name character at `at` takes (0: not a name character), for code units ≥ U+0080. */
function nonAsciiNameWidth(text: string, at: number, first: boolean): number {
  const c = text.charCodeAt(at);
  if (c >= 0xd800 && c <= 0xdb7f) {
    // U+10000–U+EFFFF: a high surrogate up to DB7F followed by a low one.
    const low = text.charCodeAt(at + 1);
    return low >= 0xdc00 && low <= 0xdfff ? 2 : 0;
  }
  const start =
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd);
  if (start) return 1;
  if (first) return 0;
  return c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040 ? 1 : 0;
}

/**
 * Recently read element names, by a hash of first character, last character and length. A message
 * repeats a few dozen names; handing out the same string each time spares an allocation per tag and
 * lets property keys be found without hashing a fresh string. Long names are never kept.
 */
const NAME_CACHE: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);
const NAME_CACHE_MAX_LENGTH = 64;

function internedName(text: string, start: number, end: number): string {
  const length = end - start;
  if (length > NAME_CACHE_MAX_LENGTH) return text.slice(start, end);
  const slot = (text.charCodeAt(start) * 31 + text.charCodeAt(end - 1) * 7 + length * 131) & 1023;
  const cached = NAME_CACHE[slot];
  if (cached !== undefined && cached.length === length && text.startsWith(cached, start)) return cached;
  const name = text.slice(start, end);
  NAME_CACHE[slot] = name;
  return name;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

/** A name, quoted for a message, shortened when someone sends a very long one. */
function quoted(name: string): string {
  return name.length > 60 ? `${name.slice(0, 57)}…` : name;
}

export class XmlSyntaxFailure extends Error {
  constructor(readonly issue: ValidationIssue) {
    super(issue.message);
  }
}

type Scope = ReadonlyMap<string, string>;

/** One open element. Frames are reused by depth, so parsing allocates no frame per element. */
class Frame {
  qname = '';
  localName = '';
  ns = '';
  offset = 0;
  scope: Scope = new Map();
  /** Created on the first attribute or child element; an element without either becomes its text. */
  element: XmlElement | undefined = undefined;
  children: ChildMeta[] = [];
  text = '';
  /** Raw text of the current run (comments do not end a run), trimmed and decoded when it ends. */
  pending = '';
  pendingHasReference = false;
}

export interface ParsedTree {
  readonly root: XmlElement;
  readonly rootName: string;
  readonly rootNamespace: string;
  readonly elementCount: number;
}

/** Parses `text` into the tree, or throws XmlSyntaxFailure naming the first problem and where it is. */
export function parseTree(text: string, limits: XmlLimits, position: Positioner): ParsedTree {
  return new StrictXmlParser(text, limits, position).parse();
}

/** Attribute name and value bounds of the start tag being read, reused from tag to tag. */
interface RawAttributes {
  count: number;
  readonly nameStart: number[];
  readonly nameEnd: number[];
  readonly valueStart: number[];
  readonly valueEnd: number[];
  readonly hasReference: boolean[];
}

class StrictXmlParser {
  private readonly length: number;
  private readonly hasCarriageReturn: boolean;
  private readonly frames: Frame[] = [];
  private depth = 0;
  private elements = 0;
  private namespaceDeclarations = 0;
  private characterReferences = 0;
  /** The next '&' and ']]>' at or after the last position asked about (text length: none). */
  private nextAmpersand = -1;
  private nextCdataClose = -1;
  /** The next '<' at or after the last attribute value read (text length: none). */
  private nextLessThan = -1;
  private readonly attributes: RawAttributes = { count: 0, nameStart: [], nameEnd: [], valueStart: [], valueEnd: [], hasReference: [] };
  private root: { element: XmlElement | string; name: string; ns: string; offset: number } | undefined;

  constructor(
    private readonly text: string,
    private readonly limits: XmlLimits,
    private readonly position: Positioner,
  ) {
    this.length = text.length;
    this.hasCarriageReturn = text.indexOf('\r') !== -1;
  }

  parse(): ParsedTree {
    const text = this.text;
    let at = 0;
    if (text.startsWith('<?xml') && (isSpace(text.charCodeAt(5)) || text.charCodeAt(5) === 0x3f)) {
      XML_DECLARATION.lastIndex = 0;
      if (!XML_DECLARATION.test(text)) {
        this.fail(0, 'the XML declaration is malformed: it must read <?xml version="1.0"?>, optionally with encoding="…" and standalone="yes" or "no" in that order');
      }
      at = XML_DECLARATION.lastIndex;
    }
    at = this.readMisc(at, 'before');
    if (at >= this.length) this.fail(at, 'the document has no root element');
    at = this.readElements(at);
    at = this.readMisc(at, 'after');
    if (at < this.length) {
      const next = text.charCodeAt(at + 1);
      if (text.charCodeAt(at) === 0x3c && (next < 0x80 ? NAME_START[next] === 1 : nonAsciiNameWidth(text, at + 1, true) > 0)) {
        this.fail(at, `a second root element <${quoted(this.nameAt(at + 1))}> follows the first; a document has exactly one`);
      }
      this.fail(at, 'only comments, processing instructions and white space may follow the root element');
    }
    const root = this.root as NonNullable<StrictXmlParser['root']>;
    const element =
      typeof root.element === 'string' ? emptyElement(root.name, root.ns, root.offset, root.element) : root.element;
    return { root: element, rootName: root.name, rootNamespace: root.ns, elementCount: this.elements };
  }

  // ------------------------------------------------------------------------------------------
  // Outside the root element

  /** Skips white space, comments and processing instructions; returns where something else starts. */
  private readMisc(from: number, where: 'before' | 'after'): number {
    const text = this.text;
    let at = from;
    for (;;) {
      while (at < this.length && isSpace(text.charCodeAt(at))) at++;
      if (at >= this.length) return at;
      if (text.charCodeAt(at) !== 0x3c) {
        if (where === 'after') return at;
        this.fail(at, 'text is not allowed before the root element');
      }
      const next = text.charCodeAt(at + 1);
      if (next === 0x3f) at = this.readProcessingInstruction(at);
      else if (next === 0x21 && text.startsWith('<!--', at)) at = this.readComment(at);
      else if (next === 0x21) this.fail(at, `${text.startsWith('<![CDATA[', at) ? 'a CDATA section' : 'markup starting "<!"'} is not allowed ${where} the root element`);
      else return at;
    }
  }

  // ------------------------------------------------------------------------------------------
  // The element tree

  /** Reads the root element (its start tag is at `start`) and everything in it; returns the offset after it. */
  private readElements(start: number): number {
    const text = this.text;
    let at = this.readStartTag(start);
    while (this.depth > 0) {
      const lt = text.indexOf('<', at);
      const frame = this.frames[this.depth - 1] as Frame;
      if (lt === -1) {
        this.fail(this.length, `the document ends before <${quoted(frame.qname)}> ${this.where(frame.offset)} is closed`);
      }
      if (lt > at) this.readText(frame, at, lt);
      const next = text.charCodeAt(lt + 1);
      if (next === 0x2f) {
        this.flushText(frame);
        at = this.readEndTag(frame, lt);
      } else if (next === 0x21) {
        if (text.startsWith('<!--', lt)) {
          at = this.readComment(lt);
        } else if (text.startsWith('<![CDATA[', lt)) {
          this.flushText(frame);
          at = this.readCdata(frame, lt);
        } else {
          this.fail(lt, 'markup starting "<!" is not allowed inside an element; only comments and CDATA sections are');
        }
      } else if (next === 0x3f) {
        this.flushText(frame);
        at = this.readProcessingInstruction(lt);
      } else {
        this.flushText(frame);
        at = this.readStartTag(lt);
      }
    }
    return at;
  }

  /** Reads the start tag at `lt`; opens the element (or, for `<x/>`, adds it whole). Returns the offset after the tag. */
  private readStartTag(lt: number): number {
    const text = this.text;
    const nameEnd = this.scanName(lt + 1);
    if (nameEnd === lt + 1) {
      this.fail(lt, this.depth > 0 ? 'a "<" in text must be written as &lt;' : 'expected the root element\'s start tag after "<"');
    }
    if (++this.elements > this.limits.maxElements) {
      this.limitFail(lt, `the message has more than ${this.limits.maxElements} elements; the gateway's limit is ${this.limits.maxElements}`);
    }
    const qname = internedName(text, lt + 1, nameEnd);
    const attributes = this.attributes;
    attributes.count = 0;
    let at = nameEnd;
    let selfClosing = false;
    for (;;) {
      const before = at;
      while (at < this.length && isSpace(text.charCodeAt(at))) at++;
      const code = text.charCodeAt(at);
      if (code === 0x3e) {
        at += 1;
        break;
      }
      if (code === 0x2f) {
        if (text.charCodeAt(at + 1) !== 0x3e) this.fail(at, `expected ">" after "/" in the start tag <${quoted(qname)}>`);
        at += 2;
        selfClosing = true;
        break;
      }
      if (at >= this.length) this.fail(lt, `the start tag <${quoted(qname)}> is not closed with ">"`);
      if (at === before) {
        this.fail(at, `unexpected ${describeAt(text, at)} in the start tag <${quoted(qname)}>: attributes must be separated by white space`);
      }
      at = this.readAttribute(lt, qname, at);
    }
    this.openElement(lt, qname);
    if (selfClosing) this.closeElement();
    else if (this.depth > this.limits.maxDepth) {
      this.limitFail(lt, `elements are nested deeper than ${this.limits.maxDepth} levels; the gateway's limit is ${this.limits.maxDepth}`);
    }
    return at;
  }

  /** Reads `name = "value"` at `at` inside the start tag at `lt`; returns the offset after the value. */
  private readAttribute(lt: number, qname: string, at: number): number {
    const text = this.text;
    const nameEnd = this.scanName(at);
    if (nameEnd === at) this.fail(at, `unexpected ${describeAt(text, at)} in the start tag <${quoted(qname)}>`);
    const attributes = this.attributes;
    const index = attributes.count;
    if (index >= this.limits.maxAttributesPerElement) {
      this.limitFail(lt, `an element has more than ${this.limits.maxAttributesPerElement} attributes; the gateway's limit is ${this.limits.maxAttributesPerElement} per element`);
    }
    if (text.startsWith('xmlns', at) && (nameEnd === at + 5 || text.charCodeAt(at + 5) === 0x3a)) {
      if (++this.namespaceDeclarations > this.limits.maxNamespaceDeclarations) {
        this.limitFail(lt, `the message declares more than ${this.limits.maxNamespaceDeclarations} namespaces (xmlns); the gateway's limit is ${this.limits.maxNamespaceDeclarations}`);
      }
    }
    let p = nameEnd;
    while (p < this.length && isSpace(text.charCodeAt(p))) p++;
    if (text.charCodeAt(p) !== 0x3d) this.fail(p, `the attribute "${quoted(text.slice(at, nameEnd))}" has no value: write ${quoted(text.slice(at, nameEnd))}="…"`);
    p++;
    while (p < this.length && isSpace(text.charCodeAt(p))) p++;
    const quote = text.charCodeAt(p);
    if (quote !== 0x22 && quote !== 0x27) this.fail(p, `the value of the attribute "${quoted(text.slice(at, nameEnd))}" must be in quotes`);
    const valueStart = p + 1;
    const valueEnd = text.indexOf(quote === 0x22 ? '"' : "'", valueStart);
    if (valueEnd === -1) this.fail(p, `the value of the attribute "${quoted(text.slice(at, nameEnd))}" is not closed`);
    if (this.nextLessThan < valueStart) {
      const found = text.indexOf('<', valueStart);
      this.nextLessThan = found === -1 ? this.length : found;
    }
    if (this.nextLessThan < valueEnd) this.fail(this.nextLessThan, 'a "<" in an attribute value must be written as &lt;');
    const hasReference = this.checkReferences(valueStart, valueEnd);
    attributes.nameStart[index] = at;
    attributes.nameEnd[index] = nameEnd;
    attributes.valueStart[index] = valueStart;
    attributes.valueEnd[index] = valueEnd;
    attributes.hasReference[index] = hasReference;
    attributes.count = index + 1;
    return valueEnd + 1;
  }

  /** Opens the element whose start tag (at `lt`, attributes read) names `qname`: namespaces, attributes, frame. */
  private openElement(lt: number, qname: string): void {
    const text = this.text;
    const parent = this.depth > 0 ? (this.frames[this.depth - 1] as Frame) : undefined;
    const attributes = this.attributes;
    let scope: Scope = parent ? parent.scope : INITIAL_SCOPE;
    let plain = 0;
    for (let i = 0; i < attributes.count; i++) {
      const nameStart = attributes.nameStart[i] as number;
      const nameEnd = attributes.nameEnd[i] as number;
      for (let j = 0; j < i; j++) {
        const otherStart = attributes.nameStart[j] as number;
        const otherEnd = attributes.nameEnd[j] as number;
        if (otherEnd - otherStart === nameEnd - nameStart && text.startsWith(text.slice(nameStart, nameEnd), otherStart)) {
          this.fail(nameStart, `the attribute "${quoted(text.slice(nameStart, nameEnd))}" appears twice in the start tag <${quoted(qname)}>`);
        }
      }
      if (!text.startsWith('xmlns', nameStart) || (nameEnd !== nameStart + 5 && text.charCodeAt(nameStart + 5) !== 0x3a)) {
        plain++;
        continue;
      }
      const prefix = nameEnd === nameStart + 5 ? '' : text.slice(nameStart + 6, nameEnd);
      const uri = this.attributeValue(i);
      this.checkDeclaration(nameStart, prefix, uri);
      if (scope === (parent ? parent.scope : INITIAL_SCOPE)) scope = new Map(scope);
      (scope as Map<string, string>).set(prefix, uri);
    }
    const colon = this.checkQualifiedName(lt + 1, qname);
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    const localName = colon === -1 ? qname : qname.slice(colon + 1);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== '') {
      this.fail(lt, `the namespace prefix "${quoted(prefix)}" is not declared`, `${this.pathOfOpen()}/${localName}`);
    }
    const frame = this.frames[this.depth] ?? (this.frames[this.depth] = new Frame());
    frame.qname = qname;
    frame.localName = localName;
    frame.ns = ns ?? '';
    frame.offset = lt;
    frame.scope = scope;
    frame.element = undefined;
    frame.text = '';
    frame.pending = '';
    frame.pendingHasReference = false;
    this.depth++;
    if (plain > 0) this.addAttributes(frame, scope);
  }

  /** Puts the element's attributes (not namespace declarations, not xsi:*) on it as `@name`. */
  private addAttributes(frame: Frame, scope: Scope): void {
    const text = this.text;
    const attributes = this.attributes;
    for (let i = 0; i < attributes.count; i++) {
      const nameStart = attributes.nameStart[i] as number;
      const nameEnd = attributes.nameEnd[i] as number;
      if (text.startsWith('xmlns', nameStart) && (nameEnd === nameStart + 5 || text.charCodeAt(nameStart + 5) === 0x3a)) continue;
      const name = text.slice(nameStart, nameEnd);
      const colon = this.checkQualifiedName(nameStart, name);
      let localName = name;
      if (colon !== -1) {
        const prefix = name.slice(0, colon);
        localName = name.slice(colon + 1);
        const ns = scope.get(prefix);
        if (ns === undefined) {
          this.fail(nameStart, `the namespace prefix "${quoted(prefix)}" of the attribute "${quoted(name)}" is not declared`, this.pathOfOpen());
        }
        this.checkExpandedNameUnique(i, ns, localName, frame.qname, scope);
        if (ns === XSI_NS) continue; // xsi:schemaLocation and friends carry no content
      }
      const element = frame.element ?? this.createElement(frame);
      setOwn(element, `@${localName}`, this.attributeValue(i));
    }
  }

  /** Namespaces in XML 1.0 §3: two attributes may not have the same namespace and local name. */
  private checkExpandedNameUnique(index: number, ns: string, localName: string, qname: string, scope: Scope): void {
    const text = this.text;
    const attributes = this.attributes;
    for (let j = 0; j < index; j++) {
      const name = text.slice(attributes.nameStart[j], attributes.nameEnd[j]);
      const colon = name.indexOf(':');
      if (colon === -1 || name.startsWith('xmlns:')) continue;
      if (name.slice(colon + 1) === localName && scope.get(name.slice(0, colon)) === ns) {
        this.fail(attributes.nameStart[index] as number, `the attributes "${quoted(name)}" and "${quoted(text.slice(attributes.nameStart[index], attributes.nameEnd[index]))}" of <${quoted(qname)}> are the same attribute (same namespace and name)`);
      }
    }
  }

  private checkDeclaration(at: number, prefix: string, uri: string): void {
    if (prefix === 'xmlns') this.fail(at, 'the prefix "xmlns" may not be declared');
    if (prefix === 'xml' && uri !== XML_NS) this.fail(at, `the prefix "xml" may only be bound to ${XML_NS}`);
    if (prefix !== 'xml' && uri === XML_NS) this.fail(at, `only the prefix "xml" may be bound to ${XML_NS}`);
    if (uri === XMLNS_NS) this.fail(at, `no prefix may be bound to ${XMLNS_NS}`);
    if (prefix !== '' && uri === '') this.fail(at, `the prefix "${quoted(prefix)}" may not be declared with an empty namespace name`);
    if (prefix.includes(':')) this.fail(at, `"xmlns:${quoted(prefix)}" is not a valid namespace declaration: a prefix has no colon`);
  }

  /** Where the name's colon is (-1: none), after checking it is a qualified name (prefix:local, each a name without colons). */
  private checkQualifiedName(at: number, name: string): number {
    const colon = name.indexOf(':');
    if (colon === -1) return -1;
    const afterColon = name.charCodeAt(colon + 1);
    const localStarts = afterColon < 0x80 ? NAME_START[afterColon] === 1 && afterColon !== 0x3a : nonAsciiNameWidth(name, colon + 1, true) > 0;
    if (colon === 0 || !localStarts || name.indexOf(':', colon + 1) !== -1) {
      this.fail(at, `"${quoted(name)}" is not a valid qualified name: write prefix:name, each part a name without colons`);
    }
    return colon;
  }

  /** The value of attribute `index` of the current start tag: normalised, trimmed and decoded. */
  private attributeValue(index: number): string {
    let value = this.text.slice(this.attributes.valueStart[index], this.attributes.valueEnd[index]);
    if (value.length === 0) return value;
    ATTRIBUTE_WHITESPACE.lastIndex = 0;
    if (ATTRIBUTE_WHITESPACE.test(value)) value = value.replace(ATTRIBUTE_WHITESPACE, ' ');
    value = value.trim();
    return this.attributes.hasReference[index] ? decodeReferences(value) : value;
  }

  private createElement(frame: Frame): XmlElement {
    const element = {} as XmlElement;
    frame.element = element;
    frame.children = [];
    return element;
  }

  /** Closes the innermost open element and adds it to its parent (or makes it the root). */
  private closeElement(): void {
    const frame = this.frames[--this.depth] as Frame;
    let value: XmlNode;
    const element = frame.element;
    if (element === undefined) {
      value = frame.text;
    } else {
      if (frame.text !== '') element['#text'] = frame.text;
      element[META] = { name: frame.localName, ns: frame.ns, offset: frame.offset, children: frame.children };
      value = element;
    }
    if (this.depth === 0) {
      this.root = { element: value, name: frame.localName, ns: frame.ns, offset: frame.offset };
      return;
    }
    const parent = this.frames[this.depth - 1] as Frame;
    const parentElement = parent.element ?? this.createElement(parent);
    const existing = parentElement[frame.localName];
    // Only arrays are ever stored under a child's name: anything else (undefined, or an inherited
    // `constructor` or `toString`) means this is the first child of that name.
    if (Array.isArray(existing)) existing.push(value);
    else setOwn(parentElement, frame.localName, [value]);
    parent.children.push({ name: frame.localName, ns: frame.ns, offset: frame.offset });
  }

  /** Reads the end tag at `lt`, which must close `frame`; returns the offset after it. */
  private readEndTag(frame: Frame, lt: number): number {
    const text = this.text;
    const qname = frame.qname;
    let at = this.scanName(lt + 2);
    if (at - (lt + 2) !== qname.length || !text.startsWith(qname, lt + 2)) {
      const found = text.slice(lt + 2, at);
      if (found === '') this.fail(lt, `expected the name of an element after "</" (to close <${quoted(qname)}> ${this.where(frame.offset)})`);
      this.fail(lt, `the end tag </${quoted(found)}> does not match the start tag <${quoted(qname)}> ${this.where(frame.offset)}`);
    }
    while (at < this.length && isSpace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) !== 0x3e) this.fail(at, `expected ">" to end the end tag </${quoted(qname)}>`);
    this.closeElement();
    return at + 1;
  }

  // ------------------------------------------------------------------------------------------
  // Text, CDATA, comments, processing instructions

  /** Text from `from` to `to` (a '<'): checked now, kept raw until the run ends. */
  private readText(frame: Frame, from: number, to: number): void {
    const text = this.text;
    if (frame.pending === '') {
      // Indentation between elements: nothing a trimmed run would keep.
      let at = from;
      while (at < to && isSpace(text.charCodeAt(at))) at++;
      if (at === to) return;
    }
    if (this.nextCdataClose < from) {
      const found = text.indexOf(']]>', from);
      this.nextCdataClose = found === -1 ? this.length : found;
    }
    if (this.nextCdataClose < to) this.fail(this.nextCdataClose, '"]]>" is not allowed in text; write "]]&gt;"');
    if (this.checkReferences(from, to)) frame.pendingHasReference = true;
    const raw = text.slice(from, to);
    frame.pending = frame.pending === '' ? raw : frame.pending + raw;
  }

  /** Ends the current run of text: line ends normalised, trimmed, references decoded, added to the element's text. */
  private flushText(frame: Frame): void {
    let value = frame.pending;
    if (value === '') return;
    frame.pending = '';
    if (this.hasCarriageReturn && value.indexOf('\r') !== -1) value = value.replace(LINE_END, '\n');
    value = value.trim();
    if (frame.pendingHasReference) {
      frame.pendingHasReference = false;
      value = decodeReferences(value);
    }
    if (value !== '') frame.text = frame.text === '' ? value : frame.text + value;
  }

  private readCdata(frame: Frame, lt: number): number {
    const close = this.text.indexOf(']]>', lt + 9);
    if (close === -1) this.fail(lt, 'the CDATA section is not closed with "]]>"');
    let value = this.text.slice(lt + 9, close);
    if (this.hasCarriageReturn && value.indexOf('\r') !== -1) value = value.replace(LINE_END, '\n');
    if (value !== '') frame.text = frame.text === '' ? value : frame.text + value;
    return close + 3;
  }

  private readComment(lt: number): number {
    const dashes = this.text.indexOf('--', lt + 4);
    if (dashes === -1) this.fail(lt, 'the comment is not closed with "-->"');
    if (this.text.charCodeAt(dashes + 2) !== 0x3e) this.fail(dashes, 'a comment may not contain "--"');
    return dashes + 3;
  }

  private readProcessingInstruction(lt: number): number {
    const text = this.text;
    const targetEnd = this.scanName(lt + 2);
    if (targetEnd === lt + 2) this.fail(lt, 'a processing instruction must start with a name: <?target …?>');
    const target = text.slice(lt + 2, targetEnd);
    if (target.toLowerCase() === 'xml') this.fail(lt, 'an XML declaration (<?xml …?>) is only allowed at the very start of the document');
    if (target.includes(':')) this.fail(lt, `the processing instruction target "${quoted(target)}" may not contain a colon`);
    const close = text.indexOf('?>', targetEnd);
    if (close === -1) this.fail(lt, 'the processing instruction is not closed with "?>"');
    if (close !== targetEnd && !isSpace(text.charCodeAt(targetEnd))) this.fail(targetEnd, `expected white space or "?>" after the processing instruction target "${quoted(target)}"`);
    return close + 2;
  }

  // ------------------------------------------------------------------------------------------
  // References

  /**
   * Checks every '&' between `from` and `to`: each must start a character reference to a character XML
   * allows, or one of the five predefined entities. Counts character references against the limit.
   * True when there was at least one.
   */
  private checkReferences(from: number, to: number): boolean {
    if (this.nextAmpersand < from) {
      const found = this.text.indexOf('&', from);
      this.nextAmpersand = found === -1 ? this.length : found;
    }
    if (this.nextAmpersand >= to) return false;
    while (this.nextAmpersand < to) {
      const after = this.checkReference(this.nextAmpersand, to);
      const found = this.text.indexOf('&', after);
      this.nextAmpersand = found === -1 ? this.length : found;
    }
    return true;
  }

  /** Checks the reference at `amp` (ending before `to`); returns the offset after its ';'. */
  private checkReference(amp: number, to: number): number {
    const text = this.text;
    if (text.charCodeAt(amp + 1) === 0x23) {
      if (++this.characterReferences > this.limits.maxCharacterReferences) {
        this.limitFail(amp, `the message has more than ${this.limits.maxCharacterReferences} character references (&#…;); the gateway's limit is ${this.limits.maxCharacterReferences}`);
      }
      const hex = text.charCodeAt(amp + 2) === 0x78;
      const digitsStart = amp + (hex ? 3 : 2);
      let at = digitsStart;
      let code = 0;
      for (; at < to; at++) {
        const c = text.charCodeAt(at);
        let digit: number;
        if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) digit = c - 0x57;
        else if (hex && c >= 0x41 && c <= 0x46) digit = c - 0x37;
        else break;
        // Past U+10FFFF it is wrong however many digits follow; stop growing the number.
        code = code > 0x10ffff ? code : code * (hex ? 16 : 10) + digit;
      }
      if (at === digitsStart || text.charCodeAt(at) !== 0x3b) {
        this.fail(amp, `a character reference must read &#digits; or &#xhexdigits;, found ${quoted(JSON.stringify(text.slice(amp, Math.min(to, amp + 12))))}`, this.pathOfOpen());
      }
      if (!isXmlChar(code)) {
        const reference = quoted(text.slice(amp, at + 1));
        const named = code > 0x10ffff ? 'a code point beyond U+10FFFF' : describeCharacter(code);
        this.fail(amp, `the character reference ${reference} names ${named}, which XML 1.0 does not allow`, this.pathOfOpen());
      }
      return at + 1;
    }
    const nameEnd = this.scanName(amp + 1);
    if (nameEnd === amp + 1 || nameEnd >= to || text.charCodeAt(nameEnd) !== 0x3b) {
      this.fail(amp, 'a bare "&" must be written as &amp;', this.pathOfOpen());
    }
    const name = text.slice(amp + 1, nameEnd);
    if (PREDEFINED[name] === undefined || !Object.hasOwn(PREDEFINED, name)) {
      this.fail(amp, `the entity &${quoted(name)}; is not defined (only &lt; &gt; &amp; &quot; &apos; exist without a DOCTYPE)`, this.pathOfOpen());
    }
    return nameEnd + 1;
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  /** The end of the name starting at `at` (`at` itself when no name starts there). */
  private scanName(at: number): number {
    const text = this.text;
    const length = this.length;
    let p = at;
    if (p >= length) return at;
    let c = text.charCodeAt(p);
    if (c < 0x80) {
      if (NAME_START[c] !== 1) return at;
      p++;
    } else {
      const width = nonAsciiNameWidth(text, p, true);
      if (width === 0) return at;
      p += width;
    }
    while (p < length) {
      c = text.charCodeAt(p);
      if (c < 0x80) {
        if (NAME_CHAR[c] !== 1) break;
        p++;
      } else {
        const width = nonAsciiNameWidth(text, p, false);
        if (width === 0) break;
        p += width;
      }
    }
    return p;
  }

  private nameAt(at: number): string {
    return this.text.slice(at, this.scanName(at));
  }

  /** `(line 3, column 5)`, for messages that point back at a start tag. */
  private where(offset: number): string {
    const { line, column } = this.position(offset);
    return `(line ${line}, column ${column})`;
  }

  /** The path of the innermost open element, e.g. `/Emessage/Envelope`. */
  private pathOfOpen(): string {
    let path = '';
    for (let i = 0; i < this.depth; i++) path += `/${(this.frames[i] as Frame).localName}`;
    return path === '' ? '/' : path;
  }

  private fail(offset: number, message: string, path = '/'): never {
    throw new XmlSyntaxFailure(issue('not-well-formed', path, `the XML is not well-formed: ${message}`, this.position(offset)));
  }

  private limitFail(offset: number, message: string): never {
    throw new XmlSyntaxFailure(issue('limit-exceeded', '/', message, this.position(offset)));
  }
}

const INITIAL_SCOPE: Scope = new Map([['xml', XML_NS]]);

function describeAt(text: string, at: number): string {
  if (at >= text.length) return 'end of the document';
  const code = text.codePointAt(at) ?? 0;
  return code > 0x20 && code < 0x7f ? `"${String.fromCharCode(code)}"` : describeCharacter(code);
}

/** `element[key] = value` as an own property, also for keys such as `__proto__` that a plain assignment would not create. */
function setOwn(element: XmlElement, key: string, value: XmlNode[] | string): void {
  if (key === '__proto__') Object.defineProperty(element, key, { value, enumerable: true, writable: true, configurable: true });
  else element[key] = value;
}

function emptyElement(name: string, ns: string, offset: number, text: string): XmlElement {
  const element = {} as XmlElement;
  if (text !== '') element['#text'] = text;
  element[META] = { name, ns, offset, children: [] };
  return element;
}

/** Replaces the (already checked) references in `value` by their characters. */
function decodeReferences(value: string): string {
  let out = '';
  let last = 0;
  for (let amp = value.indexOf('&'); amp !== -1; amp = value.indexOf('&', last)) {
    const semicolon = value.indexOf(';', amp);
    out += value.slice(last, amp);
    if (value.charCodeAt(amp + 1) === 0x23) {
      const hex = value.charCodeAt(amp + 2) === 0x78;
      out += String.fromCodePoint(Number.parseInt(value.slice(amp + (hex ? 3 : 2), semicolon), hex ? 16 : 10));
    } else {
      out += PREDEFINED[value.slice(amp + 1, semicolon)] as string;
    }
    last = semicolon + 1;
  }
  return out + value.slice(last);
}

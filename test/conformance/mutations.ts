/**
 * Mutation generator for the XSD-agreement test: takes a valid MedCom message and produces many
 * slightly broken (or, sometimes, still valid) variants, each with a readable name such as
 * `XDIS17_discharge_home.xml: remove /Emessage/NotificationOfDischarge/Patient/CivilRegistrationNumber`.
 * Whether a variant is valid is not decided here: the test asks MedCom's XSD (libxml2) and the gateway.
 *
 * Mutations are text splices on the decoded document, located by a small position-aware XML scanner,
 * so everything not mutated (declaration, comments, formatting, encoding) stays byte-for-byte as in
 * the base; the result is encoded back in the base's own encoding.
 */

// ---------------------------------------------------------------------------------------------
// A minimal XML scanner that remembers where every element starts and ends in the text.
// It assumes well-formed input (the bases are valid messages; the XSDs are well-formed).

export interface XAttribute {
  readonly name: string;
  readonly value: string;
  /** Offsets of the attribute's value (between the quotes) in the text. */
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface XElement {
  /** The name as written, e.g. `xs:element` or `Emessage`. */
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  /** The namespace the element is in (resolved through xmlns declarations in scope). */
  readonly ns: string;
  readonly attributes: readonly XAttribute[];
  readonly parent: XElement | undefined;
  readonly children: XElement[];
  /** `<` of the start tag. */
  readonly start: number;
  /** Just after the `>` of the start tag. */
  readonly openEnd: number;
  /** `<` of the end tag (= openEnd for `<x/>`). */
  closeStart: number;
  /** Just after the `>` of the end tag (= openEnd for `<x/>`). */
  end: number;
  readonly selfClosing: boolean;
  /** The element's own text (child elements' text not included), entities decoded. */
  text: string;
  /** XML path in the gateway's style: `/Emessage/Letter/Identifier`, `[n]` for the nth (n > 1) same-named sibling. */
  path: string;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return PREDEFINED[ref] ?? whole;
  });
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The offset just after the next `token` from `from`, or the end of the text when there is none. */
function after(text: string, token: string, from: number): number {
  const at = text.indexOf(token, from);
  return at === -1 ? text.length : at + token.length;
}

/** End of a `<!DOCTYPE …>` (with its internal subset in `[…]`, which may hold `>`). */
function endOfDeclaration(text: string, lt: number): number {
  const close = text.indexOf('>', lt);
  const bracket = text.indexOf('[', lt);
  if (bracket === -1 || close === -1 || close < bracket) return after(text, '>', lt);
  return after(text, '>', after(text, ']', bracket));
}

/**
 * The root element's name and namespace, read from its start tag only, so it works on documents
 * that are not well-formed further on. Undefined when there is no start tag.
 */
export function peekRoot(text: string): { qname: string; local: string; ns: string } | undefined {
  let i = 0;
  for (;;) {
    const lt = text.indexOf('<', i);
    if (lt === -1) return undefined;
    if (text.startsWith('<?', lt)) i = after(text, '?>', lt);
    else if (text.startsWith('<!--', lt)) i = after(text, '-->', lt);
    else if (text.startsWith('<!', lt)) i = endOfDeclaration(text, lt);
    else {
      const tag = /^<([^\s/>]+)([^>]*)>/.exec(text.slice(lt));
      if (!tag) return undefined;
      const qname = tag[1] as string;
      const colon = qname.indexOf(':');
      const prefix = colon === -1 ? '' : qname.slice(0, colon);
      const attribute = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
      const ns = new RegExp(`\\s${attribute.replace(':', '\\:')}\\s*=\\s*(["'])([^"']*)\\1`).exec(tag[2] as string)?.[2] ?? '';
      return { qname, local: colon === -1 ? qname : qname.slice(colon + 1), ns };
    }
  }
}

/** Parses `text` into its root element. Throws on input it cannot follow. */
export function scanXml(text: string): XElement {
  const stack: XElement[] = [];
  const scopes: Map<string, string>[] = [new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])];
  let root: XElement | undefined;
  let i = 0;
  const lookup = (prefix: string): string => {
    for (let s = scopes.length - 1; s >= 0; s--) {
      const found = scopes[s]?.get(prefix);
      if (found !== undefined) return found;
    }
    return '';
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt === -1) break;
    if (lt > i && stack.length > 0) (stack[stack.length - 1] as XElement).text += decodeEntities(text.slice(i, lt));
    if (text.startsWith('<?', lt)) {
      i = after(text, '?>', lt);
    } else if (text.startsWith('<!--', lt)) {
      i = after(text, '-->', lt);
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = after(text, ']]>', lt);
      if (stack.length > 0) (stack[stack.length - 1] as XElement).text += text.slice(lt + 9, end - 3);
      i = end;
    } else if (text.startsWith('<!', lt)) {
      i = endOfDeclaration(text, lt);
    } else if (text.startsWith('</', lt)) {
      const close = text.indexOf('>', lt);
      const element = stack.pop();
      if (!element || close === -1) throw new Error(`unexpected end tag at offset ${lt}`);
      element.closeStart = lt;
      element.end = close + 1;
      scopes.pop();
      i = close + 1;
    } else {
      // Start tag: name, then attributes (quoted values may hold '>').
      let j = lt + 1;
      while (j < text.length && !/[\s/>]/.test(text[j] as string)) j++;
      const qname = text.slice(lt + 1, j);
      const attributes: XAttribute[] = [];
      const declarations = new Map<string, string>();
      let selfClosing = false;
      for (;;) {
        while (/\s/.test(text[j] as string)) j++;
        if (text[j] === '>') {
          j++;
          break;
        }
        if (text.startsWith('/>', j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        const eq = text.indexOf('=', j);
        if (j >= text.length || eq === -1) throw new Error(`unterminated start tag at offset ${lt}`);
        const name = text.slice(j, eq).trim();
        let q = eq + 1;
        while (/\s/.test(text[q] as string)) q++;
        const quote = text[q] as string;
        if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute value at offset ${q}`);
        const valueEnd = text.indexOf(quote, q + 1);
        const value = decodeEntities(text.slice(q + 1, valueEnd));
        attributes.push({ name, value, valueStart: q + 1, valueEnd });
        if (name === 'xmlns') declarations.set('', value);
        else if (name.startsWith('xmlns:')) declarations.set(name.slice(6), value);
        j = valueEnd + 1;
        if (j > text.length || valueEnd === -1) throw new Error(`unterminated attribute at offset ${q}`);
      }
      scopes.push(declarations);
      const colon = qname.indexOf(':');
      const prefix = colon === -1 ? '' : qname.slice(0, colon);
      const parent = stack[stack.length - 1];
      const element: XElement = {
        qname,
        prefix,
        local: colon === -1 ? qname : qname.slice(colon + 1),
        ns: lookup(prefix),
        attributes,
        parent,
        children: [],
        start: lt,
        openEnd: j,
        closeStart: j,
        end: j,
        selfClosing,
        text: '',
        path: '',
      };
      const sameName = parent ? parent.children.filter((c) => c.local === element.local).length : 0;
      element.path = `${parent ? parent.path : ''}/${element.local}${sameName > 0 ? `[${sameName + 1}]` : ''}`;
      if (parent) parent.children.push(element);
      else if (!root) root = element;
      if (selfClosing) scopes.pop();
      else stack.push(element);
      i = j;
    }
  }
  if (!root) throw new Error('no root element');
  if (stack.length > 0) throw new Error(`unclosed element <${(stack[stack.length - 1] as XElement).qname}>`);
  return root;
}

/** Every element of the tree, document order. */
export function allElements(root: XElement): XElement[] {
  const out: XElement[] = [];
  const visit = (element: XElement): void => {
    out.push(element);
    element.children.forEach(visit);
  };
  visit(root);
  return out;
}

export function isLeaf(element: XElement): boolean {
  return element.children.length === 0;
}

// ---------------------------------------------------------------------------------------------
// Encodings: a base is decoded by its XML declaration and the mutant encoded back the same way.

export type TextEncoding = 'utf-8' | 'iso-8859-1' | 'windows-1252';

export function declaredEncodingOf(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const declaration = /^(?:\u00EF\u00BB\u00BF)?<\?xml[^?]*\?>/.exec(head)?.[0];
  return declaration ? /\sencoding\s*=\s*["']([^"']*)["']/.exec(declaration)?.[1] : undefined;
}

export function encodingOf(bytes: Uint8Array): TextEncoding {
  const label = declaredEncodingOf(bytes)?.toLowerCase();
  if (label === 'windows-1252' || label === 'cp1252') return 'windows-1252';
  if (label === 'iso-8859-1' || label === 'latin1' || label === 'latin-1') return 'iso-8859-1';
  return 'utf-8';
}

const WINDOWS_1252_DECODER = new TextDecoder('windows-1252');
const UTF8_DECODER = new TextDecoder('utf-8');
let windows1252Encoder: Map<string, number> | undefined;

export function decodeBytes(bytes: Uint8Array, encoding: TextEncoding): string {
  switch (encoding) {
    case 'utf-8':
      return UTF8_DECODER.decode(bytes);
    case 'iso-8859-1':
      return Buffer.from(bytes).toString('latin1');
    case 'windows-1252':
      return WINDOWS_1252_DECODER.decode(bytes);
  }
}

export function encodeText(text: string, encoding: TextEncoding): Uint8Array {
  switch (encoding) {
    case 'utf-8':
      return new Uint8Array(Buffer.from(text, 'utf8'));
    case 'iso-8859-1':
      return new Uint8Array(Buffer.from(text, 'latin1'));
    case 'windows-1252': {
      if (!windows1252Encoder) {
        windows1252Encoder = new Map();
        for (let b = 0; b < 256; b++) windows1252Encoder.set(WINDOWS_1252_DECODER.decode(new Uint8Array([b])), b);
      }
      const encoder = windows1252Encoder;
      return new Uint8Array([...text].map((ch) => encoder.get(ch) ?? 0x3f));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What the XSDs declare: enumerated elements and maximum lengths, by element name. Used only to
// aim mutations (which values to break, how long an identifier must get); the verdict is libxml2's.

export interface XsdFacts {
  /** Element name → the enumeration values its (simple) type allows, over every declaration of that name. */
  readonly enumerations: Map<string, Set<string>>;
  /** Element name → the maxLength facets of its type(s). */
  readonly maxLengths: Map<string, Set<number>>;
}

interface SimpleTypeInfo {
  base: string | undefined;
  enums: string[];
  maxLength: number | undefined;
}

function localName(qname: string | undefined): string | undefined {
  return qname === undefined ? undefined : qname.slice(qname.indexOf(':') + 1);
}

function attribute(element: XElement, name: string): string | undefined {
  return element.attributes.find((a) => a.name === name)?.value;
}

function restrictionInfo(simpleType: XElement): SimpleTypeInfo {
  const restriction = simpleType.children.find((c) => c.local === 'restriction');
  const info: SimpleTypeInfo = { base: localName(restriction && attribute(restriction, 'base')), enums: [], maxLength: undefined };
  for (const facet of restriction?.children ?? []) {
    const value = attribute(facet, 'value');
    if (value === undefined) continue;
    if (facet.local === 'enumeration') info.enums.push(value);
    if (facet.local === 'maxLength' || facet.local === 'length') info.maxLength = Number(value);
  }
  return info;
}

/** Reads every XSD (as text) and collects {@link XsdFacts}. */
export function xsdFacts(xsdTexts: readonly string[]): XsdFacts {
  const named = new Map<string, SimpleTypeInfo>();
  const declarations: { name: string; type: string | undefined; inline: SimpleTypeInfo | undefined }[] = [];
  for (const text of xsdTexts) {
    for (const element of allElements(scanXml(text))) {
      if (element.local === 'simpleType' && attribute(element, 'name')) {
        named.set(attribute(element, 'name') as string, restrictionInfo(element));
      }
      if (element.local === 'element' && attribute(element, 'name')) {
        const inlineType = element.children.find((c) => c.local === 'simpleType');
        declarations.push({
          name: attribute(element, 'name') as string,
          type: localName(attribute(element, 'type')),
          inline: inlineType ? restrictionInfo(inlineType) : undefined,
        });
      }
    }
  }
  const resolve = (info: SimpleTypeInfo | undefined, depth = 0): { enums: string[]; maxLength: number | undefined } => {
    if (!info || depth > 10) return { enums: [], maxLength: undefined };
    const inherited = info.base ? resolve(named.get(info.base), depth + 1) : { enums: [], maxLength: undefined };
    return { enums: info.enums.length > 0 ? info.enums : inherited.enums, maxLength: info.maxLength ?? inherited.maxLength };
  };
  const enumerations = new Map<string, Set<string>>();
  const maxLengths = new Map<string, Set<number>>();
  for (const declaration of declarations) {
    const facts = resolve(declaration.inline ?? (declaration.type ? named.get(declaration.type) : undefined));
    if (facts.enums.length > 0) {
      const set = enumerations.get(declaration.name) ?? new Set<string>();
      facts.enums.forEach((v) => set.add(v));
      enumerations.set(declaration.name, set);
    }
    if (facts.maxLength !== undefined) {
      const set = maxLengths.get(declaration.name) ?? new Set<number>();
      set.add(facts.maxLength);
      maxLengths.set(declaration.name, set);
    }
  }
  return { enumerations, maxLengths };
}

export function mergeFacts(...all: readonly XsdFacts[]): XsdFacts {
  const enumerations = new Map<string, Set<string>>();
  const maxLengths = new Map<string, Set<number>>();
  for (const facts of all) {
    for (const [name, values] of facts.enumerations) enumerations.set(name, new Set([...(enumerations.get(name) ?? []), ...values]));
    for (const [name, values] of facts.maxLengths) maxLengths.set(name, new Set([...(maxLengths.get(name) ?? []), ...values]));
  }
  return { enumerations, maxLengths };
}

// ---------------------------------------------------------------------------------------------
// The mutations.

export type MutationKind =
  | 'remove'
  | 'empty'
  | 'enum'
  | 'code'
  | 'too-long'
  | 'date'
  | 'time'
  | 'cpr'
  | 'namespace'
  | 'other-generation'
  | 'child-namespace'
  | 'root'
  | 'duplicate'
  | 'swap'
  | 'insert';

export const ALL_MUTATION_KINDS: readonly MutationKind[] = [
  'remove',
  'empty',
  'enum',
  'code',
  'too-long',
  'date',
  'time',
  'cpr',
  'namespace',
  'other-generation',
  'child-namespace',
  'root',
  'duplicate',
  'swap',
  'insert',
];

export interface Mutation {
  /** `<base file>: <kind> <path> [detail]`, e.g. `XDIS17_discharge_home.xml: remove /Emessage/…/CivilRegistrationNumber`. */
  readonly name: string;
  readonly base: string;
  readonly kind: MutationKind;
  /** XML path (in the base) of the element the mutation touches. */
  readonly path: string;
  readonly detail: string;
  readonly text: string;
  /** The mutant, encoded like the base. */
  readonly bytes: Uint8Array;
  /** The namespace of the mutant's root element (so the right generation's XSD judges it). */
  readonly rootNamespace: string;
  /**
   * What the mutation tests, independent of the base and of repetition: kind, path with sibling
   * indices above 2 folded, detail, and the parent's child names (runs folded). Two mutations with
   * the same signature in messages of the same type test the same thing; callers may keep one.
   */
  readonly signature: string;
}

/** `/a/b[3]/c[2]` → `/a/b[n]/c[n]`: the first and a later occurrence stay apart, later ones fold. */
export function genericPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[n]');
}

/** The names of an element's children, runs of the same name folded: `Letter,Sender,Break+,Bold`. */
function childNames(element: XElement | undefined): string {
  if (!element) return '';
  const names: string[] = [];
  for (const child of element.children) {
    const last = names[names.length - 1];
    if (last === child.local || last === `${child.local}+`) names[names.length - 1] = `${child.local}+`;
    else names.push(child.local);
  }
  return names.join(',');
}

export interface BaseDocument {
  /** File name, used in mutation names. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface MutationOptions {
  /** Which kinds to make; all by default. */
  readonly kinds?: readonly MutationKind[];
  /** Enumerated element names and their values (break an element when its text is one of them). */
  readonly enumerations?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Maximum lengths by element name (make every `*Identifier` one longer than each). */
  readonly maxLengths?: ReadonlyMap<string, ReadonlySet<number>>;
  /** The root namespaces of other generations, for `other-generation`. */
  readonly otherGenerationNamespaces?: readonly string[];
  /** Replacement codes for `code`: element name (VersionCode/StatisticalCode/TypeCode) → current value → another type's value. */
  readonly otherCodes?: (element: 'VersionCode' | 'StatisticalCode' | 'TypeCode', current: string) => string | undefined;
  /** Elements (by path prefix) not to descend into, e.g. nothing; all by default. */
  readonly skipPaths?: readonly string[];
  /** Asked before a mutant is built (cheap): false leaves the mutation out, e.g. when its signature was seen. */
  readonly keep?: (candidate: { readonly kind: MutationKind; readonly path: string; readonly signature: string }) => boolean;
}

/** A namespace no MedCom generation uses: the 2005 one with a wrong date. */
export const UNKNOWN_NAMESPACE = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/08/';
export const FOREIGN_NAMESPACE = 'urn:example:not-medcom';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;
const TIME_WITH_SEC = /^\d{2}:\d{2}:\d{2}$/;

interface Splice {
  readonly from: number;
  readonly to: number;
  readonly insert: string;
}

function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.from - a.from);
  let out = text;
  for (const s of sorted) out = out.slice(0, s.from) + s.insert + out.slice(s.to);
  return out;
}

/**
 * Start of the indentation right before `offset`, so an element is removed with its line; in mixed
 * content (text before the element) nothing but the element goes.
 */
function leadingWhitespaceStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && /[ \t\r\n]/.test(text[i - 1] as string)) i--;
  return i === 0 || text[i - 1] === '>' ? i : offset;
}

function replaceTextSplice(element: XElement, value: string): Splice {
  return { from: element.openEnd, to: element.closeStart, insert: escapeText(value) };
}

function setTextSplices(element: XElement, value: string): Splice[] {
  if (element.selfClosing) {
    return [{ from: element.start, to: element.end, insert: `<${element.qname}${element.attributes.length ? ' ' : ''}${attributesText(element)}>${escapeText(value)}</${element.qname}>` }];
  }
  return [replaceTextSplice(element, value)];
}

function attributesText(element: XElement): string {
  return element.attributes.map((a) => `${a.name}="${a.value.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`).join(' ');
}

/** Renames an element (start and end tag), keeping its attributes. */
function renameSplices(element: XElement, newQname: string, extraAttribute = ''): Splice[] {
  const nameEnd = element.start + 1 + element.qname.length;
  const splices: Splice[] = [{ from: element.start + 1, to: nameEnd, insert: `${newQname}${extraAttribute}` }];
  if (!element.selfClosing) {
    splices.push({ from: element.closeStart + 2, to: element.closeStart + 2 + element.qname.length, insert: newQname });
  }
  return splices;
}

/** The xmlns attribute that binds the root element's prefix. */
function rootNamespaceAttribute(root: XElement): XAttribute | undefined {
  const wanted = root.prefix === '' ? 'xmlns' : `xmlns:${root.prefix}`;
  return root.attributes.find((a) => a.name === wanted);
}

/** Generates every mutation of `base` the options ask for. Identical mutants are made once. */
export function mutate(base: BaseDocument, options: MutationOptions = {}): Mutation[] {
  const kinds = new Set(options.kinds ?? ALL_MUTATION_KINDS);
  const encoding = encodingOf(base.bytes);
  const text = decodeBytes(base.bytes, encoding);
  const root = scanXml(text);
  const elements = allElements(root).filter((e) => !(options.skipPaths ?? []).some((p) => e.path.startsWith(p)));
  const out: Mutation[] = [];
  const seen = new Set<string>([text]);
  const add = (kind: MutationKind, element: XElement, detail: string, splices: readonly Splice[], rootNamespace = root.ns): void => {
    if (!kinds.has(kind)) return;
    const signature = `${kind}|${genericPath(element.path)}|${detail}|${childNames(element.parent)}|${childNames(element)}`;
    if (options.keep && !options.keep({ kind, path: element.path, signature })) return;
    const mutated = applySplices(text, splices);
    if (seen.has(mutated)) return;
    seen.add(mutated);
    out.push({
      signature,
      name: `${base.name}: ${kind} ${element.path}${detail ? ` ${detail}` : ''}`,
      base: base.name,
      kind,
      path: element.path,
      detail,
      text: mutated,
      bytes: encodeText(mutated, encoding),
      rootNamespace,
    });
  };

  for (const element of elements) {
    const isRoot = element === root;
    const value = element.text.trim();
    const leaf = isLeaf(element);

    if (!isRoot) {
      // Each element removed; the verdicts tell whether it was required.
      add('remove', element, '', [{ from: leadingWhitespaceStart(text, element.start), to: element.end, insert: '' }]);
      // Each element duplicated right after itself.
      add('duplicate', element, '', [{ from: element.end, to: element.end, insert: text.slice(element.start, element.end) }]);
      // Each leaf emptied.
      if (leaf && value !== '') add('empty', element, '', setTextSplices(element, ''));
    }

    // Two adjacent siblings with different names swapped.
    if (!isRoot && element.parent) {
      const siblings = element.parent.children;
      const next = siblings[siblings.indexOf(element) + 1];
      if (next && next.local !== element.local) {
        add('swap', element, `<-> ${next.local}`, [
          { from: element.start, to: element.end, insert: text.slice(next.start, next.end) },
          { from: next.start, to: next.end, insert: text.slice(element.start, element.end) },
        ]);
      }
    }

    // An unknown element (in the element's own namespace) inserted as the last child of each element with children.
    if (!leaf) {
      const name = `${element.prefix ? `${element.prefix}:` : ''}UnknownElement`;
      add('insert', element, '<UnknownElement>', [{ from: element.closeStart, to: element.closeStart, insert: `<${name}>x</${name}>` }]);
    }

    if (!leaf) continue;

    // Enumeration values broken.
    const allowed = options.enumerations?.get(element.local);
    if (allowed?.has(value)) {
      const broken = `${value}x`;
      add('enum', element, `"${value}" -> "${broken}"`, setTextSplices(element, broken));
    }

    // Letter codes swapped for another message type's.
    if (
      options.otherCodes &&
      element.parent?.local === 'Letter' &&
      (element.local === 'VersionCode' || element.local === 'StatisticalCode' || element.local === 'TypeCode')
    ) {
      const other = options.otherCodes(element.local, value);
      if (other !== undefined && other !== value) add('code', element, `"${value}" -> "${other}"`, setTextSplices(element, other));
    }

    // Identifiers one character too long, for every length limit known for the name.
    if (element.local.endsWith('Identifier')) {
      for (const limit of [...(options.maxLengths?.get(element.local) ?? [])].sort((a, b) => a - b)) {
        const long = (value + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(Math.ceil((limit + 1) / 36) + 1)).slice(0, limit + 1);
        add('too-long', element, `(${limit + 1} characters, limit ${limit})`, setTextSplices(element, long));
      }
    }

    // Impossible dates and bad times.
    if (DATE.test(value)) {
      for (const bad of ['2026-02-30', '2026-13-01']) add('date', element, `"${bad}"`, setTextSplices(element, bad));
    }
    if (TIME.test(value)) {
      for (const bad of ['24:00', '12:60']) add('time', element, `"${bad}"`, setTextSplices(element, bad));
    }
    if (TIME_WITH_SEC.test(value)) {
      for (const bad of ['24:00:00', '12:60:00', '12:00:60']) add('time', element, `"${bad}"`, setTextSplices(element, bad));
    }

    // Bad CPR numbers.
    if (element.local === 'CivilRegistrationNumber' && /^\d{10}$/.test(value)) {
      add('cpr', element, '(9 digits)', setTextSplices(element, value.slice(0, 9)));
      add('cpr', element, '(letters)', setTextSplices(element, `${value.slice(0, 8)}AB`));
      add('cpr', element, '(month 13)', setTextSplices(element, `${value.slice(0, 2)}13${value.slice(4)}`));
    }
  }

  // Namespaces: the root's namespace changed, dropped, or moved to another generation's; a letter in a foreign namespace.
  const nsAttribute = rootNamespaceAttribute(root);
  if (nsAttribute) {
    const change = (detail: string, to: string, kind: MutationKind = 'namespace'): void =>
      add(kind, root, detail, [{ from: nsAttribute.valueStart, to: nsAttribute.valueEnd, insert: to }], to);
    change(`(unknown: ${UNKNOWN_NAMESPACE})`, UNKNOWN_NAMESPACE);
    if (nsAttribute.value.endsWith('/')) change('(no trailing slash)', nsAttribute.value.slice(0, -1));
    if (root.prefix === '') {
      let at = text.lastIndexOf('xmlns', nsAttribute.valueStart);
      while (/\s/.test(text[at - 1] as string)) at--;
      add('namespace', root, '(no namespace)', [{ from: at, to: nsAttribute.valueEnd + 1, insert: '' }], '');
    }
    for (const other of options.otherGenerationNamespaces ?? []) {
      if (other !== nsAttribute.value) change(`(${other})`, other, 'other-generation');
    }
  }
  for (const letter of root.children.filter((c) => c.local !== 'Envelope' && c.local !== 'Local_Elements')) {
    add('child-namespace', letter, `(${FOREIGN_NAMESPACE})`, renameSplices(letter, `wrongns:${letter.local}`, ` xmlns:wrongns="${FOREIGN_NAMESPACE}"`));
  }

  // The root element renamed.
  const renamed = root.local === 'Emessage' ? 'EMessage' : `${root.local}X`;
  add('root', root, `(-> ${renamed})`, renameSplices(root, `${root.prefix ? `${root.prefix}:` : ''}${renamed}`));

  return out;
}

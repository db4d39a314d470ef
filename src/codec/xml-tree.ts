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
 * Safety: DOCTYPE and ENTITY declarations are refused before parsing (no XXE, no billion laughs), and so
 * is every character XML 1.0 forbids; then one strict pass (xml-parser.ts) checks well-formedness,
 * decodes the five predefined entities and character references itself, enforces the limits
 * (xml-scan.ts) and builds the tree.
 */
import { issue, type ValidationIssue } from './issues.js';
import { META, type ChildMeta, type XmlDocument, type XmlElement, type XmlNode } from './xml-node.js';
import { XmlSyntaxFailure, parseTree } from './xml-parser.js';
import { DEFAULT_XML_LIMITS, forbiddenCharacterIssue, type XmlLimits } from './xml-scan.js';

export { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-scan.js';
export { META, type ChildMeta, type ElementMeta, type XmlDocument, type XmlElement, type XmlNode } from './xml-node.js';

export type XmlParseResult = { ok: true; document: XmlDocument } | { ok: false; issues: ValidationIssue[] };

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

/** Where `<!DOCTYPE` or `<!ENTITY` (any case) first appears, and which; anywhere in the text, comments included. */
function findDeclaration(text: string): { at: number; keyword: string } | undefined {
  for (let at = text.indexOf('<!'); at !== -1; at = text.indexOf('<!', at + 2)) {
    for (const keyword of ['DOCTYPE', 'ENTITY']) {
      if (text.slice(at + 2, at + 2 + keyword.length).toUpperCase() === keyword) return { at, keyword };
    }
  }
  return undefined;
}

/** Parses `text` safely into the tree described above, or explains precisely why it cannot. */
export function parseXml(text: string, limitsGiven: Partial<XmlLimits> = DEFAULT_XML_LIMITS): XmlParseResult {
  const limits: XmlLimits = limitsGiven === DEFAULT_XML_LIMITS ? DEFAULT_XML_LIMITS : { ...DEFAULT_XML_LIMITS, ...limitsGiven };
  const lines = new LineIndex(text);
  const position = (offset: number): { line: number; column: number } => lines.position(offset);
  const forbidden = findDeclaration(text);
  if (forbidden) {
    return {
      ok: false,
      issues: [
        issue(
          'forbidden-declaration',
          '/',
          `a <!${forbidden.keyword}> declaration is not accepted: MedCom messages never carry one, and it could be used for entity expansion or external entity attacks`,
          position(forbidden.at),
        ),
      ],
    };
  }
  const character = forbiddenCharacterIssue(text, position);
  if (character) return { ok: false, issues: [character] };
  try {
    const tree = parseTree(text, limits, position);
    return { ok: true, document: { ...tree, position } };
  } catch (error) {
    if (error instanceof XmlSyntaxFailure) return { ok: false, issues: [error.issue] };
    throw error;
  }
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

/**
 * Calls `visit` for each child element of `element` in document order, with its node and its index
 * among the children of the same name (0 for the first). Counts only names that repeat, so walking a
 * tree allocates next to nothing.
 */
export function forEachChild(element: XmlElement, visit: (child: ChildMeta, node: XmlNode, index: number) => void): void {
  let counts: Map<string, number> | undefined;
  for (const child of element[META].children) {
    const nodes = element[child.name] as XmlNode[];
    let index = 0;
    if (nodes.length > 1) {
      counts ??= new Map<string, number>();
      index = counts.get(child.name) ?? 0;
      counts.set(child.name, index + 1);
    }
    visit(child, nodes[index] as XmlNode, index);
  }
}

/** The XML path of a child: `/Emessage/Letter`, `/Emessage/Letter[2]` for the second of that name. */
export function childPath(parentPath: string, name: string, index: number): string {
  return index > 0 ? `${parentPath}/${name}[${index + 1}]` : `${parentPath}/${name}`;
}

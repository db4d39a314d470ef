/**
 * Validates letter elements (as XML trees, see xml-tree.ts) against the JSON Schemas in `schemas/`,
 * compiled once by ajv, and turns ajv's errors into issues an integrator can act on: the XML path of
 * the offending element, its line and column, and what was expected in words.
 *
 * Schema conventions (see schemas/README.md): every child element is an array (`maxItems` 1 for
 * single elements); element order is checked by the custom `xmlSequence` keyword; a schema's
 * `description` says in words what a value must look like and is quoted in error messages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { fromPackageRoot } from '../package-root.js';
import { issue, type ValidationIssue } from './issues.js';
import { META, type XmlDocument, type XmlElement, type XmlNode } from './xml-tree.js';

export const SCHEMA_BASE = 'https://medcom-gateway.local/schemas/';

type SequenceEntry = string | readonly string[];

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv, formats: string[]) => Ajv;

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  addFormats(ajv, ['date', 'time', 'date-time']);
  ajv.addKeyword({
    keyword: 'xmlSequence',
    type: 'object',
    schemaType: 'array',
    errors: true,
    validate: function checkSequence(
      this: unknown,
      sequence: readonly SequenceEntry[],
      data: XmlElement,
    ): boolean {
      const outOfOrder = findOutOfOrder(sequence, data);
      if (!outOfOrder) return true;
      (checkSequence as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        {
          keyword: 'xmlSequence',
          message: `element <${outOfOrder.element}> is out of order: it must come before <${outOfOrder.before}>`,
          params: outOfOrder,
        },
      ];
      return false;
    },
  });
  return ajv;
}

/** Each name's place in a sequence, worked out once per schema (ajv hands the same array every time). */
const ranks = new WeakMap<readonly SequenceEntry[], ReadonlyMap<string, number>>();

function rankOf(sequence: readonly SequenceEntry[]): ReadonlyMap<string, number> {
  let rank = ranks.get(sequence);
  if (!rank) {
    const built = new Map<string, number>();
    sequence.forEach((entry, index) => {
      for (const name of typeof entry === 'string' ? [entry] : entry) built.set(name, index);
    });
    ranks.set(sequence, built);
    rank = built;
  }
  return rank;
}

/** The first child that stands after an element it must precede, by the order `sequence` gives. */
function findOutOfOrder(
  sequence: readonly SequenceEntry[],
  data: XmlElement,
): { element: string; before: string } | undefined {
  const rank = rankOf(sequence);
  const children = data[META]?.children ?? [];
  let highest = -1;
  let highestName = '';
  for (const child of children) {
    const childRank = rank.get(child.name);
    if (childRank === undefined) continue;
    if (childRank < highest) return { element: child.name, before: highestName };
    if (childRank > highest) {
      highest = childRank;
      highestName = child.name;
    }
  }
  return undefined;
}

export class SchemaRegistry {
  private readonly ajv = createAjv();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(schemaDir: string = fromPackageRoot('schemas')) {
    for (const file of readdirSync(schemaDir).filter((name) => name.endsWith('.json')).sort()) {
      const schema = JSON.parse(readFileSync(`${schemaDir}/${file}`, 'utf8')) as { $id?: string };
      if (schema.$id !== `${SCHEMA_BASE}${file}`) {
        throw new Error(`schemas/${file}: $id must be "${SCHEMA_BASE}${file}", found ${JSON.stringify(schema.$id)}`);
      }
      this.ajv.addSchema(schema);
    }
  }

  /** The compiled validator for a reference like `XDIS20.json#/$defs/XD2030C`; compiled on first use. */
  validator(ref: string): ValidateFunction {
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(`${SCHEMA_BASE}${ref}`);
      if (!validate) throw new Error(`no schema ${ref} in schemas/`);
      this.compiled.set(ref, validate);
    }
    return validate;
  }

  /** Compiles every schema the given references name, so a broken schema fails at start, not on traffic. */
  compileAll(refs: readonly string[]): void {
    for (const ref of refs) this.validator(ref);
  }

  /**
   * Validates `element` (found at XML path `path`) against the schema `ref`; returns the issues,
   * empty when valid.
   */
  validate(ref: string, element: XmlNode, path: string, document: XmlDocument): ValidationIssue[] {
    const validate = this.validator(ref);
    if (validate(element)) return [];
    return translateErrors(validate.errors ?? [], element, path, document);
  }
}

/** Turns ajv errors into issues; see the module comment. */
export function translateErrors(
  errors: readonly ErrorObject[],
  element: XmlNode,
  basePath: string,
  document: XmlDocument,
): ValidationIssue[] {
  const kept = pruneAlternatives(errors);
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const translated = translateError(error, element, basePath, document);
    if (!translated) continue;
    const key = `${translated.path}|${translated.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(translated);
  }
  return issues;
}

/**
 * For `anyOf`/`oneOf` failures ajv reports every branch's errors. When exactly one branch matched the
 * data's shape, its errors are the precise ones; otherwise the alternatives' own message is better.
 */
function pruneAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  if (alternatives.length === 0) return [...errors];
  const dropped = new Set<ErrorObject>();
  for (const alternative of alternatives) {
    const prefix = `${alternative.schemaPath}/`;
    const branchErrors = errors.filter((e) => e.schemaPath.startsWith(prefix));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of branchErrors) {
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    const shapeMatches = [...byBranch.values()].filter(
      (list) => !list.some((e) => e.instancePath === alternative.instancePath && e.keyword === 'type'),
    );
    if (shapeMatches.length === 1) {
      dropped.add(alternative);
      for (const e of branchErrors) if (!shapeMatches[0]?.includes(e)) dropped.add(e);
    } else {
      for (const e of branchErrors) dropped.add(e);
    }
  }
  return errors.filter((e) => !dropped.has(e));
}

interface Located {
  path: string;
  name: string;
  offset: number | undefined;
}

/** Follows an ajv instancePath (`/Letter/0/Identifier/0`) through the tree to an XML path and position. */
function locate(element: XmlNode, basePath: string, instancePath: string): Located {
  const segments = instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = basePath;
  let name = basePath.slice(basePath.lastIndexOf('/') + 1);
  let current: XmlNode | XmlNode[] | undefined = element;
  let offset: number | undefined = typeof element === 'object' ? element[META]?.offset : undefined;
  for (let i = 0; i < segments.length; i += 2) {
    const childName = segments[i] as string;
    const index = Number(segments[i + 1] ?? 0);
    const parent: XmlNode | XmlNode[] | undefined = current;
    if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) break;
    if (childName.startsWith('@') || childName === '#text') {
      path += childName === '#text' ? '/text()' : `/${childName}`;
      break;
    }
    const occurrences = parent[META]?.children.filter((child) => child.name === childName) ?? [];
    offset = occurrences[index]?.offset ?? offset;
    path += `/${childName}${index > 0 ? `[${index + 1}]` : ''}`;
    name = childName;
    const value: XmlNode[] | string | undefined = parent[childName];
    current = Array.isArray(value) ? value[index] : undefined;
  }
  return { path, name, offset };
}

/** Patient and relative data is never echoed: error texts reach logs and problem responses. */
const PERSONAL = /\/(Patient|Relatives?|Relative\[\d+\])(\/|$)|CivilRegistrationNumber|AlternativeIdentifier|PersonSurnameName|PersonGivenName/;

function describeValue(data: unknown, path: string): string {
  if (typeof data !== 'string') return 'child elements';
  if (PERSONAL.test(path)) return `(${data.length} character${data.length === 1 ? '' : 's'}, not repeated here because it is personal data)`;
  return data.length > 60 ? `"${data.slice(0, 57)}…" (${data.length} characters)` : `"${data}"`;
}

function expectation(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  if (description) return description;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `one of ${(params.allowedValues as unknown[]).map((v) => `"${String(v)}"`).join(', ')}`;
    case 'const':
      return `"${String(params.allowedValue)}"`;
    case 'pattern':
      return `text matching ${String(params.pattern)}`;
    case 'maxLength':
      return `at most ${String(params.limit)} characters`;
    case 'minLength':
      return `at least ${String(params.limit)} character${params.limit === 1 ? '' : 's'}`;
    case 'format':
      return params.format === 'date' ? 'a real calendar date, YYYY-MM-DD' : `a valid ${String(params.format)}`;
    default:
      return error.message ?? 'a valid value';
  }
}

function translateError(error: ErrorObject, element: XmlNode, basePath: string, document: XmlDocument): ValidationIssue | undefined {
  const at = locate(element, basePath, error.instancePath);
  const position = at.offset === undefined ? undefined : document.position(at.offset);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return issue('missing-element', `${at.path}/${missing}`, `the required element <${missing}> is missing in <${at.name}>`, position);
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const extraPath = `${at.path}/${extra}`;
      const parent = locate(element, basePath, error.instancePath);
      const child =
        typeof element === 'object' && !extra.startsWith('@') && extra !== '#text'
          ? locate(element, basePath, `${error.instancePath}/${extra}/0`)
          : parent;
      const childPosition = child.offset === undefined ? position : document.position(child.offset);
      if (extra === '#text') return issue('unexpected-element', `${at.path}/text()`, `<${at.name}> may not contain text directly, only child elements`, position);
      if (extra.startsWith('@')) return issue('unexpected-element', extraPath, `<${at.name}> has an attribute "${extra.slice(1)}" that MedCom does not define`, position);
      return issue('unexpected-element', extraPath, `the element <${extra}> is not allowed in <${at.name}>`, childPosition);
    }
    case 'maxItems':
      return issue('too-many', at.path, `<${at.name}> appears more often than allowed: at most ${String(params.limit)}`, position);
    case 'minItems':
      return issue('missing-element', at.path, `<${at.name}> must appear at least ${String(params.limit)} time(s)`, position);
    case 'type':
      if (params.type === 'object') {
        return issue('invalid-value', at.path, `<${at.name}> must contain child elements, not just text`, position);
      }
      if (params.type === 'string') {
        return issue('invalid-value', at.path, `<${at.name}> must hold text only, not child elements or attributes`, position);
      }
      return issue('invalid-value', at.path, `<${at.name}> has the wrong kind of content`, position);
    case 'xmlSequence': {
      const detail = params as { element: string; before: string };
      const child = locate(element, basePath, `${error.instancePath}/${detail.element}/0`);
      return issue('wrong-order', child.path, error.message ?? 'element out of order', child.offset === undefined ? position : document.position(child.offset));
    }
    case 'if':
      return undefined;
    case 'anyOf':
    case 'oneOf':
      return issue('invalid-value', at.path, `the content of <${at.name}> is not valid: expected ${expectation(error)}`, position);
    default:
      return issue('invalid-value', at.path, `the value ${describeValue(error.data, at.path)} of <${at.name}> is not valid: expected ${expectation(error)}`, position);
  }
}

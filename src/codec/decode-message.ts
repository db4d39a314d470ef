/**
 * The codec's front door: bytes (as a hospital or municipality posted them) → a trusted, typed
 * message, or the precise reasons why not. Stages, each stopping the pipeline when it fails:
 *   size → charset → well-formed, safe XML → root, namespaces and Emessage structure →
 *   JSON Schema per letter → semantic checks → typed model.
 */
import {
  findVariant,
  messageTypeByRootElement,
  rootElementsOfGeneration,
  variantsOfGeneration,
  MESSAGE_TYPES,
  type MessageTypeDefinition,
} from '../domain/catalogue.js';
import { GENERATIONS, NS_GATEWAY_EXTENSION, generationOfRootNamespace, type SchemaGeneration } from '../domain/namespaces.js';
import { decodeText, type SupportedEncoding } from './decode-text.js';
import { hasErrors, issue, type ValidationIssue } from './issues.js';
import { mapExtension, mapLetter } from './map-model.js';
import { mapFhirAcknowledgement } from './map-fhir-acknowledgement.js';
import type { GatewayExtension, Letter, ParsedMessage } from '../domain/message.js';
import { checkNamespaces } from './namespace-check.js';
import { SchemaRegistry } from './schema-validator.js';
import { semanticChecks } from './semantic-checks.js';
import { DEFAULT_XML_LIMITS, META, childPath, elementOf, forEachChild, parseXml, textOf, type XmlDocument, type XmlElement, type XmlLimits } from './xml-tree.js';

/** 10 MiB: far above the largest MedCom report (a few hundred KB), far below what hurts the gateway. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

export interface DecodeOptions {
  /** The `charset` parameter of the HTTP Content-Type, when the message came over HTTP. */
  readonly charset?: string;
  readonly maxBytes?: number;
  readonly limits?: XmlLimits;
}

export type DecodeStage = 'size' | 'encoding' | 'xml' | 'structure' | 'schema' | 'semantic';

export type DecodeResult =
  | { ok: true; message: ParsedMessage; encoding: SupportedEncoding; warnings: ValidationIssue[] }
  | { ok: false; stage: DecodeStage; errors: ValidationIssue[]; warnings: ValidationIssue[] };

interface LetterSlot {
  readonly type: MessageTypeDefinition;
  readonly element: XmlElement;
  readonly path: string;
  readonly schemaRef: string | undefined;
  extension?: XmlElement | string;
  extensionPath?: string;
}

function fail(stage: DecodeStage, issues: ValidationIssue[], warnings: ValidationIssue[] = []): DecodeResult {
  return {
    ok: false,
    stage,
    errors: issues.filter((i) => i.severity === 'error'),
    warnings: [...warnings, ...issues.filter((i) => i.severity === 'warning')],
  };
}

/** Something that decodes messages, on this thread (MessageCodec) or off it (OffThreadCodec). */
export interface MessageDecoder {
  decode(bytes: Uint8Array, options?: DecodeOptions): DecodeResult | Promise<DecodeResult>;
}

export class MessageCodec implements MessageDecoder {
  constructor(private readonly schemas: SchemaRegistry = new SchemaRegistry()) {
    schemas.compileAll([
      'envelope.json#/$defs/Envelope',
      'extension.json#/$defs/Gateway',
      ...MESSAGE_TYPES.flatMap((type) => type.variants.map((variant) => variant.schemaRef)),
    ]);
  }

  decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (bytes.length > maxBytes) {
      return fail('size', [issue('too-large', '/', `the message is ${bytes.length} bytes; the gateway accepts at most ${maxBytes}`)]);
    }
    if (bytes.length === 0) return fail('xml', [issue('not-well-formed', '/', 'the message is empty')]);
    const text = decodeText(bytes, options.charset);
    if (!text.ok) return fail('encoding', text.issues);
    const warnings = [...text.warnings];
    const parsed = parseXml(text.text, options.limits ?? DEFAULT_XML_LIMITS);
    if (!parsed.ok) return fail('xml', parsed.issues, warnings);
    const { document } = parsed;

    const generation = generationOfRootNamespace(document.rootNamespace);
    const rootIssue = checkRoot(document, generation);
    if (rootIssue || !generation) return fail('structure', rootIssue ? [rootIssue] : [], warnings);
    const namespaceIssues = checkNamespaces(document, generation);
    if (hasErrors(namespaceIssues)) return fail('structure', namespaceIssues, warnings);

    if (generation.id === 'fhir') return this.decodeFhir(document, text.encoding, warnings);

    const structure = readEmessage(document, generation);
    if (hasErrors(structure.issues)) return fail('structure', structure.issues, warnings);

    const schemaIssues: ValidationIssue[] = [];
    const envelope = structure.envelope as XmlElement;
    schemaIssues.push(...this.schemas.validate('envelope.json#/$defs/Envelope', envelope, '/Emessage/Envelope', document));
    for (const slot of structure.letters) {
      if (slot.schemaRef) schemaIssues.push(...this.schemas.validate(slot.schemaRef, slot.element, slot.path, document));
      if (slot.extension !== undefined && slot.extensionPath) {
        schemaIssues.push(
          ...this.schemas
            .validate('extension.json#/$defs/Gateway', slot.extension, slot.extensionPath, document)
            .map((found) => ({ ...found, code: 'extension' as const })),
        );
      }
    }
    if (hasErrors(schemaIssues)) return fail('schema', schemaIssues, warnings);

    const semantic = semanticChecks(structure.letters, document);
    warnings.push(...semantic.filter((i) => i.severity === 'warning'));
    if (hasErrors(semantic)) return fail('semantic', semantic, warnings);

    const letters: Letter[] = structure.letters.map((slot, index) =>
      mapLetter(slot.type, slot.element, index, slot.path, slot.extension === undefined ? undefined : mapExtension(slot.extension)),
    );
    return {
      ok: true,
      encoding: text.encoding,
      warnings,
      message: {
        generation: generation.id,
        namespace: document.rootNamespace,
        envelope: {
          sent: { date: textOf(elementOf(envelope, 'Sent'), 'Date') ?? '', time: textOf(elementOf(envelope, 'Sent'), 'Time') ?? '' },
          identifier: textOf(envelope, 'Identifier') ?? '',
          acknowledgementCode: textOf(envelope, 'AcknowledgementCode') as 'pluspositivkvitt' | 'minuspositivkvitt',
        },
        letters,
      },
    };
  }

  private decodeFhir(document: XmlDocument, encoding: SupportedEncoding, warnings: ValidationIssue[]): DecodeResult {
    const schemaRef = findVariant(messageTypeByRootElement('Bundle') as MessageTypeDefinition, 'fhir', undefined)?.schemaRef;
    const issues = schemaRef ? this.schemas.validate(schemaRef, document.root, '/Bundle', document) : [];
    if (hasErrors(issues)) return fail('schema', issues, warnings);
    return { ok: true, encoding, warnings, message: mapFhirAcknowledgement(document.root, document.rootNamespace) };
  }
}

function checkRoot(document: XmlDocument, generation: SchemaGeneration | undefined): ValidationIssue | undefined {
  const at = (): { line: number; column: number } => document.position(document.root[META].offset);
  if (!generation) {
    const known = [...new Set(Object.values(GENERATIONS).flatMap((g) => g.rootNamespaces))].join(', ');
    return issue(
      'unknown-namespace',
      `/${document.rootName}`,
      `the root element is in ${document.rootNamespace ? `the namespace ${document.rootNamespace}` : 'no namespace'}, which is not a MedCom schema generation the gateway reads (known: ${known})`,
      at(),
    );
  }
  const expectedRoot = generation.id === 'fhir' ? 'Bundle' : 'Emessage';
  if (document.rootName !== expectedRoot) {
    return issue('unknown-root', `/${document.rootName}`, `the root element is <${document.rootName}>; a MedCom message starts with <${expectedRoot}>`, at());
  }
  return undefined;
}

interface EmessageStructure {
  envelope: XmlElement | string | undefined;
  letters: LetterSlot[];
  issues: ValidationIssue[];
}

/**
 * Checks the Emessage sequence MedCom's EMessage.xsd defines — `Envelope`, then one or more letters,
 * each optionally followed by one `Local_Elements` — and works out each letter's type and variant.
 */
function readEmessage(document: XmlDocument, generation: SchemaGeneration): EmessageStructure {
  const root = document.root;
  const issues: ValidationIssue[] = [];
  const letters: LetterSlot[] = [];
  const children = root[META].children;
  const counters = new Map<string, number>();
  let envelope: XmlElement | string | undefined;
  let previous: 'start' | 'envelope' | 'letter' | 'local' = 'start';
  /** The letter just read, when it was accepted: a following Local_Elements belongs to it. */
  let lastAccepted: LetterSlot | undefined;
  const allowedRoots = rootElementsOfGeneration(generation.id);
  if (typeof root['#text'] === 'string') {
    issues.push(issue('unexpected-element', '/Emessage/text()', '<Emessage> may not contain text directly, only elements', document.position(root[META].offset)));
  }
  issues.push(...attributeIssues(document));
  for (const child of children) {
    const index = counters.get(child.name) ?? 0;
    counters.set(child.name, index + 1);
    const path = `/Emessage/${child.name}${index > 0 ? `[${index + 1}]` : ''}`;
    const node = (root[child.name] as (XmlElement | string)[])[index];
    if (node === undefined) continue; // the tree and its metadata are built together; this cannot happen
    const at = (): { line: number; column: number } => document.position(child.offset);
    if (child.name === 'Envelope') {
      if (previous !== 'start') issues.push(issue('wrong-order', path, '<Envelope> must come once, first in <Emessage>', at()));
      envelope = node;
      previous = 'envelope';
      continue;
    }
    if (previous === 'start') {
      issues.push(issue('missing-element', '/Emessage/Envelope', `the required element <Envelope> is missing: <Emessage> must start with it, found <${child.name}>`, at()));
      previous = 'envelope';
    }
    if (child.name === 'Local_Elements') {
      if (previous !== 'letter') {
        issues.push(issue('wrong-order', path, '<Local_Elements> may only follow a letter', at()));
      } else if (lastAccepted) {
        const gateway = extensionOf(node);
        if (gateway) {
          lastAccepted.extension = gateway.node;
          lastAccepted.extensionPath = `${path}/${gateway.name}`;
        }
      }
      previous = 'local';
      lastAccepted = undefined;
      continue;
    }
    lastAccepted = undefined;
    const type = messageTypeByRootElement(child.name);
    if (!type || !allowedRoots.includes(child.name)) {
      const elsewhere = type ? ` (${type.code} is carried in the ${type.variants.map((v) => v.generation).join(' or ')} generation)` : '';
      issues.push(
        issue(
          type ? 'unknown-message-type' : 'unexpected-element',
          path,
          `<${child.name}> is not a letter the gateway accepts in the ${generation.id} generation${elsewhere}; expected one of ${allowedRoots.join(', ')}`,
          at(),
        ),
      );
      previous = 'letter';
      continue;
    }
    if (typeof node === 'string') {
      issues.push(issue('missing-element', `${path}/Letter`, `<${child.name}> is empty; it must contain <Letter>, <Sender>, <Receiver> …`, at()));
      previous = 'letter';
      continue;
    }
    const versionCode = textOf(elementOf(node, 'Letter'), 'VersionCode');
    const candidates = variantsOfGeneration(type, generation.id);
    const variant = findVariant(type, generation.id, versionCode) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!variant) {
      issues.push(
        issue(
          'unsupported-version',
          `${path}/Letter/VersionCode`,
          `VersionCode ${versionCode === undefined ? '(missing)' : `"${versionCode}"`} is not accepted for ${type.code} in the ${generation.id} generation; expected one of ${candidates.map((c) => c.versionCode).join(', ')}`,
          at(),
        ),
      );
    }
    lastAccepted = { type, element: node, path, schemaRef: variant?.schemaRef };
    letters.push(lastAccepted);
    previous = 'letter';
  }
  if (envelope === undefined && previous === 'start') {
    issues.push(issue('missing-element', '/Emessage/Envelope', 'the required element <Envelope> is missing', document.position(root[META].offset)));
  }
  if (letters.length === 0 && !hasErrors(issues)) {
    issues.push(issue('missing-element', '/Emessage', '<Emessage> holds no letter: at least one is required after <Envelope>', document.position(root[META].offset)));
  }
  return { envelope, letters, issues };
}

/**
 * MedCom's OIOXML schemas declare no attribute on any element (namespace declarations and xsi:* are not
 * content, and the tree leaves them out), while the JSON Schemas only see attributes where an element
 * has structure: so every attribute outside Local_Elements (the sender's own, xs:anyType) is refused here.
 */
function attributeIssues(document: XmlDocument): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (element: XmlElement, path: string): void => {
    for (const key in element) {
      if (key.charCodeAt(0) === 0x40) {
        issues.push(issue('unexpected-element', `${path}/${key}`, `<${element[META].name}> has no attribute "${key.slice(1)}" in MedCom's schema; remove it`, document.position(element[META].offset)));
      }
    }
    forEachChild(element, (child, node, index) => {
      if (child.name === 'Local_Elements' && path === '/Emessage') return;
      if (typeof node === 'object') visit(node, childPath(path, child.name, index));
    });
  };
  visit(document.root, '/Emessage');
  return issues;
}

/** The gateway's own element inside a Local_Elements block, if the sender included one. */
function extensionOf(localElements: XmlElement | string | undefined): { node: XmlElement | string; name: string } | undefined {
  if (typeof localElements !== 'object') return undefined;
  const child = localElements[META].children.find((c) => c.ns === NS_GATEWAY_EXTENSION && c.name === 'Gateway');
  if (!child) return undefined;
  const node = (localElements[child.name] as (XmlElement | string)[])[0];
  return node === undefined ? undefined : { node, name: child.name };
}

let sharedCodec: MessageCodec | undefined;

/** Decodes with one process-wide codec (schemas compiled once). */
export function decodeMessage(bytes: Uint8Array, options?: DecodeOptions): DecodeResult {
  sharedCodec ??= new MessageCodec();
  return sharedCodec.decode(bytes, options);
}

export type { GatewayExtension };

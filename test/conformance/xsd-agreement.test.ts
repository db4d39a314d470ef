/**
 * XSD agreement: for every MedCom sample, every fixture and several thousand mutations of valid
 * messages, MedCom's own XSD (libxml2, through xmllint-wasm) and the gateway (`decodeMessage`) must
 * reach the same verdict (valid / invalid; warnings do not count), except where known-differences.ts
 * says why the gateway is deliberately stricter.
 *
 * Message types without an XSD (XDIS18 XD1834C, XDIS21, GGOP, XDIS90) get the same mutations judged
 * against our own JSON Schemas instead: every mutation that must break them is rejected.
 *
 * Needs ../shared (the XSDs and samples); without it the XSD suite is skipped with the reason printed
 * (the second suite runs on the project's own fixtures and schemas alone).
 *
 * The run prints a summary (counts, timings, the known differences met, every disagreement);
 * XSD_AGREEMENT_DUMP=<file.json> also writes every case with both verdicts.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/codec/decode-message.js';
import { MESSAGE_TYPES, findVariant, isMessageTypeCode, messageType, messageTypeByRootElement } from '../../src/domain/catalogue.js';
import { GENERATIONS, generationOfRootNamespace, type GenerationId, type SchemaGeneration } from '../../src/domain/namespaces.js';
import { describeWithShared, fromProjectRoot, hasShared, sharedPath } from '../support/shared-dir.js';
import { KNOWN_DIFFERENCES, knownDifferenceFor, type AgreementCase, type GatewayVerdict, type KnownDifference } from './known-differences.js';
import {
  allElements,
  decodeBytes,
  encodeText,
  encodingOf,
  mergeFacts,
  mutate,
  peekRoot,
  scanXml,
  xsdFacts,
  type Mutation,
  type MutationKind,
  type XElement,
  type XsdFacts,
} from './mutations.js';
import { loadSchemaSet, validateWithXsd, type XsdDocument, type XsdSchemaSet, type XsdVerdict } from './xsd-oracle.js';

// ---------------------------------------------------------------------------------------------
// Inputs

interface InputFile {
  readonly name: string;
  readonly source: 'sample' | 'fixture';
  /** `valid` / `invalid` for fixtures, `samples` for MedCom's samples. */
  readonly folder: 'valid' | 'invalid' | 'samples';
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly root: { readonly local: string; readonly ns: string } | undefined;
}

function readFolder(folder: string, source: InputFile['source'], kind: InputFile['folder']): InputFile[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.endsWith('.xml')).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const bytes = new Uint8Array(readFileSync(join(folder, name)));
    const text = decodeBytes(bytes, encodingOf(bytes));
    const root = peekRoot(text);
    return { name, source, folder: kind, bytes, text, root: root && { local: root.local, ns: root.ns } };
  });
}

const XSD_GENERATIONS: readonly SchemaGeneration[] = Object.values(GENERATIONS).filter((g) => g.xsdFolder !== null);
const NO_XSD_GENERATIONS: readonly SchemaGeneration[] = Object.values(GENERATIONS).filter((g) => g.xsdFolder === null && g.id !== 'fhir');

/**
 * The XSD generation that judges a file: the one its root namespace names; failing that (a wrong or
 * missing namespace, text that is not XML), the one of the message type its file name starts with
 * (`XDIS20_…`), picked by VersionCode when the type has XSDs in several generations.
 */
function judgingGeneration(file: InputFile): SchemaGeneration | undefined {
  const byNamespace = file.root ? generationOfRootNamespace(file.root.ns) : undefined;
  if (byNamespace) return byNamespace.xsdFolder ? byNamespace : undefined;
  const code = /^([A-Z]+[0-9]*)_/.exec(file.name)?.[1];
  if (!code || !isMessageTypeCode(code)) return undefined;
  const variants = messageType(code).variants.filter((v) => v.hasXsd);
  const versionCode = /<(?:\w+:)?VersionCode>\s*(\w+)\s*</.exec(file.text)?.[1];
  const variant = variants.find((v) => v.versionCode === versionCode) ?? (new Set(variants.map((v) => v.generation)).size === 1 ? variants[0] : undefined);
  return variant ? GENERATIONS[variant.generation] : undefined;
}

function gatewayVerdict(bytes: Uint8Array): GatewayVerdict {
  try {
    const result = decodeMessage(bytes);
    return result.ok ? { valid: true, errors: [] } : { valid: false, stage: result.stage, errors: result.errors };
  } catch (error) {
    return { valid: false, errors: [], thrown: error instanceof Error ? error.message : String(error) };
  }
}

/** `XDIS20 XD2030C` for a letter element, from its type and VersionCode. */
function letterLabel(letter: XElement): string | undefined {
  const type = messageTypeByRootElement(letter.local);
  if (!type) return undefined;
  const versionCode = letter.children.find((c) => c.local === 'Letter')?.children.find((c) => c.local === 'VersionCode')?.text.trim();
  return `${type.code} ${versionCode ?? '?'}`;
}

/** The label of the letter a mutation at `path` touches (the first letter for envelope-level ones). */
function labelForPath(root: XElement, path: string): string | undefined {
  const top = `/${path.split('/').slice(1, 3).join('/')}`;
  const letters = root.children.filter((c) => messageTypeByRootElement(c.local));
  const touched = letters.find((c) => c.path === top) ?? letters[0];
  return touched ? letterLabel(touched) : undefined;
}

function shorten(text: string, max = 300): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

function describeXsd(verdict: XsdVerdict): string {
  const transcoded = verdict.transcodedFrom ? ` [transcoded from ${verdict.transcodedFrom}]` : '';
  return verdict.valid ? `valid${transcoded}` : `invalid${transcoded} (${shorten(verdict.messages.slice(0, 2).join(' | '), 260)})`;
}

function describeGateway(verdict: GatewayVerdict): string {
  if (verdict.thrown !== undefined) return `THREW ${shorten(verdict.thrown, 200)}`;
  if (verdict.valid) return 'valid';
  const errors = verdict.errors.slice(0, 2).map((e) => `${e.code} ${e.path}: ${e.message}`);
  return `invalid at ${verdict.stage ?? '?'} (${shorten(errors.join(' | '), 260)}${verdict.errors.length > 2 ? ` +${verdict.errors.length - 2} more` : ''})`;
}

function describeCase(c: AgreementCase): string {
  return `${c.name} [${c.generation}] — XSD: ${describeXsd(c.xsd)} — gateway: ${describeGateway(c.gateway)}`;
}

// ---------------------------------------------------------------------------------------------
// The XSD agreement run

const XSD_LABELS: readonly string[] = MESSAGE_TYPES.flatMap((t) => t.variants.filter((v) => v.hasXsd).map((v) => `${t.code} ${v.versionCode}`));
const NO_XSD_LABELS: readonly string[] = MESSAGE_TYPES.flatMap((t) =>
  t.variants.filter((v) => !v.hasXsd && v.generation !== 'fhir').map((v) => `${t.code} ${v.versionCode}`),
);

interface LabelledCase {
  readonly case: AgreementCase;
  /** For mutations: the letter type they touch, e.g. `XDIS17 XD1730C`. */
  readonly label: string | undefined;
  readonly known: KnownDifference | undefined;
  readonly agrees: boolean;
}

/** Mutations of the XSD-valid samples and fixtures, after folding repeats (see runAgreement). */
const MUTATIONS_GENERATED = 4170;

interface AgreementRun {
  readonly cases: readonly LabelledCase[];
  readonly notJudged: readonly string[];
  readonly droppedBases: readonly string[];
  /** Mutations left out because one with the same signature (same letter type) was already made. */
  readonly folded: number;
  /** Bases the mutation scanner could not read (a bug in mutations.ts or an odd fixture). */
  readonly unmutatable: readonly string[];
  readonly oracleChecks: readonly { readonly name: string; readonly expectedValid: boolean; readonly verdict: XsdVerdict | undefined }[];
  /** Documents the oracle gave no verdict on (each one fails the run). */
  readonly oracleFailures: readonly string[];
  readonly mutationsGenerated: number;
  readonly millis: { readonly total: number; readonly oracle: number; readonly gateway: number };
}

/** The code another message type uses in the same place, for `code` mutations (XDIS20 → XDIS17, …). */
function otherCode(element: 'VersionCode' | 'StatisticalCode' | 'TypeCode', current: string): string | undefined {
  const values = MESSAGE_TYPES.filter((t) => t.letterShape !== 'fhir').flatMap((t) =>
    element === 'VersionCode' ? t.variants.map((v) => v.versionCode) : element === 'StatisticalCode' ? [t.statisticalCode] : t.typeCode ? [t.typeCode] : [],
  );
  const index = values.indexOf(current);
  return index === -1 ? undefined : values[(index + 1) % values.length];
}

/** Documents that check the oracle itself: æøå in windows-1252, ISO-8859-1 and UTF-8, at and over String_1_35. */
function oracleCheckDocuments(samples: readonly InputFile[]): { name: string; bytes: Uint8Array; expectedValid: boolean }[] {
  const sample = samples.find((s) => s.name === 'DIS20_1.xml');
  if (!sample) return [];
  const root = scanXml(sample.text);
  const name = allElements(root).find((e) => e.path.endsWith('/Receiver/OrganisationName'));
  if (!name) return [];
  const out: { name: string; bytes: Uint8Array; expectedValid: boolean }[] = [];
  for (const [label, encoding] of [
    ['windows-1252', 'windows-1252'],
    ['ISO-8859-1', 'iso-8859-1'],
    ['UTF-8', 'utf-8'],
  ] as const) {
    for (const length of [35, 36]) {
      const value = 'Ærøskøbing Sønderå Kommune '.repeat(3).slice(0, length).replace(/ $/, 'å');
      const text = (sample.text.slice(0, name.openEnd) + value + sample.text.slice(name.closeStart)).replace(/encoding="[^"]*"/, `encoding="${label}"`);
      out.push({ name: `DIS20_1.xml as ${label}, Receiver/OrganisationName of ${length} characters with æøå`, bytes: encodeText(text, encoding), expectedValid: length === 35 });
    }
  }
  return out;
}

async function runAgreement(): Promise<AgreementRun> {
  const started = performance.now();
  const samples = readFolder(sharedPath('medcom-samples'), 'sample', 'samples');
  const fixtures = [
    ...readFolder(fromProjectRoot('fixtures', 'valid'), 'fixture', 'valid'),
    ...readFolder(fromProjectRoot('fixtures', 'invalid'), 'fixture', 'invalid'),
  ];
  const sets = new Map<GenerationId, XsdSchemaSet>();
  const facts = new Map<GenerationId, XsdFacts>();
  for (const generation of XSD_GENERATIONS) {
    const set = loadSchemaSet(sharedPath('medcom-xsd', generation.xsdFolder as string));
    sets.set(generation.id, set);
    facts.set(generation.id, xsdFacts(set.texts));
  }
  const namespaces = XSD_GENERATIONS.map((g) => g.rootNamespaces[0] as string);

  interface Pending {
    readonly id: string;
    readonly name: string;
    readonly source: AgreementCase['source'];
    readonly file: string;
    readonly generation: SchemaGeneration;
    readonly bytes: Uint8Array;
    readonly mutation?: Mutation;
    readonly label?: string;
  }
  const pending: Pending[] = [];
  const notJudged: string[] = [];
  const baseIds = new Map<string, string>();

  // Samples (only Emessages) and fixtures, judged by their generation's XSD.
  for (const file of [...samples, ...fixtures]) {
    const where = file.source === 'sample' ? `medcom-samples/${file.name}` : `fixtures/${file.folder}/${file.name}`;
    if (file.source === 'sample' && file.root?.local !== 'Emessage') continue;
    const generation = judgingGeneration(file);
    const named = file.root ? generationOfRootNamespace(file.root.ns) : undefined;
    if (named && !named.xsdFolder) continue; // a generation without an XSD: see the second suite
    if (!generation) {
      if (file.source === 'fixture') notJudged.push(`${where} (${file.root ? `root <${file.root.local}> in ${file.root.ns || 'no namespace'}` : 'no root element'}: no XSD generation)`);
      continue;
    }
    const id = `${file.source}:${file.folder}/${file.name}`;
    pending.push({ id, name: where, source: file.source, file: file.name, generation, bytes: file.bytes });
    if (file.folder !== 'invalid') baseIds.set(file.name, id);
  }

  // Pass 1: samples and fixtures (and the oracle's own checks), xmllint in workers while the gateway decodes here.
  const checks = oracleCheckDocuments(samples).map((c) => ({ ...c, id: `oracle-check:${c.name}` }));
  const verdicts = new Map<string, XsdVerdict>();
  const gateway = new Map<string, GatewayVerdict>();
  const timing = { oracle: 0, gateway: 0 };
  const judge = async (items: readonly Pending[], extra: readonly XsdDocument[] = []): Promise<void> => {
    const oracleStarted = performance.now();
    const running = XSD_GENERATIONS.map(async (generation) => {
      const documents: XsdDocument[] = items.filter((p) => p.generation.id === generation.id).map((p) => ({ id: p.id, bytes: p.bytes }));
      if (generation.id === '2005/08/07') documents.push(...extra);
      const found = documents.length === 0 ? new Map<string, XsdVerdict>() : await validateWithXsd(sets.get(generation.id) as XsdSchemaSet, documents);
      return { found, millis: performance.now() - oracleStarted };
    });
    const gatewayStarted = performance.now();
    for (const [index, p] of items.entries()) {
      gateway.set(p.id, gatewayVerdict(p.bytes));
      // Let the event loop breathe now and then (vitest's worker RPC, xmllint's workers reporting back).
      if (index % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
    }
    timing.gateway += performance.now() - gatewayStarted;
    const results = await Promise.all(running);
    timing.oracle += Math.max(...results.map((r) => r.millis));
    for (const { found } of results) for (const [id, verdict] of found) verdicts.set(id, verdict);
  };
  await judge(pending, checks.map((c) => ({ id: c.id, bytes: c.bytes })));

  // Pass 2: mutations of every sample and valid fixture the XSD accepts (the others are listed, not mutated).
  const signatures = new Set<string>();
  const unmutatable: string[] = [];
  let folded = 0;
  const droppedBases = [...baseIds].filter(([, id]) => verdicts.get(id)?.valid !== true).map(([name]) => name);
  const mutationBases: InputFile[] = [...samples, ...fixtures.filter((f) => f.folder === 'valid')].filter(
    (f) => baseIds.has(f.name) && !droppedBases.includes(f.name),
  );
  const generationById = new Map(pending.map((p) => [p.id, p.generation]));
  const mutants: Pending[] = [];
  for (const base of mutationBases) {
    const generation = generationById.get(baseIds.get(base.name) as string) as SchemaGeneration;
    let root: XElement;
    try {
      root = scanXml(base.text);
    } catch (error) {
      unmutatable.push(`${base.name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const baseFacts = facts.get(generation.id) as XsdFacts;
    const mutations = mutate(
      { name: base.name, bytes: base.bytes },
      {
        enumerations: baseFacts.enumerations,
        maxLengths: baseFacts.maxLengths,
        otherGenerationNamespaces: namespaces,
        otherCodes: otherCode,
        // The same mutation of the same letter type in the same surroundings tests nothing new.
        keep: ({ path, signature }) => {
          const key = `${labelForPath(root, path) ?? '?'}|${signature}`;
          if (signatures.has(key)) {
            folded += 1;
            return false;
          }
          signatures.add(key);
          return true;
        },
      },
    );
    for (const mutation of mutations) {
      const judgedBy = generationOfRootNamespace(mutation.rootNamespace);
      mutants.push({
        id: `mutation:${mutation.name}`,
        name: mutation.name,
        source: 'mutation',
        file: base.name,
        generation: judgedBy?.xsdFolder ? judgedBy : generation,
        bytes: mutation.bytes,
        mutation,
        label: labelForPath(root, mutation.path),
      });
    }
  }
  await judge(mutants);

  const cases: LabelledCase[] = [];
  const oracleFailures: string[] = [];
  for (const p of [...pending, ...mutants]) {
    const xsd = verdicts.get(p.id);
    // No verdict is a failure of the oracle, not "XSD invalid": it is reported, never counted as agreement.
    if (!xsd || xsd.noVerdict) {
      oracleFailures.push(`${p.name}: ${xsd ? xsd.messages.join('; ') : 'the oracle returned nothing for it'}`);
      continue;
    }
    const c: AgreementCase = {
      name: p.name,
      source: p.source,
      file: p.file,
      generation: p.generation.id,
      ...(p.mutation ? { mutation: { kind: p.mutation.kind, path: p.mutation.path, detail: p.mutation.detail } } : {}),
      xsd,
      gateway: gateway.get(p.id) as GatewayVerdict,
    };
    const agrees = c.gateway.thrown === undefined && c.xsd.valid === c.gateway.valid;
    cases.push({ case: c, label: p.label, known: agrees ? undefined : knownDifferenceFor(c), agrees });
  }
  return {
    cases,
    oracleFailures,
    mutationsGenerated: mutants.length,
    notJudged,
    droppedBases,
    folded,
    unmutatable,
    oracleChecks: checks.map((c) => ({ name: c.name, expectedValid: c.expectedValid, verdict: verdicts.get(c.id) })),
    millis: { total: performance.now() - started, oracle: timing.oracle, gateway: timing.gateway },
  };
}

function printSummary(run: AgreementRun): void {
  const count = (source: AgreementCase['source']) => run.cases.filter((c) => c.case.source === source).length;
  const agree = run.cases.filter((c) => c.agrees).length;
  const known = run.cases.filter((c) => c.known);
  const disagreements = run.cases.filter((c) => !c.agrees && !c.known);
  const lines = [
    `XSD agreement: ${run.cases.length} cases (${count('sample')} samples, ${count('fixture')} fixtures, ${count('mutation')} mutations), ${agree} agree, ${known.length} known differences` +
      (disagreements.length > 0 ? `, ${disagreements.length} DISAGREEMENTS` : ''),
    `  time: ${Math.round(run.millis.total)} ms in all; xmllint ${Math.round(run.millis.oracle)} ms (in worker threads, alongside); decodeMessage ${Math.round(run.millis.gateway)} ms`,
  ];
  const byKind = new Map<string, number>();
  for (const c of run.cases) if (c.case.mutation) byKind.set(c.case.mutation.kind, (byKind.get(c.case.mutation.kind) ?? 0) + 1);
  lines.push(`  mutations by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')} (${run.folded} more folded: same mutation, same letter type, same surroundings)`);
  const byLabel = new Map<string, number>();
  for (const c of run.cases) if (c.case.mutation && c.label) byLabel.set(c.label, (byLabel.get(c.label) ?? 0) + 1);
  lines.push(`  mutations by letter type: ${XSD_LABELS.map((l) => `${l} ${byLabel.get(l) ?? 0}`).join(', ')}`);
  if (run.notJudged.length > 0) lines.push(`  fixtures not judged by an XSD: ${run.notJudged.join('; ')}`);
  if (run.droppedBases.length > 0) lines.push(`  bases the XSD rejects (their mutations dropped): ${run.droppedBases.join(', ')}`);
  if (run.unmutatable.length > 0) lines.push(`  bases that could not be mutated: ${run.unmutatable.join('; ')}`);
  lines.push(`  known differences met:`);
  for (const difference of KNOWN_DIFFERENCES) {
    const met = known.filter((c) => c.known === difference);
    lines.push(`    ${difference.id}: ${met.length} case(s)${met.length === 0 ? ' (not met in this run)' : ''} — ${difference.reason}`);
    for (const c of met.slice(0, 3)) lines.push(`      e.g. ${c.case.name}`);
  }
  if (disagreements.length > 0) {
    lines.push(`  DISAGREEMENTS (${disagreements.length}):`);
    for (const c of disagreements) lines.push(`    ${describeCase(c.case)}`);
  }
  console.log(lines.join('\n'));
}

function unexplained(cases: readonly LabelledCase[]): string[] {
  return cases.filter((c) => !c.agrees && !c.known).map((c) => describeCase(c.case));
}

describeWithShared('XSD agreement: MedCom XSD (libxml2) vs decodeMessage', ['medcom-xsd', 'medcom-samples'], () => {
  let run: AgreementRun;

  beforeAll(async () => {
    run = await runAgreement();
    printSummary(run);
    // XSD_AGREEMENT_DUMP=<file.json> writes every case with both verdicts, for whoever fixes a disagreement.
    const dump = process.env.XSD_AGREEMENT_DUMP;
    if (dump) writeFileSync(dump, JSON.stringify(run.cases.map((c) => ({ ...c.case, label: c.label, known: c.known?.id, agrees: c.agrees })), null, 1));
  }, 120_000);

  it('the oracle reads windows-1252, ISO-8859-1 and UTF-8 as declared (æ, ø, å are one character each)', () => {
    expect(run.oracleChecks.length, 'needs ../shared/medcom-samples/DIS20_1.xml').toBe(6);
    const wrong = run.oracleChecks
      .filter((c) => !c.verdict || c.verdict.noVerdict === true || c.verdict.valid !== c.expectedValid)
      .map((c) => `${c.name}: expected ${c.expectedValid ? 'valid' : 'invalid'}, got ${c.verdict ? describeXsd(c.verdict) : 'no verdict'}`);
    expect(wrong).toEqual([]);
  });

  it('the oracle gave a verdict on every document (a failure of xmllint is not "XSD invalid")', () => {
    expect(run.oracleFailures).toEqual([]);
  });

  it('every MedCom sample validates against its XSD (as ../shared/README.md promises)', () => {
    const rejected = run.cases.filter((c) => c.case.source === 'sample' && !c.case.xsd.valid).map((c) => `${c.case.name}: ${describeXsd(c.case.xsd)}`);
    expect(rejected).toEqual([]);
  });

  it('samples: the gateway agrees with the XSD', () => {
    expect(run.cases.some((c) => c.case.source === 'sample')).toBe(true);
    expect(unexplained(run.cases.filter((c) => c.case.source === 'sample'))).toEqual([]);
  });

  it('fixtures: the gateway agrees with the XSD', () => {
    expect(unexplained(run.cases.filter((c) => c.case.source === 'fixture'))).toEqual([]);
  });

  it('could mutate every valid sample and fixture', () => {
    expect(run.unmutatable).toEqual([]);
  });

  // The exact count: a change to the mutator, the fixtures or ../shared that drops (or adds) mutations
  // must show here and be accepted knowingly; a floor would let most of them vanish unnoticed.
  it(`generates exactly ${MUTATIONS_GENERATED} mutations and judges every one`, () => {
    expect(run.mutationsGenerated).toBe(MUTATIONS_GENERATED);
    expect(run.cases.filter((c) => c.case.source === 'mutation').length).toBe(MUTATIONS_GENERATED);
  });

  for (const label of XSD_LABELS) {
    it(`mutations of ${label}: the gateway agrees with the XSD`, () => {
      const mine = run.cases.filter((c) => c.case.source === 'mutation' && c.label === label);
      expect(mine.length, `no XSD-valid sample or fixtures/valid message of ${label} to mutate`).toBeGreaterThan(0);
      expect(unexplained(mine)).toEqual([]);
    });
  }

  it('mutations: every mutation is attributed to a letter type', () => {
    expect(run.cases.filter((c) => c.case.source === 'mutation' && !c.label).map((c) => c.case.name)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Types with no XSD: mutations judged against our own JSON Schemas.

interface JsonSchema {
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  // The gateway's schemas only pin scalars (codes, "true").
  readonly const?: string | number | boolean | null;
  readonly maxLength?: number;
  readonly allOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
}

interface Located {
  readonly schema: JsonSchema;
  readonly file: string;
}

/** Reads schemas/*.json and follows `$ref`s (`file.json#/$defs/X` or `#/$defs/X`). */
class SchemaStore {
  private readonly files = new Map<string, JsonSchema>();

  constructor(folder: string) {
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.json'))) {
      this.files.set(name, JSON.parse(readFileSync(join(folder, name), 'utf8')) as JsonSchema);
    }
  }

  at(ref: string, fromFile: string): Located | undefined {
    const [filePart, pointer = ''] = ref.split('#');
    const file = filePart ? (filePart.split('/').pop() as string) : fromFile;
    let node: unknown = this.files.get(file);
    for (const segment of pointer.split('/').filter(Boolean)) {
      node = (node as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return node === undefined ? undefined : this.deref({ schema: node as JsonSchema, file });
  }

  deref(located: Located, depth = 0): Located {
    if (!located.schema.$ref || depth > 20) return located;
    const target = this.at(located.schema.$ref, located.file);
    return target ? this.deref(target, depth + 1) : located;
  }

  /** The schema itself and its allOf parts, dereferenced. */
  private conjuncts(located: Located): Located[] {
    const self = this.deref(located);
    return [self, ...(self.schema.allOf ?? []).flatMap((s) => this.conjuncts({ schema: s, file: self.file }))];
  }

  /** Every sub-schema that may describe the element: conjuncts and the branches of anyOf/oneOf. */
  private candidates(located: Located): Located[] {
    return this.conjuncts(located).flatMap((c) => [
      c,
      ...[...(c.schema.anyOf ?? []), ...(c.schema.oneOf ?? [])].flatMap((b) => this.candidates({ schema: b, file: c.file })),
    ]);
  }

  child(parent: Located, name: string): Located | undefined {
    for (const candidate of this.candidates(parent)) {
      const array = candidate.schema.properties?.[name];
      if (!array) continue;
      const items = this.deref({ schema: array, file: candidate.file }).schema.items;
      return items ? this.deref({ schema: items, file: candidate.file }) : undefined;
    }
    return undefined;
  }

  /** Children that must be present: required of the schema and its allOf parts, plus those every anyOf/oneOf branch requires. */
  required(located: Located): Set<string> {
    const out = new Set<string>();
    for (const c of this.conjuncts(located)) {
      (c.schema.required ?? []).forEach((r) => out.add(r));
      for (const branches of [c.schema.anyOf, c.schema.oneOf]) {
        if (!branches || branches.length === 0) continue;
        const sets = branches.map((b) => this.required({ schema: b, file: c.file }));
        for (const r of sets[0] as Set<string>) if (sets.every((s) => s.has(r))) out.add(r);
      }
    }
    return out;
  }

  enumOf(located: Located): string[] | undefined {
    for (const c of this.conjuncts(located)) {
      if (c.schema.enum) return c.schema.enum.map(String);
      if (c.schema.const !== undefined) return [String(c.schema.const)];
    }
    return undefined;
  }

  maxLengthOf(located: Located): number | undefined {
    return this.conjuncts(located).find((c) => c.schema.maxLength !== undefined)?.schema.maxLength;
  }
}

interface ElementRule {
  /** False inside content our schema accepts without describing it (AnyContent): nothing can be asserted there. */
  readonly described: boolean;
  readonly required: boolean;
  readonly enumValues: readonly string[] | undefined;
  readonly maxLength: number | undefined;
}

/** What our schemas say about every element of a message: required or not, enumeration, maximum length. */
function elementRules(store: SchemaStore, root: XElement, generation: GenerationId): Map<string, ElementRule> {
  const rules = new Map<string, ElementRule>();
  const visit = (element: XElement, located: Located | undefined, required: boolean): void => {
    rules.set(element.path, {
      described: located !== undefined,
      required,
      enumValues: located ? store.enumOf(located) : undefined,
      maxLength: located ? store.maxLengthOf(located) : undefined,
    });
    if (!located) return;
    const requiredChildren = store.required(located);
    for (const child of element.children) visit(child, store.child(located, child.local), requiredChildren.has(child.local));
  };
  rules.set(root.path, { described: true, required: true, enumValues: undefined, maxLength: undefined });
  const letters = root.children.filter((c) => messageTypeByRootElement(c.local));
  for (const child of root.children) {
    if (child.local === 'Envelope') visit(child, store.at('envelope.json#/$defs/Envelope', 'envelope.json'), true);
    else if (child.local === 'Local_Elements') continue;
    else {
      const type = messageTypeByRootElement(child.local);
      const versionCode = child.children.find((c) => c.local === 'Letter')?.children.find((c) => c.local === 'VersionCode')?.text.trim();
      const variant = type ? findVariant(type, generation, versionCode) : undefined;
      visit(child, variant ? store.at(variant.schemaRef, variant.schemaRef.split('#')[0] as string) : undefined, letters.length === 1);
    }
  }
  return rules;
}

interface MustReject {
  readonly mutation: Mutation;
  readonly label: string;
  readonly why: string;
  readonly gateway: GatewayVerdict;
}

interface NoXsdRun {
  readonly bases: readonly { readonly name: string; readonly label: string | undefined; readonly gateway: GatewayVerdict }[];
  readonly invalidFixtures: readonly { readonly name: string; readonly gateway: GatewayVerdict }[];
  readonly cases: readonly MustReject[];
  /** Mutations inside content our schema deliberately leaves undescribed (AnyContent): not asserted, only listed. */
  readonly notAsserted: readonly MustReject[];
  readonly unmutatable: readonly string[];
}

const NO_XSD_KINDS: readonly MutationKind[] = ['remove', 'enum', 'too-long', 'date', 'namespace', 'child-namespace', 'root'];

function runNoXsd(): NoXsdRun {
  const store = new SchemaStore(fromProjectRoot('schemas'));
  const sharedFacts: XsdFacts | undefined = hasShared('medcom-xsd')
    ? mergeFacts(...XSD_GENERATIONS.map((g) => xsdFacts(loadSchemaSet(sharedPath('medcom-xsd', g.xsdFolder as string)).texts)))
    : undefined;
  const candidates = [
    ...readFolder(fromProjectRoot('fixtures', 'valid'), 'fixture', 'valid'),
    ...(hasShared('medcom-samples') ? readFolder(sharedPath('medcom-samples'), 'sample', 'samples') : []),
  ];
  const bases: { name: string; label: string | undefined; gateway: GatewayVerdict }[] = [];
  const cases: MustReject[] = [];
  const notAsserted: MustReject[] = [];
  const unmutatable: string[] = [];
  const invalidFixtures = readFolder(fromProjectRoot('fixtures', 'invalid'), 'fixture', 'invalid')
    .filter((file) => {
      const generation = file.root ? generationOfRootNamespace(file.root.ns) : undefined;
      return generation !== undefined && NO_XSD_GENERATIONS.includes(generation);
    })
    .map((file) => ({ name: `fixtures/invalid/${file.name}`, gateway: gatewayVerdict(file.bytes) }));
  for (const file of candidates) {
    const generation = file.root ? generationOfRootNamespace(file.root.ns) : undefined;
    if (!generation || !NO_XSD_GENERATIONS.includes(generation) || file.root?.local !== 'Emessage') continue;
    let root: XElement;
    try {
      root = scanXml(file.text);
    } catch (error) {
      unmutatable.push(`${file.name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const label = labelForPath(root, '/Emessage');
    const name = file.source === 'sample' ? `medcom-samples/${file.name}` : `fixtures/valid/${file.name}`;
    bases.push({ name, label, gateway: gatewayVerdict(file.bytes) });
    const rules = elementRules(store, root, generation.id);
    // Enumerations: where our schema has one, or where MedCom's XSDs enumerate an element of that name.
    const enumerations = new Map<string, Set<string>>();
    const maxLengths = new Map<string, Set<number>>();
    for (const element of allElements(root)) {
      const rule = rules.get(element.path);
      if (rule?.enumValues) enumerations.set(element.local, new Set([...(enumerations.get(element.local) ?? []), ...rule.enumValues]));
      const limit = rule?.maxLength ?? maxOf(sharedFacts?.maxLengths.get(element.local));
      if (limit !== undefined) maxLengths.set(element.local, new Set([...(maxLengths.get(element.local) ?? []), limit]));
    }
    for (const [element, values] of sharedFacts?.enumerations ?? []) enumerations.set(element, new Set([...(enumerations.get(element) ?? []), ...values]));
    const mutations = mutate(
      { name, bytes: file.bytes },
      { kinds: NO_XSD_KINDS, enumerations, maxLengths, skipPaths: ['/Emessage/Local_Elements'] },
    );
    for (const mutation of mutations) {
      const rule = rules.get(mutation.path);
      const element = allElements(root).find((e) => e.path === mutation.path);
      let why: string | undefined;
      switch (mutation.kind) {
        case 'remove':
          why = rule?.required ? 'a required element (our schema\'s required list) is removed' : undefined;
          break;
        case 'enum': {
          const value = element?.text.trim() ?? '';
          if (rule?.enumValues?.includes(value)) why = 'an enumeration value of our schema is broken';
          else if (sharedFacts?.enumerations.get(mutation.path.split('/').pop()?.replace(/\[\d+\]$/, '') ?? '')?.has(value)) {
            why = 'a value MedCom\'s XSDs enumerate for this element name is broken (our schema does not restrict it)';
          }
          break;
        }
        case 'too-long': {
          const limit = Number(/limit (\d+)\)/.exec(mutation.detail)?.[1]);
          const expected = rule?.maxLength ?? maxOf(sharedFacts?.maxLengths.get(element?.local ?? ''));
          why = limit === expected ? `an identifier is one character over its limit of ${limit}` : undefined;
          break;
        }
        case 'date':
          why = 'an impossible date';
          break;
        case 'namespace':
        case 'child-namespace':
          why = 'a wrong namespace';
          break;
        case 'root':
          why = 'a wrong root element';
          break;
        default:
          why = undefined;
      }
      if (!why) continue;
      const judged = { mutation, label: label ?? '?', why, gateway: gatewayVerdict(mutation.bytes) };
      const undescribed = rule?.described !== true && (mutation.kind === 'enum' || mutation.kind === 'too-long' || mutation.kind === 'date');
      (undescribed ? notAsserted : cases).push(judged);
    }
  }
  return { bases, invalidFixtures, cases, notAsserted, unmutatable };
}

function maxOf(values: ReadonlySet<number> | undefined): number | undefined {
  return values && values.size > 0 ? Math.max(...values) : undefined;
}

describe('our own schema, for message types without an XSD (XDIS18 XD1834C, XDIS21, GGOP, XDIS90)', () => {
  let run: NoXsdRun;

  beforeAll(() => {
    run = runNoXsd();
    const accepted = run.cases.filter((c) => c.gateway.valid || c.gateway.thrown !== undefined);
    const byKind = new Map<string, number>();
    for (const c of run.cases) byKind.set(c.mutation.kind, (byKind.get(c.mutation.kind) ?? 0) + 1);
    const lines = [
      `No-XSD types: ${run.bases.length} valid bases, ${run.cases.length} mutations that must be rejected (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}), ${run.cases.length - accepted.length} rejected, ${accepted.length} NOT rejected`,
    ];
    for (const c of accepted) lines.push(`    ${c.mutation.name} — ${c.why} — gateway: ${describeGateway(c.gateway)}`);
    for (const b of run.bases.filter((b) => !b.gateway.valid)) lines.push(`    base ${b.name} REJECTED — gateway: ${describeGateway(b.gateway)}`);
    for (const f of run.invalidFixtures.filter((f) => f.gateway.valid || f.gateway.thrown !== undefined)) {
      lines.push(`    invalid fixture ${f.name} NOT rejected — gateway: ${describeGateway(f.gateway)}`);
    }
    if (run.notAsserted.length > 0) {
      const passed = run.notAsserted.filter((c) => c.gateway.valid);
      lines.push(
        `  not asserted (inside content our schemas accept as AnyContent, structure unknown): ${run.notAsserted.length} mutations, ${passed.length} of them accepted:`,
      );
      for (const c of passed) lines.push(`    ${c.mutation.name} — ${c.why}`);
    }
    console.log(lines.join('\n'));
  }, 60_000);

  it('could mutate every valid fixture of those types', () => {
    expect(run.unmutatable).toEqual([]);
  });

  it('has a valid base message for every type without an XSD', () => {
    const covered = new Set(run.bases.map((b) => b.label));
    expect(NO_XSD_LABELS.filter((l) => !covered.has(l))).toEqual([]);
  });

  it('rejects the invalid fixtures of those types', () => {
    expect(run.invalidFixtures.filter((f) => f.gateway.valid || f.gateway.thrown !== undefined).map((f) => `${f.name}: ${describeGateway(f.gateway)}`)).toEqual([]);
  });

  it('accepts the valid fixtures (and samples) of those types', () => {
    expect(run.bases.filter((b) => !b.gateway.valid).map((b) => `${b.name}: ${describeGateway(b.gateway)}`)).toEqual([]);
  });

  for (const label of NO_XSD_LABELS) {
    it(`mutations of ${label}: every required-element removal, broken enumeration, too-long identifier, impossible date, wrong namespace and wrong root is rejected`, () => {
      const mine = run.cases.filter((c) => c.label === label);
      expect(mine.length, `no valid fixture of ${label} to mutate`).toBeGreaterThan(0);
      expect(
        mine.filter((c) => c.gateway.valid || c.gateway.thrown !== undefined).map((c) => `${c.mutation.name} — ${c.why} — gateway: ${describeGateway(c.gateway)}`),
      ).toEqual([]);
    });
  }
});

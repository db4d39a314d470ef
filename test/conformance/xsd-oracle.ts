/**
 * The libxml2 side of the XSD-agreement test: validates XML documents against MedCom's own XSDs
 * (../shared/medcom-xsd/<generation>/EMessage.xsd) with xmllint-wasm, many documents per call.
 *
 * Encodings: xmllint-wasm writes a `Uint8Array` into its in-memory file system unchanged (a string
 * would be written as UTF-8, which would contradict an `encoding="windows-1252"` declaration), so
 * documents go in as their bytes. Its libxml2 is built without iconv: it reads UTF-8, UTF-16 and
 * ISO-8859-1 itself but answers "Unsupported encoding: windows-1252". A windows-1252 document is
 * therefore transcoded to UTF-8 (and its declaration rewritten to say so) before validation; that
 * changes no character, and XSD facets count characters, not bytes, so the verdict is the one a
 * libxml2 with iconv would give. The verdict records when that happened.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';

export interface XsdDocument {
  /** Any unique id; verdicts are returned under it. */
  readonly id: string;
  readonly bytes: Uint8Array;
}

export interface XsdVerdict {
  readonly valid: boolean;
  /** xmllint's messages for this document (parser and schema errors), `line: message`. */
  readonly messages: readonly string[];
  /** Set when the document was transcoded to UTF-8 for libxml2 (see the module comment). */
  readonly transcodedFrom?: string;
  /**
   * xmllint said nothing about this document (it stopped, or its output could not be attributed): no
   * verdict at all, which a test must treat as a failure of the oracle, never as "invalid".
   */
  readonly noVerdict?: true;
}

export interface XsdSchemaSet {
  /** The generation folder, e.g. `/…/shared/medcom-xsd/2005/08/07`. */
  readonly folder: string;
  readonly schema: XMLFileInfo;
  readonly preload: readonly XMLFileInfo[];
  /** Every .xsd of the folder as text (for reading facts out of them). */
  readonly texts: readonly string[];
}

function listFiles(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((name) => {
      const path = join(folder, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

/** Loads a generation's XSDs: `EMessage.xsd` as the schema, every other .xsd preloaded under its relative path. */
export function loadSchemaSet(folder: string): XsdSchemaSet {
  const files = listFiles(folder).filter((path) => path.toLowerCase().endsWith('.xsd'));
  const rootPath = join(folder, 'EMessage.xsd');
  if (!files.includes(rootPath)) throw new Error(`no EMessage.xsd in ${folder}`);
  const info = (path: string): XMLFileInfo => ({
    fileName: relative(folder, path).split(sep).join('/'),
    contents: new Uint8Array(readFileSync(path)),
  });
  return {
    folder,
    schema: info(rootPath),
    preload: files.filter((path) => path !== rootPath).map(info),
    texts: files.map((path) => readFileSync(path, 'utf8')),
  };
}

/** Encodings libxml2 reads without iconv; anything else is transcoded to UTF-8 when Node can decode it. */
const NATIVE_ENCODINGS = new Set(['utf-8', 'utf8', 'utf-16', 'iso-8859-1', 'latin1', 'us-ascii', 'ascii']);

const DECLARATION = /^(\uFEFF?<\?xml[^?]*?\sencoding\s*=\s*)(["'])([^"']*)\2/;

/** The bytes to give libxml2 for `bytes` (see the module comment), and the encoding transcoded from, if any. */
export function bytesForLibxml(bytes: Uint8Array): { bytes: Uint8Array; transcodedFrom?: string } {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const label = DECLARATION.exec(head)?.[3];
  if (label === undefined || NATIVE_ENCODINGS.has(label.toLowerCase())) return { bytes };
  let decoded: string;
  try {
    decoded = new TextDecoder(label, { fatal: false }).decode(bytes);
  } catch {
    return { bytes }; // an encoding nobody knows: let libxml2 say so
  }
  const text = decoded.replace(DECLARATION, (_whole: string, start: string, quote: string) => `${start}${quote}UTF-8${quote}`);
  return { bytes: new Uint8Array(Buffer.from(text, 'utf8')), transcodedFrom: label };
}

export interface ValidateOptions {
  /** Documents per xmllint call (one worker, one schema compilation each). */
  readonly batchSize?: number;
}

/**
 * Validates every document against the schema set. Resolves to one verdict per document id.
 * A document is valid only when xmllint says "<file> validates" for it.
 */
export async function validateWithXsd(
  set: XsdSchemaSet,
  documents: readonly XsdDocument[],
  options: ValidateOptions = {},
): Promise<Map<string, XsdVerdict>> {
  const batchSize = options.batchSize ?? 2000;
  const verdicts = new Map<string, XsdVerdict>();
  for (let from = 0; from < documents.length; from += batchSize) {
    const batch = documents.slice(from, from + batchSize);
    const prepared = batch.map((doc, index) => ({ doc, fileName: `doc${index}.xml`, ...bytesForLibxml(doc.bytes) }));
    let output: string;
    try {
      const result = await validateXML({
        schema: [set.schema],
        preload: [...set.preload],
        xml: prepared.map((p) => ({ fileName: p.fileName, contents: p.bytes })),
        initialMemoryPages: 1024, // 64 MiB
        maxMemoryPages: 8192, // 512 MiB
      });
      output = result.rawOutput;
    } catch (error) {
      // xmllint exits with an unexpected code when, e.g., only parser errors occurred; its stderr is the message.
      output = error instanceof Error ? error.message : String(error);
      if (!/validates|fails to validate|parser error|error :/.test(output)) throw error;
    }
    const perFile = splitOutput(output, prepared.map((p) => p.fileName));
    for (const p of prepared) {
      const lines = perFile.get(p.fileName) ?? [];
      const valid = lines.includes(`${p.fileName} validates`);
      const messages = lines
        .filter((line) => line !== `${p.fileName} validates` && line !== `${p.fileName} fails to validate`)
        .map((line) => (line.startsWith(`${p.fileName}:`) ? line.slice(p.fileName.length + 1) : line));
      if (lines.length === 0) {
        verdicts.set(p.doc.id, { valid: false, messages: ['xmllint gave no verdict for this document'], noVerdict: true });
        continue;
      }
      verdicts.set(p.doc.id, p.transcodedFrom ? { valid, messages, transcodedFrom: p.transcodedFrom } : { valid, messages });
    }
  }
  return verdicts;
}

/**
 * xmllint handles the files in order and prints, per file, its errors (`doc3.xml:12: …`; parser errors
 * add a context line and a caret line) and then `doc3.xml validates` or `doc3.xml fails to validate`
 * (nothing after a parser error). Errors found while expanding an entity start with `Entity: line 1:`
 * instead of a file name: they belong to the file being read, i.e. the first one not yet finished.
 */
function splitOutput(output: string, fileNames: readonly string[]): Map<string, string[]> {
  const index = new Map(fileNames.map((name, i) => [name, i]));
  const perFile = new Map<string, string[]>();
  const add = (name: string | undefined, line: string): void => {
    if (name !== undefined) perFile.set(name, [...(perFile.get(name) ?? []), line]);
  };
  let unfinished = 0; // the first file without a final line yet
  let pending: string[] = [];
  for (const line of output.split('\n')) {
    const match = /^(doc\d+\.xml)(:| validates$| fails to validate$)/.exec(line);
    const at = match ? index.get(match[1] as string) : undefined;
    if (!match || at === undefined) {
      // Keep unnamed lines that say something (not source excerpts or carets) for the unfinished file.
      if (/\b(error|warning)\b/i.test(line)) pending.push(line);
      continue;
    }
    for (const p of pending) add(fileNames[Math.min(unfinished, at)], p);
    pending = [];
    add(match[1], line);
    if (match[2] !== ':') unfinished = at + 1;
    else if (at > unfinished) unfinished = at;
  }
  for (const p of pending) add(fileNames[unfinished], p);
  return perFile;
}

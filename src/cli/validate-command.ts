/**
 * `medcom-gateway validate FILE…`: the integrator's offline check. One line per file ("valid", or
 * "invalid" followed by each error with its line and XML path); `--json` for machines. Exit code 0
 * only when every file is valid.
 */
import { decodeMessage, type DecodeResult } from '../codec/decode-message.js';
import type { ValidationIssue } from '../codec/issues.js';
import { readInputFile } from './input-files.js';

export interface FileVerdict {
  readonly file: string;
  readonly valid: boolean;
  readonly types?: string[];
  readonly envelopeIdentifier?: string;
  readonly encoding?: string;
  readonly stage?: string;
  readonly errors: readonly ValidationIssue[];
  readonly warnings: readonly ValidationIssue[];
}

export function verdictOf(file: string, result: DecodeResult): FileVerdict {
  if (!result.ok) return { file, valid: false, stage: result.stage, errors: result.errors, warnings: result.warnings };
  return {
    file,
    valid: true,
    types: result.message.letters.map((letter) => `${letter.type} ${letter.versionCode}`),
    envelopeIdentifier: result.message.envelope.identifier,
    encoding: result.encoding,
    errors: [],
    warnings: result.warnings,
  };
}

function where(found: ValidationIssue): string {
  return found.line === undefined ? found.path : `line ${found.line}, column ${found.column ?? '?'}: ${found.path}`;
}

export function formatVerdict(verdict: FileVerdict): string {
  const lines: string[] = [];
  if (verdict.valid) {
    const types = verdict.types ?? [];
    lines.push(`${verdict.file}: valid (${types.join(', ')}; ${types.length} letter${types.length === 1 ? '' : 's'}; ${verdict.encoding})`);
  } else {
    lines.push(`${verdict.file}: invalid (${verdict.errors.length} error${verdict.errors.length === 1 ? '' : 's'})`);
    for (const error of verdict.errors) lines.push(`  error ${where(error)}: ${error.message}`);
  }
  for (const warning of verdict.warnings) lines.push(`  warning ${where(warning)}: ${warning.message}`);
  return lines.join('\n');
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ValidateOptions {
  readonly files: readonly string[];
  readonly json: boolean;
  readonly charset?: string;
}

/**
 * Runs the command; returns the process exit code (0 all valid, 1 some invalid, 2 a file could not be
 * read). A file that cannot be read is not a verdict: it goes to `writeError` as "no such file: PATH".
 */
export async function runValidate(options: ValidateOptions, write: (text: string) => void, writeError: (text: string) => void = write): Promise<number> {
  const files = options.files.length === 0 ? ['-'] : options.files;
  const verdicts: FileVerdict[] = [];
  let unreadable = false;
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = file === '-' ? await readStdin() : await readInputFile(file);
    } catch (error) {
      unreadable = true;
      writeError(`${(error as Error).message}\n`);
      continue;
    }
    verdicts.push(verdictOf(file === '-' ? '<stdin>' : file, decodeMessage(bytes, options.charset ? { charset: options.charset } : {})));
  }
  if (options.json) write(`${JSON.stringify(verdicts, null, 2)}\n`);
  else for (const verdict of verdicts) write(`${formatVerdict(verdict)}\n`);
  if (unreadable) return 2;
  return verdicts.every((verdict) => verdict.valid) ? 0 : 1;
}

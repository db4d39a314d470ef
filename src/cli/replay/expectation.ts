/**
 * What a replayed file is expected to get. A sidecar `NAME.expect.json` beside `NAME.xml` says it
 * exactly (`{ "status": 422, "code": "misaddressed" }`, `{ "status": 202, "deadlines": { "D2": "late" } }`);
 * without one the folder decides (a `valid/` folder → 202, `invalid/` → a 4xx); outside both, any 2xx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { Ajv } from 'ajv';
import { EVALUATION_STATES } from '../../domain/deadlines/types.js';

export interface Expectation {
  /** Where it comes from, for the report: the sidecar's path, `folder valid/`, … */
  readonly source: string;
  /** An exact status; a 202 is met by the 200 of `--evaluate-only`, which stores nothing. */
  readonly status?: number;
  /** A status range when no exact status is asked: `2xx` or `4xx`. */
  readonly range?: '2xx' | '4xx';
  /** The problem type (`unroutable`) or a rule code in its `errors` (`R-SPEC-OWN`). */
  readonly code?: string;
  /** Rule id → state of a deadline the message must start. */
  readonly deadlines?: Readonly<Record<string, string>>;
}

/** What the gateway answered, reduced to what expectations speak about. */
export interface Verdict {
  readonly status: number;
  /** `duplicate` when a 200 says the message was there already. */
  readonly label?: string;
  readonly problem?: string;
  readonly errorCodes: readonly string[];
  readonly deadlines: readonly { readonly ruleId: string; readonly state: string }[];
}

const SIDECAR_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    status: { type: 'integer', minimum: 200, maximum: 599 },
    code: { type: 'string', minLength: 1 },
    deadlines: { type: 'object', additionalProperties: { enum: EVALUATION_STATES } },
  },
} as const;

const validateSidecar = new Ajv({ allErrors: true }).compile<{ status?: number; code?: string; deadlines?: Record<string, string> }>(SIDECAR_SCHEMA);

export class SidecarError extends Error {
  override readonly name = 'SidecarError';
}

export function sidecarPathOf(file: string): string {
  return join(dirname(file), `${basename(file).replace(/\.xml$/i, '')}.expect.json`);
}

/** The expectation for `file`; a sidecar that is not valid JSON of the right shape throws SidecarError. */
export function expectationFor(file: string): Expectation {
  const sidecar = sidecarPathOf(file);
  if (existsSync(sidecar)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(sidecar, 'utf8'));
    } catch (error) {
      throw new SidecarError(`${sidecar}: not valid JSON: ${(error as Error).message}`);
    }
    if (!validateSidecar(raw)) {
      const first = validateSidecar.errors?.[0];
      throw new SidecarError(
        `${sidecar}#${first?.instancePath || '/'}: ${first?.message ?? 'invalid'} — write e.g. { "status": 422, "code": "unroutable" } or { "status": 202, "deadlines": { "D2": "late" } }`,
      );
    }
    return {
      source: sidecar,
      ...(raw.status !== undefined ? { status: raw.status } : { range: '2xx' as const }),
      ...(raw.code !== undefined ? { code: raw.code } : {}),
      ...(raw.deadlines !== undefined ? { deadlines: raw.deadlines } : {}),
    };
  }
  const folders = dirname(file).split(sep).reverse();
  const nearest = folders.find((folder) => folder === 'valid' || folder === 'invalid');
  if (nearest === 'valid') return { source: 'folder valid/', status: 202 };
  if (nearest === 'invalid') return { source: 'folder invalid/', range: '4xx' };
  return { source: 'default', range: '2xx' };
}

/** Any 2xx: what a replay without `--expect` asks of every message. */
export const ANY_SUCCESS: Expectation = { source: 'default', range: '2xx' };

export function describeExpectation(expected: Expectation): string {
  const parts = [expected.status !== undefined ? String(expected.status) : expected.range === '4xx' ? 'a 4xx' : 'a 2xx'];
  if (expected.code) parts.push(expected.code);
  for (const [rule, state] of Object.entries(expected.deadlines ?? {})) parts.push(`${rule} ${state}`);
  return parts.join(' ');
}

/** Why the verdict does not meet the expectation, or undefined when it does. */
export function surprise(expected: Expectation, verdict: Verdict, evaluateOnly: boolean): string | undefined {
  const statusOk =
    expected.status !== undefined
      ? verdict.status === expected.status || (evaluateOnly && expected.status === 202 && verdict.status === 200)
      : expected.range === '4xx'
        ? verdict.status >= 400 && verdict.status < 500
        : verdict.status >= 200 && verdict.status < 300;
  const problems: string[] = [];
  if (!statusOk) problems.push(`status ${verdict.status}${verdict.label ? ` ${verdict.label}` : ''}${verdict.problem ? ` ${verdict.problem}` : ''}`);
  if (expected.code && verdict.problem !== expected.code && !verdict.errorCodes.includes(expected.code)) {
    problems.push(verdict.problem || verdict.errorCodes.length > 0 ? `problem ${[verdict.problem, ...verdict.errorCodes].filter(Boolean).join(', ')}` : 'no problem type');
  }
  for (const [rule, state] of Object.entries(expected.deadlines ?? {})) {
    const found = verdict.deadlines.filter((d) => d.ruleId === rule);
    if (found.length === 0) problems.push(`no deadline ${rule}`);
    else if (!found.some((d) => d.state === state)) problems.push(`${rule} ${found.map((d) => d.state).join('/')}`);
  }
  return problems.length > 0 ? `expected ${describeExpectation(expected)} (${expected.source}), got ${problems.join('; ')}` : undefined;
}

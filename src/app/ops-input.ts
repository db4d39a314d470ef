/**
 * Checks shared by the ops use cases on what an operator typed: identifiers, periods, page sizes and
 * the reason every action and body read must carry. Each failure is a 4xx Refusal naming the field;
 * a CPR number is never echoed back.
 */
import type { RefusalDetail } from './refusal.js';
import { Refusal } from './refusal.js';
import { UUID_PATTERN } from '../domain/uuid.js';

/** An operator as the audit names them: the name on their ops key and the key's id. */
export interface Operator {
  readonly name: string;
  readonly keyId?: string;
}

export const EAN = /^[0-9]{13}$/;
export const UUID = UUID_PATTERN;

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

/** Collects the problems of one request so they are reported together. */
export class InputProblems {
  readonly errors: RefusalDetail[] = [];

  add(field: string, message: string): void {
    this.errors.push({ path: `/querystring/${field}`, message });
  }

  /** A query parameter as the operator sent it; an empty field of a search form counts as not sent. */
  text(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
  }

  matching(field: string, value: string | undefined, pattern: RegExp, what: string): string | undefined {
    const text = this.text(value);
    if (text !== undefined && !pattern.test(text)) this.add(field, `must be ${what}`);
    return text;
  }

  instant(field: string, value: string | undefined): Date | undefined {
    const text = this.text(value);
    if (text === undefined) return undefined;
    const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? new Date(text) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime())) this.add(field, 'must be an ISO 8601 date or date-time with a zone, e.g. 2026-11-23T09:00:00Z');
    return Number.isNaN(at.getTime()) ? undefined : at;
  }

  limit(value: string | number | undefined): number {
    if (value === undefined || value === '') return DEFAULT_PAGE;
    const n = typeof value === 'number' ? value : /^[0-9]{1,6}$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
      this.add('limit', `must be a whole number from 1 to ${MAX_PAGE}`);
      return DEFAULT_PAGE;
    }
    return n;
  }

  /** Throws the collected problems as one 400. */
  check(title: string): void {
    if (this.errors.length > 0) {
      throw new Refusal(400, 'invalid-query', title, this.errors.map((e) => `${e.path.split('/').pop()}: ${e.message}`).join('; '), this.errors);
    }
  }
}

/** A period must not be empty: "from" before "to" (422, as the deadline list says it). */
export function checkPeriod(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw new Refusal(422, 'bad-period', 'The period is empty', `"from" (${from.toISOString()}) must be before "to" (${to.toISOString()})`, [
      { path: '/querystring/from', message: 'must be before "to"' },
    ]);
  }
}

export const MIN_REASON_WORDS = 3;
export const MAX_REASON_LENGTH = 500;

/**
 * The reason an operator gives for reading a body or acting: a few words a later reader of the audit
 * log can understand ("checking the municipality got the discharge report"), not "x" or "ok".
 */
export function requireReason(reason: unknown, path = '/body/reason'): string {
  const text = typeof reason === 'string' ? reason.trim().replace(/\s+/g, ' ') : '';
  const words = text.split(' ').filter((w) => /\p{L}/u.test(w)).length;
  if (words < MIN_REASON_WORDS || text.length > MAX_REASON_LENGTH) {
    throw new Refusal(400, 'reason-required', 'State your reason', `say in at least ${MIN_REASON_WORDS} words (at most ${MAX_REASON_LENGTH} characters) why you need this; it is written to the audit log`, [
      { path, message: `at least ${MIN_REASON_WORDS} words, at most ${MAX_REASON_LENGTH} characters` },
    ]);
  }
  return text;
}

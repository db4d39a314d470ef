/**
 * Opaque cursors for keyset pagination, newest first: the (time, key) of the last row a page showed.
 * A client can only hand back what it was given; anything else is a 400, never a query that fails.
 */
import { Refusal } from './refusal.js';
import { UUID_PATTERN } from '../domain/uuid.js';

export interface KeysetPosition {
  /** ISO 8601 UTC instant, microseconds kept (PostgreSQL's precision), so no row is skipped or repeated. */
  readonly at: string;
  /** The row's tiebreak: a uuid or a serial number, whatever the list orders by after the time. */
  readonly key: string;
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export const UUID_KEY = UUID_PATTERN;
export const SERIAL_KEY = /^[1-9][0-9]{0,15}$/;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.key])).toString('base64url');
}

export function badCursor(): Refusal {
  return new Refusal(400, 'bad-cursor', 'Unknown cursor', 'the cursor is not one this API gave out; start again without it', [
    { path: '/querystring/cursor', message: 'not a cursor from nextCursor' },
  ]);
}

/** The position a cursor names; `key` must match the list's key shape. */
export function decodeCursor(cursor: string, key: RegExp): KeysetPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw badCursor();
  const [at, id] = decoded as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !INSTANT.test(at) || Number.isNaN(Date.parse(at)) || !key.test(id)) throw badCursor();
  return { at, key: id };
}

/**
 * The made-up world `npm run seed:ops` fills a database with and `npm run bench:ops` asks about: the
 * endpoints, the patients' CPR numbers (so the benchmark can search by CPR through the real keyed
 * reference) and the proportions. Deterministic, so both commands agree without talking.
 */
import { glnCheckDigit } from '../../src/domain/gln.js';

export const HOSPITALS = 16;
export const MUNICIPALITIES = 24;
/** The first municipalities take pushes (and so can have dead letters); the rest poll. */
export const PUSH_MUNICIPALITIES = 4;
/** A municipality whose system stopped polling two days ago: its backlog is the overview's top row. */
export const STUCK_MUNICIPALITY = 7;
export const STUCK_SINCE_SECONDS = 2 * 86_400;
/** Share of all messages that are receipts answering another (each answered delivery has one). */
export const MESSAGES_PER_ORIGINAL = 1.95;

function gln(prefix: string, n: number): string {
  const first12 = `${prefix}${String(n).padStart(12 - prefix.length, '0')}`;
  return `${first12}${glnCheckDigit(first12)}`;
}

export const hospitalEans = (): string[] => Array.from({ length: HOSPITALS }, (_, i) => gln('5790001', i + 1));
export const municipalityEans = (): string[] => Array.from({ length: MUNICIPALITIES }, (_, i) => gln('5790002', i + 1));

/** A real-looking CPR number for patient `i` (a valid date, unique for i below 336 million). */
export function seedCpr(i: number): string {
  const d = i % 33_600;
  const day = 1 + (d % 28);
  const month = 1 + (Math.floor(d / 28) % 12);
  const year = Math.floor(d / 336) % 100;
  const serial = Math.floor(i / 33_600) % 10_000;
  const pad = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${pad(day)}${pad(month)}${pad(year)}${pad(serial, 4)}`;
}

export function patientsFor(messages: number): number {
  return Math.max(1_000, Math.round(messages / 5));
}

/** A database of its own, never the tests' `test` database: `createdb -h 127.0.0.1 -U postgres ops_bench`. */
export const DEFAULT_OPS_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/ops_bench';

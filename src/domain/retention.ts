/**
 * The retention policy for message bodies: after how many days the original bytes of a message of a
 * given type may be removed (metadata, receipts, deadlines and the timeline are kept for good).
 * Written as `TYPE=DAYS` pairs, `*` for every type not named, `never` to keep a type whatever `*`
 * says: `XDIS91=90,XCTL01=30,XCTL02=30,XCTL03=30,*=3650`. Nothing named: bodies are kept forever.
 */
import { isMessageTypeCode, MESSAGE_TYPES } from './catalogue.js';

export interface RetentionPolicy {
  /** Days per message type code; `null` = never, even when `otherwise` is set. */
  readonly byType: ReadonlyMap<string, number | null>;
  /** Days for every type not in `byType`; undefined = never. */
  readonly otherwise: number | undefined;
}

export const KEEP_FOREVER: RetentionPolicy = { byType: new Map(), otherwise: undefined };

const MAX_DAYS = 36_500;

/** Parses `TYPE=DAYS,…`; throws an Error whose message says what is wrong and how it is written. */
export function parseRetentionPolicy(text: string): RetentionPolicy {
  const byType = new Map<string, number | null>();
  let otherwise: number | undefined;
  const usage = `write TYPE=DAYS pairs separated by commas, TYPE a message type (${MESSAGE_TYPES.map((t) => t.code).join(', ')}) or * for the others, DAYS a whole number from 1 to ${MAX_DAYS} or never`;
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [type, days, ...rest] = part.split('=').map((p) => p.trim());
    if (!type || days === undefined || rest.length > 0) throw new Error(`"${part}" is not TYPE=DAYS: ${usage}`);
    if (type !== '*' && !isMessageTypeCode(type)) throw new Error(`"${type}" is not a message type: ${usage}`);
    if (byType.has(type) || (type === '*' && otherwise !== undefined)) throw new Error(`${type} is named twice`);
    let value: number | null;
    if (days === 'never') value = null;
    else {
      value = Number(days);
      if (!/^[0-9]+$/.test(days) || value < 1 || value > MAX_DAYS) throw new Error(`"${part}": ${days} is not a number of days: ${usage}`);
    }
    if (type === '*') {
      if (value === null) continue; // "* = never" is the default
      otherwise = value;
    } else byType.set(type, value);
  }
  return { byType, otherwise };
}

/** Whether any body can ever be pruned under this policy. */
export function retentionIsOn(policy: RetentionPolicy): boolean {
  return policy.otherwise !== undefined || [...policy.byType.values()].some((days) => days !== null);
}

/** The policy in words, for logs and the CLI: `XDIS91 after 90 days, other types never`. */
export function describeRetentionPolicy(policy: RetentionPolicy): string {
  const named = [...policy.byType].map(([type, days]) => (days === null ? `${type} never` : `${type} after ${days} days`));
  const rest = policy.otherwise === undefined ? 'never' : `after ${policy.otherwise} days`;
  return [...named, `${named.length > 0 ? 'other types' : 'every type'} ${rest}`].join(', ');
}

export interface RetentionCutoffs {
  /** Types with a rule of their own and the instant before which their bodies may go (null: never). */
  readonly types: readonly string[];
  readonly cutoffs: readonly (Date | null)[];
  /** The instant for every other type (null: never). */
  readonly otherwise: Date | null;
  /** The latest of all the instants: nothing received after it can go. Null when nothing ever goes. */
  readonly latest: Date | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The cut-off instants at `now`. A message may lose its body when it was received before the cut-off
 * of every one of its letters' types (a message with letters of several types keeps it for the longest).
 */
export function retentionCutoffs(policy: RetentionPolicy, now: Date): RetentionCutoffs {
  const before = (days: number | null | undefined): Date | null => (days === null || days === undefined ? null : new Date(now.getTime() - days * DAY_MS));
  const types = [...policy.byType.keys()];
  const cutoffs = types.map((type) => before(policy.byType.get(type)));
  const otherwise = before(policy.otherwise);
  const all = [...cutoffs, otherwise].filter((d): d is Date => d !== null);
  const latest = all.length === 0 ? null : new Date(Math.max(...all.map((d) => d.getTime())));
  return { types, cutoffs, otherwise, latest };
}

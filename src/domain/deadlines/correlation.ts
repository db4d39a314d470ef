/**
 * How messages fulfil deadlines under a rule set, computed once when the rules are loaded: which message
 * types can close a correlated deadline, and whether any rule waits for a receipt. The accept path asks
 * this to keep the one-statement insert for messages that can fulfil nothing.
 */
import type { Letter } from '../message.js';
import { dischargeStatedBy } from './evaluate.js';
import type { DeadlineRuleSet, FulfilledBy, RuleReference } from './types.js';

export interface CorrelationTypes {
  /** Types that fulfil some correlated deadline (D10's GGOP, D17's XDIS91/XDIS90, the regional rule's XDIS16). */
  readonly fulfilling: ReadonlySet<string>;
  /** Whether some rule is fulfilled by the receiver's positive receipt (none of the default set is). */
  readonly byReceipt?: boolean;
  /** Whether some rule waits for its episode's discharge (D7): then every letter stating a discharge is recorded and may start one. */
  readonly byEpisodeDischarge?: boolean;
}

/** Over every rule and every profile override. */
export function correlationTypes(ruleSet: DeadlineRuleSet): CorrelationTypes {
  const fulfilling = new Set<string>();
  let byReceipt = false;
  let byEpisodeDischarge = false;
  const add = (fulfilledBy: FulfilledBy | undefined): void => {
    if (fulfilledBy?.kind === 'correlated-message') for (const type of fulfilledBy.types) fulfilling.add(type);
    if (fulfilledBy?.kind === 'receipt') byReceipt = true;
  };
  const waits = (reference: RuleReference | undefined): void => {
    if (reference?.kind === 'laterOf' && reference.episode) byEpisodeDischarge = true;
  };
  for (const rule of ruleSet.rules) {
    if (rule.kind === 'deadline') add(rule.fulfilledBy);
    waits(rule.reference);
  }
  for (const profile of ruleSet.profiles) {
    for (const override of Object.values(profile.overrides ?? {})) {
      add(override.fulfilledBy);
      waits(override.reference);
    }
  }
  return { fulfilling, byReceipt, byEpisodeDischarge };
}

/**
 * Whether a letter may fulfil an open deadline of its sender: a letter about a patient, of a type some
 * rule correlates, that is not a receipt (a receipt fulfils by the `receipt` kind, not by its type).
 * Whether one is open is the store's to say; a letter that cannot is accepted without looking.
 */
export function mayFulfilDeadline(letter: Letter, types: CorrelationTypes): boolean {
  return !letter.body.receipt && letter.patient?.cpr !== undefined && types.fulfilling.has(letter.type);
}

/** Whether a letter states a discharge of a patient's episode that a waiting deadline (D7) may start from. */
export function mayStartAwaited(letter: Letter, types: CorrelationTypes): boolean {
  return types.byEpisodeDischarge === true && !letter.body.receipt && letter.patient?.cpr !== undefined && dischargeStatedBy(letter) !== undefined;
}

const DAY_MS = 86_400_000;

/**
 * Where a deadline's look-back window (`lookbackDays`, D10: a plan sent in the days before the
 * discharge counts) begins, for a deadline started at `start`: whole 24-hour days back, not calendar
 * days, so the window is the same length across daylight saving. The accept path, the correlation
 * when a deadline starts and the breach timer's last look all measure it here.
 */
export function lookbackStart(start: Date, lookbackDays: number): Date {
  return new Date(start.getTime() - lookbackDays * DAY_MS);
}

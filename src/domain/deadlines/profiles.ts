/**
 * Agreement profiles (domain.md §0 item 4): the default rule set is Region Midtjylland's general
 * agreement; a profile per region, cluster, hospital or hospital–municipality pair overrides any
 * rule parameter. Profiles apply least specific first, so the most specific wins:
 * region (1) < cluster (2) < one EAN (3) < a hospital–municipality pair (4); equal ones in file order.
 */
import type { CalendarOptions } from '../calendar.js';
import type { EndpointRegister } from '../endpoint.js';
import type { EndpointKind } from '../catalogue.js';
import type { Letter, WarningCategory } from '../message.js';
import type { AgreementProfile, DeadlineRuleSet, OffsetPatch, ProfileScope, Rule, RuleOffset, RuleOverride } from './types.js';

/** Who a message is between, for choosing profiles. EANs match a pair in either direction. */
export interface AgreementParties {
  readonly senderEan: string;
  readonly receiverEan: string;
  readonly region?: string;
  readonly clusters?: readonly string[];
}

/** The parties of a letter as the register knows them: the region is the sender's, else the receiver's. */
export function agreementPartiesOf(register: Pick<EndpointRegister, 'find'> | undefined, senderEan: string, receiverEan: string): AgreementParties {
  const region = register?.find(senderEan)?.region ?? register?.find(receiverEan)?.region;
  return { senderEan, receiverEan, ...(region !== undefined ? { region } : {}) };
}

/** The register's kind of every endpoint a letter names (sender, receiver, copies), for who performs a plan's retraining. */
export function partyKindsOf(register: Pick<EndpointRegister, 'find'> | undefined, letter: Pick<Letter, 'sender' | 'receiver' | 'ccReceivers'>): Record<string, EndpointKind> {
  const kinds: Record<string, EndpointKind> = {};
  for (const ean of [letter.sender.ean, letter.receiver.ean, ...letter.ccReceivers.flatMap((cc) => (cc.ean !== undefined ? [cc.ean] : []))]) {
    const kind = register?.find(ean)?.kind;
    if (kind !== undefined) kinds[ean] = kind;
  }
  return kinds;
}

export interface EffectiveRules {
  readonly rules: readonly Rule[];
  readonly calendar: CalendarOptions;
  readonly defaultWarningCategory?: WarningCategory;
  readonly defaultWarningCategorySource?: string;
  /** Applied profile ids, least specific first. */
  readonly profiles: readonly string[];
}

function specificity(scope: ProfileScope): number {
  if (scope.hospitalEan !== undefined && scope.municipalityEan !== undefined) return 4;
  if (scope.hospitalEan !== undefined || scope.municipalityEan !== undefined) return 3;
  if (scope.cluster !== undefined) return 2;
  return 1;
}

function matches(scope: ProfileScope, parties: AgreementParties): boolean {
  const eans = [parties.senderEan, parties.receiverEan];
  if (scope.hospitalEan !== undefined && !eans.includes(scope.hospitalEan)) return false;
  if (scope.municipalityEan !== undefined && !eans.includes(scope.municipalityEan)) return false;
  if (scope.cluster !== undefined && !(parties.clusters ?? []).includes(scope.cluster)) return false;
  if (scope.region !== undefined && scope.region !== parties.region) return false;
  return true;
}

/** The profiles that apply to the parties, least specific first. */
export function matchingProfiles(ruleSet: DeadlineRuleSet, parties: AgreementParties): AgreementProfile[] {
  return ruleSet.profiles
    .map((profile, index) => ({ profile, index }))
    .filter(({ profile }) => matches(profile.appliesTo, parties))
    .sort((a, b) => specificity(a.profile.appliesTo) - specificity(b.profile.appliesTo) || a.index - b.index)
    .map(({ profile }) => profile);
}

function mergeOffset(base: RuleOffset | undefined, patch: OffsetPatch): RuleOffset {
  const merged: Record<string, unknown> = { ...(base ?? {}), ...patch };
  // Switching to hours drops the time of day; switching to days without one defaults to end of day.
  if (merged.unit === 'hours') delete merged.at;
  else if (merged.at === undefined) merged.at = 'end-of-day';
  return merged as unknown as RuleOffset;
}

/** A rule with one override applied. Not validated here: the loader re-validates every merged rule. */
export function applyOverride(rule: Rule, override: RuleOverride): Rule {
  const { offset, target, breachAt, ...plain } = override;
  const merged: Record<string, unknown> = { ...rule, ...plain };
  if (rule.kind === 'deadline') {
    if (offset) merged.offset = mergeOffset(rule.offset, offset);
    if (target === null) delete merged.target;
    else if (target) merged.target = mergeOffset(rule.target ?? rule.offset, target);
    if (breachAt === null) delete merged.breachAt;
    else if (breachAt) merged.breachAt = mergeOffset(rule.breachAt ?? rule.offset, breachAt);
  } else {
    // Invalid on a validation rule; kept so the loader's re-validation names the mistake.
    if (offset) merged.offset = offset;
    if (target !== undefined) merged.target = target;
    if (breachAt !== undefined) merged.breachAt = breachAt;
  }
  return merged as unknown as Rule;
}

/** The rules, calendar and default category in force between two parties. */
export function resolveRules(ruleSet: DeadlineRuleSet, parties: AgreementParties): EffectiveRules {
  const profiles = matchingProfiles(ruleSet, parties);
  let rules = ruleSet.rules;
  let closedDays = { ...(ruleSet.calendar?.closedDays ?? {}) };
  let defaultWarningCategory = ruleSet.defaultWarningCategory;
  let defaultWarningCategorySource = defaultWarningCategory !== undefined ? `agreement ${ruleSet.agreement.id}` : undefined;
  for (const profile of profiles) {
    const overrides = profile.overrides ?? {};
    rules = rules.map((rule) => {
      const override = overrides[rule.id];
      return override ? applyOverride(rule, override) : rule;
    });
    closedDays = { ...closedDays, ...(profile.calendar?.closedDays ?? {}) };
    if (profile.defaultWarningCategory !== undefined) {
      defaultWarningCategory = profile.defaultWarningCategory;
      defaultWarningCategorySource = `profile ${profile.id}`;
    }
  }
  return {
    rules,
    calendar: { closedDays },
    ...(defaultWarningCategory !== undefined ? { defaultWarningCategory, defaultWarningCategorySource } : {}),
    profiles: profiles.map((profile) => profile.id),
  };
}

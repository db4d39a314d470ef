/**
 * The agreement profile for retraining-plan routing: per rule whether a violation rejects the plan
 * (422) or is accepted with a warning, overridable per region, hospital, municipality or
 * hospital–municipality pair; and per sender whether consent is assumed or must be stated. Pure data
 * and lookups; `config/retraining-routing.json` is loaded by src/config/retraining-routing.ts.
 */
import { PROFILE_RULE_IDS, type ProfileRuleId } from './retraining-routing.js';

export type RuleAction = 'reject' | 'warn';

/**
 * `assumed`: a party with no `<gw:Consent>` is taken to have the citizen's consent (sending implies it,
 * as MedCom messages do today). `explicit`: only `<gw:Consent receiver="…">true</gw:Consent>` counts.
 */
export type ConsentMode = 'assumed' | 'explicit';

export interface RoutingProfileScope {
  readonly region?: string;
  readonly hospitalEan?: string;
  readonly municipalityEan?: string;
}

export interface RoutingProfile {
  readonly id: string;
  readonly appliesTo: RoutingProfileScope;
  readonly actions: Readonly<Partial<Record<ProfileRuleId, RuleAction>>>;
}

export interface RetrainingRouting {
  readonly actions: Readonly<Record<ProfileRuleId, RuleAction>>;
  readonly profiles: readonly RoutingProfile[];
  readonly consent: { readonly default: ConsentMode; readonly bySender: Readonly<Record<string, ConsentMode>> };
}

/**
 * Built in, and what an absent `config/retraining-routing.json` means: every row rejects, a missing GP
 * copy only warns (holding back the municipality's referral for it would harm the citizen), and
 * consent is assumed.
 */
export const DEFAULT_ACTIONS: Readonly<Record<ProfileRuleId, RuleAction>> = Object.fromEntries(
  PROFILE_RULE_IDS.map((id) => [id, id === 'R-GP-COPY' ? 'warn' : 'reject']),
) as Record<ProfileRuleId, RuleAction>;

export const DEFAULT_RETRAINING_ROUTING: RetrainingRouting = { actions: DEFAULT_ACTIONS, profiles: [], consent: { default: 'assumed', bySender: {} } };

/** Who a plan is between, for choosing profiles. */
export interface RoutingParties {
  /** The issuing hospital (absent when a municipality forwards). */
  readonly hospitalEan?: string;
  /** The municipality of residence the plan names, or the forwarding municipality. */
  readonly municipalityEan?: string;
  /** The issuer's region, else the municipality's. */
  readonly region?: string;
}

function specificity(scope: RoutingProfileScope): number {
  if (scope.hospitalEan !== undefined && scope.municipalityEan !== undefined) return 3;
  if (scope.hospitalEan !== undefined || scope.municipalityEan !== undefined) return 2;
  return 1;
}

function matches(scope: RoutingProfileScope, parties: RoutingParties): boolean {
  if (scope.region !== undefined && scope.region !== parties.region) return false;
  if (scope.hospitalEan !== undefined && scope.hospitalEan !== parties.hospitalEan) return false;
  if (scope.municipalityEan !== undefined && scope.municipalityEan !== parties.municipalityEan) return false;
  return true;
}

/**
 * The action for a rule between these parties: the default, overridden by the matching profiles from
 * the least specific (region) to the most (a hospital–municipality pair); equal ones in file order.
 */
export function actionFor(routing: RetrainingRouting, rule: ProfileRuleId, parties: RoutingParties): { readonly action: RuleAction; readonly profile?: string } {
  let result: { action: RuleAction; profile?: string } = { action: routing.actions[rule] };
  routing.profiles
    .map((profile, index) => ({ profile, index }))
    .filter(({ profile }) => matches(profile.appliesTo, parties))
    .sort((a, b) => specificity(a.profile.appliesTo) - specificity(b.profile.appliesTo) || a.index - b.index)
    .forEach(({ profile }) => {
      const action = profile.actions[rule];
      if (action) result = { action, profile: profile.id };
    });
  return result;
}

export function consentModeFor(routing: RetrainingRouting, senderEan: string): ConsentMode {
  return routing.consent.bySender[senderEan] ?? routing.consent.default;
}

/**
 * Who must, may and must not receive a retraining plan (GGOP): the decision table of domain.md §4.1
 * with one rule id per row. Pure: it looks at the issuing endpoint, the plan's type (ZZ0175X/Y/Z) and
 * the parties the plan names (resolved against the endpoint register), and returns the row that
 * applies and what breaks it. Whether a violation rejects the plan or only warns is the agreement
 * profile's business (retraining-profile.ts); consent is routing.ts's.
 *
 * Readings of ours (README "Retraining-plan routing"):
 * - The municipality the plan names is taken to be the municipality of residence: the gateway cannot
 *   check the citizen's address. Naming a second municipality is sending it where it must not go.
 * - "Primary receiver" and "copy" are not checked: every obliged party must be named, as Receiver or
 *   as a copy receiver, and each gets its own delivery.
 * - For specialised retraining from an own-region hospital, a plan naming no other hospital is read as
 *   "the issuer performs the retraining itself".
 * - A home hospital that sends a specialised plan to another hospital and names no municipality is
 *   forwarding it under the citizen's free choice (R-FWD-HOME): the municipality already has it.
 */
import type { Endpoint, EndpointRegister } from './endpoint.js';

/**
 * The issuer of one plan, as the table reads it. HOME_HOSPITAL and a derived OTHER_PUBLIC_HOSPITAL
 * depend on the citizen's municipality, so they are worked out per plan, not configured.
 */
export type IssuerKind = 'REGIONAL_HOSPITAL' | 'HOME_HOSPITAL' | 'OTHER_PUBLIC_HOSPITAL' | 'PRIVATE_EXTENDED_FREE_CHOICE' | 'PRIVATE_SPECIALISED_79' | 'PRIVATE_SELF_PAY' | 'MUNICIPALITY' | 'GP';

export type RetrainingType = 'ZZ0175X' | 'ZZ0175Y' | 'ZZ0175Z';

/** The rows of domain.md §4.1, and the rules that span rows. */
export const ROW_RULE_IDS = [
  'R-ORD-OWN',
  'R-SPEC-OWN',
  'R-SPEC-OTHER',
  'R-ORD-OTHER',
  'R-SPEC-PRIV',
  'R-ORD-PRIV',
  'R-SELF-PAY',
  'R-SELF-TRAIN',
  'R-FWD-MUN',
  'R-FWD-HOME',
  'R-ISSUER',
] as const;
export type RowRuleId = (typeof ROW_RULE_IDS)[number];

/** The rules whose violation the agreement profile may make a rejection or a warning. */
export const PROFILE_RULE_IDS = [...ROW_RULE_IDS, 'R-GP-COPY', 'CONSENT-SPEC-MUNICIPALITY'] as const;
export type ProfileRuleId = (typeof PROFILE_RULE_IDS)[number];

/** Consent rules with a fixed outcome: no consent for the Receiver rejects, no consent for a copy withholds it. */
export type ConsentRuleId = 'CONSENT-RECEIVER' | 'CONSENT-COPY';
export type RuleId = ProfileRuleId | ConsentRuleId;

/** One row of the table, in words, for the README and the tests. */
export interface RoutingRow {
  readonly id: RowRuleId | 'R-GP-COPY';
  readonly issuer: string;
  readonly type: string;
  readonly mustGoTo: string;
  readonly mustNotGoTo: string;
  readonly source: string;
}

export const ROUTING_TABLE: readonly RoutingRow[] = [
  { id: 'R-ORD-OWN', issuer: 'own-region public hospital, home hospital included', type: 'ZZ0175X', mustGoTo: 'the municipality of residence; GP copy (R-GP-COPY)', mustNotGoTo: 'a second municipality; hospitals', source: '004 L2233–2241; 002 L244' },
  { id: 'R-SPEC-OWN', issuer: 'own-region public hospital, home hospital included', type: 'ZZ0175Y', mustGoTo: 'the municipality of residence and the public hospital performing the retraining (none named: the issuer performs it); GP copy', mustNotGoTo: 'a second municipality; private hospitals', source: '004 L2233–2249; 002 L181, L244' },
  { id: 'R-SPEC-OTHER', issuer: 'other public hospital (another region: lands-/landsdelsbehandling, free choice)', type: 'ZZ0175Y', mustGoTo: 'the public hospital performing the retraining, the municipality of residence; GP copy', mustNotGoTo: 'a second municipality; private hospitals', source: '004 L2284–2304, L2316–2318' },
  { id: 'R-ORD-OTHER', issuer: 'other public hospital', type: 'ZZ0175X', mustGoTo: 'the municipality of residence; GP copy', mustNotGoTo: 'a second municipality; hospitals', source: '004 L2308–2318' },
  { id: 'R-SPEC-PRIV', issuer: 'private hospital, extended free choice or § 79', type: 'ZZ0175Y', mustGoTo: 'the home hospital of the municipality of residence, the municipality; GP copy', mustNotGoTo: 'a second municipality; other hospitals', source: '004 L2322–2344' },
  { id: 'R-ORD-PRIV', issuer: 'private hospital, extended free choice or § 79', type: 'ZZ0175X', mustGoTo: 'the municipality of residence; GP copy', mustNotGoTo: 'a second municipality; hospitals', source: '004 L2348–2352' },
  { id: 'R-SELF-PAY', issuer: 'private hospital, self-pay', type: 'any', mustGoTo: '— (no plan may be issued; refer the citizen to the home region\'s hospital)', mustNotGoTo: 'anyone', source: '004 L2356–2363; 002 L217' },
  { id: 'R-SELF-TRAIN', issuer: 'any hospital that may issue plans', type: 'ZZ0175Z', mustGoTo: 'the municipality of residence (information, not a referral); GP copy', mustNotGoTo: 'a second municipality; hospitals', source: '004 L2253–2271; 002 L276–280' },
  { id: 'R-FWD-MUN', issuer: 'municipality (forwarding under free choice)', type: 'ZZ0175X', mustGoTo: 'the chosen training site (a municipality or a hospital)', mustNotGoTo: 'GPs; plans of another type', source: '004 L2736–2740, L9825–9833' },
  { id: 'R-FWD-HOME', issuer: 'home hospital forwarding (no municipality named)', type: 'ZZ0175Y', mustGoTo: 'the public hospital the citizen chose', mustNotGoTo: 'private hospitals; anyone but hospitals', source: '004 L2805–2809, L10028–10032; 002 L722–730' },
  { id: 'R-ISSUER', issuer: 'GP', type: 'any', mustGoTo: '— (plans are written by hospitals, forwarded by municipalities)', mustNotGoTo: 'anyone', source: '002 L205–209' },
  { id: 'R-GP-COPY', issuer: 'every hospital row above that names a GP copy', type: 'X, Y, Z', mustGoTo: 'the citizen\'s GP (GPCCReceiver), exactly one', mustNotGoTo: 'a second GP', source: '004 L2239–2241, L2316–2318, L2342–2344, L2348–2352' },
];

/** A party the plan names: its Receiver or a copy receiver. */
export interface PlanParty {
  /** XML path of the naming element, e.g. `/Emessage/RehabilitationPlan/GPCCReceiver`. */
  readonly path: string;
  readonly role: 'receiver' | 'cc';
  /** Named in GPCCReceiver: a GP even when it is no endpoint here. */
  readonly gpElement: boolean;
  /** The endpoint it resolves to; absent when it is not an endpoint of this gateway. */
  readonly endpoint?: Endpoint;
  /** How the plan names it (EAN, or identifier code and identifier), for messages. */
  readonly named: string;
}

export interface PlanAddressing {
  /** XML path of the letter, e.g. `/Emessage/RehabilitationPlan`. */
  readonly letterPath: string;
  readonly issuer: Endpoint;
  /** `TypeOfRehabilitationPlan`. */
  readonly type: string | undefined;
  readonly parties: readonly PlanParty[];
}

export interface RoutingViolation {
  readonly rule: ProfileRuleId;
  readonly path: string;
  readonly message: string;
}

export interface RetrainingDecision {
  /** The row that applies; absent when the type is not ZZ0175X/Y/Z (the schema refuses that earlier). */
  readonly row?: RowRuleId;
  readonly issuerKind: IssuerKind;
  /** The municipality of residence: the first municipality the plan names. */
  readonly municipality?: Endpoint;
  readonly violations: readonly RoutingViolation[];
}

type PartyClass = 'municipality' | 'gp' | 'public-hospital' | 'private-hospital' | 'unknown';

export function isPrivateHospital(endpoint: Endpoint): boolean {
  return endpoint.kind === 'hospital' && (endpoint.hospitalKind ?? 'REGIONAL_HOSPITAL').startsWith('PRIVATE_');
}

function classOf(party: PlanParty): PartyClass {
  const endpoint = party.endpoint;
  if (!endpoint) return party.gpElement ? 'gp' : 'unknown';
  if (endpoint.kind === 'hospital') return isPrivateHospital(endpoint) ? 'private-hospital' : 'public-hospital';
  return endpoint.kind;
}

/** A municipality endpoint's kommunenummer (its identifier, unless that is another kind of number). */
export function kommunenummerOf(municipality: Endpoint): string | undefined {
  if (municipality.kind !== 'municipality') return undefined;
  return municipality.identifierCode === undefined || municipality.identifierCode === 'kommunenummer' ? municipality.identifier : undefined;
}

export function isHomeHospitalOf(hospital: Endpoint, municipality: Endpoint): boolean {
  const number = kommunenummerOf(municipality);
  return number !== undefined && !isPrivateHospital(hospital) && (hospital.homeHospitalFor ?? []).includes(number);
}

/**
 * The issuer's kind for this plan: a hospital's configured kind, made HOME_HOSPITAL when it is the home
 * hospital of the plan's municipality, and OTHER_PUBLIC_HOSPITAL when both have a region and they differ.
 * With no municipality named, a hospital that is home hospital for anyone counts as a home hospital.
 */
export function issuerKindOf(issuer: Endpoint, municipality: Endpoint | undefined): IssuerKind {
  if (issuer.kind === 'municipality') return 'MUNICIPALITY';
  if (issuer.kind === 'gp') return 'GP';
  const configured = issuer.hospitalKind ?? 'REGIONAL_HOSPITAL';
  if (configured !== 'REGIONAL_HOSPITAL') return configured;
  if (!municipality) return (issuer.homeHospitalFor ?? []).length > 0 ? 'HOME_HOSPITAL' : 'REGIONAL_HOSPITAL';
  if (isHomeHospitalOf(issuer, municipality)) return 'HOME_HOSPITAL';
  if (issuer.region !== undefined && municipality.region !== undefined && issuer.region !== municipality.region) return 'OTHER_PUBLIC_HOSPITAL';
  return 'REGIONAL_HOSPITAL';
}

function describe(party: PlanParty): string {
  return party.endpoint ? `${party.endpoint.name}${party.endpoint.department ? `, ${party.endpoint.department}` : ''} (${party.endpoint.ean})` : party.named;
}

const RETRAINING_TYPES: readonly string[] = ['ZZ0175X', 'ZZ0175Y', 'ZZ0175Z'];

const TYPE_WORDS: Record<RetrainingType, string> = {
  ZZ0175X: 'an ordinary retraining plan (ZZ0175X)',
  ZZ0175Y: 'a specialised retraining plan (ZZ0175Y)',
  ZZ0175Z: 'a self-training plan (ZZ0175Z)',
};

function rowFor(kind: IssuerKind, type: RetrainingType, forward: boolean): RowRuleId {
  if (kind === 'GP') return 'R-ISSUER';
  if (kind === 'PRIVATE_SELF_PAY') return 'R-SELF-PAY';
  if (kind === 'MUNICIPALITY') return 'R-FWD-MUN';
  if (type === 'ZZ0175Z') return 'R-SELF-TRAIN';
  const family = kind === 'OTHER_PUBLIC_HOSPITAL' ? 'OTHER' : kind === 'PRIVATE_EXTENDED_FREE_CHOICE' || kind === 'PRIVATE_SPECIALISED_79' ? 'PRIV' : 'OWN';
  if (type === 'ZZ0175X') return `R-ORD-${family}`;
  if (forward && kind === 'HOME_HOSPITAL') return 'R-FWD-HOME';
  return `R-SPEC-${family}`;
}

/** Applies the table to one plan. */
export function decideRetrainingRouting(plan: PlanAddressing, register: EndpointRegister): RetrainingDecision {
  const classified = plan.parties.map((party) => ({ party, cls: classOf(party) }));
  const of = (cls: PartyClass) => classified.filter((c) => c.cls === cls).map((c) => c.party);
  const municipalities = of('municipality');
  const municipality = municipalities[0]?.endpoint;
  const issuerKind = issuerKindOf(plan.issuer, municipality);
  if (plan.type === undefined || !RETRAINING_TYPES.includes(plan.type)) return { issuerKind, ...(municipality ? { municipality } : {}), violations: [] };
  const type = plan.type as RetrainingType;
  const hospitals = [...of('public-hospital'), ...of('private-hospital')].filter((p) => p.endpoint?.ean !== plan.issuer.ean);
  const forward = municipalities.length === 0 && hospitals.length > 0;
  const row = rowFor(issuerKind, type, forward);
  const violations: RoutingViolation[] = [];
  const violate = (rule: ProfileRuleId, path: string, message: string) => violations.push({ rule, path, message });
  const issuerName = `${plan.issuer.name} (${plan.issuer.ean})`;
  const at = (element: string) => `${plan.letterPath}/${element}`;

  const requireOneMunicipality = (element: string, why: string): void => {
    if (municipalities.length === 0) {
      violate(row, at(element), `${TYPE_WORDS[type]} from ${issuerName} must go to the citizen's municipality of residence (${why}), but the plan names no municipality; add it as ${element}`);
    }
    for (const extra of municipalities.slice(1)) {
      violate(
        row,
        extra.path,
        `the plan names a second municipality, ${describe(extra)}; a retraining plan goes only to the citizen's municipality of residence (taken to be ${describe(municipalities[0] as PlanParty)}, the first named): remove the other`,
      );
    }
  };
  const forbidHospitals = (why: string): void => {
    for (const hospital of hospitals) violate(row, hospital.path, `${TYPE_WORDS[type]} does not go to a hospital (${why}), so ${describe(hospital)} must not receive it: remove it`);
  };
  const forbidPrivateHospitals = (): void => {
    for (const hospital of hospitals.filter((h) => classOf(h) === 'private-hospital')) {
      violate(row, hospital.path, `specialised retraining is performed by a public hospital; the citizen's free choice is among public hospitals, not private ones (004 L2805–2809), so ${describe(hospital)} must not receive the plan: send it to a public hospital`);
    }
  };
  const requireGp = (): void => {
    const gps = of('gp');
    if (gps.length === 0) {
      violate('R-GP-COPY', at('GPCCReceiver'), `the hospital sends the retraining plan to the citizen's own GP as well ("Hospitalet sender efter aftale med borgeren genoptræningsplanen til borgerens egen læge"), but the plan names no GP: add the GP in GPCCReceiver (with the Consent extension saying false if the citizen does not want the GP to have it)`);
    }
    for (const extra of gps.slice(1)) violate('R-GP-COPY', extra.path, `the plan names a second GP, ${describe(extra)}; the citizen has one GP (${describe(gps[0] as PlanParty)}): remove the other`);
  };

  switch (row) {
    case 'R-ISSUER':
      violate(row, at('Sender'), `${issuerName} is a GP; retraining plans are written by the hospital that discharges the citizen (002 L205–209) and forwarded only by municipalities, so a GP cannot send one. Send the information as correspondence (XDIS91) instead`);
      break;
    case 'R-SELF-PAY':
      violate(row, at('Sender'), `${issuerName} is a private hospital treating at the citizen's own expense, which may not issue a retraining plan (004 L2356–2363; 002 L217); refer the citizen to the home region's hospital for an assessment instead`);
      break;
    case 'R-FWD-MUN':
      if (type !== 'ZZ0175X') {
        violate(row, at('TypeOfRehabilitationPlan'), `a municipality forwards only ordinary plans (ZZ0175X) to the training site the citizen chose (004 L2736–2740); ${TYPE_WORDS[type]} is not forwarded by the municipality (the home hospital handles free choice of specialised retraining)`);
      }
      for (const gp of of('gp')) violate(row, gp.path, `a municipality forwards the plan only to the training site the citizen chose (a municipality or a hospital); ${describe(gp)} is a GP, who has the plan from the hospital: remove it`);
      break;
    case 'R-FWD-HOME':
      forbidPrivateHospitals();
      for (const other of [...of('gp')]) violate(row, other.path, `a home hospital forwarding a specialised plan under the citizen's free choice sends it only to the chosen public hospital (004 L2805–2809); ${describe(other)} has it already from the hospital that wrote it: remove it`);
      break;
    case 'R-ORD-OWN':
    case 'R-ORD-OTHER':
    case 'R-ORD-PRIV':
      requireOneMunicipality('Receiver', 'it provides ordinary retraining or buys it');
      forbidHospitals('ordinary retraining is the municipality\'s; the municipality chooses who provides it');
      requireGp();
      break;
    case 'R-SELF-TRAIN':
      requireOneMunicipality('Receiver', 'a self-training plan informs the municipality that helps the citizen; it is not a referral');
      forbidHospitals('a self-training plan is information for the municipality and the GP, not a referral');
      requireGp();
      break;
    case 'R-SPEC-OWN':
      requireOneMunicipality('CCReceiver', 'it has the authority and pays for specialised retraining too, 002 L181');
      forbidPrivateHospitals();
      requireGp();
      break;
    case 'R-SPEC-OTHER':
      requireOneMunicipality('CCReceiver', 'the plan goes there as a copy, 004 L2302–2304');
      if (!hospitals.some((h) => classOf(h) === 'public-hospital')) {
        violate(row, at('Receiver'), `${TYPE_WORDS[type]} from ${issuerName}, a hospital outside the citizen's region or chosen freely, goes to the public hospital that will perform the retraining (004 L2298–2302), but the plan names none: make that hospital the Receiver`);
      }
      forbidPrivateHospitals();
      requireGp();
      break;
    case 'R-SPEC-PRIV': {
      requireOneMunicipality('CCReceiver', 'it receives a copy, 004 L2340–2344');
      const homes = municipality ? register.endpoints.filter((e) => e.kind === 'hospital' && isHomeHospitalOf(e, municipality)) : [];
      const homeNames = homes.map((h) => `${h.name} (${h.ean})`).join(' or ');
      const named = hospitals.filter((h) => classOf(h) === 'public-hospital' && (homes.length === 0 || homes.some((home) => home.ean === h.endpoint?.ean)));
      if (named.length === 0) {
        violate(row, at('Receiver'), `${TYPE_WORDS[type]} from a private hospital goes to the citizen's home hospital, which performs the retraining (004 L2338–2342)${homeNames ? `; for ${municipality?.name ?? 'this municipality'} that is ${homeNames}` : ''}: make it the Receiver`);
      }
      for (const other of hospitals.filter((h) => !named.includes(h))) {
        violate(row, other.path, `${TYPE_WORDS[type]} from a private hospital goes to the citizen's home hospital${homeNames ? ` (${homeNames})` : ''}, not to ${describe(other)}: remove it`);
      }
      requireGp();
      break;
    }
  }
  return { row, issuerKind, ...(municipality ? { municipality } : {}), violations };
}

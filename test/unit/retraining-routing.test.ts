/**
 * The retraining plan's routing table (domain.md §4.1), every row accepted and violated; the
 * agreement profile's actions and overrides; consent per receiver; and the profile file's validation.
 * Pure: plans are built as models, the register from JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CopyReceiver, Letter, ParsedMessage } from '../../src/domain/message.js';
import { ConfigError, buildEndpointRegister, loadEndpointRegister } from '../../src/config/endpoints.js';
import { buildRetrainingRouting, loadRetrainingRouting } from '../../src/config/retraining-routing.js';
import { glnCheckDigit } from '../../src/domain/gln.js';
import { DEFAULT_RETRAINING_ROUTING, actionFor, type RetrainingRouting } from '../../src/domain/retraining-profile.js';
import { PROFILE_RULE_IDS, ROUTING_TABLE, ROW_RULE_IDS } from '../../src/domain/retraining-routing.js';
import { routeMessage, type RoutingDecision } from '../../src/domain/routing.js';
import { fromPackageRoot } from '../../src/package-root.js';

const ean = (n: number): string => {
  const first12 = `579000000${String(n).padStart(3, '0')}`;
  return `${first12}${glnCheckDigit(first12)}`;
};

const H_REG = ean(101); // public, Midtjylland, home hospital for nobody
const H_HOME = ean(102); // public, Midtjylland, home hospital for 751
const H_PERF = ean(103); // public, Midtjylland, performs specialised retraining
const H_EAST = ean(104); // public, Hovedstaden: another region's hospital for a Midtjylland citizen
const H_NATIONAL = ean(105); // configured OTHER_PUBLIC_HOSPITAL
const H_PRIV_EXT = ean(106);
const H_PRIV_79 = ean(107);
const H_SELF_PAY = ean(108);
const M_751 = ean(201); // Midtjylland, home hospital H_HOME
const M_730 = ean(202); // Midtjylland, no home hospital in the register
const M_461 = ean(203); // Syddanmark
const GP_1 = ean(301);
const GP_2 = ean(302);
const GATEWAY = ean(999);

const ACCEPTS = ['GGOP', 'XDIS91', 'XCTL01', 'XCTL02', 'XCTL03'];
const hospital = (e: string, name: string, extra: Record<string, unknown>) => ({ ean: e, kind: 'hospital', name, accepts: ACCEPTS, delivery: { mode: 'pull' }, ...extra });

const NETWORK = {
  gateway: { ean: GATEWAY },
  endpoints: [
    hospital(H_REG, 'Regionshospital Vest', { region: 'Midtjylland' }),
    hospital(H_HOME, 'Hjemhospital Nord', { region: 'Midtjylland', homeHospitalFor: ['751'] }),
    hospital(H_PERF, 'Træningshospital Midt', { hospitalKind: 'REGIONAL_HOSPITAL', region: 'Midtjylland' }),
    hospital(H_EAST, 'Hospital Øst', { region: 'Hovedstaden' }),
    hospital(H_NATIONAL, 'Landshospitalet', { hospitalKind: 'OTHER_PUBLIC_HOSPITAL' }),
    hospital(H_PRIV_EXT, 'Privathospital Frit Valg', { hospitalKind: 'PRIVATE_EXTENDED_FREE_CHOICE' }),
    hospital(H_PRIV_79, 'Specialsygehus § 79', { hospitalKind: 'PRIVATE_SPECIALISED_79' }),
    hospital(H_SELF_PAY, 'Privatklinik Egenbetaling', { hospitalKind: 'PRIVATE_SELF_PAY' }),
    { ean: M_751, kind: 'municipality', name: 'Kommune 751', identifier: '751', identifierCode: 'kommunenummer', region: 'Midtjylland', accepts: ACCEPTS, delivery: { mode: 'pull' } },
    { ean: M_730, kind: 'municipality', name: 'Kommune 730', identifier: '730', identifierCode: 'kommunenummer', region: 'Midtjylland', accepts: ACCEPTS, delivery: { mode: 'pull' } },
    { ean: M_461, kind: 'municipality', name: 'Kommune 461', identifier: '461', identifierCode: 'kommunenummer', region: 'Syddanmark', accepts: ACCEPTS, delivery: { mode: 'pull' } },
    { ean: GP_1, kind: 'gp', name: 'Lægehuset Et', identifier: '111111', identifierCode: 'ydernummer', accepts: ACCEPTS, delivery: { mode: 'pull' } },
    { ean: GP_2, kind: 'gp', name: 'Lægehuset To', identifier: '222222', identifierCode: 'ydernummer', accepts: ACCEPTS, delivery: { mode: 'pull' } },
  ],
};
const register = buildEndpointRegister(NETWORK, 'test');

type PlanType = 'ZZ0175X' | 'ZZ0175Y' | 'ZZ0175Z';

interface PlanSpec {
  readonly from: string;
  readonly to: string;
  readonly cc?: readonly (string | CopyReceiver)[];
  /** The GPCCReceiver; null for none. Default GP_1. */
  readonly gp?: string | CopyReceiver | null;
  readonly type: PlanType;
  readonly consent?: Readonly<Record<string, boolean>>;
  readonly letterType?: 'GGOP' | 'XDIS91';
}

const PATH = '/Emessage/RehabilitationPlan';

function plan(spec: PlanSpec): ParsedMessage {
  const copy = (c: string | CopyReceiver): CopyReceiver => (typeof c === 'string' ? { ean: c } : c);
  const gp = spec.gp === undefined ? GP_1 : spec.gp;
  const letter: Letter = {
    index: 0,
    path: PATH,
    type: spec.letterType ?? 'GGOP',
    rootElement: 'RehabilitationPlan',
    versionCode: 'ggop100',
    statisticalCode: 'GGOP',
    identifier: 'PLAN1',
    sender: { ean: spec.from },
    receiver: { ean: spec.to },
    ccReceivers: (spec.cc ?? []).map(copy),
    ...(gp === null ? {} : { gpCcReceiver: copy(gp) }),
    body: { rehabilitation: { type: spec.type } },
    ...(spec.consent
      ? { extension: { warningCategories: [], consent: Object.entries(spec.consent).map(([receiverEan, given]) => ({ receiverEan, given })) } }
      : {}),
  };
  return {
    generation: 'municipality',
    namespace: 'urn:oio:medcom:municipality:1.0.4',
    envelope: { sent: { date: '2026-03-20', time: '10:38' }, identifier: 'ENV1', acknowledgementCode: 'pluspositivkvitt' },
    letters: [letter],
  };
}

function route(spec: PlanSpec, routing: RetrainingRouting = DEFAULT_RETRAINING_ROUTING): RoutingDecision {
  return routeMessage(plan(spec), register, spec.from, routing);
}

/** The rule ids a decision rejects with (problems), sorted. */
function rejected(decision: RoutingDecision): string[] {
  return decision.ok ? [] : decision.problems.map((p) => ('rule' in p ? p.rule : p.kind)).sort();
}

/** The accepted route of the one letter: rule row, receivers delivered to, warning codes. */
function accepted(decision: RoutingDecision) {
  if (!decision.ok) throw new Error(`refused: ${JSON.stringify(decision.problems, null, 2)}`);
  const [r] = decision.routes;
  if (!r) throw new Error('no route');
  return {
    row: r.retraining?.row,
    issuerKind: r.retraining?.issuerKind,
    deliverTo: r.deliverTo.map((d) => [d.ean, d.role]),
    warnings: r.warnings.map((w) => w.code ?? 'copy'),
    messages: r.warnings,
  };
}

describe('the routing table, row by row (domain.md §4.1)', () => {
  it('documents every row rule and every profile rule', () => {
    expect(ROUTING_TABLE.map((r) => r.id)).toEqual([...ROW_RULE_IDS, 'R-GP-COPY']);
    expect(PROFILE_RULE_IDS).toContain('CONSENT-SPEC-MUNICIPALITY');
  });

  describe('R-ORD-OWN: own-region hospital, ordinary retraining → municipality of residence, GP copy', () => {
    it('accepts the plan to the municipality with the GP copy; each gets a delivery', () => {
      expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X' }))).toMatchObject({
        row: 'R-ORD-OWN',
        issuerKind: 'REGIONAL_HOSPITAL',
        deliverTo: [
          [M_751, 'receiver'],
          [GP_1, 'cc'],
        ],
        warnings: [],
      });
    });
    it('the home hospital is an own-region hospital', () => {
      expect(accepted(route({ from: H_HOME, to: M_751, type: 'ZZ0175X' }))).toMatchObject({ row: 'R-ORD-OWN', issuerKind: 'HOME_HOSPITAL' });
    });
    it('rejects a plan naming no municipality, and a hospital it must not go to', () => {
      const decision = route({ from: H_REG, to: H_PERF, type: 'ZZ0175X' });
      expect(rejected(decision)).toEqual(['R-ORD-OWN', 'R-ORD-OWN']);
      expect(decision.ok ? [] : decision.problems.map((p) => p.path)).toEqual([`${PATH}/Receiver`, `${PATH}/Receiver/EANIdentifier`]);
      expect(decision.ok ? '' : decision.problems[0]?.message).toMatch(/must go to the citizen's municipality of residence .* names no municipality; add it as Receiver/);
    });
    it('rejects a second municipality', () => {
      const decision = route({ from: H_REG, to: M_751, cc: [M_730], type: 'ZZ0175X' });
      expect(rejected(decision)).toEqual(['R-ORD-OWN']);
      expect(decision.ok ? undefined : decision.problems[0]).toMatchObject({ path: `${PATH}/CCReceiver`, message: expect.stringMatching(/second municipality, Kommune 730/) });
    });
    it('rejects a copy to a hospital', () => {
      expect(rejected(route({ from: H_REG, to: M_751, cc: [H_PERF], type: 'ZZ0175X' }))).toEqual(['R-ORD-OWN']);
    });
  });

  describe('R-SPEC-OWN: own-region hospital, specialised → performing hospital and municipality, GP copy', () => {
    it('accepts performing hospital, municipality copy and GP copy: three deliveries', () => {
      expect(accepted(route({ from: H_REG, to: H_PERF, cc: [M_751], type: 'ZZ0175Y' }))).toMatchObject({
        row: 'R-SPEC-OWN',
        deliverTo: [
          [H_PERF, 'receiver'],
          [M_751, 'cc'],
          [GP_1, 'cc'],
        ],
      });
    });
    it('accepts the municipality as Receiver and no other hospital (the issuer performs the retraining)', () => {
      expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-SPEC-OWN', warnings: [] });
    });
    it('mixed course (specialised, then ordinary) is coded ZZ0175Y and routed as specialised', () => {
      expect(accepted(route({ from: H_HOME, to: H_PERF, cc: [M_751], type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-SPEC-OWN', issuerKind: 'HOME_HOSPITAL' });
    });
    it('rejects a plan without the municipality (it has the authority and pays)', () => {
      const decision = route({ from: H_REG, to: H_PERF, type: 'ZZ0175Y' });
      expect(rejected(decision)).toEqual(['R-SPEC-OWN']);
      expect(decision.ok ? undefined : decision.problems[0]).toMatchObject({ path: `${PATH}/CCReceiver`, message: expect.stringMatching(/authority and pays/) });
    });
    it('rejects a private hospital as the performer', () => {
      expect(rejected(route({ from: H_REG, to: H_PRIV_EXT, cc: [M_751], type: 'ZZ0175Y' }))).toEqual(['R-SPEC-OWN']);
    });
  });

  describe('R-SPEC-OTHER: another public hospital, specialised → performing hospital, copy to the municipality, GP copy', () => {
    it('accepts; a hospital of another region than the municipality is OTHER_PUBLIC_HOSPITAL', () => {
      expect(accepted(route({ from: H_EAST, to: H_HOME, cc: [M_751], type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-SPEC-OTHER', issuerKind: 'OTHER_PUBLIC_HOSPITAL' });
    });
    it('accepts from a hospital configured OTHER_PUBLIC_HOSPITAL', () => {
      expect(accepted(route({ from: H_NATIONAL, to: H_PERF, cc: [M_461], type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-SPEC-OTHER' });
    });
    it('rejects a plan naming no hospital to perform the retraining', () => {
      const decision = route({ from: H_EAST, to: M_751, type: 'ZZ0175Y' });
      expect(rejected(decision)).toEqual(['R-SPEC-OTHER']);
      expect(decision.ok ? undefined : decision.problems[0]?.message).toMatch(/public hospital that will perform the retraining .* make that hospital the Receiver/);
    });
    it('rejects a plan without the municipality copy', () => {
      expect(rejected(route({ from: H_NATIONAL, to: H_PERF, type: 'ZZ0175Y' }))).toEqual(['R-SPEC-OTHER']);
    });
  });

  describe('R-ORD-OTHER: another public hospital, ordinary → municipality, GP copy', () => {
    it('accepts', () => {
      expect(accepted(route({ from: H_EAST, to: M_751, type: 'ZZ0175X' }))).toMatchObject({ row: 'R-ORD-OTHER', issuerKind: 'OTHER_PUBLIC_HOSPITAL' });
    });
    it('rejects a copy to a hospital', () => {
      expect(rejected(route({ from: H_NATIONAL, to: M_461, cc: [H_HOME], type: 'ZZ0175X' }))).toEqual(['R-ORD-OTHER']);
    });
  });

  describe('R-SPEC-PRIV: private hospital (extended free choice, § 79), specialised → home hospital, copies to municipality and GP', () => {
    it.each([
      ['extended free choice', H_PRIV_EXT, 'PRIVATE_EXTENDED_FREE_CHOICE'],
      ['§ 79', H_PRIV_79, 'PRIVATE_SPECIALISED_79'],
    ])('accepts the plan to the home hospital of the municipality (%s)', (_name, from, kind) => {
      expect(accepted(route({ from, to: H_HOME, cc: [M_751], type: 'ZZ0175Y' }))).toMatchObject({
        row: 'R-SPEC-PRIV',
        issuerKind: kind,
        deliverTo: [
          [H_HOME, 'receiver'],
          [M_751, 'cc'],
          [GP_1, 'cc'],
        ],
      });
    });
    it('rejects another hospital than the home hospital, naming the home hospital', () => {
      const decision = route({ from: H_PRIV_EXT, to: H_PERF, cc: [M_751], type: 'ZZ0175Y' });
      expect(rejected(decision)).toEqual(['R-SPEC-PRIV', 'R-SPEC-PRIV']);
      expect(decision.ok ? [] : decision.problems.map((p) => p.message).join('\n')).toMatch(/Hjemhospital Nord/);
    });
    it('accepts any public hospital when the register names no home hospital for the municipality', () => {
      expect(accepted(route({ from: H_PRIV_79, to: H_PERF, cc: [M_730], type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-SPEC-PRIV' });
    });
    it('rejects a plan without the municipality copy, and one without the hospital', () => {
      expect(rejected(route({ from: H_PRIV_EXT, to: H_HOME, type: 'ZZ0175Y' }))).toEqual(['R-SPEC-PRIV']);
      expect(rejected(route({ from: H_PRIV_EXT, to: M_751, type: 'ZZ0175Y' }))).toEqual(['R-SPEC-PRIV']);
    });
  });

  describe('R-ORD-PRIV: private hospital, ordinary → municipality, GP copy', () => {
    it('accepts', () => {
      expect(accepted(route({ from: H_PRIV_79, to: M_751, type: 'ZZ0175X' }))).toMatchObject({ row: 'R-ORD-PRIV' });
    });
    it('rejects a plan sent to the home hospital instead of the municipality', () => {
      expect(rejected(route({ from: H_PRIV_EXT, to: H_HOME, type: 'ZZ0175X' }))).toEqual(['R-ORD-PRIV', 'R-ORD-PRIV']);
    });
  });

  describe('R-SELF-PAY: a self-paying private hospital may not issue a plan', () => {
    it.each([['ZZ0175X'], ['ZZ0175Y'], ['ZZ0175Z']] as const)('rejects %s, however addressed', (type) => {
      const decision = route({ from: H_SELF_PAY, to: M_751, type });
      expect(rejected(decision)).toEqual(['R-SELF-PAY']);
      expect(decision.ok ? undefined : decision.problems[0]).toMatchObject({ path: `${PATH}/Sender`, message: expect.stringMatching(/refer the citizen to the home region's hospital/) });
    });
  });

  describe('R-SELF-TRAIN: self-training → municipality (information), GP copy', () => {
    it('accepts from a public and a private hospital', () => {
      expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175Z' }))).toMatchObject({ row: 'R-SELF-TRAIN' });
      expect(accepted(route({ from: H_PRIV_EXT, to: M_751, type: 'ZZ0175Z' }))).toMatchObject({ row: 'R-SELF-TRAIN' });
    });
    it('rejects a copy to a hospital (it is not a referral)', () => {
      expect(rejected(route({ from: H_REG, to: M_751, cc: [H_PERF], type: 'ZZ0175Z' }))).toEqual(['R-SELF-TRAIN']);
    });
  });

  describe('R-FWD-MUN: the municipality forwards an ordinary plan to the training site the citizen chose', () => {
    it('accepts a forward to another municipality, without a GP', () => {
      expect(accepted(route({ from: M_751, to: M_730, gp: null, type: 'ZZ0175X' }))).toMatchObject({ row: 'R-FWD-MUN', issuerKind: 'MUNICIPALITY', warnings: [] });
    });
    it('rejects a forwarded specialised plan, and a GP as receiver', () => {
      expect(rejected(route({ from: M_751, to: M_730, gp: null, type: 'ZZ0175Y' }))).toEqual(['R-FWD-MUN']);
      expect(rejected(route({ from: M_751, to: M_730, type: 'ZZ0175X' }))).toEqual(['R-FWD-MUN']);
    });
  });

  describe('R-FWD-HOME: the home hospital forwards a specialised plan to the public hospital the citizen chose', () => {
    it('accepts a forward to another public hospital (no municipality named)', () => {
      expect(accepted(route({ from: H_HOME, to: H_PERF, gp: null, type: 'ZZ0175Y' }))).toMatchObject({ row: 'R-FWD-HOME', issuerKind: 'HOME_HOSPITAL', deliverTo: [[H_PERF, 'receiver']] });
    });
    it('rejects a forward to a private hospital ("Dog ikke privathospitalerne")', () => {
      const decision = route({ from: H_HOME, to: H_PRIV_EXT, gp: null, type: 'ZZ0175Y' });
      expect(rejected(decision)).toEqual(['R-FWD-HOME']);
      expect(decision.ok ? '' : decision.problems[0]?.message).toMatch(/not private ones/);
    });
    it('rejects a forward that copies the GP', () => {
      expect(rejected(route({ from: H_HOME, to: H_PERF, type: 'ZZ0175Y' }))).toEqual(['R-FWD-HOME']);
    });
    it('a hospital that is nobody\'s home hospital is not forwarding: the municipality is missing (R-SPEC-OWN)', () => {
      expect(rejected(route({ from: H_REG, to: H_PERF, gp: null, type: 'ZZ0175Y' }))).toEqual(['R-SPEC-OWN']);
    });
  });

  describe('R-ISSUER: a GP does not issue plans', () => {
    it('rejects', () => {
      expect(rejected(route({ from: GP_1, to: M_751, gp: null, type: 'ZZ0175X' }))).toEqual(['R-ISSUER']);
    });
  });

  describe('R-GP-COPY: the GP gets a copy', () => {
    it('a plan without a GP is accepted with a warning by default', () => {
      const route1 = accepted(route({ from: H_REG, to: M_751, gp: null, type: 'ZZ0175X' }));
      expect(route1).toMatchObject({ row: 'R-ORD-OWN', warnings: ['R-GP-COPY'], deliverTo: [[M_751, 'receiver']] });
      expect(route1.messages[0]).toMatchObject({ path: `${PATH}/GPCCReceiver`, message: expect.stringMatching(/add the GP in GPCCReceiver/) });
    });
    it('a second GP is warned about too', () => {
      expect(accepted(route({ from: H_REG, to: M_751, cc: [GP_2], type: 'ZZ0175X' })).warnings).toEqual(['R-GP-COPY']);
    });
    it('a GP named by ydernummer only counts, and gets its delivery', () => {
      expect(accepted(route({ from: H_REG, to: M_751, gp: { identifier: '111111', identifierCode: 'ydernummer' }, type: 'ZZ0175X' }))).toMatchObject({
        warnings: [],
        deliverTo: [
          [M_751, 'receiver'],
          [GP_1, 'cc'],
        ],
      });
    });
    it('a GPCCReceiver that is no endpoint here still counts as the GP (the copy is skipped with its own warning)', () => {
      expect(accepted(route({ from: H_REG, to: M_751, gp: ean(399), type: 'ZZ0175X' })).warnings).toEqual(['copy']);
    });
  });

  it('other letter types are not checked against the table', () => {
    expect(accepted(route({ from: H_SELF_PAY, to: M_751, type: 'ZZ0175X', letterType: 'XDIS91' }))).toMatchObject({ row: undefined, warnings: [] });
  });
});

describe('the agreement profile', () => {
  const routing = (profiles: RetrainingRouting['profiles'], actions: Partial<RetrainingRouting['actions']> = {}): RetrainingRouting => ({
    ...DEFAULT_RETRAINING_ROUTING,
    actions: { ...DEFAULT_RETRAINING_ROUTING.actions, ...actions },
    profiles,
  });

  it('defaults: every rule rejects except R-GP-COPY', () => {
    expect(Object.entries(DEFAULT_RETRAINING_ROUTING.actions).filter(([, a]) => a === 'warn')).toEqual([['R-GP-COPY', 'warn']]);
  });

  it('a warn accepts the plan as addressed, with a warning naming the rule and the profile', () => {
    const r = accepted(route({ from: H_REG, to: M_751, cc: [H_PERF], type: 'ZZ0175X' }, routing([{ id: 'vest-751', appliesTo: { hospitalEan: H_REG, municipalityEan: M_751 }, actions: { 'R-ORD-OWN': 'warn' } }])));
    expect(r.deliverTo.map(([e]) => e)).toEqual([M_751, H_PERF, GP_1]);
    expect(r.messages).toEqual([{ path: `${PATH}/CCReceiver`, code: 'R-ORD-OWN', message: expect.stringMatching(/by the agreement profile "vest-751"\)$/) }]);
  });

  it('a reject can be made of a default warning', () => {
    expect(rejected(route({ from: H_REG, to: M_751, gp: null, type: 'ZZ0175X' }, routing([], { 'R-GP-COPY': 'reject' })))).toEqual(['R-GP-COPY']);
  });

  it('the most specific profile wins: region < hospital or municipality < pair; equal ones in file order', () => {
    const profiles: RetrainingRouting['profiles'] = [
      { id: 'pair', appliesTo: { hospitalEan: H_REG, municipalityEan: M_751 }, actions: { 'R-ORD-OWN': 'reject' } },
      { id: 'hospital', appliesTo: { hospitalEan: H_REG }, actions: { 'R-ORD-OWN': 'warn' } },
      { id: 'region', appliesTo: { region: 'Midtjylland' }, actions: { 'R-ORD-OWN': 'reject', 'R-SPEC-OWN': 'warn' } },
      { id: 'municipality-1', appliesTo: { municipalityEan: M_730 }, actions: { 'R-ORD-OWN': 'warn' } },
      { id: 'municipality-2', appliesTo: { municipalityEan: M_730 }, actions: { 'R-ORD-OWN': 'reject' } },
    ];
    const r = routing(profiles);
    expect(actionFor(r, 'R-ORD-OWN', { hospitalEan: H_REG, municipalityEan: M_751, region: 'Midtjylland' })).toEqual({ action: 'reject', profile: 'pair' });
    expect(actionFor(r, 'R-ORD-OWN', { hospitalEan: H_REG, municipalityEan: M_461, region: 'Midtjylland' })).toEqual({ action: 'warn', profile: 'hospital' });
    expect(actionFor(r, 'R-ORD-OWN', { hospitalEan: H_PERF, municipalityEan: M_730, region: 'Midtjylland' })).toEqual({ action: 'reject', profile: 'municipality-2' });
    expect(actionFor(r, 'R-SPEC-OWN', { hospitalEan: H_REG, municipalityEan: M_751, region: 'Midtjylland' })).toEqual({ action: 'warn', profile: 'region' });
    expect(actionFor(r, 'R-SPEC-OWN', { hospitalEan: H_EAST, region: 'Hovedstaden' })).toEqual({ action: 'reject' });
  });

  it('the region is the issuer\'s; a municipality forwarding is the municipality of the pair', () => {
    const r = routing([{ id: 'syd', appliesTo: { region: 'Syddanmark' }, actions: { 'R-FWD-MUN': 'warn' } }]);
    expect(accepted(route({ from: M_461, to: M_730, gp: null, type: 'ZZ0175Y' }, r)).warnings).toEqual(['R-FWD-MUN']);
    expect(rejected(route({ from: M_751, to: M_730, gp: null, type: 'ZZ0175Y' }, r))).toEqual(['R-FWD-MUN']);
  });
});

describe('consent ("efter aftale med borgeren")', () => {
  const explicitFor = (sender: string): RetrainingRouting => ({ ...DEFAULT_RETRAINING_ROUTING, consent: { default: 'assumed', bySender: { [sender]: 'explicit' } } });

  it('a copy the citizen did not consent to is not delivered, and the sender is told where', () => {
    const r = accepted(route({ from: H_REG, to: H_PERF, cc: [M_751], type: 'ZZ0175Y', consent: { [GP_1]: false, [M_751]: true } }));
    expect(r.deliverTo).toEqual([
      [H_PERF, 'receiver'],
      [M_751, 'cc'],
    ]);
    expect(r.messages).toEqual([{ path: `${PATH}/GPCCReceiver`, code: 'CONSENT-COPY', message: expect.stringMatching(/has not consented .* Lægehuset Et .* the copy was not delivered$/) }]);
  });

  it('a refused GP copy still satisfies R-GP-COPY: the plan named the GP', () => {
    expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X', consent: { [GP_1]: false } })).warnings).toEqual(['CONSENT-COPY']);
  });

  it('no consent for the Receiver refuses the message: the letter has nowhere it may go', () => {
    const decision = route({ from: H_REG, to: M_751, type: 'ZZ0175X', consent: { [M_751]: false } });
    expect(rejected(decision)).toEqual(['CONSENT-RECEIVER']);
    expect(decision.ok ? undefined : decision.problems[0]).toMatchObject({ kind: 'no-consent', path: `${PATH}/Receiver/EANIdentifier`, message: expect.stringMatching(/nothing was sent/) });
  });

  it('specialised: without consent to the municipality retraining cannot start → rejected by default', () => {
    expect(rejected(route({ from: H_REG, to: H_PERF, cc: [M_751], type: 'ZZ0175Y', consent: { [M_751]: false } }))).toEqual(['CONSENT-SPEC-MUNICIPALITY']);
  });

  it('… or, where the profile says warn, delivered to the hospital without the municipality copy', () => {
    const r = accepted(route({ from: H_REG, to: H_PERF, cc: [M_751], type: 'ZZ0175Y', consent: { [M_751]: false } }, { ...DEFAULT_RETRAINING_ROUTING, actions: { ...DEFAULT_RETRAINING_ROUTING.actions, 'CONSENT-SPEC-MUNICIPALITY': 'warn' } }));
    expect(r.deliverTo).toEqual([
      [H_PERF, 'receiver'],
      [GP_1, 'cc'],
    ]);
    expect(r.warnings).toEqual(['CONSENT-SPEC-MUNICIPALITY']);
  });

  it('a sender with explicit consent: nothing stated → the Receiver refuses; stated for the Receiver → the unstated copy is withheld', () => {
    expect(rejected(route({ from: H_REG, to: M_751, type: 'ZZ0175X' }, explicitFor(H_REG)))).toEqual(['CONSENT-RECEIVER']);
    const r = accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X', consent: { [M_751]: true } }, explicitFor(H_REG)));
    expect(r.deliverTo).toEqual([[M_751, 'receiver']]);
    expect(r.messages).toEqual([{ path: `${PATH}/GPCCReceiver`, code: 'CONSENT-COPY', message: expect.stringMatching(/state consent for every receiver .* no <gw:Consent receiver="\d{13}">true<\/gw:Consent>/) }]);
    expect(accepted(route({ from: H_PERF, to: M_751, type: 'ZZ0175X' }, explicitFor(H_REG))).warnings).toEqual([]); // other senders: assumed
  });

  it('a copy named by ydernummer is matched by the EAN of the endpoint it resolves to', () => {
    const r = accepted(route({ from: H_REG, to: M_751, gp: { identifier: '111111', identifierCode: 'ydernummer' }, type: 'ZZ0175X', consent: { [GP_1]: false } }));
    expect(r.deliverTo).toEqual([[M_751, 'receiver']]);
  });

  it('a stated refusal is honoured for every letter type; the profile default only for retraining plans', () => {
    expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X', letterType: 'XDIS91', consent: { [GP_1]: false } })).deliverTo).toEqual([[M_751, 'receiver']]);
    expect(accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X', letterType: 'XDIS91' }, explicitFor(H_REG))).deliverTo).toHaveLength(2);
  });

  it('a Consent for someone the letter does not name is pointed out (a mistyped EAN would otherwise go unnoticed)', () => {
    const r = accepted(route({ from: H_REG, to: M_751, type: 'ZZ0175X', consent: { [GP_2]: false } }));
    expect(r.deliverTo).toHaveLength(2);
    expect(r.messages).toEqual([{ code: 'CONSENT-UNMATCHED', path: `${PATH}/following-sibling::Local_Elements[1]/Gateway/Consent[@receiver='${GP_2}']`, message: expect.stringMatching(/neither the Receiver nor a copy receiver/) }]);
  });
});

describe('the profile file and the register fields', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const problemsOf = (raw: unknown): string => {
    try {
      buildRetrainingRouting(raw, 'retraining-routing.json', register);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    return '';
  };

  it('the shipped config loads against the demo network and keeps the built-in actions', () => {
    const demo = loadEndpointRegister(fromPackageRoot('config'));
    expect(loadRetrainingRouting(fromPackageRoot('config'), demo)).toEqual(DEFAULT_RETRAINING_ROUTING);
  });

  it('no file means the built-in defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcom-routing-'));
    dirs.push(dir);
    expect(loadRetrainingRouting(dir, register)).toEqual(DEFAULT_RETRAINING_ROUTING);
  });

  it('a file with a syntax error names it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medcom-routing-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'retraining-routing.json'), '{ "actions": ');
    expect(() => loadRetrainingRouting(dir, register)).toThrow(/cannot read .*retraining-routing\.json/);
  });

  it('names unknown rules, actions and fields with the JSON path and the fix', () => {
    const message = problemsOf({ actions: { 'R-ORD-OWN': 'ignore', 'R-NOPE': 'warn' }, consent: { default: 'maybe' }, extra: 1 });
    expect(message).toMatch(/retraining-routing\.json#\/actions\/R-ORD-OWN: must be equal to one of the allowed values \("reject", "warn"\)/);
    expect(message).toMatch(/#\/actions: "R-NOPE" is not a rule id — name rules by id \(R-ORD-OWN, /);
    expect(problemsOf({ consent: { bySender: { '579': 'explicit' } } })).toMatch(/#\/consent\/bySender: "579" is not a 13-digit EAN — key by the sender's 13-digit EAN/);
    expect(message).toMatch(/#\/consent\/default: must be equal to one of the allowed values \("assumed", "explicit"\)/);
    expect(message).toMatch(/#\/: must NOT have additional properties \("extra"; remove it or check its spelling\)/);
  });

  it('checks profiles and senders against the register', () => {
    const message = problemsOf({
      consent: { bySender: { [ean(398)]: 'explicit' } },
      profiles: [
        { id: 'a', appliesTo: { hospitalEan: M_751 }, actions: {} },
        { id: 'a', appliesTo: { region: 'Midtjyland' }, actions: {} },
      ],
    });
    expect(message).toMatch(new RegExp(`#/consent/bySender/${ean(398)}: ${ean(398)} is not an endpoint in endpoints.json`));
    expect(message).toMatch(/#\/profiles\/0\/appliesTo\/hospitalEan: \d+ \(Kommune 751\) is a municipality, not a hospital/);
    expect(message).toMatch(/#\/profiles\/1\/id: the id "a" is used twice/);
    expect(message).toMatch(/#\/profiles\/1\/appliesTo\/region: no endpoint in endpoints.json has the region "Midtjyland" \(regions there: Midtjylland, Hovedstaden, Syddanmark\)/);
    expect(problemsOf({ profiles: [{ id: 'b', appliesTo: {}, actions: {} }] })).toMatch(/#\/profiles\/0\/appliesTo: must NOT have fewer than 1 properties — give region/);
  });

  it('accepts a full profile and merges its actions over the defaults', () => {
    const routing = buildRetrainingRouting(
      { actions: { 'R-GP-COPY': 'reject' }, consent: { bySender: { [H_REG]: 'explicit' } }, profiles: [{ id: 'p', appliesTo: { hospitalEan: H_REG, municipalityEan: M_751 }, actions: { 'R-ORD-OWN': 'warn' } }] },
      'f',
      register,
    );
    expect(routing.actions['R-GP-COPY']).toBe('reject');
    expect(routing.actions['R-ORD-OWN']).toBe('reject');
    expect(routing.consent).toEqual({ default: 'assumed', bySender: { [H_REG]: 'explicit' } });
  });

  it('endpoints.json: hospitalKind only on hospitals, HOME_HOSPITAL explained, homeHospitalFor only on public regional hospitals', () => {
    const bad = (edit: (e: Record<string, unknown>[]) => void): string => {
      const config = JSON.parse(JSON.stringify(NETWORK)) as { endpoints: Record<string, unknown>[] };
      edit(config.endpoints);
      try {
        buildEndpointRegister(config, 'endpoints.json');
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(bad((e) => ((e[8] as Record<string, unknown>).hospitalKind = 'REGIONAL_HOSPITAL'))).toMatch(/endpoints\/8\/hospitalKind: only a hospital has a hospital kind/);
    expect(bad((e) => ((e[0] as Record<string, unknown>).hospitalKind = 'HOME_HOSPITAL'))).toMatch(/endpoints\/0\/hospitalKind: must be equal to one of the allowed values .* — HOME_HOSPITAL is not a kind: .*homeHospitalFor/);
    expect(bad((e) => ((e[5] as Record<string, unknown>).homeHospitalFor = ['751']))).toMatch(/endpoints\/5\/homeHospitalFor: only a public hospital of the region/);
    expect(bad((e) => ((e[1] as Record<string, unknown>).homeHospitalFor = ['Aarhus']))).toMatch(/homeHospitalFor\/0: must match pattern .* — list kommunenumre of three digits/);
  });
});

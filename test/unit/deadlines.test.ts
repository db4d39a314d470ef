import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayExtension, Letter, LetterBody, LocalDateTime } from '../../src/domain/message.js';
import type { MessageTypeCode } from '../../src/domain/catalogue.js';
import { addWeekdays, copenhagenDateOf, endOfDay } from '../../src/domain/calendar.js';
import { evaluateAtAcceptance, judgeFulfilment, trackAtAcceptance, type AcceptanceContext } from '../../src/domain/deadlines/evaluate.js';
import { loadDeadlineRules } from '../../src/config/deadline-config.js';
import { DeadlineRulesError, parseDeadlineRules, parseDeadlineRulesText } from '../../src/domain/deadlines/parse.js';
import { resolveRules } from '../../src/domain/deadlines/profiles.js';
import type { AgreementProfile, DeadlineEvaluation, DeadlineRuleSet, EpisodeDischarge } from '../../src/domain/deadlines/types.js';

const RULES_FILE = fileURLToPath(new URL('../../config/deadline-rules.json', import.meta.url));
const RULES = loadDeadlineRules(RULES_FILE);

const HOSPITAL = '5790000100005';
const MUNICIPALITY = '5790000200002';
const OTHER_MUNICIPALITY = '5790000300009';

function at(date: string, time = '10:00'): LocalDateTime {
  return { date, time };
}

function letter(type: MessageTypeCode, body: LetterBody, extension?: Partial<GatewayExtension>): Letter {
  return {
    index: 0,
    path: `/Emessage/${type}`,
    type,
    rootElement: type,
    versionCode: 'XD1981L',
    statisticalCode: type,
    identifier: 'L1',
    sender: { ean: HOSPITAL },
    receiver: { ean: MUNICIPALITY },
    ccReceivers: [],
    body,
    ...(extension ? { extension: { warningCategories: [], consent: [], ...extension } } : {}),
  };
}

/**
 * The acceptance context. The episode was discharged an hour before `sentAt` unless told otherwise, so a
 * plan's D7 counts from its arrival as before the episode lookup; `null`: no discharge seen yet.
 */
function ctx(sentAt: string, receiverEan = MUNICIPALITY, clusters?: string[], discharge: EpisodeDischarge | null = dischargedBefore(sentAt)): AcceptanceContext {
  return { sentAt: new Date(sentAt), senderEan: HOSPITAL, receiverEan, ...(clusters ? { clusters } : {}), ...(discharge ? { episodeDischarge: discharge } : {}) };
}

function dischargedBefore(sentAt: string): EpisodeDischarge {
  const instant = new Date(new Date(sentAt).getTime() - 3_600_000);
  return { kind: 'discharge', date: copenhagenDateOf(instant), instant, label: 'the XDIS17 Discharge' };
}

/** A discharge warning (XDIS19) with a planned discharge date and categories. */
function warning(discharge: string, categories: GatewayExtension['warningCategories'], extra: Partial<GatewayExtension> = {}): Letter {
  return letter('XDIS19', { plannedDischarge: at(discharge) }, { warningCategories: categories, ...extra });
}

function only(results: DeadlineEvaluation[], ruleId?: string): DeadlineEvaluation {
  const matching = ruleId === undefined ? results : results.filter((r) => r.ruleId === ruleId);
  expect(matching, JSON.stringify(results)).toHaveLength(1);
  return matching[0] as DeadlineEvaluation;
}

function judge(l: Letter, sentAt: string, rules: DeadlineRuleSet = RULES, receiverEan = MUNICIPALITY): DeadlineEvaluation[] {
  return evaluateAtAcceptance(l, ctx(sentAt, receiverEan), rules);
}

function withProfiles(...profiles: AgreementProfile[]): DeadlineRuleSet {
  return parseDeadlineRules({ ...RULES, profiles }, 'test-profiles.json');
}

/** The local XDIS16 rule is opt-in: a profile of the hospital that agreed it enables it. */
const XDIS16_AGREED: AgreementProfile = { id: 'xdis16-agreed', appliesTo: { hospitalEan: HOSPITAL }, overrides: { 'RM-XDIS16-24H': { enabled: true } } };
const WITH_XDIS16 = withProfiles(XDIS16_AGREED);

describe('the default rule file', () => {
  it('loads and names every required rule with its seed source', () => {
    const ids = RULES.rules.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['D1', 'D2', 'D3', 'D4', 'D7', 'D10', 'D16', 'D17', 'D19', 'D21', 'D26', 'D28', 'RM-XDIS16-24H']));
    for (const rule of RULES.rules) expect(rule.source.length).toBeGreaterThan(0);
    expect(RULES.agreement.region).toBe('Region Midtjylland');
  });
});

describe('D1: unchanged function, by 12:00 (due) / 13:00 (late) on the service day', () => {
  // 2026-03-29 is the spring DST change: 12:00 CEST = 10:00Z, 13:00 CEST = 11:00Z.
  const l = warning('2026-03-30', ['UNCHANGED_SIMPLE_NURSING'], { nursingServiceDay: '2026-03-29' });

  it('is on time up to 12:00 with no note', () => {
    const r = only(judge(l, '2026-03-29T10:00:00.000Z'));
    expect(r).toMatchObject({ ruleId: 'D1', state: 'on-time', dueAt: '2026-03-29T10:00:00.000Z', lateAfter: '2026-03-29T11:00:00.000Z' });
    expect(r.note).toBeUndefined();
  });

  it('is on time with a note between 12:00 and 13:00, the limit included', () => {
    for (const sent of ['2026-03-29T10:30:00.000Z', '2026-03-29T11:00:00.000Z']) {
      const r = only(judge(l, sent));
      expect(r.state).toBe('on-time');
      expect(r.note).toMatch(/after the due mark 2026-03-29 12:00 but within the limit 2026-03-29 13:00/);
    }
  });

  it('is late after 13:00, by hours', () => {
    const r = only(judge(l, '2026-03-29T11:00:00.001Z'));
    expect(r).toMatchObject({ state: 'late', lateBy: { hours: 1, calendarDays: 0 }, measuredAt: 'gateway-arrival' });
    expect(only(judge(l, '2026-03-29T14:30:00.000Z')).lateBy).toMatchObject({ hours: 4 });
  });

  it('falls back to the planned discharge date without a NursingServiceDay (autumn DST: 12:00 CET = 11:00Z)', () => {
    const r = only(judge(warning('2026-10-25', ['UNCHANGED_SIMPLE_NURSING']), '2026-10-25T09:00:00.000Z'));
    expect(r).toMatchObject({ state: 'on-time', dueAt: '2026-10-25T11:00:00.000Z', lateAfter: '2026-10-25T12:00:00.000Z', reference: '2026-10-25' });
  });

  it('does not move a service day that is a holiday (juledag 2026-12-25)', () => {
    const r = only(judge(warning('2026-12-25', ['UNCHANGED_SIMPLE_NURSING']), '2026-12-25T11:30:00.000Z'));
    expect(r).toMatchObject({ state: 'on-time', dueAt: '2026-12-25T11:00:00.000Z', lateAfter: '2026-12-25T12:00:00.000Z' });
    expect(r.note).toBeDefined();
  });
});

describe('D2: reduced function, at least 3 weekdays before discharge (end of that day)', () => {
  // Discharge Monday 2026-03-09 → Wednesday 2026-03-04, end of day 23:59:59.999 CET = 22:59:59.999Z.
  const l = warning('2026-03-09', ['REDUCED_CARE']);

  it('on time, exactly at the limit, and late', () => {
    expect(only(judge(l, '2026-03-04T08:00:00.000Z'))).toMatchObject({ ruleId: 'D2', state: 'on-time', dueAt: '2026-03-04T22:59:59.999Z' });
    expect(only(judge(l, '2026-03-04T22:59:59.999Z')).state).toBe('on-time');
    expect(only(judge(l, '2026-03-04T23:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { weekdays: 1, hours: 1 } });
  });

  it('counts across a weekend: discharge Tuesday → the Thursday before; a Saturday send is late by 1 weekday', () => {
    const r = only(judge(warning('2026-03-10', ['REDUCED_CARE']), '2026-03-07T09:00:00.000Z'));
    expect(r).toMatchObject({ state: 'late', dueAt: '2026-03-05T22:59:59.999Z', lateBy: { weekdays: 1 } });
  });

  it('skips Easter 2026 and lands after the DST change (CEST)', () => {
    // Discharge Tue 2026-04-07: Mon 6, Fri 3, Thu 2 are holidays → Wed 1, Tue 31, Mon 30 March.
    const l2 = warning('2026-04-07', ['REDUCED_CARE']);
    expect(only(judge(l2, '2026-03-30T21:59:59.999Z'))).toMatchObject({ state: 'on-time', dueAt: '2026-03-30T21:59:59.999Z' });
    expect(only(judge(l2, '2026-03-31T08:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { weekdays: 1 } });
    // Sent on 2. påskedag: 31 Mar, 1 Apr counted, the Easter days not → 2 weekdays late.
    expect(only(judge(l2, '2026-04-06T08:00:00.000Z')).lateBy).toMatchObject({ weekdays: 2 });
  });

  it('Christmas: juleaftensdag is a weekday by default and closed under a profile calendar', () => {
    // Discharge Mon 2026-12-28: Fri 25 is juledag → Thu 24, Wed 23, Tue 22.
    expect(only(judge(warning('2026-12-28', ['REDUCED_CARE']), '2026-12-22T12:00:00.000Z')).dueAt).toBe('2026-12-22T22:59:59.999Z');
    const closed = withProfiles({ id: 'xmas', appliesTo: { municipalityEan: MUNICIPALITY }, calendar: { closedDays: { christmasEve: true } } });
    const r = only(judge(warning('2026-12-28', ['REDUCED_CARE']), '2026-12-22T12:00:00.000Z', closed));
    expect(r).toMatchObject({ state: 'late', dueAt: '2026-12-21T22:59:59.999Z', profiles: ['xmas'], lateBy: { weekdays: 1 } });
  });

  it('is the latest instant of discharge − 3 weekdays, for any date (property)', () => {
    const day = fc.integer({ min: 0, max: 730 }).map((n) => new Date(Date.UTC(2025, 0, 1 + n)).toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, fc.integer({ min: -5 * 86_400_000, max: 5 * 86_400_000 }), (discharge, delta) => {
        const limit = endOfDay(addWeekdays(discharge, -3));
        const sent = new Date(limit.getTime() + delta);
        const r = only(evaluateAtAcceptance(warning(discharge, ['REDUCED_CARE']), { sentAt: sent, senderEan: HOSPITAL, receiverEan: MUNICIPALITY }, RULES));
        expect(r.dueAt).toBe(limit.toISOString());
        expect(r.state).toBe(delta <= 0 ? 'on-time' : 'late');
      }),
      { numRuns: 300 },
    );
  });
});

describe('D3: special aids, at least 5 weekdays before discharge', () => {
  it('skips Ascension 2026-05-14', () => {
    // Discharge Fri 2026-05-15: Thu 14 holiday → Wed 13, Tue 12, Mon 11, Fri 8, Thu 7.
    const l = warning('2026-05-15', ['REDUCED_SPECIAL_AIDS']);
    expect(only(judge(l, '2026-05-07T21:59:59.999Z'))).toMatchObject({ ruleId: 'D3', state: 'on-time', dueAt: '2026-05-07T21:59:59.999Z' });
    expect(only(judge(l, '2026-05-06T10:00:00.000Z')).state).toBe('on-time');
    expect(only(judge(l, '2026-05-08T06:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { weekdays: 1 } });
  });

  it('skips Whitsun (2. pinsedag 2026-05-25)', () => {
    // Discharge Wed 2026-05-27: Tue 26, (Mon 25 holiday), Fri 22, Thu 21, Wed 20, Tue 19.
    const l = warning('2026-05-27', ['REDUCED_SPECIAL_AIDS']);
    expect(only(judge(l, '2026-05-19T21:59:59.999Z'))).toMatchObject({ state: 'on-time', dueAt: '2026-05-19T21:59:59.999Z' });
    expect(only(judge(l, '2026-05-19T22:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { weekdays: 1, hours: 1 } });
  });
});

describe('D4: housing changes, at least 14 calendar days before discharge', () => {
  it('is not moved off a holiday: discharge 2026-04-19 → påskedag 2026-04-05', () => {
    const l = warning('2026-04-19', ['REDUCED_HOUSING']);
    expect(only(judge(l, '2026-04-05T21:59:59.999Z'))).toMatchObject({ ruleId: 'D4', state: 'on-time', dueAt: '2026-04-05T21:59:59.999Z' });
    expect(only(judge(l, '2026-04-01T12:00:00.000Z')).state).toBe('on-time');
    expect(only(judge(l, '2026-04-06T08:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { calendarDays: 1 } });
  });

  it('ends the DST day 2026-10-25 at 23:59:59.999 CET', () => {
    const l = warning('2026-11-08', ['REDUCED_HOUSING']);
    expect(only(judge(l, '2026-10-25T22:59:59.999Z'))).toMatchObject({ state: 'on-time', dueAt: '2026-10-25T22:59:59.999Z' });
    expect(only(judge(l, '2026-10-25T23:00:00.000Z'))).toMatchObject({ state: 'late', lateBy: { calendarDays: 1, hours: 1 } });
  });
});

describe('discharge warnings: category selection', () => {
  it('uses the longest lead when several categories apply', () => {
    const r = only(judge(warning('2026-03-09', ['REDUCED_CARE', 'REDUCED_HOUSING']), '2026-03-01T10:00:00.000Z'));
    expect(r).toMatchObject({ ruleId: 'D4', state: 'late', supersedes: ['D2'] });
    const r2 = only(judge(warning('2026-03-09', ['UNCHANGED_SIMPLE_NURSING', 'REDUCED_SPECIAL_AIDS', 'REDUCED_CARE']), '2026-03-02T10:00:00.000Z'));
    expect(r2).toMatchObject({ ruleId: 'D3', state: 'on-time', dueAt: '2026-03-02T22:59:59.999Z' });
    expect(r2.supersedes).toEqual(['D1', 'D2']);
  });

  it('a warning without a category is not evaluable, with the reason', () => {
    for (const l of [warning('2026-03-09', []), letter('XDIS19', { plannedDischarge: at('2026-03-09') })]) {
      const r = only(judge(l, '2026-03-02T10:00:00.000Z'));
      expect(r).toMatchObject({ ruleId: 'D1-D4', state: 'not-evaluable' });
      expect(r.reason).toMatch(/XDIS19: the warning carries no warning category/);
    }
  });

  it("uses the profile's default category when the message names none", () => {
    const rules = withProfiles({ id: 'pair', appliesTo: { hospitalEan: HOSPITAL, municipalityEan: MUNICIPALITY }, defaultWarningCategory: 'REDUCED_CARE' });
    const r = only(judge(warning('2026-03-09', []), '2026-03-04T10:00:00.000Z', rules));
    expect(r).toMatchObject({ ruleId: 'D2', state: 'on-time' });
    expect(r.note).toMatch(/REDUCED_CARE assumed from profile pair/);
  });

  it('a warning without a discharge date is not evaluable but still listed', () => {
    const r = only(judge(letter('XDIS19', {}, { warningCategories: ['REDUCED_CARE'] }), '2026-03-02T10:00:00.000Z'));
    expect(r).toMatchObject({ ruleId: 'D2', state: 'not-evaluable', reason: 'the XDIS19 carries no PlannedDischarge or AgreedDischarge' });
  });

  it('counts XDIS21 with an AgreedDischarge like XDIS19, and ignores XDIS21 without one', () => {
    const l = letter('XDIS21', { agreedDischarge: at('2026-03-09') }, { warningCategories: ['REDUCED_CARE'] });
    expect(only(judge(l, '2026-03-04T22:59:59.999Z'))).toMatchObject({ ruleId: 'D2', state: 'on-time', dueAt: '2026-03-04T22:59:59.999Z' });
    expect(only(judge(l, '2026-03-05T08:00:00.000Z')).state).toBe('late');
    expect(judge(letter('XDIS21', {}, { warningCategories: ['REDUCED_CARE'] }), '2026-03-05T08:00:00.000Z')).toEqual([]);
  });

  it('judges each warning against the discharge date it carries (a later date does not cure a late one)', () => {
    const first = only(judge(warning('2026-03-09', ['REDUCED_CARE']), '2026-03-06T10:00:00.000Z'));
    const moved = only(judge(warning('2026-03-16', ['REDUCED_CARE']), '2026-03-06T10:00:00.000Z'));
    expect(first.state).toBe('late');
    expect(moved).toMatchObject({ state: 'on-time', dueAt: '2026-03-11T22:59:59.999Z' });
  });
});

describe('profiles', () => {
  const pairD2 = (id: string, amount: number, appliesTo: AgreementProfile['appliesTo']): AgreementProfile => ({ id, appliesTo, overrides: { D2: { offset: { amount } } } });

  it('a hospital–municipality pair with D2 = 4 weekdays, in either direction, and not for other pairs', () => {
    const rules = withProfiles(pairD2('pair', 4, { hospitalEan: HOSPITAL, municipalityEan: MUNICIPALITY }));
    const l = warning('2026-03-09', ['REDUCED_CARE']);
    expect(only(judge(l, '2026-03-04T10:00:00.000Z', rules))).toMatchObject({ state: 'late', dueAt: '2026-03-03T22:59:59.999Z', profiles: ['pair'] });
    const reversed = evaluateAtAcceptance(l, { sentAt: new Date('2026-03-03T10:00:00.000Z'), senderEan: MUNICIPALITY, receiverEan: HOSPITAL }, rules);
    expect(only(reversed)).toMatchObject({ state: 'on-time', dueAt: '2026-03-03T22:59:59.999Z' });
    const other = only(judge(l, '2026-03-04T10:00:00.000Z', rules, OTHER_MUNICIPALITY));
    expect(other).toMatchObject({ state: 'on-time', dueAt: '2026-03-04T22:59:59.999Z' });
    expect(other.profiles).toBeUndefined();
  });

  it('the most specific profile wins: pair over municipality over cluster', () => {
    const rules = withProfiles(
      pairD2('pair', 4, { hospitalEan: HOSPITAL, municipalityEan: MUNICIPALITY }),
      pairD2('muni', 6, { municipalityEan: MUNICIPALITY }),
      pairD2('cluster', 5, { cluster: 'Vest' }),
    );
    const effective = resolveRules(rules, { senderEan: HOSPITAL, receiverEan: MUNICIPALITY, clusters: ['Vest'] });
    expect(effective.profiles).toEqual(['cluster', 'muni', 'pair']);
    expect(effective.rules.find((r) => r.id === 'D2')).toMatchObject({ offset: { unit: 'weekdays', amount: 4, direction: 'before', at: 'end-of-day' } });
    const clusterOnly = resolveRules(rules, { senderEan: HOSPITAL, receiverEan: OTHER_MUNICIPALITY, clusters: ['Vest'] });
    expect(clusterOnly.rules.find((r) => r.id === 'D2')).toMatchObject({ offset: { amount: 5 } });
  });

  it('can disable a rule and remove a due mark', () => {
    const rules = withProfiles(XDIS16_AGREED, { id: 'p', appliesTo: { municipalityEan: MUNICIPALITY, hospitalEan: HOSPITAL }, overrides: { 'RM-XDIS16-24H': { enabled: false }, D1: { target: null } } });
    const advice = letter('XDIS20', { admission: at('2026-03-02') });
    expect(judge(advice, '2026-03-02T10:00:00.000Z', rules).map((r) => r.ruleId)).toEqual(['D19']);
    const d1 = only(judge(warning('2026-03-09', ['UNCHANGED_SIMPLE_NURSING']), '2026-03-09T10:00:00.000Z', rules));
    expect(d1).toMatchObject({ state: 'on-time', dueAt: '2026-03-09T12:00:00.000Z' });
    expect(d1.lateAfter).toBeUndefined();
  });
  it('can narrow what starts a rule (XDIS16 report only after acute or open admissions) and retitle it', () => {
    const rules = withProfiles(XDIS16_AGREED, {
      id: 'acute-only',
      appliesTo: { region: 'Region Midtjylland' },
      overrides: {
        'RM-XDIS16-24H': { title: 'Indlæggelsesrapport inden 24 timer', startedBy: { types: ['XDIS20'], condition: { admissionKind: ['ACUTE', 'OPEN'] } } },
      },
    });
    const advice = (kind: 'PLANNED' | 'ACUTE') => letter('XDIS20', { admission: at('2026-03-02') }, { admissionKind: kind });
    const context = { sentAt: new Date('2026-03-02T10:00:00.000Z'), senderEan: HOSPITAL, receiverEan: MUNICIPALITY, region: 'Region Midtjylland' };
    expect(evaluateAtAcceptance(advice('PLANNED'), context, rules).map((r) => r.ruleId)).toEqual(['D19']);
    const acute = evaluateAtAcceptance(advice('ACUTE'), context, rules);
    expect(only(acute, 'RM-XDIS16-24H')).toMatchObject({ title: 'Indlæggelsesrapport inden 24 timer', profiles: ['acute-only', 'xdis16-agreed'] });
    // Without the region in the context the region profile does not apply.
    expect(judge(advice('PLANNED'), '2026-03-02T10:00:00.000Z', rules).map((r) => r.ruleId)).toEqual(['D19', 'RM-XDIS16-24H']);
  });
});

describe('RM-XDIS16-24H is a local agreement, not a seed rule: opt-in by profile', () => {
  const advice = (extension?: Partial<GatewayExtension>) => letter('XDIS20', { admission: at('2026-03-02') }, extension);

  it('is marked a local agreement and disabled in the default Region Midtjylland set', () => {
    const rule = RULES.rules.find((r) => r.id === 'RM-XDIS16-24H');
    expect(rule).toMatchObject({ localAgreement: true, enabled: false, source: [{ file: 'local-agreement' }] });
    expect(judge(advice(), '2026-03-02T10:00:00.000Z').map((r) => r.ruleId)).toEqual(['D19']);
  });

  it('starts where a profile enables it, but not on a psychiatric admission (004 L6151–6161 is psychiatry\'s own procedure) unless the profile says so', () => {
    expect(judge(advice(), '2026-03-02T10:00:00.000Z', WITH_XDIS16).map((r) => r.ruleId)).toEqual(['D19', 'RM-XDIS16-24H']);
    expect(judge(advice({ psychiatric: true }), '2026-03-02T10:00:00.000Z', WITH_XDIS16).map((r) => r.ruleId)).toEqual(['D21', 'D21-GP']);
    const withPsychiatry = withProfiles({ ...XDIS16_AGREED, overrides: { 'RM-XDIS16-24H': { enabled: true, startedBy: { types: ['XDIS20'] } } } });
    expect(judge(advice({ psychiatric: true }), '2026-03-02T10:00:00.000Z', withPsychiatry).map((r) => r.ruleId)).toEqual(['D21', 'D21-GP', 'RM-XDIS16-24H']);
  });

  it('the loader refuses a local agreement enabled in the default set', () => {
    const bad = structuredClone(RULES) as unknown as { rules: Record<string, unknown>[] };
    const rule = bad.rules.find((r) => r.id === 'RM-XDIS16-24H') as Record<string, unknown>;
    delete rule.enabled;
    expect(() => parseDeadlineRules(bad, 'x.json')).toThrow(/is a local agreement, not a seed rule/);
  });
});

describe('D19: admission advice by the end of the admission day', () => {
  it('on time, at the limit, late (CET)', () => {
    const l = letter('XDIS20', { admission: at('2026-03-27', '22:00') });
    const d19 = (sent: string) => only(judge(l, sent), 'D19');
    expect(d19('2026-03-27T21:30:00.000Z')).toMatchObject({ state: 'on-time', dueAt: '2026-03-27T22:59:59.999Z' });
    expect(d19('2026-03-27T22:59:59.999Z').state).toBe('on-time');
    expect(d19('2026-03-28T08:00:00.000Z')).toMatchObject({ state: 'late', lateBy: { calendarDays: 1, hours: 10 } });
  });

  it('ends the spring DST day at 21:59:59.999Z', () => {
    const r = only(judge(letter('XDIS20', { admission: at('2026-03-29', '01:30') }), '2026-03-29T21:59:59.999Z'), 'D19');
    expect(r).toMatchObject({ state: 'on-time', dueAt: '2026-03-29T21:59:59.999Z' });
  });

  it('without an admission date: not evaluable', () => {
    expect(only(judge(letter('XDIS20', {}), '2026-03-29T10:00:00.000Z'), 'D19')).toMatchObject({ state: 'not-evaluable', reason: 'the XDIS20 carries no Admission' });
  });
});

describe('D21 and D21-GP: "Straks efter en indlæggelse (senest den førstkommende hverdag) … Den praktiserende læge orienteres tilsvarende" (004 L6153–6159)', () => {
  const psych = (date: string, time = '10:00') => letter('XDIS20', { admission: at(date, time) }, { psychiatric: true });

  // The earlier reading gave a weekday admission until the end of the next weekday; "førstkommende
  // hverdag" is the admission day itself when it is a weekday (calendar.nextWeekday, domain.md §3.9.6).
  it('replaces D19; a weekday admission is due by the end of that day: Wednesday 2026-04-01', () => {
    const results = judge(psych('2026-04-01'), '2026-04-01T15:00:00.000Z');
    expect(results.map((r) => r.ruleId).sort()).toEqual(['D21', 'D21-GP']);
    expect(only(results, 'D21')).toMatchObject({ state: 'on-time', dueAt: '2026-04-01T21:59:59.999Z' });
    expect(only(results, 'D21').lateAfter).toBeUndefined();
    expect(only(judge(psych('2026-04-01'), '2026-04-01T21:59:59.999Z'), 'D21').state).toBe('on-time');
    expect(only(judge(psych('2026-04-01'), '2026-04-02T08:00:00.000Z'), 'D21')).toMatchObject({ state: 'late', lateBy: { weekdays: 0, hours: 11 } });
  });

  it('a Monday admission is due by the end of Monday, not Tuesday', () => {
    expect(only(judge(psych('2026-03-09'), '2026-03-09T22:59:59.999Z'), 'D21').state).toBe('on-time');
    expect(only(judge(psych('2026-03-09'), '2026-03-10T10:00:00.000Z'), 'D21')).toMatchObject({ state: 'late', lateBy: { weekdays: 1 } });
  });

  it('a Saturday admission is due by the end of Monday', () => {
    expect(only(judge(psych('2026-03-07'), '2026-03-09T22:59:59.999Z'), 'D21')).toMatchObject({ state: 'on-time', dueAt: '2026-03-09T22:59:59.999Z' });
    expect(only(judge(psych('2026-03-07'), '2026-03-09T23:00:00.000Z'), 'D21').state).toBe('late');
  });

  it('skips holidays: admission on langfredag 2026-04-03 → the end of Tuesday 2026-04-07', () => {
    expect(only(judge(psych('2026-04-03'), '2026-04-07T12:00:00.000Z'), 'D21')).toMatchObject({ state: 'on-time', dueAt: '2026-04-07T21:59:59.999Z' });
  });

  it('D21-GP: the GP notice is its own obligation of the ward, pending until reported, with the same limit', () => {
    const tracked = trackAtAcceptance(psych('2026-03-07'), ctx('2026-03-07T12:00:00.000Z'), RULES).find((t) => t.evaluation.ruleId === 'D21-GP');
    expect(tracked?.evaluation).toMatchObject({ state: 'pending', obligedEan: HOSPITAL, dueAt: '2026-03-09T22:59:59.999Z' });
    expect(tracked?.evaluation.note).toMatch(/explicit fulfilment by the sender/);
    expect(tracked?.lateLimit).toEqual({ instant: new Date('2026-03-09T22:59:59.999Z'), unit: 'nextWeekday', day: '2026-03-09' });
    expect(judgeFulfilment(tracked?.lateLimit as NonNullable<typeof tracked>['lateLimit'] & object, new Date('2026-03-10T08:00:00.000Z'), {})).toMatchObject({ state: 'late', lateBy: { weekdays: 1 } });
  });

  it('a somatic admission starts neither', () => {
    expect(judge(letter('XDIS20', { admission: at('2026-03-09') }), '2026-03-09T10:00:00.000Z').map((r) => r.ruleId)).toEqual(['D19']);
  });
});

describe('D23: "Patientens praktiserende læge orienteres skriftligt om udskrivning … senest efter 7 dage" (004 L6225–6229)', () => {
  it('a psychiatric discharge advice starts the GP letter obligation of the ward: the end of the 7th calendar day after, no weekend roll', () => {
    const advice = letter('XDIS17', { discharge: at('2026-03-06') }, { psychiatric: true });
    const tracked = trackAtAcceptance(advice, ctx('2026-03-06T10:00:00.000Z'), RULES).find((t) => t.evaluation.ruleId === 'D23');
    expect(tracked?.evaluation).toMatchObject({ state: 'pending', obligedEan: HOSPITAL, dueAt: '2026-03-13T22:59:59.999Z' });
    expect(judgeFulfilment(tracked?.lateLimit as NonNullable<NonNullable<typeof tracked>['lateLimit']>, new Date('2026-03-14T08:00:00.000Z'), {})).toMatchObject({ state: 'late', lateBy: { calendarDays: 1 } });
  });

  it('a somatic discharge advice does not start it', () => {
    expect(judge(letter('XDIS17', { discharge: at('2026-03-06') }), '2026-03-06T10:00:00.000Z').map((r) => r.ruleId)).toEqual([]);
  });
});

describe('pending rules: D10, D17, RM-XDIS16-24H', () => {
  it('D17: 24 elapsed hours across the spring DST change', () => {
    const request = letter('XDIS91', { correspondence: { subject: 'Oplysninger' } }, { requestForInformation: true });
    const r = only(judge(request, '2026-03-28T09:00:00.000Z'));
    expect(r).toMatchObject({ ruleId: 'D17', state: 'pending', dueAt: '2026-03-29T09:00:00.000Z', reference: '2026-03-28T09:00:00.000Z' });
    expect(r.note).toMatch(/XDIS91\/XDIS90 from the receiver for the same patient/);
    expect(judge(letter('XDIS91', {}, {}), '2026-03-28T09:00:00.000Z')).toEqual([]);
  });

  it('RM-XDIS16-24H, where a profile enables it: due 24 hours after the advice, across the autumn DST change', () => {
    const r = only(judge(letter('XDIS20', { admission: at('2026-10-24', '21:00') }), '2026-10-24T20:00:00.000Z', WITH_XDIS16), 'RM-XDIS16-24H');
    expect(r).toMatchObject({ state: 'pending', dueAt: '2026-10-25T20:00:00.000Z', severity: 'info', profiles: ['xdis16-agreed'] });
  });

  it('D10: a discharge advice announcing retraining waits for the plan until the discharge instant, breached at the end of the day', () => {
    // Discharge 2026-10-25 10:00 local = 09:00Z (CET, the day the clocks went back).
    const advice = letter('XDIS17', { discharge: at('2026-10-25') }, { retrainingExpected: true });
    const r = only(judge(advice, '2026-10-25T09:30:00.000Z'), 'D10');
    expect(r).toMatchObject({ state: 'pending', dueAt: '2026-10-25T09:00:00.000Z', breachAt: '2026-10-25T22:59:59.999Z', obligedEan: HOSPITAL });
    expect(r.note).toMatch(/GGOP from the sender for the same patient/);
    expect(judge(letter('XDIS17', { discharge: at('2026-10-25') }), '2026-10-25T09:30:00.000Z').filter((e) => e.ruleId === 'D10')).toEqual([]);
    // A warning that announces retraining does not start D10: the discharge advice does.
    expect(judge(warning('2026-10-25', ['REDUCED_CARE'], { retrainingExpected: true }), '2026-10-20T10:00:00.000Z').map((e) => e.ruleId)).toEqual(['D2']);
  });

  it('D10: an advice without a discharge time cannot be evaluated', () => {
    expect(only(judge(letter('XDIS17', {}, { retrainingExpected: true }), '2026-10-25T09:30:00.000Z'), 'D10')).toMatchObject({
      state: 'not-evaluable',
      reason: 'the XDIS17 carries no Discharge',
    });
  });
});

describe('D7: first contact within 3 weekdays of the plan', () => {
  const plan = (type: string) => letter('GGOP', { rehabilitation: { type } });

  it('an ordinary plan arriving on a Monday is due by the end of Thursday, obliging the receiver', () => {
    const tracked = trackAtAcceptance(plan('ZZ0175X'), ctx('2026-03-09T08:00:00.000Z'), RULES);
    const d7 = tracked.find((t) => t.evaluation.ruleId === 'D7');
    expect(d7?.evaluation).toMatchObject({ state: 'pending', dueAt: '2026-03-12T22:59:59.999Z', obligedEan: MUNICIPALITY });
    expect(d7?.evaluation.note).toMatch(/explicit fulfilment by the endpoint performing the retraining/);
    expect(d7?.evaluation.reference).toBe('2026-03-09T08:00:00.000Z');
    expect(d7?.lateLimit).toEqual({ instant: new Date('2026-03-12T22:59:59.999Z'), unit: 'weekdays', day: '2026-03-12' });
    expect(d7?.breachAt).toEqual(new Date('2026-03-12T22:59:59.999Z'));
  });

  it('a specialised plan arriving on a Saturday is due by the end of Wednesday; across Easter the holidays are skipped', () => {
    expect(only(judge(plan('ZZ0175Y'), '2026-03-14T10:00:00.000Z'), 'D7').dueAt).toBe('2026-03-18T22:59:59.999Z');
    // Arrival Wednesday 2026-04-01: Thursday 2nd (skærtorsdag), Friday 3rd (langfredag), Monday 6th (2. påskedag) are not weekdays.
    expect(only(judge(plan('ZZ0175X'), '2026-04-01T10:00:00.000Z'), 'D7').dueAt).toBe('2026-04-09T21:59:59.999Z');
  });

  it('counts from the discharge when it is later than the arrival (laterOf)', () => {
    const withDischarge = letter('GGOP', { rehabilitation: { type: 'ZZ0175X' }, discharge: at('2026-03-16') });
    const r = only(judge(withDischarge, '2026-03-09T08:00:00.000Z'), 'D7');
    expect(r).toMatchObject({ reference: '2026-03-16', dueAt: '2026-03-19T22:59:59.999Z' });
    // Discharged before the plan arrived: the arrival counts.
    const earlier = letter('GGOP', { rehabilitation: { type: 'ZZ0175X' }, discharge: at('2026-03-02') });
    expect(only(judge(earlier, '2026-03-09T08:00:00.000Z'), 'D7').reference).toBe('2026-03-09T08:00:00.000Z');
  });

  it('a self-training plan (ZZ0175Z) or a plan without a type starts no D7', () => {
    expect(judge(plan('ZZ0175Z'), '2026-03-09T08:00:00.000Z')).toEqual([]);
    expect(judge(letter('GGOP', {}), '2026-03-09T08:00:00.000Z')).toEqual([]);
  });
});

describe('D7 counts from the episode\'s discharge — "senest 3 hverdage efter, at borgeren og kommunen/hospitalet har modtaget genoptræningsplanen" (004 L2375–2377)', () => {
  const plan = () => letter('GGOP', { rehabilitation: { type: 'ZZ0175X', deadline: { date: '2026-03-12' } } });

  it('waits (awaiting-start, no limit) while no discharge of the episode has been seen: the citizen may not have the plan yet', () => {
    const tracked = trackAtAcceptance(plan(), ctx('2026-03-09T08:00:00.000Z', MUNICIPALITY, undefined, null), RULES).find((t) => t.evaluation.ruleId === 'D7');
    expect(tracked?.evaluation).toMatchObject({ state: 'awaiting-start', obligedEan: MUNICIPALITY, awaits: { what: 'episode-discharge', stated: { date: '2026-03-12' } } });
    expect(tracked?.evaluation.dueAt).toBeUndefined();
    expect(tracked?.evaluation.reason).toMatch(/no discharge of its episode has been seen yet: it starts when the discharge advice \(XDIS17\)/);
    expect(tracked?.breachAt).toBeUndefined();
  });

  it('a discharge after the plan\'s arrival (a plan sent days before discharge) is the start: Friday\'s discharge → the next Wednesday', () => {
    const discharge: EpisodeDischarge = { kind: 'planned', date: '2026-03-13', instant: new Date('2026-03-13T09:00:00.000Z'), label: 'the XDIS19 PlannedDischarge' };
    const later = letter('GGOP', { rehabilitation: { type: 'ZZ0175X', deadline: { date: '2026-03-18' } } });
    const d7 = only(evaluateAtAcceptance(later, ctx('2026-03-09T08:00:00.000Z', MUNICIPALITY, undefined, discharge), RULES), 'D7');
    expect(d7).toMatchObject({ state: 'pending', reference: '2026-03-13', dueAt: '2026-03-18T22:59:59.999Z' });
    expect(d7.note).toMatch(/counted from the XDIS19 PlannedDischarge 2026-03-13 of the same episode, later than the arrival/);
  });

  it('a discharge before the arrival leaves the arrival the start', () => {
    expect(only(evaluateAtAcceptance(plan(), ctx('2026-03-09T08:00:00.000Z'), RULES), 'D7').reference).toBe('2026-03-09T08:00:00.000Z');
  });
});

describe('D7: who is obliged — "skal bopælskommunen (ved almindelig ambulant genoptræning) eller hospitalet (ved specialiseret ambulant genoptræning) kontakte borgeren" (004 L2369–2373)', () => {
  const PERFORMING = '5790000400006';
  const GP_EAN = '5790000500003';
  const kinds = { [HOSPITAL]: 'hospital', [MUNICIPALITY]: 'municipality', [PERFORMING]: 'hospital', [GP_EAN]: 'gp' } as const;
  const specialised = (ccs: string[] = []): Letter => ({
    ...letter('GGOP', { rehabilitation: { type: 'ZZ0175Y' } }),
    ccReceivers: ccs.map((ean) => ({ ean })),
  });
  const d7Of = (l: Letter) => only(evaluateAtAcceptance(l, { ...ctx('2026-03-09T08:00:00.000Z'), partyKinds: kinds }, RULES), 'D7');

  it('a specialised plan to the municipality obliges the issuing hospital, which performs the retraining (R-SPEC-OWN)', () => {
    expect(d7Of(specialised()).obligedEan).toBe(HOSPITAL);
    expect(d7Of(specialised()).note).toMatch(/endpoint performing the retraining/);
  });

  it('a specialised plan naming a performing hospital obliges that hospital, not the municipality, the issuer or the GP copy', () => {
    expect(d7Of(specialised([GP_EAN, PERFORMING])).obligedEan).toBe(PERFORMING);
  });

  it('an ordinary plan obliges the municipality, also when the plan names it as a copy', () => {
    expect(d7Of(letter('GGOP', { rehabilitation: { type: 'ZZ0175X' } })).obligedEan).toBe(MUNICIPALITY);
    const toGpWithMunicipalityCopy: Letter = { ...letter('GGOP', { rehabilitation: { type: 'ZZ0175X' } }), receiver: { ean: GP_EAN }, ccReceivers: [{ ean: MUNICIPALITY }] };
    expect(d7Of(toGpWithMunicipalityCopy).obligedEan).toBe(MUNICIPALITY);
  });
});

describe('D7 and D16: the plan\'s own RehabilitationDeadline — "skal angive det seneste tidspunkt for bopælskommunens første kontakt" (002 L254)', () => {
  const planWith = (deadline?: string, type = 'ZZ0175X') =>
    letter('GGOP', { rehabilitation: { type, ...(deadline !== undefined ? { deadline: { date: deadline } } : {}) } });
  // Arrival Monday 2026-03-09: the agreement's 3 weekdays end Thursday 2026-03-12 (CET).

  it('an earlier stated date is the limit (end of that day), with a note, and no D16 warning', () => {
    const results = judge(planWith('2026-03-10'), '2026-03-09T08:00:00.000Z');
    expect(results.map((r) => r.ruleId)).toEqual(['D7']);
    expect(only(results, 'D7')).toMatchObject({ state: 'pending', dueAt: '2026-03-10T22:59:59.999Z' });
    expect(only(results, 'D7').note).toMatch(/RehabilitationDeadline \(2026-03-10 23:59\) is earlier than the agreement's limit \(2026-03-12 23:59\)/);
    const tracked = trackAtAcceptance(planWith('2026-03-10'), ctx('2026-03-09T08:00:00.000Z'), RULES).find((t) => t.evaluation.ruleId === 'D7');
    expect(tracked?.breachAt).toEqual(new Date('2026-03-10T22:59:59.999Z'));
    expect(tracked?.lateLimit?.day).toBe('2026-03-10');
  });

  it('a stated time of day is kept', () => {
    const l = letter('GGOP', { rehabilitation: { type: 'ZZ0175Y', deadline: { date: '2026-03-10', time: '12:00' } } });
    expect(only(judge(l, '2026-03-09T08:00:00.000Z'), 'D7').dueAt).toBe('2026-03-10T11:00:00.000Z');
  });

  it('the same date as the agreement\'s limit is neither a warning nor a change', () => {
    const results = judge(planWith('2026-03-12'), '2026-03-09T08:00:00.000Z');
    expect(results.map((r) => r.ruleId)).toEqual(['D7']);
    expect(only(results, 'D7').note).not.toMatch(/RehabilitationDeadline/);
  });

  it('a later stated date is a D16 warning — "Regioner og kommuner skal indgå aftaler om dette seneste tidspunkt" (002 L262) — and D7 keeps 3 weekdays', () => {
    const results = judge(planWith('2026-03-13'), '2026-03-09T08:00:00.000Z');
    expect(only(results, 'D7').dueAt).toBe('2026-03-12T22:59:59.999Z');
    expect(only(results, 'D16')).toMatchObject({ state: 'validation-warning', obligedEan: HOSPITAL, reference: '2026-03-13', dueAt: '2026-03-12T22:59:59.999Z' });
    expect(only(results, 'D16').reason).toMatch(/later than the agreement allows/);
  });

  it('a plan without the date is a D16 warning: the plan must state it', () => {
    expect(only(judge(planWith(), '2026-03-09T08:00:00.000Z'), 'D16').reason).toMatch(/states no RehabilitationDeadline/);
  });

  it('a self-training plan needs no first-contact date', () => {
    expect(judge(planWith(undefined, 'ZZ0175Z'), '2026-03-09T08:00:00.000Z')).toEqual([]);
  });

  it('the loader refuses a stated-limit check against a rule without a statedLimit', () => {
    const d16 = RULES.rules.find((r) => r.id === 'D16');
    expect(() => parseDeadlineRules({ ...RULES, rules: [...RULES.rules.filter((r) => r.id !== 'D16'), { ...d16, against: 'D2' }] }, 'bad.json')).toThrow(/needs "against"/);
  });
});

describe('D26: child and youth psychiatry, 14 days before a planned end', () => {
  const carePlan = (end: string) => letter('XDIS21', { expectedEndOfTreatment: at(end) }, { childYouthPsychiatry: true });

  it('on time exactly at the end of the 14th day before, late a minute after; no weekend roll', () => {
    // End Sunday 2026-06-14 → limit Sunday 2026-05-31 23:59:59.999 (CEST).
    expect(only(judge(carePlan('2026-06-14'), '2026-05-31T21:59:59.999Z'), 'D26')).toMatchObject({ state: 'on-time', dueAt: '2026-05-31T21:59:59.999Z' });
    expect(only(judge(carePlan('2026-06-14'), '2026-05-31T22:00:00.000Z'), 'D26')).toMatchObject({ state: 'late', lateBy: { calendarDays: 1, hours: 1 } });
  });

  it('is not started without the ChildYouthPsychiatry mark', () => {
    expect(judge(letter('XDIS21', { expectedEndOfTreatment: at('2026-06-14') }), '2026-05-01T10:00:00.000Z')).toEqual([]);
  });
});

describe('judging a fulfilment against a stored late limit', () => {
  const weekdayLimit = { instant: new Date('2026-03-12T22:59:59.999Z'), unit: 'weekdays' as const, day: '2026-03-12' };

  it('on time at the limit, late one millisecond after', () => {
    expect(judgeFulfilment(weekdayLimit, new Date('2026-03-12T22:59:59.999Z'), {})).toEqual({ state: 'on-time' });
    expect(judgeFulfilment(weekdayLimit, new Date('2026-03-12T23:00:00.000Z'), {})).toEqual({ state: 'late', lateBy: { weekdays: 1, hours: 1 } });
  });

  it('late over a weekend counts weekdays and hours; hour limits count hours only', () => {
    expect(judgeFulfilment(weekdayLimit, new Date('2026-03-16T08:00:00.000Z'), {})).toEqual({ state: 'late', lateBy: { weekdays: 2, hours: 82 } });
    expect(judgeFulfilment({ instant: new Date('2026-03-29T09:00:00.000Z'), unit: 'hours' }, new Date('2026-03-29T11:30:00.000Z'), {})).toEqual({
      state: 'late',
      lateBy: { hours: 3 },
    });
  });
});

describe('D28: "Færdigbehandlingsdagen skal være en hverdag, mandag – fredag" (004 L7557–7559), child and youth psychiatry only', () => {
  const discharge = (date: string, childYouth = true) =>
    letter('XDIS18', { endOfTreatment: at(date), discharge: at(date) }, childYouth ? { childYouthPsychiatry: true } : undefined);

  it('warns for a Saturday and a Sunday, not for a weekday or a missing date', () => {
    expect(only(judge(discharge('2026-03-07'), '2026-03-07T10:00:00.000Z'))).toMatchObject({
      ruleId: 'D28',
      state: 'validation-warning',
      reason: 'EndOfTreatment 2026-03-07 is a Saturday, not a weekday (Monday–Friday)',
    });
    expect(only(judge(discharge('2026-03-08'), '2026-03-08T10:00:00.000Z')).reason).toMatch(/is a Sunday/);
    expect(judge(discharge('2026-03-09'), '2026-03-09T10:00:00.000Z')).toEqual([]);
    expect(judge(letter('XDIS18', {}, { childYouthPsychiatry: true }), '2026-03-09T10:00:00.000Z')).toEqual([]);
  });

  it('a holiday on a Monday–Friday is no warning: the seed names the days (langfredag 2026-04-03)', () => {
    expect(judge(discharge('2026-04-03'), '2026-04-03T10:00:00.000Z')).toEqual([]);
  });

  it('a profile may count holidays too', () => {
    const rules = withProfiles({ id: 'holidays', appliesTo: { municipalityEan: MUNICIPALITY }, overrides: { D28: { countHolidays: true } } });
    expect(only(judge(discharge('2026-04-03'), '2026-04-03T10:00:00.000Z', rules)).reason).toBe(
      'EndOfTreatment 2026-04-03 is Langfredag, not a weekday (Monday–Friday, not a holiday)',
    );
  });

  it('is not checked outside child and youth psychiatry (a somatic Saturday discharge)', () => {
    expect(judge(discharge('2026-03-07', false), '2026-03-07T10:00:00.000Z')).toEqual([]);
    expect(judge(letter('XDIS19', { plannedDischarge: at('2026-03-20'), endOfTreatment: at('2026-03-14') }, { warningCategories: ['REDUCED_CARE'] }), '2026-03-10T10:00:00.000Z').map((r) => r.ruleId)).toEqual(['D2']);
  });
});

describe('the loader', () => {
  const good = JSON.parse(JSON.stringify(RULES)) as { rules: Record<string, unknown>[]; profiles: unknown[] };

  function problemsOf(fn: () => unknown): string {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(DeadlineRulesError);
      return (error as Error).message;
    }
    throw new Error('expected a DeadlineRulesError');
  }

  it('names the file and JSON path of a bad offset, with a fix', () => {
    const bad = structuredClone(good);
    (bad.rules[1] as { offset: unknown }).offset = { unit: 'weeks', amount: 3, direction: 'before', at: 'end-of-day' };
    const message = problemsOf(() => parseDeadlineRules(bad, 'config/bad.json'));
    expect(message).toContain('config/bad.json#/rules/1/offset');
    expect(message).toMatch(/write \{"unit":"weekdays"/);
  });

  it('refuses an unknown message type, a bad clock time and a misspelt property', () => {
    const bad = structuredClone(good);
    (bad.rules[0] as { startedBy: { types: string[] } }).startedBy.types = ['XDIS99'];
    (bad.rules[0] as { target: { at: string } }).target.at = '12.00';
    (bad.rules[2] as Record<string, unknown>).severty = 'error';
    const message = problemsOf(() => parseDeadlineRules(bad, 'config/bad.json'));
    expect(message).toContain('config/bad.json#/rules/0/startedBy/types/0');
    expect(message).toContain('config/bad.json#/rules/0/target/at');
    expect(message).toContain('"severty"');
  });

  it('refuses "delivery-receipt" evidence: a warning counts when the gateway took it, and says so', () => {
    const bad = structuredClone(good);
    const index = bad.rules.findIndex((r) => (r as { fulfilledBy?: { kind: string } }).fulfilledBy?.kind === 'starting-message');
    (bad.rules[index] as { fulfilledBy: unknown }).fulfilledBy = { kind: 'starting-message', evidence: 'delivery-receipt' };
    const message = problemsOf(() => parseDeadlineRules(bad, 'config/bad.json'));
    expect(message).toContain(`config/bad.json#/rules/${index}/fulfilledBy/evidence`);
    expect(message).toContain('write "gateway-arrival"');
  });

  it('refuses duplicate ids, unknown groups and overrides of unknown rules', () => {
    const bad = structuredClone(good);
    (bad.rules[3] as { id: string }).id = 'D2';
    (bad.rules[4] as { group: string }).group = 'nope';
    bad.profiles = [{ id: 'p', appliesTo: { cluster: 'Vest' }, overrides: { D99: { enabled: false } } }];
    const message = problemsOf(() => parseDeadlineRules(bad, 'x.json'));
    expect(message).toContain('x.json#/rules/3/id: "D2" is used twice');
    expect(message).toContain('x.json#/rules/4/group: no group "nope"');
    expect(message).toContain('x.json#/profiles/0/overrides/D99: no rule "D99"');
  });

  it('checks an override merged onto its rule', () => {
    const bad = structuredClone(good);
    bad.profiles = [{ id: 'p', appliesTo: { cluster: 'Vest' }, overrides: { D28: { offset: { amount: 2 } } } }];
    expect(problemsOf(() => parseDeadlineRules(bad, 'x.json'))).toMatch(/x\.json#\/profiles\/0\/overrides\/D28\(merged onto \/rules\/\d+\)/);
  });

  it('reports JSON syntax errors and unreadable files with the file name', () => {
    expect(problemsOf(() => parseDeadlineRulesText('{ "rules": [', 'config/broken.json'))).toContain('config/broken.json: not valid JSON');
    expect(problemsOf(() => loadDeadlineRules('/nonexistent/deadline-rules.json'))).toContain('cannot read /nonexistent/deadline-rules.json');
  });
});

describe('correlated and explicit deadlines: judged when the fulfilment comes, at and just past the limit', () => {
  const limitOf = (l: Letter, sentAt: string, ruleId: string, rules: DeadlineRuleSet = RULES) => {
    const tracked = trackAtAcceptance(l, ctx(sentAt), rules).find((t) => t.evaluation.ruleId === ruleId);
    expect(tracked?.lateLimit, ruleId).toBeDefined();
    return tracked as Required<Pick<NonNullable<typeof tracked>, 'lateLimit' | 'breachAt'>> & NonNullable<typeof tracked>;
  };

  it('D17: an answer exactly 24 elapsed hours after the request is on time, a millisecond later is late (spring DST in between)', () => {
    const request = letter('XDIS91', {}, { requestForInformation: true });
    const { lateLimit } = limitOf(request, '2026-03-28T09:00:00.000Z', 'D17');
    expect(judgeFulfilment(lateLimit, new Date('2026-03-29T09:00:00.000Z'), {})).toEqual({ state: 'on-time' });
    expect(judgeFulfilment(lateLimit, new Date('2026-03-29T09:00:00.001Z'), {})).toEqual({ state: 'late', lateBy: { hours: 1 } });
  });

  it('RM-XDIS16-24H: 24 elapsed hours across the autumn DST change (25 wall-clock hours)', () => {
    const { lateLimit, breachAt } = limitOf(letter('XDIS20', { admission: at('2026-10-24', '21:00') }), '2026-10-24T20:00:00.000Z', 'RM-XDIS16-24H', WITH_XDIS16);
    expect(breachAt.toISOString()).toBe('2026-10-25T20:00:00.000Z');
    expect(judgeFulfilment(lateLimit, new Date('2026-10-25T20:00:00.000Z'), {}).state).toBe('on-time');
    expect(judgeFulfilment(lateLimit, new Date('2026-10-25T20:00:00.001Z'), {}).state).toBe('late');
  });

  it('D10 on Christmas Eve: the plan at the discharge instant is on time, after it late by the hour; breached only at the end of the day', () => {
    const advice = letter('XDIS17', { discharge: at('2026-12-24', '10:00') }, { retrainingExpected: true });
    const { lateLimit, breachAt } = limitOf(advice, '2026-12-24T08:00:00.000Z', 'D10');
    expect(lateLimit.instant.toISOString()).toBe('2026-12-24T09:00:00.000Z');
    expect(breachAt.toISOString()).toBe('2026-12-24T22:59:59.999Z');
    expect(judgeFulfilment(lateLimit, new Date('2026-12-24T09:00:00.000Z'), {}).state).toBe('on-time');
    expect(judgeFulfilment(lateLimit, new Date('2026-12-24T09:00:00.001Z'), {})).toEqual({ state: 'late', lateBy: { hours: 1 } });
  });

  it('D7 across Ascension and Whitsun: holidays are not counted', () => {
    const plan = letter('GGOP', { rehabilitation: { type: 'ZZ0175X' } });
    // Wednesday 2026-05-13; Thursday 14th is Kristi himmelfartsdag: Friday 15, Monday 18, Tuesday 19.
    const ascension = limitOf(plan, '2026-05-13T08:00:00.000Z', 'D7').lateLimit;
    expect(ascension).toEqual({ instant: new Date('2026-05-19T21:59:59.999Z'), unit: 'weekdays', day: '2026-05-19' });
    expect(judgeFulfilment(ascension, new Date('2026-05-19T21:59:59.999Z'), {}).state).toBe('on-time');
    expect(judgeFulfilment(ascension, new Date('2026-05-19T22:00:00.000Z'), {})).toEqual({ state: 'late', lateBy: { weekdays: 1, hours: 1 } });
    // Friday 2026-05-22; Monday 25th is 2. pinsedag: Tuesday 26, Wednesday 27, Thursday 28.
    expect(limitOf(plan, '2026-05-22T08:00:00.000Z', 'D7').lateLimit.day).toBe('2026-05-28');
  });

  it('a profile can move the breach time and the first-contact limit', () => {
    const rules = withProfiles({
      id: 'nord',
      appliesTo: { municipalityEan: MUNICIPALITY },
      overrides: { D10: { breachAt: { unit: 'calendarDays', amount: 1, direction: 'after', at: '12:00' } }, D7: { offset: { amount: 5 } } },
    });
    const advice = letter('XDIS17', { discharge: at('2026-03-20', '10:00') }, { retrainingExpected: true });
    expect(limitOf(advice, '2026-03-20T08:00:00.000Z', 'D10', rules).breachAt.toISOString()).toBe('2026-03-21T11:00:00.000Z');
    const plan = letter('GGOP', { rehabilitation: { type: 'ZZ0175Y' } });
    expect(limitOf(plan, '2026-03-09T08:00:00.000Z', 'D7', rules).lateLimit.day).toBe('2026-03-16');
    expect(only(evaluateAtAcceptance(plan, ctx('2026-03-09T08:00:00.000Z'), rules), 'D7').profiles).toEqual(['nord']);
  });
});

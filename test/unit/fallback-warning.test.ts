/**
 * A warning given outside MedCom for which no message exists, judged as the missing message would have
 * been. "Varsling foregår så vidt muligt elektronisk via MedCom rapport … Hvor dette ikke er muligt, kan
 * anvendes enten telefonisk besked, sikker e-mail eller FAX" (004 L1505–1509); "Fremsender
 * indlæggelsesadvis elektronisk … eller kontakter kommunen på anden vis" (004 L634–636).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDeadlineRules } from '../../src/config/deadline-config.js';
import { evaluateFallbackWarning, type FallbackWarning } from '../../src/domain/deadlines/fallback.js';

const RULES = loadDeadlineRules(fileURLToPath(new URL('../../config/deadline-rules.json', import.meta.url)));
const PARTIES = { senderEan: '5790000100005', receiverEan: '5790000200002' };

function warning(over: Partial<FallbackWarning>): FallbackWarning {
  return { ruleId: 'D2', channel: 'phone', given: new Date('2026-03-16T10:00:00Z'), reference: { date: '2026-03-20' }, ...PARTIES, ...over };
}

describe('a warning given outside MedCom', () => {
  it('D2 "Varsling senest 3 hverdage før udskrivning" (004 L1526–1532): a call by the Tuesday is on time, on the Wednesday late by one weekday', () => {
    const onTime = evaluateFallbackWarning(warning({ given: new Date('2026-03-17T22:59:59.999Z') }), PARTIES, RULES);
    expect(onTime).toMatchObject({ tracked: { evaluation: { ruleId: 'D2', state: 'on-time', dueAt: '2026-03-17T22:59:59.999Z', channel: 'phone', measuredAt: 'fallback-channel' } } });
    const late = evaluateFallbackWarning(warning({ given: new Date('2026-03-18T08:00:00Z') }), PARTIES, RULES);
    expect(late).toMatchObject({ tracked: { evaluation: { state: 'late', lateBy: { weekdays: 1 }, fulfilledAt: '2026-03-18T08:00:00.000Z' } } });
  });

  it('D1–D4 take only the channels L1505–1509 name: phone, secure e-mail, fax', () => {
    for (const channel of ['phone', 'secure-email', 'fax'] as const) {
      expect(evaluateFallbackWarning(warning({ channel }), PARTIES, RULES)).toHaveProperty('tracked');
    }
    for (const channel of ['letter', 'in-person'] as const) {
      expect(evaluateFallbackWarning(warning({ channel }), PARTIES, RULES)).toMatchObject({ refused: { code: 'channel-not-allowed', field: '/channel' } });
    }
  });

  it('D19 "kontakter kommunen på anden vis" (004 L634–636): the admission advice may be given any way, judged against the admission day', () => {
    const inPerson = evaluateFallbackWarning(warning({ ruleId: 'D19', channel: 'in-person', reference: { date: '2026-03-16', time: '08:00' }, given: new Date('2026-03-16T15:00:00Z') }), PARTIES, RULES);
    expect(inPerson).toMatchObject({ tracked: { evaluation: { ruleId: 'D19', state: 'on-time', reference: '2026-03-16' } } });
  });

  it('refuses a rule that is not fulfilled by a warning, an unknown rule and a missing reference date', () => {
    expect(evaluateFallbackWarning(warning({ ruleId: 'D10', channel: 'letter' }), PARTIES, RULES)).toMatchObject({ refused: { code: 'not-a-warning', field: '/rule' } });
    expect(evaluateFallbackWarning(warning({ ruleId: 'D7' }), PARTIES, RULES)).toMatchObject({ refused: { code: 'not-a-warning' } });
    expect(evaluateFallbackWarning(warning({ ruleId: 'D99' }), PARTIES, RULES)).toMatchObject({ refused: { code: 'unknown-rule' } });
    const { reference: _none, ...withoutReference } = warning({});
    expect(evaluateFallbackWarning(withoutReference, PARTIES, RULES)).toMatchObject({ refused: { code: 'reference-required', field: '/reference' } });
  });

  it('refuses a reference that is not a date, with the reason the rule gives', () => {
    expect(evaluateFallbackWarning(warning({ reference: { date: '2026-02-30' } }), PARTIES, RULES)).toMatchObject({ refused: { code: 'not-evaluable', field: '/reference' } });
  });
});

import { describe, expect, it } from 'vitest';
import { buildComplianceReport, complianceCsv, type ComplianceInputRow } from '../../src/domain/deadlines/compliance.js';

const row = (over: Partial<ComplianceInputRow>): ComplianceInputRow => ({
  ruleId: 'D2',
  title: 'Reduced function: 3 weekdays',
  obligedEan: '5790000000012',
  state: 'on-time',
  lateByHours: null,
  lateAfter: null,
  fulfilledVia: over.state === undefined || over.state === 'on-time' || over.state === 'late' ? 'message' : null,
  ...over,
});

describe('the compliance report', () => {
  const generatedAt = '2026-03-10T12:00:00.000Z';

  it('groups by obliged endpoint and rule; the share is of the judged ones only', () => {
    const report = buildComplianceReport(
      [
        row({}),
        row({ state: 'late', lateByHours: 4 }),
        row({ state: 'late', lateByHours: 10 }),
        row({ state: 'pending' }),
        row({ state: 'not-evaluable' }),
        row({ ruleId: 'D28', title: 'weekday', state: 'validation-warning' }),
        row({ obligedEan: '5790000000036', ruleId: 'D7', state: 'on-time' }),
      ],
      { generatedAt },
    );
    expect(report.lines.map((l) => `${l.obligedEan}/${l.ruleId}`)).toEqual(['5790000000012/D2', '5790000000012/D28', '5790000000036/D7']);
    expect(report.lines[0]).toMatchObject({ total: 5, judged: 3, onTime: 1, late: 2, pending: 1, notEvaluable: 1, shareOnTime: 0.3333, medianLatenessHours: 7, worstLatenessHours: 10 });
    expect(report.lines[1]).toMatchObject({ judged: 0, validationWarnings: 1, shareOnTime: null, medianLatenessHours: null, worstLatenessHours: null });
  });

  it('counts a breached deadline that never came as late until now', () => {
    const report = buildComplianceReport([row({ state: 'breached', lateAfter: new Date('2026-03-09T22:59:59.999Z') }), row({ state: 'late', lateByHours: 2 })], { generatedAt });
    // 2026-03-09 22:59:59.999Z → 2026-03-10 12:00Z: 13 h and a millisecond = 14 started hours.
    expect(report.lines[0]).toMatchObject({ judged: 2, breached: 1, late: 1, shareOnTime: 0, medianLatenessHours: 8, worstLatenessHours: 14 });
  });

  it('counts a deadline awaiting its start apart, outside the share (D7 before the discharge is seen)', () => {
    const report = buildComplianceReport([row({ ruleId: 'D7', state: 'awaiting-start' }), row({ ruleId: 'D7', state: 'on-time' })], { generatedAt });
    expect(report.lines[0]).toMatchObject({ total: 2, judged: 1, awaitingStart: 1, shareOnTime: 1 });
  });

  it('counts MedCom and fallback fulfilments apart: by a message, by a warning given outside MedCom (004 L1505–1509), by a report', () => {
    const report = buildComplianceReport(
      [
        row({}),
        row({ state: 'late', lateByHours: 3, fulfilledVia: 'fallback' }),
        row({ fulfilledVia: 'fallback' }),
        row({ fulfilledVia: 'report' }),
        row({ state: 'pending' }),
      ],
      { generatedAt },
    );
    expect(report.lines[0]).toMatchObject({ total: 5, judged: 4, byMessage: 1, byFallback: 2, byReport: 1, pending: 1 });
  });

  it('writes CSV with a header, CRLF and quoted fields', () => {
    const csv = complianceCsv(buildComplianceReport([row({ title: 'Plan "at discharge", GP copy' })], { generatedAt }));
    const [header, line, end] = csv.split('\r\n');
    expect(header).toMatch(/^obligedEan,ruleId,title,total,/);
    expect(line).toBe('5790000000012,D2,"Plan ""at discharge"", GP copy",1,1,1,0,0,0,0,0,1,,,0,1,0,0');
    expect(end).toBe('');
  });
});

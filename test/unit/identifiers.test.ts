import { describe, expect, it } from 'vitest';
import { classifyCpr } from '../../src/domain/cpr.js';
import { glnCheckDigit, isValidGln } from '../../src/domain/gln.js';
import { gatewayIdentifier } from '../../src/app/issue-receipt.js';

describe('classifyCpr', () => {
  it.each(['0101501234', '2902001234', '3112991234', '2505544849'])('accepts %s as a CPR number', (cpr) => {
    expect(classifyCpr(cpr).kind).toBe('cpr');
  });

  it.each([
    ['3102501234', '31 February'],
    ['2902011234', '29 February in a non-leap year'],
    ['0013501234', 'month 13'],
    ['0001501234', 'day 0'],
  ])('refuses %s (%s)', (cpr) => {
    const verdict = classifyCpr(cpr);
    expect(verdict.kind).toBe('invalid');
    expect(verdict.reason).toMatch(/DDMMYY/);
  });

  it.each(['123456789', '12345678901', '01015O1234'])('refuses %s, which is not 10 digits', (cpr) => {
    expect(classifyCpr(cpr).kind).toBe('invalid');
  });

  it.each([
    ['6101501234', 'day + 60'],
    ['1522824933', 'month + 20 (MedCom korr_x9134.xml)'],
  ])('recognises %s as a replacement number (%s)', (cpr) => {
    expect(classifyCpr(cpr).kind).toBe('replacement');
  });

  it('recognises the all-zero unknown value', () => {
    expect(classifyCpr('0000000000').kind).toBe('unknown-placeholder');
  });
});

describe('GLN check digit', () => {
  it.each(['5790000000012', '5790000000029', '5790000000036', '5790000000043', '5790000000050', '5790000143054'])(
    '%s is a valid GLN',
    (gln) => {
      expect(isValidGln(gln)).toBe(true);
    },
  );

  it('finds a wrong check digit and computes the right one', () => {
    expect(isValidGln('5790000143055')).toBe(false);
    expect(glnCheckDigit('579000014305')).toBe(4);
  });

  it('does not call a number of another length a GLN', () => {
    expect(isValidGln('570000121526')).toBe(false);
  });
});

describe('the identifiers the gateway gives its own receipts', () => {
  it('fit String_1_14, start with the prefix and differ at the same instant', () => {
    const now = new Date('2026-12-06T10:00:00Z');
    const ids = Array.from({ length: 2_000 }, () => gatewayIdentifier('G', now));
    for (const id of ids) expect(id).toMatch(/^G[0-9A-Z]{13}$/);
    // With a one-letter prefix, 20 random bits are left: two thousand draws at one instant collide a
    // couple of times at most (the issuer draws again on a clash within a batch).
    expect(new Set(ids).size).toBeGreaterThan(1_990);
  });
});

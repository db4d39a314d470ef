import { describe, expect, it } from 'vitest';
import { lookbackStart } from '../../src/domain/deadlines/index.js';

describe('lookbackStart', () => {
  it('goes back whole 24-hour days from the start', () => {
    expect(lookbackStart(new Date('2026-06-10T09:15:00Z'), 30).toISOString()).toBe('2026-05-11T09:15:00.000Z');
  });

  it('is the same length across a daylight-saving change (24-hour days, not calendar days)', () => {
    // Copenhagen moved to summer time on 2026-03-29: a calendar day back would be 23 hours.
    const start = new Date('2026-03-30T10:00:00Z');
    expect(start.getTime() - lookbackStart(start, 1).getTime()).toBe(24 * 3_600_000);
    expect(lookbackStart(start, 2).toISOString()).toBe('2026-03-28T10:00:00.000Z');
  });

  it('with no days is the start itself', () => {
    const start = new Date('2026-12-06T12:00:00Z');
    expect(lookbackStart(start, 0)).toEqual(start);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  addWeekdays,
  atClockTime,
  copenhagenDateOf,
  dayOfWeek,
  endOfDay,
  isCalendarDate,
  isWeekday,
  nextWeekday,
  startOfDay,
  weekdaysBetween,
} from '../../src/domain/calendar.js';
import type { CalendarOptions } from '../../src/domain/calendar.js';
import { danishHolidays, easterSunday } from '../../src/domain/danish-holidays.js';
import { copenhagenLocal } from '../../src/domain/danish-time.js';

const ALL_CLOSED: CalendarOptions = { closedDays: { grundlovsdag: true, christmasEve: true, newYearsEve: true } };

/** Independent date arithmetic for the oracles: Date.UTC normalises an overflowing day. */
function utcPlusDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Any date 2000–2099, Copenhagen's DST era under today's EU rules and this century's deadlines. */
const anyDate = fc.integer({ min: 0, max: 36_524 }).map((offset) => utcPlusDays('2000-01-01', offset));
const anyOptions = fc.record({
  closedDays: fc.record({ grundlovsdag: fc.boolean(), christmasEve: fc.boolean(), newYearsEve: fc.boolean() }),
});
const weekdayCount = fc.integer({ min: -300, max: 300 });

describe('easterSunday', () => {
  // Hand-written from published tables, not from the algorithm.
  const EASTER: ReadonlyArray<[number, string]> = [
    [2020, '2020-04-12'],
    [2021, '2021-04-04'],
    [2022, '2022-04-17'],
    [2023, '2023-04-09'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2028, '2028-04-16'],
    [2029, '2029-04-01'],
    [2030, '2030-04-21'],
    [2031, '2031-04-13'],
    [2032, '2032-03-28'],
    [2033, '2033-04-17'],
    [2034, '2034-04-09'],
    [2035, '2035-03-25'],
  ];

  it.each(EASTER)('Easter %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it.each([
    [1818, '1818-03-22'],
    [2285, '2285-03-22'],
    [1943, '1943-04-25'],
    [2038, '2038-04-25'],
  ])('gets the extreme Easter of %i right (%s)', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('is always a Sunday between 22 March and 25 April', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1583, max: 9999 }), (year) => {
        const easter = easterSunday(year);
        expect(dayOfWeek(easter)).toBe(7);
        expect(easter.slice(5) >= '03-22' && easter.slice(5) <= '04-25').toBe(true);
      }),
    );
  });

  it('refuses years outside the Gregorian four-digit range', () => {
    expect(() => easterSunday(1582)).toThrow(RangeError);
    expect(() => easterSunday(10_000)).toThrow(RangeError);
    expect(() => easterSunday(2026.5)).toThrow(RangeError);
  });
});

describe('danishHolidays', () => {
  const datesAndNames = (year: number, options: CalendarOptions = {}): string[][] =>
    danishHolidays(year, options.closedDays).map((holiday) => [holiday.date, holiday.name]);

  it('lists 2023, the last year with store bededag', () => {
    expect(datesAndNames(2023)).toEqual([
      ['2023-01-01', 'Nytårsdag'],
      ['2023-04-06', 'Skærtorsdag'],
      ['2023-04-07', 'Langfredag'],
      ['2023-04-09', 'Påskedag'],
      ['2023-04-10', '2. påskedag'],
      ['2023-05-05', 'Store bededag'],
      ['2023-05-18', 'Kristi himmelfartsdag'],
      ['2023-05-28', 'Pinsedag'],
      ['2023-05-29', '2. pinsedag'],
      ['2023-12-25', 'Juledag'],
      ['2023-12-26', '2. juledag'],
    ]);
  });

  it('lists 2024, the first year without store bededag', () => {
    expect(datesAndNames(2024)).toEqual([
      ['2024-01-01', 'Nytårsdag'],
      ['2024-03-28', 'Skærtorsdag'],
      ['2024-03-29', 'Langfredag'],
      ['2024-03-31', 'Påskedag'],
      ['2024-04-01', '2. påskedag'],
      ['2024-05-09', 'Kristi himmelfartsdag'],
      ['2024-05-19', 'Pinsedag'],
      ['2024-05-20', '2. pinsedag'],
      ['2024-12-25', 'Juledag'],
      ['2024-12-26', '2. juledag'],
    ]);
  });

  it('lists 2026, and adds the customary days only when closed', () => {
    const statutory = [
      ['2026-01-01', 'Nytårsdag'],
      ['2026-04-02', 'Skærtorsdag'],
      ['2026-04-03', 'Langfredag'],
      ['2026-04-05', 'Påskedag'],
      ['2026-04-06', '2. påskedag'],
      ['2026-05-14', 'Kristi himmelfartsdag'],
      ['2026-05-24', 'Pinsedag'],
      ['2026-05-25', '2. pinsedag'],
      ['2026-12-25', 'Juledag'],
      ['2026-12-26', '2. juledag'],
    ];
    expect(datesAndNames(2026)).toEqual(statutory);
    expect(datesAndNames(2026, ALL_CLOSED)).toEqual([
      ...statutory.slice(0, 8),
      ['2026-06-05', 'Grundlovsdag'],
      ['2026-12-24', 'Juleaftensdag'],
      ...statutory.slice(8),
      ['2026-12-31', 'Nytårsaftensdag'],
    ]);
    expect(danishHolidays(2026, ALL_CLOSED.closedDays).filter((holiday) => !holiday.statutory).map((h) => h.id)).toEqual([
      'constitutionDay',
      'christmasEve',
      'newYearsEve',
    ]);
  });

  it('has store bededag, the fourth Friday after Easter, up to 2023 and never from 2024', () => {
    for (let year = 1990; year <= 2060; year += 1) {
      const bededag = danishHolidays(year).find((holiday) => holiday.id === 'greatPrayerDay');
      if (year <= 2023) {
        expect(bededag?.date).toBe(addCalendarDays(easterSunday(year), 26));
        expect(dayOfWeek(bededag?.date ?? '')).toBe(5);
      } else {
        expect(bededag).toBeUndefined();
      }
    }
    expect(isWeekday('2023-05-05')).toBe(false);
    expect(isWeekday('2024-04-26')).toBe(true); // where it would have fallen in 2024
  });

  it('keeps both names when grundlovsdag is pinsedag (2022)', () => {
    const fifthOfJune = danishHolidays(2022, { grundlovsdag: true }).filter((holiday) => holiday.date === '2022-06-05');
    expect(fifthOfJune.map((holiday) => holiday.name)).toEqual(['Pinsedag', 'Grundlovsdag']);
  });
});

describe('isWeekday', () => {
  it('is Monday–Friday only', () => {
    expect(['2026-01-12', '2026-01-13', '2026-01-14', '2026-01-15', '2026-01-16'].map((d) => isWeekday(d))).toEqual(
      Array(5).fill(true),
    );
    expect(isWeekday('2026-01-17')).toBe(false);
    expect(isWeekday('2026-01-18')).toBe(false);
  });

  it('excludes the statutory holidays', () => {
    for (const year of [2023, 2024, 2026]) {
      for (const holiday of danishHolidays(year)) expect(isWeekday(holiday.date, ALL_CLOSED)).toBe(false);
    }
  });

  it.each([
    ['grundlovsdag', '2026-06-05'],
    ['christmasEve', '2026-12-24'],
    ['newYearsEve', '2026-12-31'],
  ] as const)('treats %s (%s) as open unless the agreement closes it', (flag, date) => {
    expect(isWeekday(date)).toBe(true);
    expect(isWeekday(date, { closedDays: {} })).toBe(true);
    expect(isWeekday(date, { closedDays: { [flag]: false } })).toBe(true);
    expect(isWeekday(date, { closedDays: { [flag]: true } })).toBe(false);
  });

  it('never opens a day by closing more days', () => {
    fc.assert(
      fc.property(anyDate, anyOptions, (date, options) => {
        if (isWeekday(date, options)) expect(isWeekday(date)).toBe(true);
        if (!isWeekday(date, options)) expect(isWeekday(date, ALL_CLOSED)).toBe(false);
      }),
    );
  });

  it('refuses what is not a calendar date', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-1-5', '26-01-05', '2026-01-05T00:00', '', '1582-12-31']) {
      expect(isCalendarDate(bad)).toBe(false);
      expect(() => isWeekday(bad)).toThrow(RangeError);
    }
    expect(isCalendarDate('2024-02-29')).toBe(true);
  });
});

describe('addWeekdays', () => {
  it.each([
    ['over a weekend', '2026-01-09', 1, '2026-01-12'],
    ['back over a weekend', '2026-01-12', -1, '2026-01-09'],
    ['from a Saturday', '2026-01-10', 1, '2026-01-12'],
    ['back from a Sunday', '2026-01-11', -1, '2026-01-09'],
    ['zero steps from a Sunday', '2026-01-11', 0, '2026-01-11'],
    ['over Easter from the Wednesday before', '2026-04-01', 1, '2026-04-07'],
    ['back over Easter', '2026-04-07', -1, '2026-04-01'],
    ['over Ascension (the Friday after stays open)', '2026-05-13', 1, '2026-05-15'],
    ['two over Ascension', '2026-05-13', 2, '2026-05-18'],
    ['over Whitsun', '2026-05-22', 1, '2026-05-26'],
    ['over Christmas', '2026-12-23', 2, '2026-12-28'],
    ['over New Year', '2026-12-30', 2, '2027-01-04'],
    ['over store bededag 2023', '2023-05-04', 1, '2023-05-08'],
    ['over the former store bededag 2024', '2024-04-25', 1, '2024-04-26'],
    ['D2: 3 before a Friday discharge', '2026-01-16', -3, '2026-01-13'],
    ['D2: 3 before a Friday discharge, with a Wednesday holiday', '2025-01-03', -3, '2024-12-30'],
    ['D3: 5 before a Friday discharge', '2026-01-16', -5, '2026-01-09'],
    ['D7: 3 after a Thursday before Easter', '2026-04-02', 3, '2026-04-09'],
  ])('steps %s: %s %+i → %s', (_label, date, n, expected) => {
    expect(addWeekdays(date, n)).toBe(expected);
  });

  it('skips the customary days only when closed', () => {
    expect(addWeekdays('2026-12-23', 1)).toBe('2026-12-24');
    expect(addWeekdays('2026-12-23', 1, ALL_CLOSED)).toBe('2026-12-28');
    expect(addWeekdays('2026-12-30', 1)).toBe('2026-12-31');
    expect(addWeekdays('2026-12-30', 1, ALL_CLOSED)).toBe('2027-01-04');
    expect(addWeekdays('2026-06-04', 1)).toBe('2026-06-05');
    expect(addWeekdays('2026-06-04', 1, { closedDays: { grundlovsdag: true } })).toBe('2026-06-08');
  });

  it('refuses a fractional count', () => {
    expect(() => addWeekdays('2026-01-12', 1.5)).toThrow(RangeError);
  });

  it('always lands on a weekday for n ≠ 0', () => {
    fc.assert(
      fc.property(anyDate, weekdayCount.filter((n) => n !== 0), anyOptions, (date, n, options) => {
        expect(isWeekday(addWeekdays(date, n, options), options)).toBe(true);
      }),
    );
  });

  it('is undone by −n from a weekday', () => {
    fc.assert(
      fc.property(anyDate, weekdayCount, anyOptions, (date, n, options) => {
        const start = nextWeekday(date, options);
        expect(addWeekdays(addWeekdays(start, n, options), -n, options)).toBe(start);
      }),
    );
  });

  it('is monotonic in the date and strictly monotonic in n', () => {
    fc.assert(
      fc.property(anyDate, anyDate, weekdayCount, weekdayCount, (a, b, n, m) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        expect(addWeekdays(early, n) <= addWeekdays(late, n)).toBe(true);
        if (n < m) expect(addWeekdays(a, n) < addWeekdays(a, m)).toBe(true);
      }),
    );
  });

  it('passes exactly |n| weekdays, by brute force', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -40, max: 40 }), (date, n) => {
        const result = addWeekdays(date, n);
        const step = Math.sign(n);
        let passed = 0;
        for (let day = date; day !== result; ) {
          day = utcPlusDays(day, step);
          if (isWeekday(day)) passed += 1;
        }
        expect(passed).toBe(Math.abs(n));
      }),
    );
  });
});

describe('nextWeekday (førstkommende hverdag)', () => {
  it.each([
    ['2026-01-12', '2026-01-12'], // a Monday is its own
    ['2026-01-10', '2026-01-12'], // Saturday
    ['2026-04-02', '2026-04-07'], // skærtorsdag, through Easter
    ['2026-12-25', '2026-12-28'],
  ])('rolls %s forward to %s', (date, expected) => {
    expect(nextWeekday(date)).toBe(expected);
  });

  it('is the first weekday on or after the date', () => {
    fc.assert(
      fc.property(anyDate, anyOptions, (date, options) => {
        const next = nextWeekday(date, options);
        expect(next >= date && isWeekday(next, options)).toBe(true);
        for (let day = date; day < next; day = utcPlusDays(day, 1)) expect(isWeekday(day, options)).toBe(false);
      }),
    );
  });
});

describe('weekdaysBetween', () => {
  it('counts (a, b], signed', () => {
    expect(weekdaysBetween('2026-04-01', '2026-04-07')).toBe(1);
    expect(weekdaysBetween('2026-04-07', '2026-04-01')).toBe(-1);
    expect(weekdaysBetween('2026-01-12', '2026-01-12')).toBe(0);
    expect(weekdaysBetween('2026-01-09', '2026-01-11')).toBe(0); // a weekend after the deadline is not "late by 1"
    expect(weekdaysBetween('2026-01-11', '2026-01-09')).toBe(0); // +0, not -0
    expect(weekdaysBetween('2026-01-09', '2026-01-12')).toBe(1);
  });

  it('counts the weekdays of 2026: 261 Monday–Fridays less 7 holidays on them', () => {
    expect(weekdaysBetween('2025-12-31', '2026-12-31')).toBe(254);
    expect(weekdaysBetween('2025-12-31', '2026-12-31', ALL_CLOSED)).toBe(251);
  });

  it('inverts addWeekdays from a weekday', () => {
    fc.assert(
      fc.property(anyDate, weekdayCount, anyOptions, (date, n, options) => {
        const start = nextWeekday(date, options);
        expect(weekdaysBetween(start, addWeekdays(start, n, options), options)).toBe(n);
      }),
    );
  });

  it('agrees with counting day by day, and is additive', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -800, max: 800 }), anyDate, anyOptions, (a, span, c, options) => {
        const b = utcPlusDays(a, span);
        let expected = 0;
        const [from, to] = a <= b ? [a, b] : [b, a];
        for (let day = utcPlusDays(from, 1); day <= to; day = utcPlusDays(day, 1)) {
          if (isWeekday(day, options)) expected += 1;
        }
        expect(weekdaysBetween(a, b, options)).toBe(a <= b ? expected : 0 - expected);
        expect(weekdaysBetween(a, b, options) + weekdaysBetween(b, c, options)).toBe(weekdaysBetween(a, c, options));
      }),
      { numRuns: 200 },
    );
  });
});

describe('addCalendarDays', () => {
  it.each([
    ['2026-03-01', -1, '2026-02-28'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-29', 1, '2026-03-30'], // DST days are still one calendar day
    ['2026-01-17', 0, '2026-01-17'],
    ['2026-02-20', -14, '2026-02-06'], // D4: 14 days before, no weekend adjustment
  ])('%s %+i → %s', (date, n, expected) => {
    expect(addCalendarDays(date, n)).toBe(expected);
  });

  it('matches UTC date arithmetic and composes', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: -5000, max: 5000 }), (date, n, m) => {
        expect(addCalendarDays(date, n)).toBe(utcPlusDays(date, n));
        expect(addCalendarDays(addCalendarDays(date, n), m)).toBe(addCalendarDays(date, n + m));
      }),
    );
  });

  it('refuses to leave the supported years', () => {
    expect(() => addCalendarDays('9999-12-31', 1)).toThrow(RangeError);
    expect(() => addCalendarDays('1583-01-01', -1)).toThrow(RangeError);
  });
});

describe('Copenhagen instants', () => {
  it('reads clock times with the season’s offset, on and around the DST days', () => {
    expect(atClockTime('2026-03-29', '12:00').toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(atClockTime('2026-10-25', '12:00').toISOString()).toBe('2026-10-25T11:00:00.000Z');
    expect(atClockTime('2026-01-15', '12:00').toISOString()).toBe('2026-01-15T11:00:00.000Z');
    expect(atClockTime('2026-07-15', '13:00').toISOString()).toBe('2026-07-15T11:00:00.000Z');
    expect(atClockTime('2026-03-29', '01:59:59').toISOString()).toBe('2026-03-29T00:59:59.000Z');
    expect(atClockTime('2026-03-29', '03:00').toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('moves a time in the spring-forward gap forward by the gap', () => {
    expect(atClockTime('2026-03-29', '02:00').toISOString()).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    expect(atClockTime('2026-03-29', '02:30').toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(copenhagenLocal(atClockTime('2026-03-29', '02:30')).time).toBe('03:30:00');
  });

  it('takes the earlier (CEST) instant of a time in the autumn overlap', () => {
    expect(atClockTime('2026-10-25', '02:30').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(atClockTime('2026-10-25', '01:59').toISOString()).toBe('2026-10-24T23:59:00.000Z');
    expect(atClockTime('2026-10-25', '03:00').toISOString()).toBe('2026-10-25T02:00:00.000Z');
  });

  it('bounds the 23-hour and 25-hour days', () => {
    expect(startOfDay('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfDay('2026-03-29').toISOString()).toBe('2026-03-29T21:59:59.999Z');
    expect(startOfDay('2026-10-25').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(endOfDay('2026-10-25').toISOString()).toBe('2026-10-25T22:59:59.999Z');
    expect(endOfDay('2026-03-29').getTime() + 1 - startOfDay('2026-03-29').getTime()).toBe(23 * 3_600_000);
    expect(endOfDay('2026-10-25').getTime() + 1 - startOfDay('2026-10-25').getTime()).toBe(25 * 3_600_000);
    expect(endOfDay('2026-01-15').toISOString()).toBe('2026-01-15T22:59:59.999Z');
  });

  it('gives the Copenhagen date of an instant', () => {
    expect(copenhagenDateOf(new Date('2026-03-28T22:59:59.999Z'))).toBe('2026-03-28');
    expect(copenhagenDateOf(new Date('2026-03-28T23:00:00.000Z'))).toBe('2026-03-29');
    expect(copenhagenDateOf(new Date('2026-07-15T21:59:59.999Z'))).toBe('2026-07-15');
    expect(copenhagenDateOf(new Date('2026-07-15T22:00:00.000Z'))).toBe('2026-07-16');
    expect(() => copenhagenDateOf(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('round-trips every existing wall-clock time and keeps day boundaries tight', () => {
    const clock = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(anyDate, clock, (date, time) => {
        const instant = atClockTime(date, time);
        const local = copenhagenLocal(instant);
        const inGap = local.date !== date || local.time !== `${time}:00`;
        // Only the spring-forward hour may fail to round-trip, and it moves forward by exactly one hour.
        if (inGap) {
          expect(time.startsWith('02:')).toBe(true);
          expect(local.time).toBe(`03:${time.slice(3)}:00`);
        }
        expect(instant > startOfDay(date) || time === '00:00').toBe(true);
        expect(instant <= endOfDay(date)).toBe(true);
        expect(copenhagenDateOf(endOfDay(date))).toBe(date);
        expect(copenhagenDateOf(new Date(endOfDay(date).getTime() + 1))).toBe(addCalendarDays(date, 1));
        expect(startOfDay(addCalendarDays(date, 1)).getTime()).toBe(endOfDay(date).getTime() + 1);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses malformed clock times', () => {
    for (const bad of ['24:00', '12:60', '9:00', '12:00:60', 'noon']) {
      expect(() => atClockTime('2026-01-15', bad)).toThrow(RangeError);
    }
  });
});

describe('copenhagenLocal', () => {
  const intl = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Copenhagen',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const viaIntl = (instant: Date): string => {
    const p = Object.fromEntries(intl.formatToParts(instant).map((part) => [part.type, part.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  };
  const local = (instant: Date): string => {
    const { date, time } = copenhagenLocal(instant);
    return `${date} ${time}`;
  };

  it('agrees with Intl on every instant, the daylight-saving switches included (its offset is cached per UTC hour)', () => {
    for (const edge of ['2026-03-29T00:59:59.999Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:59:59.999Z', '2026-10-25T01:00:00.000Z']) {
      expect(local(new Date(edge))).toBe(viaIntl(new Date(edge)));
    }
    fc.assert(
      fc.property(fc.date({ min: new Date('1890-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59Z'), noInvalidDate: true }), (instant) => {
        expect(local(instant)).toBe(viaIntl(instant));
      }),
      { numRuns: 3000 },
    );
  });
});

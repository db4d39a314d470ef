/**
 * Danish public holidays (helligdage) and the customary closed days an agreement may add.
 *
 * The seeds define a weekday only as "mandag – fredag"; excluding holidays is Danish practice
 * (domain.md §3.9.1). Today's holiday set is projected onto every year, except for store bededag,
 * which the Folketing abolished from 2024 and so is the one year-dependent rule.
 * This module is the bottom layer of the calendar: it knows dates as `YYYY-MM-DD` strings only.
 */

/** A Copenhagen calendar date, `YYYY-MM-DD`. Plain strings so they compare and serialise as they are. */
export type CalendarDate = string;

/**
 * The supported years. 1583 is the first full Gregorian year, which the Easter algorithm assumes;
 * 9999 keeps every date four digits wide, so string order stays date order.
 */
export const MIN_YEAR = 1583;
export const MAX_YEAR = 9999;

/** Store bededag (Great Prayer Day) is a holiday up to and including this year. */
export const STORE_BEDEDAG_LAST_YEAR = 2023;

/**
 * Customary days off that are not statutory holidays: each is a per-agreement flag and defaults to
 * open (a weekday), so nobody gets a longer deadline than agreed.
 */
export interface ClosedDays {
  /** Grundlovsdag, 5 June. */
  readonly grundlovsdag?: boolean;
  /** Juleaftensdag, 24 December. */
  readonly christmasEve?: boolean;
  /** Nytårsaftensdag, 31 December. */
  readonly newYearsEve?: boolean;
}

export type HolidayId =
  | 'newYearsDay'
  | 'maundyThursday'
  | 'goodFriday'
  | 'easterSunday'
  | 'easterMonday'
  | 'greatPrayerDay'
  | 'ascensionDay'
  | 'whitSunday'
  | 'whitMonday'
  | 'constitutionDay'
  | 'christmasEve'
  | 'christmasDay'
  | 'secondChristmasDay'
  | 'newYearsEve';

export interface DanishHoliday {
  readonly date: CalendarDate;
  readonly id: HolidayId;
  /** The Danish name, for dashboards that must show which rule made a day non-working. */
  readonly name: string;
  /** False for the customary days that are only closed because an agreement says so. */
  readonly statutory: boolean;
}

function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year must be an integer from ${MIN_YEAR} to ${MAX_YEAR}, got ${year}`);
  }
}

/** Date.UTC normalises an overflowing day (e.g. 9 April + 39), which is all the offset arithmetic needed here. */
function utcDate(year: number, month: number, day: number): CalendarDate {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** Month and day of Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
function easterMonthDay(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

/** Easter Sunday (påskedag) of a Gregorian year. */
export function easterSunday(year: number): CalendarDate {
  assertYear(year);
  const { month, day } = easterMonthDay(year);
  return utcDate(year, month, day);
}

/**
 * The holidays of a year, in date order: the statutory ones plus the customary days that
 * `closedDays` closes. Fresh array each call; callers on a hot path should cache (calendar.ts does).
 */
export function danishHolidays(year: number, closedDays: ClosedDays = {}): readonly DanishHoliday[] {
  assertYear(year);
  const easter = easterMonthDay(year);
  const fromEaster = (offset: number): CalendarDate => utcDate(year, easter.month, easter.day + offset);
  const fixed = (month: number, day: number): CalendarDate => utcDate(year, month, day);
  const statutory = (date: CalendarDate, id: HolidayId, name: string): DanishHoliday => ({ date, id, name, statutory: true });
  const customary = (date: CalendarDate, id: HolidayId, name: string): DanishHoliday => ({ date, id, name, statutory: false });

  const days: DanishHoliday[] = [
    statutory(fixed(1, 1), 'newYearsDay', 'Nytårsdag'),
    statutory(fromEaster(-3), 'maundyThursday', 'Skærtorsdag'),
    statutory(fromEaster(-2), 'goodFriday', 'Langfredag'),
    statutory(fromEaster(0), 'easterSunday', 'Påskedag'),
    statutory(fromEaster(1), 'easterMonday', '2. påskedag'),
    statutory(fromEaster(39), 'ascensionDay', 'Kristi himmelfartsdag'),
    statutory(fromEaster(49), 'whitSunday', 'Pinsedag'),
    statutory(fromEaster(50), 'whitMonday', '2. pinsedag'),
    statutory(fixed(12, 25), 'christmasDay', 'Juledag'),
    statutory(fixed(12, 26), 'secondChristmasDay', '2. juledag'),
  ];
  // The fourth Friday after Easter Sunday; abolished by law from 2024.
  if (year <= STORE_BEDEDAG_LAST_YEAR) days.push(statutory(fromEaster(26), 'greatPrayerDay', 'Store bededag'));
  if (closedDays.grundlovsdag) days.push(customary(fixed(6, 5), 'constitutionDay', 'Grundlovsdag'));
  if (closedDays.christmasEve) days.push(customary(fixed(12, 24), 'christmasEve', 'Juleaftensdag'));
  if (closedDays.newYearsEve) days.push(customary(fixed(12, 31), 'newYearsEve', 'Nytårsaftensdag'));
  // ISO dates sort as strings. Two entries can share a date (pinsedag was 5 June in 2022); both are kept
  // so a dashboard can name every rule that closes the day.
  return days.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

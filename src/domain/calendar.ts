/**
 * The Danish business calendar the deadline rules count in (domain.md §3.9): weekdays ("hverdage"),
 * calendar days, and the Europe/Copenhagen instants that close a day or mark a clock time.
 *
 * Dates are `YYYY-MM-DD` strings and instants are `Date`s, so nothing here depends on the host's time
 * zone. Date arithmetic runs on whole UTC days (no DST there); only the date ↔ instant functions
 * consult the Copenhagen zone. Pure: the only state is a cache of closed days per year and options.
 */
import { copenhagenLocal, copenhagenOffsetAt } from './danish-time.js';
import { MAX_YEAR, MIN_YEAR, danishHolidays } from './danish-holidays.js';
import type { CalendarDate, ClosedDays } from './danish-holidays.js';

export type { CalendarDate, ClosedDays } from './danish-holidays.js';

/** Per-agreement calendar settings. The default, `{}`, closes statutory holidays only. */
export interface CalendarOptions {
  readonly closedDays?: ClosedDays;
}

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

// ---------------------------------------------------------------------------------------------
// Dates as day numbers (days since 1970-01-01), the form the loops below count in.

/** True when year, month (1–12) and day name a day that exists: 2024-02-29 does, 2025-02-29 does not. */
export function isRealDay(year: number, month: number, day: number): boolean {
  // Date.UTC silently rolls 31 February over into March (and years 0–99 into the 1900s); a date that moves is not real.
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function toDayNumber(date: CalendarDate): number {
  const match = DATE_PATTERN.exec(date);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (year >= MIN_YEAR && year <= MAX_YEAR && isRealDay(year, month, day)) return Date.UTC(year, month - 1, day) / DAY_MS;
  }
  throw new RangeError(`not a calendar date YYYY-MM-DD in years ${MIN_YEAR}–${MAX_YEAR}: ${JSON.stringify(date)}`);
}

function fromDayNumber(dayNumber: number): CalendarDate {
  const date = new Date(dayNumber * DAY_MS);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`date arithmetic left the supported years ${MIN_YEAR}–${MAX_YEAR}`);
  }
  return date.toISOString().slice(0, 10);
}

/** ISO day of week, Monday = 1 … Sunday = 7. Day 0 (1970-01-01) was a Thursday. */
function isoDayOfWeek(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1;
}

function assertInteger(name: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be an integer, got ${n}`);
}

/** True if `value` is a real `YYYY-MM-DD` date in the supported years. */
export function isCalendarDate(value: string): value is CalendarDate {
  try {
    toDayNumber(value);
    return true;
  } catch {
    return false;
  }
}

/** ISO day of week of a date: Monday = 1 … Sunday = 7. */
export function dayOfWeek(date: CalendarDate): number {
  return isoDayOfWeek(toDayNumber(date));
}

/** `date` plus `n` calendar days ("dage"); negative `n` goes back. No weekend or holiday adjustment. */
export function addCalendarDays(date: CalendarDate, n: number): CalendarDate {
  assertInteger('n', n);
  return fromDayNumber(toDayNumber(date) + n);
}

// ---------------------------------------------------------------------------------------------
// Weekdays.

/**
 * Closed Monday–Friday dates of a year under some options. Weekends are excluded because the
 * weekday test checks them first, and that keeps `weekdaysBetween` a plain count of this set.
 * Eight option combinations × the years in use: small, so the cache is never evicted.
 */
const closedCache = new Map<string, ReadonlySet<CalendarDate>>();

function closedWeekdaysOf(year: number, options: CalendarOptions): ReadonlySet<CalendarDate> {
  const closed = options.closedDays ?? {};
  const key = `${year}:${closed.grundlovsdag ? 1 : 0}${closed.christmasEve ? 1 : 0}${closed.newYearsEve ? 1 : 0}`;
  let set = closedCache.get(key);
  if (!set) {
    set = new Set(
      danishHolidays(year, closed)
        .map((holiday) => holiday.date)
        .filter((date) => isoDayOfWeek(toDayNumber(date)) <= 5),
    );
    closedCache.set(key, set);
  }
  return set;
}

function isWeekdayNumber(dayNumber: number, options: CalendarOptions): boolean {
  if (isoDayOfWeek(dayNumber) > 5) return false;
  const date = fromDayNumber(dayNumber);
  return !closedWeekdaysOf(Number(date.slice(0, 4)), options).has(date);
}

/** A weekday ("hverdag"): Monday–Friday and neither a public holiday nor a closed day of the options. */
export function isWeekday(date: CalendarDate, options: CalendarOptions = {}): boolean {
  return isWeekdayNumber(toDayNumber(date), options);
}

/**
 * `date` plus `n` weekdays, for "senest N hverdage efter X" (n > 0) and "… før X" (n < 0):
 * step day by day away from `date`, which itself is never counted, until `|n|` weekdays have been
 * passed, and return the last of them. So the result is always a weekday for n ≠ 0, while n = 0
 * returns `date` unchanged even on a weekend. Discharge Friday, n = −3 → the Tuesday before.
 * Linear in |n|, which is fine for deadlines measured in days.
 */
export function addWeekdays(date: CalendarDate, n: number, options: CalendarOptions = {}): CalendarDate {
  assertInteger('n', n);
  let dayNumber = toDayNumber(date);
  const step = Math.sign(n);
  for (let remaining = Math.abs(n); remaining > 0; ) {
    dayNumber += step;
    if (isWeekdayNumber(dayNumber, options)) remaining -= 1;
  }
  return fromDayNumber(dayNumber);
}

/**
 * "Førstkommende hverdag": `date` itself if it is a weekday, otherwise the first weekday after it.
 * (For the weekday strictly after `date`, use `addWeekdays(date, 1)`.)
 */
export function nextWeekday(date: CalendarDate, options: CalendarOptions = {}): CalendarDate {
  let dayNumber = toDayNumber(date);
  while (!isWeekdayNumber(dayNumber, options)) dayNumber += 1;
  return fromDayNumber(dayNumber);
}

/**
 * Signed count of weekdays in (a, b]; if b is before a, minus the count in (b, a].
 * The inverse of `addWeekdays` from a weekday, and the measure for "late by N weekdays":
 * `weekdaysBetween(deadlineDay, arrivalDay)`, which is 0 for an arrival on the deadline day
 * or on the weekend after it. Counts by whole weeks, so it is cheap over long spans.
 */
export function weekdaysBetween(a: CalendarDate, b: CalendarDate, options: CalendarOptions = {}): number {
  const [from, to] = [toDayNumber(a), toDayNumber(b)];
  // `0 -` rather than unary minus, so an empty backward span is +0 and not -0.
  if (to < from) return 0 - weekdaysBetween(b, a, options);
  const days = to - from;
  let count = Math.floor(days / 7) * 5;
  for (let dayNumber = to - (days % 7) + 1; dayNumber <= to; dayNumber += 1) {
    if (isoDayOfWeek(dayNumber) <= 5) count += 1;
  }
  // Each closed Monday–Friday inside (a, b] was counted above as a weekday.
  for (let year = Number(a.slice(0, 4)); year <= Number(b.slice(0, 4)); year += 1) {
    for (const closed of closedWeekdaysOf(year, options)) {
      if (closed > a && closed <= b) count -= 1;
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Copenhagen instants.

/** The Copenhagen calendar date of an instant (the date of "samme dag"). */
export function copenhagenDateOf(instant: Date): CalendarDate {
  if (Number.isNaN(instant.getTime())) throw new RangeError('copenhagenDateOf: invalid Date');
  return copenhagenLocal(instant).date;
}

/**
 * The instant a Copenhagen wall-clock time reads on a day (`wallMs` = that wall time read as if UTC).
 * Offsets a day either side bracket any DST change, since Copenhagen changes at most twice a year.
 * Rule for the days the clock jumps (Temporal's "compatible" disambiguation):
 * - spring-forward gap (e.g. 02:30 on the last Sunday of March does not exist): read the time with the
 *   offset before the jump, i.e. move it forward by the gap — 02:30 becomes 03:30 CEST (01:30Z);
 * - autumn fall-back overlap (02:00–02:59 on the last Sunday of October happens twice): the earlier
 *   instant, the CEST one — the stricter choice for a deadline.
 */
function instantOfWallTime(wallMs: number): Date {
  const offsetBefore = copenhagenOffsetAt(wallMs - DAY_MS);
  const offsetAfter = copenhagenOffsetAt(wallMs + DAY_MS);
  const matches = [offsetBefore, offsetAfter]
    .map((offset) => wallMs - offset)
    .filter((instantMs) => copenhagenOffsetAt(instantMs) === wallMs - instantMs);
  return new Date(matches.length > 0 ? Math.min(...matches) : wallMs - offsetBefore);
}

/**
 * The instant of a Copenhagen clock time (`hh:mm` or `hh:mm:ss`, 24-hour) on a date, e.g. the
 * 12:00 and 13:00 marks of D1. DST-aware; see `instantOfWallTime` for the gap and overlap rule.
 */
export function atClockTime(date: CalendarDate, time: string): Date {
  const match = TIME_PATTERN.exec(time);
  if (!match) throw new RangeError(`not a clock time hh:mm or hh:mm:ss: ${JSON.stringify(time)}`);
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  return instantOfWallTime(toDayNumber(date) * DAY_MS + seconds * 1000);
}

/** The first instant of a Copenhagen day, its 00:00 (midnight always exists: Copenhagen shifts at 02:00/03:00). */
export function startOfDay(date: CalendarDate): Date {
  return instantOfWallTime(toDayNumber(date) * DAY_MS);
}

/**
 * The last instant of a Copenhagen day: the next day's 00:00 minus 1 ms (23:59:59.999 local), so a
 * deadline "by the end of the day" is met by any instant `<= endOfDay(date)`. Days are 23 h long in
 * spring and 25 h in autumn, which is why this is not `startOfDay + 24 h`.
 */
export function endOfDay(date: CalendarDate): Date {
  // Not via startOfDay(addCalendarDays(…)): the day after 9999-12-31 is outside the date range but its instant is fine.
  return new Date(instantOfWallTime((toDayNumber(date) + 1) * DAY_MS).getTime() - 1);
}

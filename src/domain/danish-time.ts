/**
 * Danish wall-clock time. OIOXML dates and times carry no zone: they are Europe/Copenhagen local time,
 * so instants the gateway stamps (receipts' Sent) are converted here, correct across daylight saving.
 */
import type { LocalDateTime } from './message.js';

const FORMAT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const HOUR_MS = 3_600_000;
const MAX_CACHED_HOURS = 100_000;

/** Before this the zone had local mean time, changed at instants that are not whole UTC hours. */
const CACHE_FROM_MS = Date.UTC(1900, 0, 1);

/**
 * Copenhagen's UTC offset per UTC hour. Asking Intl costs microseconds and the deadline rules ask it
 * dozens of times per message; since 1900 the zone's offset has only changed on whole UTC hours
 * (daylight saving switches at 01:00 UTC), so one answer per UTC hour is exact.
 */
const offsetByUtcHour = new Map<number, number>();

function offsetAt(instantMs: number): number {
  if (instantMs < CACHE_FROM_MS) return intlOffset(instantMs);
  const hour = Math.floor(instantMs / HOUR_MS);
  const cached = offsetByUtcHour.get(hour);
  if (cached !== undefined) return cached;
  const offset = intlOffset(hour * HOUR_MS);
  if (offsetByUtcHour.size >= MAX_CACHED_HOURS) offsetByUtcHour.clear();
  offsetByUtcHour.set(hour, offset);
  return offset;
}

/** The offset as Intl gives it: the wall clock of the whole second, read back as if it were UTC. */
function intlOffset(instantMs: number): number {
  const second = Math.floor(instantMs / 1000) * 1000;
  const parts = Object.fromEntries(FORMAT.formatToParts(new Date(second)).map((part) => [part.type, part.value]));
  const wall = new Date(0);
  wall.setUTCFullYear(Number(parts.year), Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
  return wall.getTime() - second;
}

/** Copenhagen's UTC offset in ms at an instant: wall clock minus UTC, a whole number of seconds. */
export function copenhagenOffsetAt(instantMs: number): number {
  if (Number.isNaN(instantMs)) throw new RangeError('copenhagenOffsetAt: invalid instant');
  return offsetAt(instantMs);
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** The Copenhagen date and time (hh:mm:ss) of an instant. */
export function copenhagenLocal(instant: Date): LocalDateTime {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('copenhagenLocal: invalid Date');
  const wall = new Date(ms + offsetAt(ms));
  return {
    date: `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`,
    time: `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`,
  };
}

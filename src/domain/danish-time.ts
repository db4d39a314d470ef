/**
 * Danish wall-clock time. OIOXML dates and times carry no zone: they are Europe/Copenhagen local time,
 * so instants the gateway stamps (receipts' Sent) are converted here, correct across daylight saving.
 */
import type { LocalDateTime } from '../codec/model.js';

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

/** The Copenhagen date and time (hh:mm:ss) of an instant. */
export function copenhagenLocal(instant: Date): LocalDateTime {
  const parts = Object.fromEntries(FORMAT.formatToParts(instant).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}` };
}

/**
 * Danish CPR numbers (personnummer): DDMMYY followed by four digits. The gateway checks the shape and
 * that the first six digits form a real date; it does not apply the modulus-11 check, which the CPR
 * office abandoned in 2007.
 *
 * Replacement numbers (erstatningspersonnumre) used in the health sector for people without a CPR
 * number keep the ten digits but shift the date: the day is raised by 60 or the month by 20 (as in
 * MedCom's own test message korr_x9134.xml, 1522824933). `0000000000` is MedCom's "unknown" value,
 * allowed by the strict CPR schema of the 2005 XSDs.
 */
export type CprKind = 'cpr' | 'replacement' | 'unknown-placeholder' | 'invalid';

export interface CprVerdict {
  readonly kind: CprKind;
  /** Why an invalid number is invalid, in words. */
  readonly reason?: string;
}

function isRealDayMonth(day: number, month: number, twoDigitYear: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  if (day > daysInMonth) return false;
  // 29 February needs a leap year; with a two-digit year only 00 is ambiguous (1900 no, 2000 yes): accept it.
  if (month === 2 && day === 29) return twoDigitYear % 4 === 0;
  return true;
}

export function classifyCpr(value: string): CprVerdict {
  if (!/^[0-9]{10}$/.test(value)) return { kind: 'invalid', reason: 'a CPR number has exactly 10 digits' };
  if (value === '0000000000') return { kind: 'unknown-placeholder' };
  const day = Number(value.slice(0, 2));
  const month = Number(value.slice(2, 4));
  const year = Number(value.slice(4, 6));
  if (isRealDayMonth(day, month, year)) return { kind: 'cpr' };
  if (isRealDayMonth(day > 60 ? day - 60 : day, month > 20 ? month - 20 : month, year) && (day > 60 || month > 20)) {
    return { kind: 'replacement' };
  }
  return {
    kind: 'invalid',
    reason: `its first six digits ${value.slice(0, 6)} are not a date DDMMYY (nor a replacement number with day + 60 or month + 20)`,
  };
}

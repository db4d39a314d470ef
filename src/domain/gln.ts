/**
 * GS1 Global Location Numbers (the EAN location numbers MedCom calls EANIdentifier): 13 digits, the
 * last a check digit computed with alternating weights 3 and 1 from the right.
 */
export function glnCheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < first12.length; i++) {
    const digit = first12.charCodeAt(first12.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

export function isGlnShaped(value: string): boolean {
  return /^[0-9]{13}$/.test(value);
}

/** True for a 13-digit number whose check digit is right. */
export function isValidGln(value: string): boolean {
  return isGlnShaped(value) && glnCheckDigit(value.slice(0, 12)) === Number(value[12]);
}

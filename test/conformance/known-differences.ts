/**
 * The explicit list of legitimate differences between MedCom's XSD (libxml2) and the gateway's
 * verdict, used by xsd-agreement.test.ts. Keep it honest and short: a difference belongs here only
 * when the gateway is deliberately stricter than the XSD (or deliberately ignores part of it), with
 * the reason written down. Anything else is a bug in schemas/ or src/codec/ and must be fixed there.
 *
 * Each entry excuses one direction only (XSD valid, gateway invalid), and only when every error the
 * gateway gives has one of the listed issue codes, so a case the gateway rejects for another reason
 * (a schema bug hiding behind the excuse) still fails.
 */
import type { IssueCode, ValidationIssue } from '../../src/codec/issues.js';
import type { MutationKind } from './mutations.js';
import type { XsdVerdict } from './xsd-oracle.js';

export interface GatewayVerdict {
  readonly valid: boolean;
  readonly stage?: string;
  readonly errors: readonly ValidationIssue[];
  /** Set when decodeMessage threw instead of answering: never acceptable. */
  readonly thrown?: string;
}

export interface AgreementCase {
  /** The file name, or the mutation's name (`<base>: <kind> <path> <detail>`). */
  readonly name: string;
  readonly source: 'sample' | 'fixture' | 'mutation';
  /** The file (or, for a mutation, its base file). */
  readonly file: string;
  /** The XSD generation that judged the case, e.g. `2005/08/07`. */
  readonly generation: string;
  readonly mutation?: { readonly kind: MutationKind; readonly path: string; readonly detail: string };
  readonly xsd: XsdVerdict;
  readonly gateway: GatewayVerdict;
}

export interface KnownDifference {
  readonly id: string;
  /** Why the gateway deliberately differs from MedCom's XSD here. */
  readonly reason: string;
  /** Which cases it covers (by mutation kind, path or file). */
  readonly matches: (c: AgreementCase) => boolean;
  /** The gateway must reject these cases with errors of these codes only. */
  readonly gatewayErrorCodes: readonly IssueCode[];
}

const LETTER_ELEMENTS = new Set([
  'NotificationOfAdmission',
  'NotificationOfDischarge',
  'AnswerOfAdmission',
  'WarningOfDischarge',
  'ReportOfAdmission',
  'ReportOfDischarge',
  'ClinicalEmail',
  'NegativeVansReceipt',
  'NegativeReceipt',
  'PositiveReceipt',
]);

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'statistical-code-matches-type',
    reason:
      'the gateway checks that Letter/StatisticalCode matches the letter type (XDIS20 in NotificationOfAdmission, …), ' +
      'since routing and statistics read it; MedCom\'s XSD types it as String_1_8 (VersionCode and TypeCode it pins by pattern)',
    matches: (c) =>
      (c.mutation?.kind === 'code' && c.mutation.path.endsWith('/Letter/StatisticalCode')) ||
      (c.source === 'fixture' && c.file === 'XDIS20_version_statistical_mismatch.xml'),
    gatewayErrorCodes: ['inconsistent-codes'],
  },
  {
    id: 'cpr-real-date',
    reason:
      'a CPR number must start with a real date DDMMYY (semantic check, src/domain/cpr.ts); the XSDs\' ' +
      'CivilRegistrationNumberType (GeneralElements.xsd of 2005/08/07, 2006/07/01 and 2007/02/01) accepts any 10 digits',
    matches: (c) =>
      (c.mutation?.kind === 'cpr' && c.mutation.detail === '(month 13)') || (c.source === 'fixture' && /_bad_cpr_date\.xml$/.test(c.file)),
    gatewayErrorCodes: ['invalid-cpr'],
  },
  {
    id: 'unique-letter-identifier',
    reason:
      'a duplicated letter identifier inside one Emessage: the XSD lets the letter group repeat with any identifiers, but ' +
      'receipts quote OriginalLetterIdentifier per letter (medcom.md §3.1) and duplicate detection keys on it, so each letter of an envelope needs its own',
    matches: (c) => c.mutation?.kind === 'duplicate' && LETTER_ELEMENTS.has(/^\/Emessage\/(\w+)(?:\[\d+\])?$/.exec(c.mutation.path)?.[1] ?? ''),
    gatewayErrorCodes: ['inconsistent-codes'],
  },
  {
    id: 'gateway-extension',
    reason:
      'Local_Elements is xs:anyType in MedCom\'s XSD; the gateway validates its own extension (urn:medcom-gateway:extension:1) inside it, ' +
      'because the deadline rules read it (DESIGN.md, "Settings, demo network, extension"); other content of Local_Elements stays unchecked',
    matches: (c) => c.mutation !== undefined && /^\/Emessage\/Local_Elements(\[\d+\])?\/Gateway/.test(c.mutation.path),
    gatewayErrorCodes: ['extension'],
  },
];

/** The entry that excuses `c`, if any (only for XSD valid, gateway invalid, with the listed error codes). */
export function knownDifferenceFor(c: AgreementCase): KnownDifference | undefined {
  if (!c.xsd.valid || c.gateway.valid || c.gateway.thrown !== undefined || c.gateway.errors.length === 0) return undefined;
  return KNOWN_DIFFERENCES.find((d) => d.matches(c) && c.gateway.errors.every((e) => d.gatewayErrorCodes.includes(e.code)));
}

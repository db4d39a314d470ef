/**
 * What the codec reports when a message is not right: one issue per problem, each naming the XML
 * path of the offending element and, where known, its line and column in the text.
 */
export type IssueSeverity = 'error' | 'warning';

export type IssueCode =
  /** The file or body could not be read at all. */
  | 'encoding'
  /** An encoding the gateway does not read (UTF-16, or a declared or HTTP charset it does not know): HTTP 415. */
  | 'unsupported-encoding'
  /** The HTTP charset and the XML declaration name different encodings. */
  | 'encoding-mismatch'
  /** The bytes are not valid in the declared encoding. */
  | 'invalid-bytes'
  /** No encoding declared and the bytes are not UTF-8: read as windows-1252 (a warning). */
  | 'undeclared-encoding'
  | 'too-large'
  | 'forbidden-declaration'
  | 'not-well-formed'
  | 'limit-exceeded'
  | 'unknown-namespace'
  | 'unknown-root'
  | 'unknown-message-type'
  | 'unsupported-version'
  | 'wrong-namespace'
  | 'missing-element'
  | 'unexpected-element'
  | 'too-many'
  | 'wrong-order'
  | 'invalid-value'
  | 'inconsistent-codes'
  | 'invalid-date'
  | 'invalid-cpr'
  | 'gln-check-digit'
  | 'extension';

export interface ValidationIssue {
  readonly code: IssueCode;
  readonly severity: IssueSeverity;
  /** XML path such as `/Emessage/NotificationOfDischarge/Patient/CivilRegistrationNumber`. */
  readonly path: string;
  /** What is wrong and what was expected, in words an integrator understands. */
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export function issue(
  code: IssueCode,
  path: string,
  message: string,
  position?: { line: number; column: number },
  severity: IssueSeverity = 'error',
): ValidationIssue {
  return position ? { code, severity, path, message, line: position.line, column: position.column } : { code, severity, path, message };
}

export function hasErrors(issues: readonly ValidationIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

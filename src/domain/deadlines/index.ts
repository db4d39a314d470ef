/** Deadline rules (domain.md §3): types, validation, agreement profiles and evaluation at acceptance. */
export * from './types.js';
export { DEADLINE_RULES_SCHEMA } from './rule-schema.js';
export { DeadlineRulesError, parseDeadlineRules, parseDeadlineRulesText } from './parse.js';
export { agreementPartiesOf, partyKindsOf, applyOverride, matchingProfiles, resolveRules, type AgreementParties, type EffectiveRules } from './profiles.js';
export {
  calendarFor,
  dischargeStatedBy,
  evaluateAtAcceptance,
  evaluateRule,
  judgeFulfilment,
  lateness,
  obligedEanOf,
  resumeAwaiting,
  retrainingPerformerOf,
  trackAtAcceptance,
  type AcceptanceContext,
  type EvaluationOptions,
  type LateLimit,
  type TrackedEvaluation,
} from './evaluate.js';
export { evaluateFallbackWarning, fallbackChannelsOf, type FallbackEvaluation, type FallbackRefusal, type FallbackWarning } from './fallback.js';
export { buildComplianceReport, complianceCsv, type ComplianceInputRow, type ComplianceLine, type ComplianceReport } from './compliance.js';
export { correlationTypes, lookbackStart, mayFulfilDeadline, mayStartAwaited, type CorrelationTypes } from './correlation.js';

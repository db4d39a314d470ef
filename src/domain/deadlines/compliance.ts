/**
 * The compliance report: per obliged endpoint and rule, how many deadlines were met, how
 * late the others were. Pure: rows in, report out; CSV for spreadsheets.
 *
 * - `judged` = on time + late + breached (pending, awaiting start, not evaluable and validation
 *   warnings are counted but are not part of the share).
 * - `shareOnTime` = on time / judged, null when nothing was judged.
 * - How the judged ones were fulfilled: by a MedCom message (or its receipt), by a warning given outside
 *   MedCom (phone, secure e-mail, fax, letter, in person), or by the obliged party's report (D7's first contact).
 * - Lateness (median, worst) is over the late and the breached ones, in hours: a late one by its
 *   measured `lateBy.hours`; a breached one, never fulfilled, by the hours from its late limit to `now`.
 */
import type { EvaluationState } from './types.js';
import { csvDocument } from '../csv.js';

export interface ComplianceInputRow {
  readonly ruleId: string;
  readonly title: string;
  readonly obligedEan: string;
  readonly state: EvaluationState;
  /** `lateBy.hours` when it was fulfilled late. */
  readonly lateByHours: number | null;
  /** The late limit, for a breached deadline's lateness so far. */
  readonly lateAfter: Date | null;
  /** How a judged (on time or late) deadline was fulfilled; null for the others. */
  readonly fulfilledVia: 'message' | 'fallback' | 'report' | null;
}

export interface ComplianceLine {
  readonly obligedEan: string;
  readonly ruleId: string;
  readonly title: string;
  readonly total: number;
  readonly judged: number;
  readonly onTime: number;
  readonly late: number;
  readonly breached: number;
  readonly pending: number;
  readonly notEvaluable: number;
  readonly validationWarnings: number;
  /** Waiting for their start (D7 before the episode's discharge is seen): no limit yet, not judged. */
  readonly awaitingStart: number;
  /** Judged ones fulfilled by a MedCom message (or its receipt). */
  readonly byMessage: number;
  /** Judged ones fulfilled by a warning given outside MedCom. */
  readonly byFallback: number;
  /** Judged ones the obliged party reported done (explicit rules, no channel named). */
  readonly byReport: number;
  readonly shareOnTime: number | null;
  readonly medianLatenessHours: number | null;
  readonly worstLatenessHours: number | null;
}

export interface ComplianceReport {
  readonly period: { readonly from?: string; readonly to?: string };
  readonly generatedAt: string;
  readonly lines: readonly ComplianceLine[];
}

const HOUR_MS = 3_600_000;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function buildComplianceReport(
  rows: readonly ComplianceInputRow[],
  meta: { readonly from?: string; readonly to?: string; readonly generatedAt: string },
): ComplianceReport {
  const now = new Date(meta.generatedAt).getTime();
  const groups = new Map<string, ComplianceInputRow[]>();
  for (const row of rows) {
    const key = `${row.obligedEan}\u0000${row.ruleId}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines = [...groups.values()].map((group): ComplianceLine => {
    const first = group[0] as ComplianceInputRow;
    const count = (state: EvaluationState): number => group.filter((r) => r.state === state).length;
    const lateness = group.flatMap((r) => {
      if (r.state === 'late' && r.lateByHours !== null) return [r.lateByHours];
      if (r.state === 'breached' && r.lateAfter) return [Math.max(0, Math.ceil((now - r.lateAfter.getTime()) / HOUR_MS))];
      return [];
    });
    const [onTime, late, breached] = [count('on-time'), count('late'), count('breached')];
    const judged = onTime + late + breached;
    return {
      obligedEan: first.obligedEan,
      ruleId: first.ruleId,
      title: first.title,
      total: group.length,
      judged,
      onTime,
      late,
      breached,
      pending: count('pending'),
      notEvaluable: count('not-evaluable'),
      validationWarnings: count('validation-warning'),
      awaitingStart: count('awaiting-start'),
      byMessage: group.filter((r) => r.fulfilledVia === 'message').length,
      byFallback: group.filter((r) => r.fulfilledVia === 'fallback').length,
      byReport: group.filter((r) => r.fulfilledVia === 'report').length,
      shareOnTime: judged > 0 ? Math.round((onTime / judged) * 10_000) / 10_000 : null,
      medianLatenessHours: median(lateness),
      worstLatenessHours: lateness.length > 0 ? Math.max(...lateness) : null,
    };
  });
  lines.sort((a, b) => a.obligedEan.localeCompare(b.obligedEan) || a.ruleId.localeCompare(b.ruleId, 'en', { numeric: true }));
  return { period: { ...(meta.from ? { from: meta.from } : {}), ...(meta.to ? { to: meta.to } : {}) }, generatedAt: meta.generatedAt, lines };
}

const CSV_COLUMNS: readonly (keyof ComplianceLine)[] = [
  'obligedEan',
  'ruleId',
  'title',
  'total',
  'judged',
  'onTime',
  'late',
  'breached',
  'pending',
  'notEvaluable',
  'validationWarnings',
  'shareOnTime',
  'medianLatenessHours',
  'worstLatenessHours',
  'awaitingStart',
  'byMessage',
  'byFallback',
  'byReport',
];

/** The report as CSV (header row, CRLF line ends, UTF-8), one line per endpoint and rule. */
export function complianceCsv(report: ComplianceReport): string {
  return csvDocument(CSV_COLUMNS, report.lines);
}

/**
 * The audit log: who read or did what, when, to which message (and patient, as the keyed reference),
 * and why. Rows are only ever appended.
 */
import type { Queryable } from './database.js';
import { sqlParameters } from './sql-parameters.js';

export interface AuditEntry {
  /** The operator's name (as on their ops key). */
  readonly operator: string;
  /** The id of the key they used, when known. */
  readonly keyId?: string | null;
  /** What they did: 'body-read', 'redeliver', 'pause', 'dead-letter-retry', … */
  readonly action: string;
  readonly messageId?: string | null;
  readonly patientRef?: string | null;
  readonly reason?: string | null;
  readonly details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  readonly id: number;
  readonly at: Date;
  /** `at` to the microsecond, as the keyset cursor needs it. */
  readonly atKey: string;
  readonly details: Record<string, unknown>;
}

export async function appendAudit(db: Queryable, entry: AuditEntry, at: Date): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO audit_log (at, operator, key_id, action, message_id, patient_ref, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [at, entry.operator, entry.keyId ?? null, entry.action, entry.messageId ?? null, entry.patientRef ?? null, entry.reason ?? null, JSON.stringify(entry.details ?? {})],
  );
  return Number(rows[0]?.id);
}

export interface AuditFilter {
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
  readonly operator?: string;
  readonly messageId?: string;
}

interface AuditRow {
  id: number;
  at: Date;
  at_key: string;
  operator: string;
  key_id: string | null;
  action: string;
  message_id: string | null;
  patient_ref: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

/** The UTC instant to the microsecond, ISO 8601, for keyset cursors over a timestamptz column. */
export const instantKeySql = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Newest first; `before` is the (at, id) of the last row of the previous page. */
export async function listAudit(db: Queryable, filter: AuditFilter, page: { limit: number; before?: { at: string; id: number } }): Promise<AuditRecord[]> {
  const { params, param } = sqlParameters();
  const where: string[] = [];
  if (filter.from) where.push(`at >= ${param(filter.from)}`);
  if (filter.to) where.push(`at < ${param(filter.to)}`);
  if (filter.operator) where.push(`operator = ${param(filter.operator)}`);
  if (filter.messageId) where.push(`message_id = ${param(filter.messageId)}::uuid`);
  if (page.before) where.push(`(at, id) < (${param(page.before.at)}::timestamptz, ${param(page.before.id)}::bigint)`);
  const { rows } = await db.query<AuditRow>(
    `SELECT id, at, ${instantKeySql('at')} AS at_key, operator, key_id, action, message_id, patient_ref, reason, details FROM audit_log
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY at DESC, id DESC LIMIT ${param(page.limit)}`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at),
    atKey: r.at_key,
    operator: r.operator,
    keyId: r.key_id,
    action: r.action,
    messageId: r.message_id,
    patientRef: r.patient_ref,
    reason: r.reason,
    details: r.details,
  }));
}

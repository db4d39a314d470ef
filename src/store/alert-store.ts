/**
 * Open and past alerts (005_alerts.sql). Raising and clearing are single statements whose RETURNING
 * tells the one process that made the change, so a notification goes out once however many workers
 * judge the rules.
 */
import type { Queryable } from './database.js';

export interface AlertRecord {
  readonly id: number;
  readonly ruleId: string;
  readonly kind: string;
  readonly subject: string;
  readonly message: string;
  readonly value: number;
  readonly raisedAt: Date;
  readonly clearedAt: Date | null;
}

interface AlertRow {
  id: string;
  rule_id: string;
  kind: string;
  subject: string;
  message: string;
  value: number;
  raised_at: Date;
  cleared_at: Date | null;
}

const recordOf = (r: AlertRow): AlertRecord => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  kind: r.kind,
  subject: r.subject,
  message: r.message,
  value: Number(r.value),
  raisedAt: new Date(r.raised_at),
  clearedAt: r.cleared_at ? new Date(r.cleared_at) : null,
});

/** Raises the alerts not open yet; returns those this call raised. */
export async function raiseAlerts(
  db: Queryable,
  alerts: readonly { ruleId: string; kind: string; subject: string; message: string; value: number }[],
  at: Date,
): Promise<AlertRecord[]> {
  if (alerts.length === 0) return [];
  const { rows } = await db.query<AlertRow>(
    `INSERT INTO alerts (rule_id, kind, subject, message, value, raised_at)
     SELECT * , $6::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[])
     ON CONFLICT (rule_id, subject) WHERE cleared_at IS NULL DO NOTHING
     RETURNING *`,
    [alerts.map((a) => a.ruleId), alerts.map((a) => a.kind), alerts.map((a) => a.subject), alerts.map((a) => a.message), alerts.map((a) => a.value), at],
  );
  return rows.map(recordOf);
}

/** Clears the open alerts whose (rule, subject) is not in `holding`; returns those this call cleared. */
export async function clearAlertsExcept(db: Queryable, holding: readonly { ruleId: string; subject: string }[], at: Date): Promise<AlertRecord[]> {
  const { rows } = await db.query<AlertRow>(
    `UPDATE alerts SET cleared_at = $3
     WHERE cleared_at IS NULL AND (rule_id, subject) NOT IN (SELECT * FROM unnest($1::text[], $2::text[]))
     RETURNING *`,
    [holding.map((h) => h.ruleId), holding.map((h) => h.subject), at],
  );
  return rows.map(recordOf);
}

/** Open alerts first (newest first), then up to `recentCleared` cleared ones. */
export async function listAlerts(db: Queryable, recentCleared: number): Promise<AlertRecord[]> {
  const { rows } = await db.query<AlertRow>(
    `(SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at DESC, id DESC)
     UNION ALL
     (SELECT * FROM alerts WHERE cleared_at IS NOT NULL ORDER BY cleared_at DESC, id DESC LIMIT $1)`,
    [recentCleared],
  );
  return rows.map(recordOf);
}

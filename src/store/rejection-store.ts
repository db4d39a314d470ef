/**
 * Messages refused at the door leave no row behind (and must not: they may hold patient data), so the
 * overview's "rejected per type" comes from counters: one row per minute, message type and reason.
 */
import type { Queryable } from './database.js';

const MINUTE_MS = 60_000;

/**
 * Counts one refused message. `type` is the message type when it could be read ('unknown' when the
 * bytes did not parse); `reason` is the problem type's slug (e.g. 'invalid-message', 'unroutable').
 */
export async function countRejection(db: Queryable, rejection: { readonly type: string; readonly reason: string }, at: Date): Promise<void> {
  const minute = new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
  await db.query(
    `INSERT INTO rejections (minute, type, reason, count) VALUES ($1, $2, $3, 1)
     ON CONFLICT (minute, type, reason) DO UPDATE SET count = rejections.count + 1`,
    [minute, rejection.type, rejection.reason],
    'medcom-count-rejection',
  );
}

export interface RejectionCount {
  readonly type: string;
  readonly reason: string;
  readonly lastHour: number;
  readonly lastDay: number;
}

/** Refusals per type and reason in the hour and the day up to `now` (to the minute). */
export async function rejectionCounts(db: Queryable, now: Date): Promise<RejectionCount[]> {
  const { rows } = await db.query<{ type: string; reason: string; last_hour: number; last_day: number }>(
    `SELECT type, reason, COALESCE(sum(count) FILTER (WHERE minute > $2), 0)::int AS last_hour, sum(count)::int AS last_day
     FROM rejections WHERE minute > $1 AND minute <= $3
     GROUP BY type, reason ORDER BY type, reason`,
    [new Date(now.getTime() - 24 * 3_600_000), new Date(now.getTime() - 3_600_000), now],
  );
  return rows.map((r) => ({ type: r.type, reason: r.reason, lastHour: r.last_hour, lastDay: r.last_day }));
}

/**
 * What ops know about each endpoint beyond its deliveries: when it last polled its inbox or accepted
 * a push, and whether an operator paused it. A poll must stay cheap, so its activity is written at most
 * once every ACTIVITY_INTERVAL_MS per endpoint and process. The pause is read by the lease statement
 * itself (delivery-store's OPEN_INBOX_CANDIDATES), so it takes effect at once in every process without
 * a round trip of its own.
 */
import type { Queryable } from './database.js';

export const ACTIVITY_INTERVAL_MS = 5_000;

/** Per store and endpoint: the (injected) time this process last wrote the endpoint's activity. */
const lastWritten = new WeakMap<Queryable, Map<string, number>>();

function activityDue(db: Queryable, key: string, at: Date): boolean {
  let written = lastWritten.get(db);
  if (!written) {
    written = new Map();
    lastWritten.set(db, written);
  }
  const last = written.get(key);
  // A clock that went back (a test, a corrected host clock) writes again rather than going silent.
  if (last !== undefined && at.getTime() >= last && at.getTime() - last < ACTIVITY_INTERVAL_MS) return false;
  written.set(key, at.getTime());
  return true;
}

/** The inbox lease path calls this on every poll: notes the poll (throttled; most polls write nothing). */
export async function noteInboxPoll(db: Queryable, endpointEan: string, at: Date): Promise<void> {
  if (activityDue(db, `poll:${endpointEan}`, at)) await writeActivity(db, endpointEan, at, 'last_polled_at');
}

/** A push to this endpoint succeeded (throttled like polls). */
export async function notePushAccepted(db: Queryable, endpointEan: string, at: Date): Promise<void> {
  if (activityDue(db, `push:${endpointEan}`, at)) await writeActivity(db, endpointEan, at, 'last_pushed_at');
}

/** Moves the endpoint's time of `column` forward to `at` (never back: two processes may write it). */
async function writeActivity(db: Queryable, endpointEan: string, at: Date, column: 'last_polled_at' | 'last_pushed_at'): Promise<void> {
  await db.query(
    `INSERT INTO endpoint_activity (endpoint_ean, ${column}) VALUES ($1, $2)
     ON CONFLICT (endpoint_ean) DO UPDATE SET ${column} = EXCLUDED.${column}
     WHERE endpoint_activity.${column} IS NULL OR endpoint_activity.${column} < EXCLUDED.${column}`,
    [endpointEan, at],
    column === 'last_polled_at' ? 'medcom-note-poll' : 'medcom-note-push',
  );
}

export interface EndpointActivity {
  readonly lastPolledAt: Date | null;
  readonly lastPushedAt: Date | null;
}

export async function endpointActivity(db: Queryable): Promise<Map<string, EndpointActivity>> {
  const { rows } = await db.query<{ endpoint_ean: string; last_polled_at: Date | null; last_pushed_at: Date | null }>(
    'SELECT endpoint_ean, last_polled_at, last_pushed_at FROM endpoint_activity',
  );
  return new Map(
    rows.map((r) => [
      r.endpoint_ean,
      { lastPolledAt: r.last_polled_at ? new Date(r.last_polled_at) : null, lastPushedAt: r.last_pushed_at ? new Date(r.last_pushed_at) : null },
    ]),
  );
}

export interface EndpointPause {
  readonly endpointEan: string;
  readonly pausedAt: Date;
  readonly operator: string;
  readonly reason: string;
}

/** Pauses an endpoint; false when it was paused already (the first pause and its reason stay). */
export async function pauseEndpoint(db: Queryable, pause: EndpointPause): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO endpoint_pauses (endpoint_ean, paused_at, operator, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint_ean) DO NOTHING',
    [pause.endpointEan, pause.pausedAt, pause.operator, pause.reason],
  );
  return rowCount > 0;
}

/** Resumes an endpoint; false when it was not paused. */
export async function resumeEndpoint(db: Queryable, endpointEan: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM endpoint_pauses WHERE endpoint_ean = $1', [endpointEan]);
  return rowCount > 0;
}

export async function isPaused(db: Queryable, endpointEan: string): Promise<boolean> {
  const { rows } = await db.query<{ paused: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM endpoint_pauses WHERE endpoint_ean = $1) AS paused',
    [endpointEan],
    'medcom-is-paused',
  );
  return rows[0]?.paused === true;
}

export async function pausedEndpoints(db: Queryable): Promise<EndpointPause[]> {
  const { rows } = await db.query<{ endpoint_ean: string; paused_at: Date; operator: string; reason: string }>(
    'SELECT endpoint_ean, paused_at, operator, reason FROM endpoint_pauses ORDER BY endpoint_ean',
  );
  return rows.map((r) => ({ endpointEan: r.endpoint_ean, pausedAt: new Date(r.paused_at), operator: r.operator, reason: r.reason }));
}

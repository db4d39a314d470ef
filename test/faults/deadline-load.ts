/**
 * Deadlines in the fault suite's load: psychiatric admissions (XDIS20 with the gateway's psychiatric
 * flag) start D21-GP, which only the sender's report fulfils, so each stays pending until its breach
 * timer (an outbox row of kind deadline-breach, run by a worker) marks it breached. The scenario's
 * rules file gives D21-GP a breach time of the admission itself (a profile for the receiving
 * municipality: 0 hours after the admission), and each admission is dated to the minute so its breach
 * time lies shortly ahead (the timer waits in Redis as a delayed job) or has just passed (the timer is
 * due at once): timers of both kinds are in flight when the fault strikes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copenhagenLocal } from '../../src/domain/danish-time.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { psychiatricAdmission } from '../support/gateway.js';

/** The municipality the admissions go to (the fixture's receiver), whose profile shortens D21-GP. */
export const NEAR_BREACH_MUNICIPALITY = '5790000000036';

/** An admission sent this close before a full minute is dated to that minute: its breach lies ahead. */
export const AHEAD_WINDOW_MS = 15_000;

/** The packaged deadline rules with D21-GP breached at the admission itself for NEAR_BREACH_MUNICIPALITY, written into `dir`. */
export function writeNearBreachRules(dir: string): void {
  const rules = JSON.parse(readFileSync(fromPackageRoot('config', 'deadline-rules.json'), 'utf8')) as { profiles: unknown[] };
  rules.profiles = [
    ...rules.profiles,
    {
      id: 'faults-near-breach',
      title: 'Fault suite: the GP notice of a psychiatric admission breaches at the admission itself',
      appliesTo: { municipalityEan: NEAR_BREACH_MUNICIPALITY },
      overrides: { 'D21-GP': { offset: { unit: 'hours', amount: 0 } } },
    },
  ];
  writeFileSync(join(dir, 'deadline-rules.json'), JSON.stringify(rules, null, 2));
}

/** The admission time for a message sent at `now`: the coming full minute when it is near, else the minute just begun. */
export function admissionFor(now: number): Date {
  const next = Math.ceil(now / 60_000) * 60_000;
  return new Date(next - now <= AHEAD_WINDOW_MS ? next : Math.floor(now / 60_000) * 60_000);
}

/** A psychiatric admission with its own identifiers, admitted at `admission`. */
export function nearBreachAdmission(ids: { envelope: string; letter: string }, admission: Date): Buffer {
  // Date and time to the minute in Copenhagen, as MedCom messages carry them.
  const { date, time: seconds } = copenhagenLocal(admission);
  const time = seconds.slice(0, 5);
  const text = psychiatricAdmission(ids).toString('utf8');
  const dated = text.replace(/(<Admission>\s*<Date>)[^<]*(<\/Date>\s*<Time>)[^<]*(<\/Time>)/, `$1${date}$2${time}$3`);
  if (dated === text) throw new Error('the admission fixture has no Admission date and time to set');
  return Buffer.from(dated, 'utf8');
}

export interface DeadlineOutcome {
  /** D21-GP deadlines started by the load, and of those the ones whose breach lay ahead at acceptance. */
  readonly started: number;
  readonly aheadAtAcceptance: number;
  readonly breached: number;
  /** Every deadline (any rule) still pending although its breach time has passed: stuck. */
  readonly overduePending: number;
  /** The longest time from a D21-GP timer being due (its breach time, or the acceptance when that was later) to the breach being marked, in seconds. */
  readonly longestLateSeconds: number;
  /** D21-GP deadlines whose breach time is not the admission (the scenario's rules were not in force). */
  readonly breachNotNear: number;
}

/** What of the private PostgreSQL the count needs. */
export interface Queries {
  query<T>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (up to `timeoutMs`) until every D21-GP deadline is no longer pending and no deadline is pending
 * past its breach time, then counts.
 */
export async function settleDeadlines(postgres: Queries, database: string, timeoutMs: number): Promise<DeadlineOutcome> {
  type Counts = { started: string; ahead: string; breached: string; overdue: string; gp_pending: string; longest: number | null; not_near: string };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await postgres
      .query<Counts>(
        database,
        `SELECT count(*) FILTER (WHERE d.rule_id = 'D21-GP') AS started,
                count(*) FILTER (WHERE d.rule_id = 'D21-GP' AND d.breach_at > m.received_at) AS ahead,
                count(*) FILTER (WHERE d.rule_id = 'D21-GP' AND d.state = 'breached') AS breached,
                count(*) FILTER (WHERE d.state = 'pending' AND d.breach_at <= now()) AS overdue,
                count(*) FILTER (WHERE d.rule_id = 'D21-GP' AND d.state = 'pending') AS gp_pending,
                count(*) FILTER (WHERE d.rule_id = 'D21-GP' AND (d.breach_at IS NULL OR abs(extract(epoch FROM d.breach_at - m.received_at)) > 120)) AS not_near,
                (max(extract(epoch FROM d.breached_at - greatest(d.breach_at, m.received_at))) FILTER (WHERE d.rule_id = 'D21-GP'))::float8 AS longest
         FROM deadlines d JOIN messages m ON m.id = d.message_id`,
      )
      .catch(() => []);
    const done = row !== undefined && Number(row.overdue) === 0 && Number(row.gp_pending) === 0;
    if (row && (done || Date.now() > deadline)) {
      return {
        started: Number(row.started),
        aheadAtAcceptance: Number(row.ahead),
        breached: Number(row.breached),
        overduePending: Number(row.overdue),
        longestLateSeconds: row.longest ?? 0,
        breachNotNear: Number(row.not_near),
      };
    }
    if (Date.now() > deadline) throw new Error(`the deadlines of ${database} could not be counted`);
    await sleep(500);
  }
}

/**
 * Alert rules (config/alerts.json) and how they are judged: pure code over the figures the store gives
 * (app/ops-gauges.ts). A rule holds for a subject — an endpoint of the register, or a deadline rule —
 * and an alert is raised once when it starts to hold and cleared when it stops (app/alerts.ts keeps
 * that state in the store, so every worker process agrees).
 */

export const ALERT_KINDS = ['inbox-oldest-age', 'endpoint-not-polling', 'unacknowledged', 'dead-letter', 'deadline-breaches'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export type AlertRule =
  /** The oldest message waiting for an endpoint is older than `minutes`. */
  | { readonly id: string; readonly kind: 'inbox-oldest-age'; readonly minutes: number }
  /** A pull endpoint last polled its inbox more than `minutes` ago (one that never polled is not judged). */
  | { readonly id: string; readonly kind: 'endpoint-not-polling'; readonly minutes: number }
  /** More than `over` deliveries of an endpoint stayed unanswered after MedCom's resends. */
  | { readonly id: string; readonly kind: 'unacknowledged'; readonly over: number }
  /** Any dead letter for an endpoint. */
  | { readonly id: string; readonly kind: 'dead-letter' }
  /** More than `over` breaches of a deadline rule today (Copenhagen); of one rule, or of each. */
  | { readonly id: string; readonly kind: 'deadline-breaches'; readonly over: number; readonly deadlineRule?: string };

export interface AlertWebhook {
  readonly url: string;
  /** Call a loopback address (127.0.0.0/8, ::1, localhost); refused unless set, so a typo cannot aim the gateway at itself. */
  readonly allowLoopback: boolean;
  /** Attempts per notification before it is given up. */
  readonly attempts: number;
  /** The first retry's delay; each next one doubles. */
  readonly retryDelayMs: number;
}

export interface AlertConfig {
  readonly rules: readonly AlertRule[];
  readonly intervalMs: number;
  readonly webhook?: AlertWebhook;
}

export const NO_ALERTS: AlertConfig = { rules: [], intervalMs: 60_000 };

/** The figures alerts are judged on (what app/ops-gauges.ts reads). */
export interface AlertFacts {
  readonly endpoints: readonly {
    readonly ean: string;
    readonly mode: 'pull' | 'push';
    readonly oldestWaitingSeconds: number | null;
    readonly secondsSincePoll: number | null;
    readonly unacknowledged: number;
    readonly dead: number;
  }[];
  readonly breachesToday: ReadonlyMap<string, number>;
}

/** A rule holding for a subject now. */
export interface AlertCondition {
  readonly ruleId: string;
  readonly kind: AlertKind;
  /** The endpoint's EAN, or the deadline rule's id. */
  readonly subject: string;
  readonly value: number;
  readonly message: string;
}

const minutes = (seconds: number): number => Math.floor(seconds / 60);

/** Every (rule, subject) that holds now. */
export function alertConditions(rules: readonly AlertRule[], facts: AlertFacts): AlertCondition[] {
  const found: AlertCondition[] = [];
  for (const rule of rules) {
    const hold = (subject: string, value: number, message: string): void => {
      found.push({ ruleId: rule.id, kind: rule.kind, subject, value, message });
    };
    switch (rule.kind) {
      case 'inbox-oldest-age':
        for (const e of facts.endpoints) {
          if (e.oldestWaitingSeconds !== null && e.oldestWaitingSeconds > rule.minutes * 60) {
            hold(e.ean, e.oldestWaitingSeconds, `the oldest message waiting for ${e.ean} is ${minutes(e.oldestWaitingSeconds)} minutes old (limit ${rule.minutes})`);
          }
        }
        break;
      case 'endpoint-not-polling':
        for (const e of facts.endpoints) {
          if (e.mode === 'pull' && e.secondsSincePoll !== null && e.secondsSincePoll > rule.minutes * 60) {
            hold(e.ean, e.secondsSincePoll, `${e.ean} has not polled its inbox for ${minutes(e.secondsSincePoll)} minutes (limit ${rule.minutes})`);
          }
        }
        break;
      case 'unacknowledged':
        for (const e of facts.endpoints) {
          if (e.unacknowledged > rule.over) hold(e.ean, e.unacknowledged, `${e.unacknowledged} deliveries to ${e.ean} are unacknowledged (limit ${rule.over})`);
        }
        break;
      case 'dead-letter':
        for (const e of facts.endpoints) {
          if (e.dead > 0) hold(e.ean, e.dead, `${e.dead} deliveries to ${e.ean} are dead-lettered`);
        }
        break;
      case 'deadline-breaches':
        for (const [deadlineRule, n] of facts.breachesToday) {
          if ((rule.deadlineRule === undefined || rule.deadlineRule === deadlineRule) && n > rule.over) {
            hold(deadlineRule, n, `deadline rule ${deadlineRule} was breached ${n} times today (limit ${rule.over})`);
          }
        }
        break;
    }
  }
  return found;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped), localhost and its subdomains, 0.0.0.0: addresses that reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0.0.0.0' || h === '::') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

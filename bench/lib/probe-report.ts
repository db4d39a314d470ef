/**
 * Reads what bench/lib/gateway-probe.ts wrote from inside the gateway: event-loop utilisation over the
 * load, and the SQL statements and Redis commands the gateway sent per accepted message.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface EventLoopSummary {
  readonly utilisationMean: number;
  readonly utilisationMax: number;
  readonly delayP99MsMax: number;
  readonly seconds: number;
}

interface ProbeLine {
  readonly at: number;
  readonly elu: number;
  readonly delayP99Ms: number;
  /** Running totals per statement text: [count, milliseconds]. */
  readonly sql?: Record<string, [number, number]>;
  readonly redis?: Record<string, number>;
}

export interface StatementCost {
  readonly statement: string;
  readonly perMessage: number;
  readonly meanMs: number;
}

export interface ProbeSummary {
  readonly eventLoop?: EventLoopSummary;
  readonly sqlPerMessage?: number;
  readonly redisPerMessage?: number;
  readonly statements?: readonly StatementCost[];
  readonly redisCommands?: Record<string, number>;
}

/** Event-loop utilisation over the load, and the statements and Redis commands sent per message. */
export function readProbe(file: string, from: number, to: number, messages: number): ProbeSummary {
  if (!existsSync(file)) return {};
  const all = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ProbeLine);
  const during = all.filter((l) => l.at > from + 1000 && l.at <= to);
  const base = [...all].reverse().find((l) => l.at <= from);
  const end = [...all].reverse().find((l) => l.at <= to + 1000);
  const summary: { -readonly [K in keyof ProbeSummary]: ProbeSummary[K] } = {};
  if (during.length > 0) {
    const mean = during.reduce((a, l) => a + l.elu, 0) / during.length;
    summary.eventLoop = {
      utilisationMean: Math.round(mean * 1000) / 1000,
      utilisationMax: Math.max(...during.map((l) => l.elu)),
      delayP99MsMax: Math.max(...during.map((l) => l.delayP99Ms)),
      seconds: during.length,
    };
  }
  if (end?.sql && messages > 0) {
    const statements: StatementCost[] = [];
    let total = 0;
    for (const [statement, [n, ms]] of Object.entries(end.sql)) {
      const [n0, ms0] = base?.sql?.[statement] ?? [0, 0];
      if (n - n0 <= 0) continue;
      total += n - n0;
      statements.push({ statement, perMessage: Math.round(((n - n0) / messages) * 100) / 100, meanMs: Math.round(((ms - ms0) / (n - n0)) * 100) / 100 });
    }
    summary.sqlPerMessage = Math.round((total / messages) * 10) / 10;
    summary.statements = statements.sort((a, b) => b.perMessage - a.perMessage);
    const redis: Record<string, number> = {};
    let redisTotal = 0;
    for (const [command, n] of Object.entries(end.redis ?? {})) {
      const d = n - (base?.redis?.[command] ?? 0);
      if (d <= 0) continue;
      redisTotal += d;
      redis[command] = Math.round((d / messages) * 100) / 100;
    }
    summary.redisPerMessage = Math.round((redisTotal / messages) * 100) / 100;
    summary.redisCommands = redis;
  }
  return summary;
}

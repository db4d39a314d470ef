/**
 * `medcom-gateway retention [--dry-run]`: prunes now the message bodies the retention policy
 * (MEDCOM_RETENTION_DAYS) lets go — what the worker processes do on their schedule — or, with
 * --dry-run, reports per message type what would go and changes nothing.
 */
import { previewRetention, pruneExpiredBodies } from '../app/retention.js';
import type { Settings } from '../config/settings.js';
import { describeRetentionPolicy, retentionIsOn } from '../domain/retention.js';
import type { Database } from '../store/database.js';

export interface RetentionCommandOptions {
  readonly dryRun: boolean;
  readonly now?: Date;
}

/** 1234567 → "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}`).join('\n');
}

/** Runs on an open, migrated store (none needed when retention is off); `write` gets the report. Exit code 0. */
export async function runRetention(db: Database | undefined, settings: Settings, options: RetentionCommandOptions, write: (text: string) => void): Promise<number> {
  const now = options.now ?? new Date();
  const policy = settings.retention;
  if (!retentionIsOn(policy) || !db) {
    write('retention is off: MEDCOM_RETENTION_DAYS is not set, so every message body is kept\n');
    return 0;
  }
  write(`retention policy: ${describeRetentionPolicy(policy)}\n`);
  if (options.dryRun) {
    const found = await previewRetention(db, policy, now);
    const messages = found.reduce((sum, row) => sum + row.messages, 0);
    const bytes = found.reduce((sum, row) => sum + row.bytes, 0);
    write(`dry run: would prune the bodies of ${messages} message${messages === 1 ? '' : 's'} (${formatBytes(bytes)}); nothing was changed\n`);
    if (found.length > 0) {
      write(
        `${table([
          ['type', 'messages', 'bytes', 'received from', 'to'],
          ...found.map((row) => [row.type, String(row.messages), formatBytes(row.bytes), row.oldest.toISOString(), row.newest.toISOString()]),
        ])}\n`,
      );
    }
    return 0;
  }
  const result = await pruneExpiredBodies(db, policy, now);
  write(`pruned the bodies of ${result.messages} message${result.messages === 1 ? '' : 's'} (${formatBytes(result.bytes)}); their metadata, receipts, deadlines and timelines are kept\n`);
  return 0;
}

/** The command as `main` calls it: opens the store from the settings, brings its tables up to date, runs. */
export async function runRetentionCommand(settings: Settings, options: RetentionCommandOptions, write: (text: string) => void): Promise<number> {
  if (!retentionIsOn(settings.retention)) return runRetention(undefined, settings, options, write);
  const { connectDatabase } = await import('../runtime/dependencies.js');
  const { migrate } = await import('../store/migrate.js');
  const db = await connectDatabase(settings);
  try {
    // As at every start: the policy works on the current tables (bodies in message_bodies).
    await migrate(db);
    return await runRetention(db, settings, options, write);
  } finally {
    await db.close();
  }
}

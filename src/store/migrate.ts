/**
 * Applies the SQL files in src/store/migrations in order, once each, for PostgreSQL and PGlite alike.
 * Several gateway processes may start together: on PostgreSQL an advisory lock serialises them.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fromPackageRoot } from '../package-root.js';
import type { Database } from './database.js';

const MIGRATION_LOCK = 4_857_001;

export async function migrate(db: Database): Promise<string[]> {
  const dir = fromPackageRoot('src', 'store', 'migrations');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      // PGlite's extended protocol takes one statement at a time; split on the blank-line separators.
      for (const statement of splitStatements(readFileSync(`${dir}/${file}`, 'utf8'))) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
    // The key that turns CPR numbers into patient references is made once per installation.
    await tx.query(
      "INSERT INTO gateway_settings (name, value) VALUES ('patient_ref_key', $1) ON CONFLICT (name) DO NOTHING",
      [randomBytes(32).toString('hex')],
    );
    return applied;
  });
}

function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  // A function body is dollar-quoted ($$ ... $$) and holds semicolons of its own: split only outside it.
  const statements: string[] = [];
  let current = '';
  let inBody = false;
  for (const part of withoutComments.split(/(\$\$|;)/)) {
    if (part === '$$') inBody = !inBody;
    if (part === ';' && !inBody) {
      statements.push(current);
      current = '';
    } else {
      current += part;
    }
  }
  statements.push(current);
  return statements.map((s) => s.trim()).filter((s) => s.length > 0);
}

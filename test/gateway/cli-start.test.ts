/**
 * `medcom-gateway serve` as an operator runs it: a start that cannot succeed ends the process with a
 * non-zero exit and one line saying why, instead of a process that looks alive and serves nothing.
 * Runs the built command (`npm test` builds before running vitest).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';
import { TEST_DATABASE_URL } from '../support/store.js';

const BIN = fromPackageRoot('bin', 'medcom-gateway.js');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command; kills it (code null) if it is still running after `timeoutMs`. */
function run(args: string[], env: Record<string, string>, timeoutMs = 40_000): Promise<Run> {
  if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const queue = testQueuePrefix('cli');
  cleanups.push(() => queue.cleanup());
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: fromPackageRoot(),
      env: { PATH: process.env.PATH ?? '', MEDCOM_CONFIG_DIR: fromPackageRoot('config'), REDIS_URL: TEST_REDIS_URL, MEDCOM_QUEUE_PREFIX: queue.prefix, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A PostgreSQL schema of its own, and a DATABASE_URL that works in it. */
async function freshSchema(prepare?: string): Promise<string> {
  const schema = `t_cli_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    if (prepare) await client.query(`SET search_path = ${schema}; ${prepare}`);
  } finally {
    await client.end();
  }
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await dropper.connect();
    await dropper.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await dropper.end();
  });
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function holdPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('medcom-gateway serve', () => {
  it('exits non-zero with the reason when the migrations fail', async () => {
    // A table in the way of the first migration.
    const url = await freshSchema('CREATE TABLE gateway_settings (unrelated int)');
    const result = await run(['serve'], { DATABASE_URL: url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/^medcom-gateway: cannot start: .*gateway_settings.*already exists/m);
  });

  it('exits non-zero with one clear line when the port is taken', async () => {
    const port = await holdPort();
    const url = await freshSchema();
    const result = await run(['serve'], { DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toEqual([`medcom-gateway: cannot start: port ${port} on 127.0.0.1 is already in use (EADDRINUSE): stop the other process or set PORT`]);
  });

  it('refuses a second process on the same embedded data folder, naming the one that holds it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'medcom-cli-lock-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await holdPort();
    // The test process holds the lock, as a running gateway would.
    const { lockDataDir } = await import('../../src/runtime/data-dir-lock.js');
    const lock = lockDataDir(dataDir);
    cleanups.push(() => lock.release());
    const result = await run(['worker'], { MEDCOM_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(new RegExp(`^medcom-gateway: cannot start: the embedded store in .* is in use by process ${process.pid}`, 'm'));
  });
});

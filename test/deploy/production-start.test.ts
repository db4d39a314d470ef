/**
 * The container's start, without a container: the Dockerfile's final stage is read, its production
 * install (`npm ci --omit=dev --ignore-scripts`) is run in a clean temporary folder holding exactly
 * what the image copies (dist/ from the build), and the image's ENTRYPOINT + CMD start the gateway
 * there against the real PostgreSQL and Redis, with the image's environment. It must migrate an empty
 * schema, answer /readyz 200, pass the image's HEALTHCHECK command, accept a message with a real key
 * and stop cleanly on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/config/keys.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { readRuntimeStage } from '../support/dockerfile.js';
import { deleteKeysWithPrefix, freePort, TEST_REDIS_URL, uniqueQueuePrefix } from '../support/redis.js';
import { TEST_DATABASE_URL } from '../support/store.js';

const HOSPITAL = '5790000000012';
const stage = readRuntimeStage(fromPackageRoot('Dockerfile'));
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Copies what the image's COPY instructions copy (from the build context, or dist/ from the build stage). */
function assemble(root: string): void {
  for (const copy of stage.copies) {
    for (const source of copy.sources) {
      // `COPY --from=build /app/dist ./dist`: the build stage's WORKDIR is /app, our build is the checkout.
      const local = copy.from ? relative('/app', source) : source;
      const from = fromPackageRoot(local);
      if (!existsSync(from)) throw new Error(`the Dockerfile copies ${source}, which is missing here${copy.from ? ' (run `npm run build`)' : ''}`);
      // Docker's rule: a destination ending in "/" is a folder the source goes into by its own name.
      const target = copy.destination.endsWith('/') ? join(root, copy.destination, basename(local)) : join(root, copy.destination);
      cpSync(from, target, { recursive: true });
    }
  }
}

async function waitForReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output()}`);
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`/readyz did not answer 200 within ${timeoutMs} ms (last ${status}):\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the image start command', () => {
  it('runs from a clean production install and serves /readyz', { timeout: 300_000 }, async () => {
    const install = stage.runs.flat().find((command) => command.startsWith('npm ci'));
    expect(install).toBe('npm ci --omit=dev --ignore-scripts');
    expect(stage.user).toBe('node');
    expect(stage.entrypoint[0]).toBe('node');

    const root = mkdtempSync(join(tmpdir(), 'medcom-image-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    assemble(root);
    // Dependencies come from the local npm cache when they are there, as on every development machine.
    const installed = spawnSync('sh', ['-c', install as string], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
    });
    expect(installed.status, installed.stderr).toBe(0);
    expect(existsSync(join(root, 'node_modules', 'fastify'))).toBe(true);
    expect(existsSync(join(root, 'node_modules', 'typescript')), 'dev dependencies are left out').toBe(false);
    expect(existsSync(join(root, 'src', 'store', 'migrations'))).toBe(true);

    // The configuration volume as an operator mounts it: the endpoints and a real key.
    const configDir = join(root, 'config');
    const { key, record } = createKey(HOSPITAL);
    writeFileSync(join(configDir, 'keys.json'), JSON.stringify({ keys: [record] }));
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);

    const schema = `t_${randomBytes(6).toString('hex')}`;
    await sql(`CREATE SCHEMA ${schema}`);
    cleanups.push(() => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    const prefix = uniqueQueuePrefix('image');
    cleanups.push(() => deleteKeysWithPrefix(prefix));
    const port = await freePort();
    const databaseUrl = new URL(TEST_DATABASE_URL);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);

    // The image's environment, with its folders moved to the temporary copy; the rest as compose would set it.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...stage.env,
      MEDCOM_CONFIG_DIR: configDir,
      MEDCOM_DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: TEST_REDIS_URL,
      MEDCOM_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
    };
    expect(env.NODE_ENV).toBe('production');
    const [, ...entryArgs] = stage.entrypoint;
    const child = spawn(process.execPath, [...entryArgs, ...stage.cmd], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));

    await waitForReady(`http://127.0.0.1:${port}/readyz`, child, () => output, 120_000);

    const [healthBin, ...healthArgs] = stage.healthcheck;
    expect(healthBin).toBe('node');
    const health = spawnSync(process.execPath, healthArgs, { env, encoding: 'utf8', timeout: 30_000 });
    expect(health.status, health.stderr).toBe(0);

    const posted = await fetch(`http://127.0.0.1:${port}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/xml' },
      body: readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS17_discharge_home.xml')),
    });
    expect(posted.status, await posted.clone().text()).toBe(202);
    const demo = await fetch(`http://127.0.0.1:${port}/api/v1/inbox`, { headers: { authorization: `Bearer demo-${HOSPITAL}` } });
    expect(demo.status, 'the demo keys are refused in production').toBe(401);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/"msg":"medcom-gateway is ready"/);
  });
});

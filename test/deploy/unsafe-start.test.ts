/**
 * Refusing unsafe starts: a production API with no usable key refuses to start (one line, non-zero
 * exit); with the demo keys on and HOST unset, the API listens on loopback only and the log says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/endpoints.js';
import { createKey } from '../../src/config/keys.js';
import { readSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { createGateway, listenHost } from '../../src/runtime/gateway.js';
import { startTestGateway, testConfigDir } from '../support/gateway.js';

const BIN = fromPackageRoot('bin', 'medcom-gateway.js');
const folders: { remove(): void }[] = [];
afterAll(() => folders.forEach((folder) => folder.remove()));

/** The demo configuration without keys.json (the demo keys stay asked for). */
function configWithoutKeys(): string {
  const config = testConfigDir(() => undefined);
  folders.push(config);
  return config.dir;
}

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }
}

describe('NODE_ENV=production without a usable key', () => {
  it('the installed command refuses to start the API with one line naming keys.json, exit code non-zero', () => {
    if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const dir = configWithoutKeys();
    const dataDir = mkdtempSync(join(tmpdir(), 'medcom-data-'));
    folders.push({ remove: () => rmSync(dataDir, { recursive: true, force: true }) });
    for (const mode of ['serve', 'api']) {
      const result = spawnSync(process.execPath, [BIN, mode], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', MEDCOM_CONFIG_DIR: dir, MEDCOM_DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0' },
      });
      expect(result.status, `${mode}: ${result.stderr}`).not.toBe(0);
      expect(result.status).not.toBeNull();
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/NODE_ENV=production and .*keys\.json holds no usable API key \(demo keys are refused in production\): make one with "medcom-gateway keys create/);
      expect(result.stdout).toBe('');
    }
  });

  it('createGateway throws a ConfigError before opening anything, with or without the workers', async () => {
    const settings = readSettings({ NODE_ENV: 'production', MEDCOM_CONFIG_DIR: configWithoutKeys(), LOG_LEVEL: 'silent' });
    await expect(createGateway(settings, { api: true, workers: true })).rejects.toBeInstanceOf(ConfigError);
    await expect(createGateway(settings, { api: true, workers: false })).rejects.toThrow(/holds no usable API key/);
  });

  it('starts with a key in keys.json', async () => {
    const config = testConfigDir(() => undefined);
    folders.push(config);
    writeFileSync(join(config.dir, 'keys.json'), JSON.stringify({ keys: [createKey('5790000000012').record] }));
    const gw = await startTestGateway({ env: { NODE_ENV: 'production', MEDCOM_CONFIG_DIR: config.dir } });
    try {
      expect((await gw.request({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('the listening address', () => {
  it('demo keys on and HOST unset: 127.0.0.1 only, and the log says so', async () => {
    const logs = new Lines();
    const gw = await startTestGateway({ env: { PORT: '0' }, logger: createLogger({ level: 'info' }, logs) });
    try {
      const address = await gw.gateway.listen();
      expect(new URL(address).hostname).toBe('127.0.0.1');
      const warning = logs.lines.find((line) => typeof line.msg === 'string' && line.msg.includes('demo keys are on'));
      expect(warning?.msg).toMatch(/listens on 127\.0\.0\.1 only: set HOST=0\.0\.0\.0/);
      expect(warning?.level).toBe('warn');
    } finally {
      await gw.close();
    }
  });

  it('HOST wins when set; without demo keys (or in production, where they are refused) the default is every interface', () => {
    expect(listenHost(readSettings({ HOST: '0.0.0.0' }), true)).toEqual({ address: '0.0.0.0', chosenForDemo: false });
    expect(listenHost(readSettings({}), true)).toEqual({ address: '127.0.0.1', chosenForDemo: true });
    expect(listenHost(readSettings({}), false)).toEqual({ address: '0.0.0.0', chosenForDemo: false });
    expect(listenHost(readSettings({ NODE_ENV: 'production' }), true)).toEqual({ address: '0.0.0.0', chosenForDemo: false });
  });
});

/**
 * A running gateway picks up keys made, rotated and revoked with the CLI functions without a restart
 * (reloadKeys, as SIGHUP does, and the folder watch), refuses what it should, keeps its keys when the
 * new file is broken, and records when each key was last used where `keys list` reads it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runKeysCreate, runKeysList, runKeysRevoke, runKeysRotate } from '../../src/cli/keys-command.js';
import { readLastUses } from '../../src/cli/key-usage-reader.js';
import { createLogger } from '../../src/logging.js';
import { keyUsageHash } from '../../src/pipeline/key-usage.js';
import { HOSPITAL, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';
import { TEST_REDIS_URL } from '../support/redis.js';

let gw: TestGateway;
let config: ReturnType<typeof testConfigDir>;
const logLines: string[] = [];
const quiet = { out: () => undefined, err: () => undefined };

function create(principal: string, name?: string): { key: string; id: string } {
  const printed: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  try {
    expect(runKeysCreate(config.dir, principal, (t) => printed.push(t), name)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  const key = (printed[0] as string).trim();
  return { key, id: key.split('_')[1] as string };
}

async function inbox(key: string) {
  return gw.request({ method: 'GET', url: '/api/v1/inbox?wait=0', headers: { authorization: `Bearer ${key}` } });
}

beforeAll(async () => {
  config = testConfigDir(() => undefined);
  gw = await startTestGateway({
    env: { MEDCOM_CONFIG_DIR: config.dir },
    workers: false,
    logger: createLogger({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
  });
});

afterAll(async () => {
  await gw?.close();
  config?.remove();
});

describe('reloading keys.json', () => {
  it('takes new, rotated and revoked keys; the old key of a rotation works until its grace ends', async () => {
    const first = create(HOSPITAL);
    expect((await inbox(first.key)).statusCode).toBe(401);
    expect(gw.gateway.reloadKeys()).toEqual({ applied: true, keys: 1, usable: 1 });
    expect((await inbox(first.key)).statusCode).toBe(200);

    const rotated: string[] = [];
    expect(runKeysRotate(config.dir, first.id, '1h', { out: (t) => void rotated.push(t), err: () => undefined, now: gw.clock.now })).toBe(0);
    const second = (rotated[0] as string).trim();
    expect(gw.gateway.reloadKeys('SIGHUP')).toEqual({ applied: true, keys: 2, usable: 2 });
    expect((await inbox(first.key)).statusCode).toBe(200);
    expect((await inbox(second)).statusCode).toBe(200);

    gw.clock.advance(60 * 60 * 1000);
    const expired = await inbox(first.key);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ status: 401, detail: 'the API key has expired' });
    expect((await inbox(second)).statusCode).toBe(200);

    expect(runKeysRevoke(config.dir, second.split('_')[1] as string, quiet)).toBe(0);
    gw.gateway.reloadKeys();
    const revoked = await inbox(second);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toMatchObject({ detail: 'the API key is not known' });
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('a broken file keeps the old keys, and the log says why without a secret', async () => {
    const kept = create('ops', 'Jens Hansen');
    gw.gateway.reloadKeys();
    expect((await inbox(kept.key)).statusCode).toBe(403);
    const file = join(config.dir, 'keys.json');
    const good = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { keys: { principal: string }[] };
    writeFileSync(file, JSON.stringify({ keys: [...good.keys, { id: 'x', principal: '5790000000999', sha256: 'nope' }] }));
    logLines.length = 0;
    const result = gw.gateway.reloadKeys('SIGHUP');
    expect(result).toMatchObject({ applied: false, reason: 'invalid' });
    expect((await inbox(kept.key)).statusCode).toBe(403);
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; problems?: string[]; level: number });
    const error = logged.find((l) => l.msg === 'keys.json is not valid; the API keys stay as they were');
    expect(error?.problems?.join('\n')).toMatch(/keys\.json#\/keys\/\d+\/id: must match pattern/);
    expect(logLines.join('\n')).not.toContain(kept.key.split('_')[2]);

    writeFileSync(file, '{"keys": [');
    expect(gw.gateway.reloadKeys()).toMatchObject({ applied: false, reason: 'invalid' });
    expect((await inbox(kept.key)).statusCode).toBe(403);

    // A missing file is not "no keys" (an editor may remove it for a moment while saving).
    renameSync(file, `${file}.away`);
    expect(gw.gateway.reloadKeys()).toEqual({ applied: false, reason: 'missing' });
    expect((await inbox(kept.key)).statusCode).toBe(403);
    renameSync(`${file}.away`, file);
    writeFileSync(file, JSON.stringify(good));
    expect(gw.gateway.reloadKeys()).toMatchObject({ applied: true });
    expect(gw.gateway.reloadKeys()).toEqual({ applied: false, reason: 'unchanged' });
  });

  it('records when a key was last used, at most once a minute, where keys list reads it', async () => {
    const used = create(HOSPITAL);
    gw.gateway.reloadKeys();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const hash = keyUsageHash(gw.settings.queuePrefix);
      const recorded = async () => {
        await vi.waitFor(async () => expect(await redis.hget(hash, used.id)).not.toBeNull());
        return Number(await redis.hget(hash, used.id));
      };
      expect((await inbox(used.key)).statusCode).toBe(200);
      const firstUse = gw.clock.now().getTime();
      expect(await recorded()).toBe(firstUse);
      gw.clock.advance(30_000);
      expect((await inbox(used.key)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(await recorded()).toBe(firstUse);
      gw.clock.advance(30_000);
      expect((await inbox(used.key)).statusCode).toBe(200);
      await vi.waitFor(async () => expect(Number(await redis.hget(hash, used.id))).toBe(firstUse + 60_000));
      // A process whose clock is behind does not move the time backwards.
      await redis.hset(hash, used.id, String(firstUse + 600_000));
      gw.clock.advance(60_000);
      expect((await inbox(used.key)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(Number(await redis.hget(hash, used.id))).toBe(firstUse + 600_000);
      // Demo keys are not recorded.
      expect((await gw.get(HOSPITAL, '/api/v1/inbox?wait=0')).statusCode).toBe(200);
      expect(await redis.hkeys(hash)).not.toContain('demo');

      const out: string[] = [];
      await runKeysList(config.dir, { json: true }, { out: (t) => void out.push(t), err: () => undefined, lastUsed: () => readLastUses(gw.settings) });
      const listed = JSON.parse(out.join('')) as { lastUsedKnown: boolean; keys: { id: string; lastUsed: string | null }[] };
      expect(listed.lastUsedKnown).toBe(true);
      expect(listed.keys.find((k) => k.id === used.id)?.lastUsed).toBe(new Date(firstUse + 600_000).toISOString());
    } finally {
      await redis.quit();
    }
  });
});

describe('watching the configuration folder', () => {
  it('applies a change written by the CLI, and an editor-style rename-write, without a signal', async () => {
    const watched = testConfigDir(() => undefined);
    const other = await startTestGateway({ env: { MEDCOM_CONFIG_DIR: watched.dir }, workers: false, watchKeys: true, sharedWith: gw });
    try {
      const printed: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
      runKeysCreate(watched.dir, HOSPITAL, (t) => printed.push(t));
      spy.mockRestore();
      const key = (printed[0] as string).trim();
      const status = async () => (await other.request({ method: 'GET', url: '/api/v1/inbox?wait=0', headers: { authorization: `Bearer ${key}` } })).statusCode;
      await vi.waitFor(async () => expect(await status()).toBe(200), { timeout: 10_000, interval: 50 });
      // An editor writes a new file beside it and renames it over keys.json.
      const file = join(watched.dir, 'keys.json');
      writeFileSync(`${file}.swp`, '{ "keys": [] }\n');
      renameSync(`${file}.swp`, file);
      await vi.waitFor(async () => expect(await status()).toBe(401), { timeout: 10_000, interval: 50 });
    } finally {
      await other.close();
      watched.remove();
    }
  });
});

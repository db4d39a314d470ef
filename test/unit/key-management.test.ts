/**
 * keys list / revoke / rotate on a configuration folder of their own, with an injected clock, and the
 * KeyRing refusing revoked and expired keys.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseGrace, runKeysCreate, runKeysList, runKeysRevoke, runKeysRotate } from '../../src/cli/keys-command.js';
import { checkConfigDir } from '../../src/cli/config-check/config-check.js';
import { loadEndpointRegister } from '../../src/config/endpoints.js';
import { keysFileProblems } from '../../src/config/keys-file.js';
import { createKey, KeyRing, loadStoredKeys, type StoredKey } from '../../src/config/keys.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { testConfigDir } from '../support/gateway.js';

const register = loadEndpointRegister(fromPackageRoot('config'));
const HOSPITAL = '5790000000012';
const copies: { remove(): void }[] = [];

/** A folder holding the demo network's endpoints.json and no keys.json, removed after the test. */
function configCopy(): string {
  const copy = testConfigDir(() => undefined);
  copies.push(copy);
  return copy.dir;
}

afterEach(() => {
  for (const copy of copies.splice(0)) copy.remove();
  vi.restoreAllMocks();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
}

/** Makes a key with `keys create`; returns the key and its id. */
function create(dir: string, principal: string, name?: string): { key: string; id: string } {
  const printed: string[] = [];
  vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  expect(runKeysCreate(dir, principal, (t) => printed.push(t), name)).toBe(0);
  const key = (printed[0] as string).trim();
  return { key, id: key.split('_')[1] as string };
}

const stored = (dir: string): StoredKey[] => loadStoredKeys(dir, register);

describe('KeyRing: revoked and expired keys', () => {
  it('refuses a revoked key as unknown, an expired one as expired, and a wrong secret of an expired key as unknown', () => {
    const now = new Date('2026-03-13T09:00:00Z');
    const revoked = createKey(HOSPITAL);
    const expiring = createKey(HOSPITAL);
    const keys = [
      { ...revoked.record, revoked: '2026-03-13T08:00:00.000Z' },
      { ...expiring.record, expires: '2026-03-13T10:00:00.000Z' },
    ];
    let clock = now;
    const ring = new KeyRing(keys, register, true, () => clock);
    expect(ring.authenticate(revoked.key)).toEqual({ ok: false, reason: 'the API key is not known' });
    expect(ring.authenticate(expiring.key)).toMatchObject({ ok: true, principal: { kind: 'endpoint', ean: HOSPITAL } });
    clock = new Date('2026-03-13T10:00:00Z');
    expect(ring.authenticate(expiring.key)).toEqual({ ok: false, reason: 'the API key has expired' });
    const wrongSecret = `${expiring.key.slice(0, -4)}AAAA`;
    expect(ring.authenticate(wrongSecret)).toEqual({ ok: false, reason: 'the API key is not known' });
  });

  it('replaceKeys keeps the old keys when the new set names an unknown endpoint', () => {
    const a = createKey(HOSPITAL);
    const ring = new KeyRing([a.record], register, true);
    expect(() => ring.replaceKeys([createKey('5790000000999').record])).toThrow(/not an endpoint/);
    expect(ring.authenticate(a.key)).toMatchObject({ ok: true });
  });
});

describe('keys revoke', () => {
  it('marks the key revoked with the time; it stays in the file and stops working', () => {
    const dir = configCopy();
    const { key, id } = create(dir, HOSPITAL);
    const c = capture();
    expect(runKeysRevoke(dir, id, { ...c.io, now: () => new Date('2026-03-13T09:00:00Z') })).toBe(0);
    expect(stored(dir)).toEqual([expect.objectContaining({ id, revoked: '2026-03-13T09:00:00.000Z' })]);
    expect(c.err.join('')).toMatch(new RegExp(`^revoked key ${id} of ${HOSPITAL} at 2026-03-13T09:00:00.000Z`));
    expect(new KeyRing(stored(dir), register, true).authenticate(key)).toEqual({ ok: false, reason: 'the API key is not known' });
    // Revoking again changes nothing.
    const again = capture();
    expect(runKeysRevoke(dir, id, again.io)).toBe(0);
    expect(again.err.join('')).toMatch(/already revoked at 2026-03-13T09:00:00.000Z/);
    expect(stored(dir)[0]?.revoked).toBe('2026-03-13T09:00:00.000Z');
  });

  it('an unknown id is exit 2 with a clear message, and the file is unchanged', () => {
    const dir = configCopy();
    create(dir, HOSPITAL);
    const before = readFileSync(join(dir, 'keys.json'), 'utf8');
    const c = capture();
    expect(runKeysRevoke(dir, 'nosuchkey1', c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/^no key with the id nosuchkey1 in .*keys\.json \("medcom-gateway keys list" shows the ids\)\n$/);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).toBe(before);
  });
});

describe('keys rotate', () => {
  it('prints a new key for the same person and keeps the old one until now + grace', () => {
    const dir = configCopy();
    const old = create(dir, 'ops', 'Jens Hansen');
    const c = capture();
    const now = new Date('2026-03-13T09:00:00Z');
    expect(runKeysRotate(dir, old.id, '24h', { ...c.io, now: () => now })).toBe(0);
    const fresh = (c.out[0] as string).trim();
    expect(fresh).toMatch(/^mgw_[a-z0-9]+_/);
    expect(c.err.join('')).toMatch(new RegExp(`for Jens Hansen in .*the key above is shown only once\\. The old key ${old.id} works until 2026-03-14T09:00:00.000Z`));
    const keys = stored(dir);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatchObject({ id: old.id, expires: '2026-03-14T09:00:00.000Z' });
    expect(keys[1]).toMatchObject({ principal: 'ops', name: 'Jens Hansen', created: now.toISOString() });
    expect(keys[1]?.expires).toBeUndefined();
    let clock = new Date('2026-03-14T08:59:59Z');
    const ring = new KeyRing(keys, register, true, () => clock);
    expect(ring.authenticate(old.key)).toMatchObject({ ok: true, principal: { kind: 'ops', name: 'Jens Hansen' } });
    expect(ring.authenticate(fresh)).toMatchObject({ ok: true, principal: { kind: 'ops', name: 'Jens Hansen' } });
    clock = new Date('2026-03-14T09:00:00Z');
    expect(ring.authenticate(old.key)).toEqual({ ok: false, reason: 'the API key has expired' });
    expect(ring.authenticate(fresh)).toMatchObject({ ok: true });
  });

  it('--grace 0 ends the old key now; a second rotation never lengthens an earlier end', () => {
    const dir = configCopy();
    const old = create(dir, HOSPITAL);
    const now = new Date('2026-03-13T09:00:00Z');
    expect(runKeysRotate(dir, old.id, '7d', { ...capture().io, now: () => now })).toBe(0);
    expect(runKeysRotate(dir, old.id, '30d', { ...capture().io, now: () => now })).toBe(0);
    expect(stored(dir)[0]?.expires).toBe('2026-03-20T09:00:00.000Z');
    expect(runKeysRotate(dir, old.id, '0', { ...capture().io, now: () => now })).toBe(0);
    expect(stored(dir)[0]?.expires).toBe('2026-03-13T09:00:00.000Z');
    expect(new KeyRing(stored(dir), register, true, () => now).authenticate(old.key)).toEqual({ ok: false, reason: 'the API key has expired' });
  });

  it('refuses a bad --grace, an unknown id and a revoked or expired key (exit 2, nothing written)', () => {
    const dir = configCopy();
    const old = create(dir, HOSPITAL);
    const before = readFileSync(join(dir, 'keys.json'), 'utf8');
    for (const grace of ['24', '1w', '-1h', '1.5h', '', '400d']) {
      const c = capture();
      expect(runKeysRotate(dir, old.id, grace, c.io), grace).toBe(2);
      expect(c.err.join('')).toMatch(/^--grace .* is not valid: give how long the old key keeps working, as 0 or a whole number with s, m, h or d/);
    }
    const unknown = capture();
    expect(runKeysRotate(dir, 'nosuchkey1', '24h', unknown.io)).toBe(2);
    expect(unknown.err.join('')).toMatch(/^no key with the id nosuchkey1 in /);
    expect(readFileSync(join(dir, 'keys.json'), 'utf8')).toBe(before);
    expect(runKeysRevoke(dir, old.id, capture().io)).toBe(0);
    const revoked = capture();
    expect(runKeysRotate(dir, old.id, '24h', revoked.io)).toBe(2);
    expect(revoked.err.join('')).toBe(`key ${old.id} is revoked; make a new key with "medcom-gateway keys create" instead\n`);
    expect(stored(dir)).toHaveLength(1);
  });

  it('reads durations', () => {
    expect(parseGrace('0')).toBe(0);
    expect(parseGrace('90s')).toBe(90_000);
    expect(parseGrace('90m')).toBe(5_400_000);
    expect(parseGrace('24h')).toBe(86_400_000);
    expect(parseGrace('7d')).toBe(604_800_000);
    expect(parseGrace('0h')).toBe(0);
    expect(parseGrace('h')).toBeUndefined();
  });
});

describe('keys list', () => {
  it('shows id, owner with the endpoint name or the person, created, last used and state; never a secret or hash', async () => {
    const dir = configCopy();
    const hospital = create(dir, HOSPITAL);
    const jens = create(dir, 'ops', 'Jens Hansen');
    const gone = create(dir, '5790000000036');
    const at = new Date('2026-03-13T09:00:00Z');
    runKeysRotate(dir, hospital.id, '24h', { ...capture().io, now: () => at });
    runKeysRevoke(dir, gone.id, { ...capture().io, now: () => at });
    const keys = stored(dir);
    const rotated = keys[3] as StoredKey;
    const c = capture();
    const lastUsed = async () => new Map([[jens.id, new Date('2026-03-13T08:15:42Z')]]);
    expect(await runKeysList(dir, { json: false }, { ...c.io, lastUsed, now: () => at })).toBe(0);
    const text = c.out.join('');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +OWNER +CREATED +LAST USED +STATE$/);
    expect(lines[1]).toMatch(new RegExp(`^${hospital.id} +5790000000012 Regionshospitalet Demo +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ +never +active, expires 2026-03-14 09:00Z$`));
    expect(lines[2]).toMatch(new RegExp(`^${jens.id} +ops: Jens Hansen +.* +2026-03-13 08:15Z +active$`));
    expect(lines[3]).toMatch(new RegExp(`^${gone.id} +5790000000036 Demo Kommune Nord +.* +never +revoked 2026-03-13 09:00Z$`));
    expect(lines[4]).toMatch(new RegExp(`^${rotated.id} +5790000000012 Regionshospitalet Demo +2026-03-13 09:00Z +never +active$`));
    for (const key of keys) expect(text).not.toContain(key.sha256);
    expect(text).not.toContain(hospital.key.split('_')[2]);

    // A day later the rotated key has expired.
    const later = capture();
    await runKeysList(dir, { json: false }, { ...later.io, lastUsed, now: () => new Date('2026-03-14T09:00:00Z') });
    expect(later.out.join('').split('\n')[1]).toMatch(/expired 2026-03-14 09:00Z$/);
  });

  it('--json, and "unknown" when the last uses cannot be read', async () => {
    const dir = configCopy();
    const hospital = create(dir, HOSPITAL);
    const c = capture();
    const unreachable = async (): Promise<Map<string, Date>> => {
      throw new Error('Redis at redis://127.0.0.1:1 does not answer (connect ECONNREFUSED)');
    };
    expect(await runKeysList(dir, { json: true }, { ...c.io, lastUsed: unreachable })).toBe(0);
    const listed = JSON.parse(c.out.join('')) as { lastUsedKnown: boolean; keys: Record<string, unknown>[] };
    expect(listed.lastUsedKnown).toBe(false);
    expect(listed.keys).toEqual([{ id: hospital.id, principal: HOSPITAL, owner: 'Regionshospitalet Demo', created: expect.any(String), lastUsed: null, state: 'active' }]);
    expect(c.err.join('')).toBe('last use unknown: Redis at redis://127.0.0.1:1 does not answer (connect ECONNREFUSED)\n');
    const table = capture();
    await runKeysList(dir, { json: false }, { ...table.io, lastUsed: unreachable });
    expect(table.out.join('').split('\n')[1]).toMatch(/ unknown +active$/);
  });

  it('says so when there are no keys', async () => {
    const dir = configCopy();
    const c = capture();
    expect(await runKeysList(dir, { json: false }, { ...c.io, lastUsed: async () => new Map() })).toBe(0);
    expect(c.out.join('')).toBe(`no keys in ${join(dir, 'keys.json')} (the demo keys are on)\n`);
  });
});

describe('keys.json: revoked and expires', () => {
  it('must be RFC 3339 times; each problem with its path and fix', () => {
    const key = createKey(HOSPITAL).record;
    const problems = keysFileProblems({ keys: [{ ...key, revoked: 'yesterday', expires: 1 }] }, 'keys.json', register);
    expect(problems).toEqual([
      expect.stringMatching(/^keys\.json#\/keys\/0\/revoked: must match format "date-time" — the RFC 3339 time the key was revoked/),
      expect.stringMatching(/^keys\.json#\/keys\/0\/expires: must be string — the RFC 3339 time the key stops working/),
    ]);
    expect(keysFileProblems({ keys: [{ ...key, revoked: '2026-03-13T09:00:00Z', expires: '2026-03-14T09:00:00Z' }] }, 'keys.json', register)).toEqual([]);
  });

  it('config check reports them with file, path and fix', () => {
    const dir = configCopy();
    const key = createKey(HOSPITAL).record;
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ ...key, expires: 'tomorrow' }] }));
    const report = checkConfigDir(dir);
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', file: join(dir, 'keys.json'), path: '/keys/0/expires', message: 'must match format "date-time"', fix: expect.stringMatching(/^the RFC 3339 time the key stops working/) }),
    ]);
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ ...key, revoked: '2026-03-13T09:00:00.000Z' }] }));
    expect(checkConfigDir(dir).findings).toEqual([]);
  });

  it('keys create keeps the records revoke and rotate wrote', () => {
    const dir = configCopy();
    const first = create(dir, HOSPITAL);
    runKeysRevoke(dir, first.id, capture().io);
    create(dir, HOSPITAL);
    expect(stored(dir)[0]).toMatchObject({ id: first.id, revoked: expect.any(String) });
    writeFileSync(join(dir, 'keys.json'), '{"keys":[');
    expect(() => runKeysRevoke(dir, first.id, capture().io)).toThrow(/cannot read .*keys\.json/);
  });
});

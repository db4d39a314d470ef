/**
 * Operators are people: every ops key names the person it belongs to, so the audit log can say who
 * read a patient's message. The demo network's operator is "Demo operator".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runKeysCreate } from '../../src/cli/keys-command.js';
import { loadEndpointRegister } from '../../src/config/endpoints.js';
import { keysFileProblems } from '../../src/config/keys-file.js';
import { createKey, KeyRing, loadStoredKeys } from '../../src/config/keys.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { testConfigDir } from '../support/gateway.js';

const register = loadEndpointRegister(fromPackageRoot('config'));
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

describe('ops keys name a person', () => {
  it('keys create --ops --name stores the name and the key authenticates as that person', () => {
    const dir = configCopy();
    const printed: string[] = [];
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(runKeysCreate(dir, 'ops', (text) => printed.push(text), '  Jens   Hansen ')).toBe(0);
    const stored = loadStoredKeys(dir, register);
    expect(stored).toMatchObject([{ principal: 'ops', name: 'Jens Hansen' }]);
    const key = (printed[0] as string).trim();
    const ring = new KeyRing(stored, register, true);
    expect(ring.authenticate(key)).toEqual({ ok: true, principal: { kind: 'ops', name: 'Jens Hansen' }, keyId: stored[0]?.id });
  });

  it('refuses an ops key without a name, and a name on an endpoint key (exit 2, nothing written)', () => {
    const dir = configCopy();
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => errors.push(String(text)) > 0);
    expect(runKeysCreate(dir, 'ops', () => undefined)).toBe(2);
    expect(runKeysCreate(dir, 'ops', () => undefined, '   ')).toBe(2);
    expect(runKeysCreate(dir, 'ops', () => undefined, 'x'.repeat(101))).toBe(2);
    expect(runKeysCreate(dir, '5790000000029', () => undefined, 'Jens Hansen')).toBe(2);
    expect(errors.join('')).toMatch(/--name "Jens Hansen"/);
    expect(errors.join('')).toMatch(/--name is for ops keys/);
    expect(() => readFileSync(join(dir, 'keys.json'))).toThrow(/ENOENT/);
  });

  it('names an older ops key without a name by its id, and the demo operator "Demo operator"', () => {
    const { key, record } = createKey('ops');
    const ring = new KeyRing([record], { ...register, demoKeys: true }, false);
    expect(ring.authenticate(key)).toMatchObject({ ok: true, principal: { kind: 'ops', name: `operator with key ${record.id}` } });
    expect(ring.authenticate('demo-ops')).toMatchObject({ ok: true, principal: { kind: 'ops', name: 'Demo operator' } });
  });

  it('keys.json refuses a name on an endpoint key and an empty name', () => {
    const endpointKey = { ...createKey('5790000000029').record, name: 'Jens Hansen' };
    const emptyName = { ...createKey('ops').record, name: '' };
    const problems = keysFileProblems({ keys: [endpointKey] }, 'keys.json', register);
    expect(problems).toEqual([expect.stringMatching(/^keys\.json#\/keys\/0\/name: only an ops key names a person/)]);
    expect(keysFileProblems({ keys: [emptyName] }, 'keys.json', register)).toEqual([expect.stringMatching(/^keys\.json#\/keys\/0\/name: .*the name of the person/)]);
  });
});

/**
 * `medcom-gateway config check`: each kind of broken configuration is caught, with its file, JSON path
 * and fix, and every problem of a folder is told in one run; keys.json is checked at start too.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigDir, findingOf, type Finding } from '../../src/cli/config-check/config-check.js';
import { formatReport } from '../../src/cli/config-check/config-command.js';
import { ConfigError, loadEndpointRegister } from '../../src/config/endpoints.js';
import { createKey, loadStoredKeys } from '../../src/config/keys.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { runCli } from '../support/listening-gateway.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

type Json = Record<string, unknown> & { endpoints?: Record<string, unknown>[] };

/** A copy of the shipped configuration, changed by `edit` (file name → JSON to write, or text as is). */
function configDir(edit: Record<string, (json: Json) => unknown> = {}, raw: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'medcom-config-check-'));
  dirs.push(dir);
  cpSync(fromPackageRoot('config'), dir, { recursive: true });
  for (const [name, change] of Object.entries(edit)) {
    let json: Json = {};
    try {
      json = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Json;
    } catch {
      // a new file
    }
    writeFileSync(join(dir, name), JSON.stringify(change(json) ?? json, null, 2));
  }
  for (const [name, text] of Object.entries(raw)) writeFileSync(join(dir, name), text);
  return dir;
}

function errors(dir: string): Finding[] {
  return checkConfigDir(dir).findings.filter((f) => f.severity === 'error');
}

function one(findings: readonly Finding[], path: string): Finding {
  const found = findings.filter((f) => f.path === path);
  expect(found, `${path} in ${JSON.stringify(findings, null, 2)}`).toHaveLength(1);
  return found[0] as Finding;
}

const key = (principal: string) => createKey(principal, new Date('2026-03-13T09:00:00Z')).record;

describe('config check', () => {
  it('passes the shipped configuration', () => {
    const report = checkConfigDir(fromPackageRoot('config'));
    expect(report.findings).toEqual([]);
    expect(report.files.map((f) => f.name)).toEqual(['endpoints.json', 'keys.json', 'deadline-rules.json', 'retraining-routing.json', 'alerts.json']);
  });

  it('endpoints.json: every problem at once — schema, check digits, spelling — with the path and the fix', () => {
    const dir = configDir({
      'endpoints.json': (json) => {
        const endpoints = json.endpoints as Record<string, unknown>[];
        (endpoints[0] as Record<string, unknown>).delivery = { mode: 'push' };
        (endpoints[1] as Record<string, unknown>).ean = '5790000000028';
        (endpoints[2] as Record<string, unknown>).acepts = ['XDIS20'];
        (endpoints[3] as Record<string, unknown>).ean = '579000000004';
      },
    });
    const found = errors(dir);
    const file = join(dir, 'endpoints.json');
    expect(one(found, '/endpoints/0/delivery')).toEqual({ severity: 'error', file, path: '/endpoints/0/delivery', message: 'is not a delivery mode the gateway knows', fix: 'write {"mode":"pull"} (the endpoint polls its inbox) or {"mode":"push","url":"https://…"}' });
    expect(one(found, '/endpoints/1/ean').message).toBe('5790000000028 has a wrong GLN check digit');
    expect(one(found, '/endpoints/2')).toMatchObject({ message: 'must NOT have additional properties ("acepts")', fix: 'remove it or check its spelling' });
    expect(one(found, '/endpoints/3/ean')).toMatchObject({ message: 'must match pattern "^[0-9]{13}$"', fix: expect.stringContaining('13-digit EAN') });
    expect(found).toHaveLength(4);
    // The other files wait for a usable register rather than report references they cannot check.
    expect(checkConfigDir(dir).files.find((f) => f.name === 'retraining-routing.json')?.summary).toMatch(/not checked until endpoints\.json is usable/);
  });

  it('a file that is not JSON: where the syntax breaks, as line and column', () => {
    const dir = configDir({}, { 'endpoints.json': '{\n  "endpoints": [\n    { "ean": "5790000000012", }\n  ]\n}\n' });
    const found = one(errors(dir), '/');
    expect(found.message).toMatch(/^not valid JSON: .* \(line 3, column \d+\)$/);
    expect(found.fix).toMatch(/correct the JSON/);
  });

  it('a missing endpoints.json is an error; an unknown .json file is pointed out', () => {
    const dir = configDir({}, { 'endpoint.json': '{}' });
    rmSync(join(dir, 'endpoints.json'));
    const report = checkConfigDir(dir);
    expect(one(report.findings.filter((f) => f.severity === 'error'), '/')).toMatchObject({ file: join(dir, 'endpoints.json'), message: expect.stringMatching(/^missing/) });
    expect(report.findings.find((f) => f.file === join(dir, 'endpoint.json'))).toMatchObject({ severity: 'warning', message: 'not a file the gateway reads', fix: expect.stringContaining('endpoints.json') });
  });

  it('keys.json: its shape and that every key belongs to an endpoint or to operations', () => {
    const good = key('5790000000012');
    const dir = configDir({
      'keys.json': () => ({
        keys: [good, { ...key('5790000000098') }, { ...good }, { ...key('ops'), sha256: 'ABC' }, { ...key('ops'), expiry: 'soon' }],
      }),
    });
    const file = join(dir, 'keys.json');
    const schema = errors(dir);
    // The schema first: the wrong digest and the unknown field …
    expect(one(schema, '/keys/3/sha256')).toMatchObject({ file, message: 'must match pattern "^[0-9a-f]{64}$"', fix: expect.stringContaining('keys create') });
    expect(one(schema, '/keys/4')).toMatchObject({ message: 'must NOT have additional properties ("expiry")', fix: 'remove it or check its spelling' });
    expect(formatReport(checkConfigDir(dir))).toContain(`error: ${file}#/keys/4: must NOT have additional properties ("expiry")\n  fix: remove it or check its spelling`);
    // … and once the shape is right, the references and duplicates.
    writeFileSync(file, JSON.stringify({ keys: [good, key('5790000000098'), { ...good }] }));
    const references = errors(dir);
    expect(one(references, '/keys/1/principal')).toMatchObject({ message: '5790000000098 is not an endpoint in endpoints.json', fix: 'add the endpoint there, or remove this key' });
    expect(one(references, '/keys/2/id').message).toMatch(/is also the id of \/keys\/0/);
    expect(one(references, '/keys/2/sha256').message).toMatch(/the same secret as \/keys\/0/);
  });

  it('keys.json is checked when the gateway loads it, too', () => {
    const dir = configDir({ 'keys.json': () => ({ keys: [{ id: 'x', principal: 'ops', sha256: '0'.repeat(64) }] }) });
    expect(() => loadStoredKeys(dir)).toThrow(ConfigError);
    expect(() => loadStoredKeys(dir)).toThrow(/keys\.json#\/keys\/0\/id: must match pattern/);
    const fine = configDir({ 'keys.json': () => ({ keys: [key('ops')] }) });
    expect(loadStoredKeys(fine, loadEndpointRegister(fine))).toHaveLength(1);
  });

  it('deadline-rules.json: rule problems, and profiles naming parties the register does not have', () => {
    const dir = configDir({
      'deadline-rules.json': (json) => {
        json.profiles = [
          { id: 'north', appliesTo: { region: 'Nordjylland' } },
          { id: 'wrong-kind', appliesTo: { hospitalEan: '5790000000036' } },
          { id: 'nope', appliesTo: { region: 'Midtjylland' }, overrides: { D99: { enabled: false } } },
        ];
      },
    });
    const file = join(dir, 'deadline-rules.json');
    expect(one(errors(dir), '/profiles/2/overrides/D99')).toMatchObject({ file, message: 'no rule "D99"', fix: expect.stringMatching(/^override one of D1, /) });
    const json = JSON.parse(readFileSync(file, 'utf8')) as Json;
    (json.profiles as unknown[]).pop();
    writeFileSync(file, JSON.stringify(json));
    const report = checkConfigDir(dir);
    expect(one(report.findings, '/profiles/0/appliesTo/region')).toMatchObject({ severity: 'warning', message: expect.stringMatching(/no endpoint .* "Nordjylland", so the profile never applies/), fix: 'check the spelling (regions there: Midtjylland)' });
    expect(one(report.findings, '/profiles/1/appliesTo/hospitalEan')).toMatchObject({ severity: 'error', message: '5790000000036 (Demo Kommune Nord) is a municipality, not a hospital' });
  });

  it('retraining-routing.json: its references to endpoints and regions', () => {
    const dir = configDir({ 'retraining-routing.json': (json) => ({ ...json, profiles: [{ id: 'p', appliesTo: { hospitalEan: '5790000000036' }, actions: { 'R-GP-COPY': 'reject' } }] }) });
    expect(one(errors(dir), '/profiles/0/appliesTo/hospitalEan')).toMatchObject({ file: join(dir, 'retraining-routing.json'), message: '5790000000036 (Demo Kommune Nord) is a municipality, not a hospital' });
  });

  it('alerts.json, when there is one: its JSON and its rules', () => {
    const broken = configDir({}, { 'alerts.json': '{ "rules": [ }' });
    expect(one(errors(broken), '/')).toMatchObject({ file: join(broken, 'alerts.json'), message: expect.stringMatching(/^not valid JSON/) });
    const fine = configDir({}, { 'alerts.json': '{ "rules": [{ "id": "dead", "kind": "dead-letter" }] }' });
    expect(checkConfigDir(fine).files.find((f) => f.name === 'alerts.json')?.summary).toBe('ok: 1 rule');
    const loopback = configDir({}, { 'alerts.json': '{ "rules": [], "webhook": { "url": "http://127.0.0.1/hook" } }' });
    expect(one(errors(loopback), '/webhook/url')).toMatchObject({ file: join(loopback, 'alerts.json'), message: expect.stringContaining('loopback'), fix: expect.stringContaining('allowLoopback') });
  });

  it('reads the loaders\' problem lines as file, path, message and fix', () => {
    expect(findingOf('/c/x.json', '/c/x.json#/a/0: is wrong — do this')).toEqual({ severity: 'error', file: '/c/x.json', path: '/a/0', message: 'is wrong', fix: 'do this' });
    expect(findingOf('/c/x.json', '/c/x.json/a/0: is wrong')).toEqual({ severity: 'error', file: '/c/x.json', path: '/a/0', message: 'is wrong' });
    expect(findingOf('/c/x.json', '/c/x.json: not valid JSON')).toEqual({ severity: 'error', file: '/c/x.json', path: '/', message: 'not valid JSON' });
  });

  it('the command: exit 0 for a usable folder, 1 with every problem printed, 2 for no such folder', async () => {
    const ok = await runCli(['config', 'check', fromPackageRoot('config')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/the gateway can start with this configuration\n$/);
    const dir = configDir({ 'keys.json': () => ({ keys: [key('5790000000098')] }) });
    const broken = await runCli(['config', 'check', dir]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`error: ${join(dir, 'keys.json')}#/keys/0/principal: 5790000000098 is not an endpoint in endpoints.json\n  fix: add the endpoint there, or remove this key\n`);
    expect(broken.stdout).toMatch(/1 error, 0 warnings: the gateway would refuse to start\n$/);
    const json = await runCli(['config', 'check', dir, '--json']);
    expect((JSON.parse(json.stdout) as { findings: unknown[] }).findings).toHaveLength(1);
    const missing = await runCli(['config', 'check', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`no such folder: ${join(dir, 'nope')}\n`);
    const fromEnv = await runCli(['config', 'check'], { MEDCOM_CONFIG_DIR: dir });
    expect(fromEnv.code).toBe(1);
  });
});

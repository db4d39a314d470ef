/**
 * `medcom-gateway replay`, as an integrator runs it: the built CLI against a real gateway listening on
 * a loopback port (real PostgreSQL and Redis behind it).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { HOSPITAL } from '../support/gateway.js';
import { runCli, startListeningGateway, type ListeningGateway } from '../support/listening-gateway.js';
import { describeWithShared, sharedPath } from '../support/shared-dir.js';

let gw: ListeningGateway;
const scratch = mkdtempSync(join(tmpdir(), 'medcom-replay-'));

beforeAll(async () => {
  gw = await startListeningGateway();
});

afterAll(async () => {
  await gw?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The summary row `label  value`. */
function row(stdout: string, label: string): string | undefined {
  return new RegExp(`^ {2}${label} {2,}(.+)$`, 'm').exec(stdout)?.[1];
}

/** A folder of its own holding copies of fixtures (and sidecars), for runs that must not touch fixtures/. */
function folder(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

const VALID = readdirSync(fromPackageRoot('fixtures', 'valid')).filter((f) => f.endsWith('.xml'));
const INVALID = readdirSync(fromPackageRoot('fixtures', 'invalid')).filter((f) => f.endsWith('.xml'));
const SIDECARS = readdirSync(fromPackageRoot('fixtures', 'valid')).filter((f) => f.endsWith('.expect.json'));

describe('medcom-gateway replay', () => {
  it("replays the project's fixtures with --expect --fresh-ids, twice in a row, with nothing unexpected", async () => {
    const args = ['replay', fromPackageRoot('fixtures'), '--url', gw.url, '--demo-keys', '--key', `demo-${HOSPITAL}`, '--expect', '--fresh-ids'];
    for (const run of [1, 2]) {
      const { code, stdout, stderr } = await runCli(args);
      expect(code, `run ${run}:\n${stdout}${stderr}`).toBe(0);
      expect(row(stdout, 'unexpected')).toBe('0');
      // Every valid fixture is accepted again on the second run (no duplicates), except those whose sidecar says otherwise.
      expect(row(stdout, 'accepted')).toBe(String(VALID.length - SIDECARS.length));
      expect(row(stdout, 'duplicates')).toBeUndefined();
      expect(row(stdout, 'messages')).toMatch(new RegExp(`^${VALID.length + INVALID.length} in `));
      expect(stdout).toMatch(/^202 accepted {2}.*XCTL03_positive_receipt\.xml/m);
      expect(stdout).toMatch(/^422 rejected unroutable {2}.*XDIS90_administrative_email\.xml/m);
      expect(row(stdout, 'latency p50 / p95 / p99')).toMatch(/^[\d.]+ \/ [\d.]+ \/ [\d.]+ ms$/);
    }
  });

  it('without --fresh-ids a second replay meets MedCom duplicates, which --expect reports as unexpected (exit 1)', async () => {
    const dir = folder('twice/valid', {});
    copyFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS91_clinical_email.xml'), join(dir, 'XDIS91_clinical_email.xml'));
    const args = ['replay', dir, '--url', gw.url, '--demo-keys', '--expect'];
    const first = await runCli([...args, '--fresh-ids']);
    expect(first.code, first.stdout).toBe(0);
    const once = await runCli(args);
    expect(once.code, once.stdout).toBe(0);
    const again = await runCli(args);
    expect(again.code).toBe(1);
    expect(row(again.stdout, 'duplicates')).toBe('1');
    expect(again.stdout).toContain(`${join(dir, 'XDIS91_clinical_email.xml')}: expected 202 (folder valid/), got status 200 duplicate`);
  });

  it('a wrong expectation fails the run and names the file, the expected and the actual answer', async () => {
    const dir = folder('wrong', {
      'XDIS91_clinical_email.expect.json': JSON.stringify({ status: 422, code: 'unroutable' }),
    });
    copyFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS91_clinical_email.xml'), join(dir, 'XDIS91_clinical_email.xml'));
    copyFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS91_windows-1252.xml'), join(dir, 'XDIS91_windows-1252.xml'));
    const { code, stdout } = await runCli(['replay', dir, '--url', gw.url, '--demo-keys', '--expect', '--fresh-ids']);
    expect(code).toBe(1);
    expect(row(stdout, 'unexpected')).toBe('1');
    const sidecar = join(dir, 'XDIS91_clinical_email.expect.json');
    expect(stdout).toContain(`${join(dir, 'XDIS91_clinical_email.xml')}: expected 422 unroutable (${sidecar}), got status 202`);
  });

  it('--json writes one JSON line per message and the summary last', async () => {
    const { code, stdout } = await runCli(['replay', fromPackageRoot('fixtures', 'valid', 'XDIS20_admission_acute.xml'), '--url', gw.url, '--demo-keys', '--fresh-ids', '--json']);
    expect(code, stdout).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ status: 202, kind: 'accepted', deadlines: expect.arrayContaining([expect.objectContaining({ ruleId: 'D19' })]) });
    expect(lines[1]).toMatchObject({ summary: { messages: 1, accepted: 1, surprises: [] } });
  });

  it('checks deadline states from a sidecar, judged with --evaluate-only --at', async () => {
    // REDUCED_CARE warning, planned discharge Friday 2026-03-20: D2 is due by the end of Tuesday 2026-03-17.
    const dir = folder('deadlines', { 'XDIS19_gateway_extension.expect.json': JSON.stringify({ status: 202, deadlines: { D2: 'on-time' } }) });
    copyFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS19_gateway_extension.xml'), join(dir, 'XDIS19_gateway_extension.xml'));
    const args = ['replay', dir, '--url', gw.url, '--demo-keys', '--expect', '--evaluate-only'];
    const onTime = await runCli([...args, '--at', '2026-03-17T23:59']);
    expect(onTime.code, onTime.stdout).toBe(0);
    expect(onTime.stdout).toMatch(/^200 evaluated {2}.*D2 on-time/m);
    const late = await runCli([...args, '--at', '2026-03-19T08:00:00+01:00']);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/XDIS19_gateway_extension\.xml: expected 202 D2 on-time \(.*\), got D2 late/);
  });

  it('says "no such file" (exit 2) for a path that does not exist, and refuses --at without --evaluate-only', async () => {
    const missing = await runCli(['replay', 'no-such-folder', '--url', gw.url, '--demo-keys']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('no such file: no-such-folder\n');
    const at = await runCli(['replay', fromPackageRoot('fixtures', 'valid'), '--url', gw.url, '--demo-keys', '--at', '2026-03-17T09:00']);
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/--at needs --evaluate-only/);
  });

  it('reports an unreachable gateway per message and fails', async () => {
    const { code, stdout } = await runCli(['replay', fromPackageRoot('fixtures', 'valid', 'XDIS91_clinical_email.xml'), '--url', 'http://127.0.0.1:9', '--demo-keys']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^--- failed {2}.*cannot reach http:\/\/127\.0\.0\.1:9/m);
  });
});

describeWithShared('medcom-gateway replay --evaluate-only over MedCom\'s samples', ['medcom-samples'], () => {
  it('evaluates every sample (nothing stored) with nothing unexpected', async () => {
    const samples = readdirSync(sharedPath('medcom-samples')).filter((f) => f.endsWith('.xml'));
    expect(samples.length).toBeGreaterThan(0);
    const count = async () => (await gw.db.query<{ n: string }>('SELECT count(*)::text AS n FROM messages')).rows[0]?.n;
    const before = await count();
    const { code, stdout, stderr } = await runCli(['replay', sharedPath('medcom-samples'), '--url', gw.url, '--key', 'demo-ops', '--evaluate-only', '--at', '2026-03-13T09:00']);
    expect(code, stdout + stderr).toBe(0);
    expect(row(stdout, 'evaluated')).toBe(String(samples.length));
    expect(stdout.match(/^200 evaluated /gm)).toHaveLength(samples.length);
    expect(await count()).toBe(before);
  });
});

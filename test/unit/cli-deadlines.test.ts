/**
 * `medcom-gateway deadlines explain FILE --at TIME`, as an integrator runs it (the built CLI; `npm test`
 * builds before running vitest). Needs no database or Redis.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAt } from '../../src/cli/deadlines-command.js';
import { fromPackageRoot } from '../../src/package-root.js';

const BIN = fromPackageRoot('bin', 'medcom-gateway.js');
const WARNING = fromPackageRoot('fixtures', 'valid', 'XDIS19_gateway_extension.xml');
const scratch = mkdtempSync(join(tmpdir(), 'medcom-explain-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cli(args: string[]) {
  if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  // No DATABASE_URL or REDIS_URL: explaining must not need them.
  const env = { PATH: process.env.PATH ?? '', MEDCOM_CONFIG_DIR: fromPackageRoot('config') };
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: fromPackageRoot(), env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('medcom-gateway deadlines explain', () => {
  it('says on time before the limit and late after it, in Copenhagen time', () => {
    // The fixture: REDUCED_CARE, planned discharge Friday 2026-03-20 → D2 due by the end of Tuesday 2026-03-17.
    const onTime = cli(['deadlines', 'explain', WARNING, '--at', '2026-03-17T23:59']);
    expect(onTime.code, onTime.stderr).toBe(0);
    expect(onTime.stdout).toContain('D2 ON-TIME');
    expect(onTime.stdout).toContain('due 2026-03-17 23:59 (Copenhagen time)');
    expect(onTime.stdout).toContain('nothing stored');
    // A warning counts when the gateway takes it (004 L1526–1532), and may be given by phone, secure e-mail or fax (L1505–1509).
    expect(onTime.stdout).toContain('judged at: its arrival at the gateway');
    expect(onTime.stdout).toContain('outside MedCom: phone, secure-email, fax');
    const late = cli(['deadlines', 'explain', WARNING, '--at', '2026-03-19T08:00:00+01:00']);
    expect(late.stdout).toContain('D2 LATE');
    expect(late.stdout).toContain('late by 33 h / 2 weekday(s)');
  });

  it('prints JSON with --json', () => {
    const { code, stdout } = cli(['deadlines', 'explain', WARNING, '--at', '2026-03-17T10:00:00Z', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { stored: boolean; letters: { deadlines: { ruleId: string; state: string }[] }[] };
    expect(parsed.stored).toBe(false);
    expect(parsed.letters[0]?.deadlines).toEqual([expect.objectContaining({ ruleId: 'D2', state: 'on-time' })]);
  });

  it('exits 1 with the reasons for an invalid message, 2 for a bad time, a missing file or no file', () => {
    const broken = join(scratch, 'broken.xml');
    writeFileSync(broken, '<Emessage><Envelope>');
    const invalid = cli(['deadlines', 'explain', broken]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/Not well-formed XML/);
    const badTime = cli(['deadlines', 'explain', WARNING, '--at', 'tomorrow']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/--at "tomorrow" is not a time/);
    expect(cli(['deadlines', 'explain', join(scratch, 'missing.xml')]).code).toBe(2);
    expect(cli(['deadlines', 'explain']).code).toBe(2);
  });
});

describe('--at', () => {
  it('reads a time without offset as Copenhagen local time, across daylight saving', () => {
    expect(parseAt('2026-03-28T12:00', new Date()).toISOString()).toBe('2026-03-28T11:00:00.000Z');
    expect(parseAt('2026-03-30T12:00', new Date()).toISOString()).toBe('2026-03-30T10:00:00.000Z');
    expect(parseAt('2026-03-30T12:00:00Z', new Date()).toISOString()).toBe('2026-03-30T12:00:00.000Z');
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseAt(undefined, now)).toBe(now);
  });

  it('shows who D7 obliges, that it waits for the discharge, the plan\'s own date (D16), and D21-GP', () => {
    const specialised = join(scratch, 'specialised.xml');
    const plan = readFileSync(fromPackageRoot('fixtures', 'valid', 'GGOP_rehabilitation_plan.xml'), 'utf8');
    writeFileSync(specialised, plan.replace(/(<TypeOfRehabilitationPlan>)[^<]*/, '$1ZZ0175Y').replace(/(<RehabilitationDeadline>\s*<m0:Date>)[^<]*/, '$12026-03-31'));
    const explained = cli(['deadlines', 'explain', specialised, '--at', '2026-03-23T10:00']);
    expect(explained.code, explained.stderr).toBe(0);
    // "hospitalet (ved specialiseret ambulant genoptræning)" (004 L2371): the issuing hospital performs it.
    expect(explained.stdout).toMatch(/D7 AWAITING-START[^\n]*\n {4}obliged: 5790000000029\n {4}[^\n]*no discharge of its episode has been seen yet/);
    const ordinary = cli(['deadlines', 'explain', fromPackageRoot('fixtures', 'valid', 'GGOP_rehabilitation_plan.xml'), '--at', '2026-03-23T10:00']);
    expect(ordinary.stdout).toMatch(/D7 AWAITING-START[^\n]*\n {4}obliged: 5790000000043/);
    const psychiatric = join(scratch, 'psychiatric.xml');
    writeFileSync(
      psychiatric,
      readFileSync(fromPackageRoot('fixtures', 'valid', 'XDIS20_admission_acute.xml'), 'utf8').replace(
        '</Emessage>',
        '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:Psychiatric>true</gw:Psychiatric></gw:Gateway></Local_Elements></Emessage>',
      ),
    );
    const admitted = cli(['deadlines', 'explain', psychiatric]);
    expect(admitted.stdout).toContain('D21-GP PENDING');
  });
});


/**
 * The installed command, as an integrator runs it: `medcom-gateway validate`. Uses the built CLI
 * (`npm test` builds before running vitest).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { hasShared, sharedPath } from '../support/shared-dir.js';

const BIN = fromPackageRoot('bin', 'medcom-gateway.js');
const SAMPLES = sharedPath('medcom-samples');
const haveSamples = hasShared('medcom-samples');
if (!haveSamples) console.warn(`skipping the CLI sample test: ${SAMPLES} is absent`);

function cli(args: string[], input?: string) {
  if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const result = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: fromPackageRoot() });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('medcom-gateway validate', () => {
  it.skipIf(!haveSamples)("says valid for every MedCom sample and exits 0", () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.xml')).map((f) => join(SAMPLES, f));
    const { code, stdout } = cli(['validate', ...files]);
    const lines = stdout.split('\n').filter((line) => line && !line.startsWith('  '));
    expect(lines).toHaveLength(files.length);
    for (const line of lines) expect(line).toMatch(/: valid \(/);
    expect(code).toBe(0);
  });

  it('prints each error with its line and path and exits 1 when a file is invalid', () => {
    const valid = fromPackageRoot('fixtures', 'valid', 'XDIS20_admission_acute.xml');
    const { code, stdout } = cli(['validate', valid, '-'], '<Emessage xmlns="urn:nope"><Envelope/></Emessage>');
    expect(code).toBe(1);
    expect(stdout).toMatch(/XDIS20_admission_acute\.xml: valid \(XDIS20 XD2030C; 1 letter; /);
    expect(stdout).toMatch(/<stdin>: invalid \(1 error\)\n {2}error line 1, column 1: \/Emessage: .*urn:nope/);
  });

  it('reads stdin and answers in JSON with --json', () => {
    const { code, stdout } = cli(['validate', '--json'], 'not xml at all');
    expect(code).toBe(1);
    const verdicts = JSON.parse(stdout) as { file: string; valid: boolean; stage: string; errors: { path: string }[] }[];
    expect(verdicts).toEqual([expect.objectContaining({ file: '<stdin>', valid: false, stage: 'xml' })]);
  });

  it('says "no such file" and exits 2 for a path that does not exist, still judging the other files', () => {
    const valid = fromPackageRoot('fixtures', 'valid', 'XDIS20_admission_acute.xml');
    const { code, stdout, stderr } = cli(['validate', 'no-such-file.xml', valid]);
    expect(code).toBe(2);
    expect(stderr).toBe('no such file: no-such-file.xml\n');
    expect(stdout).not.toMatch(/no-such-file/);
    expect(stdout).toMatch(/XDIS20_admission_acute\.xml: valid/);
  });

  it('exits 2 and points to --help for an unknown command or option', () => {
    const command = cli(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'frobnicate'[\s\S]*--help/);
    const option = cli(['validate', '--frobnicate']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--frobnicate'/);
  });
});

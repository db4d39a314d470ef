/**
 * The command line itself: --version, --help for every command, usage errors (exit 2), and a missing
 * file told as such. The built CLI, as installed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromPackageRoot } from '../../src/package-root.js';
import { runCli } from '../support/listening-gateway.js';

const COMMANDS = [['serve'], ['api'], ['worker'], ['migrate'], ['retention'], ['validate'], ['keys'], ['keys', 'create'], ['keys', 'list'], ['keys', 'revoke'], ['keys', 'rotate'], ['deadlines'], ['deadlines', 'explain'], ['replay'], ['inbox'], ['config'], ['config', 'check']];

describe('medcom-gateway', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it('--help lists every command', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const [command] of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
  });

  it('<command> --help explains each command and starts nothing', { timeout: 180_000 }, async () => {
    // One at a time: the test machine may be busy, and each run is a Node start.
    for (const words of COMMANDS) {
      const run = await runCli([...words, '--help']);
      const command = words.join(' ');
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`^Usage: medcom-gateway ${command} `));
    }
  });

  it('a usage mistake is exit 2 with a pointer to --help', async () => {
    const missingUrl = await runCli(['replay', 'fixtures']);
    expect(missingUrl.code).toBe(2);
    expect(missingUrl.stderr).toMatch(/required option '--url <URL>' not specified/);
    const badAnswer = await runCli(['inbox', '--url', 'http://127.0.0.1:9', '--key', 'k', '--answer', 'maybe']);
    expect(badAnswer.code).toBe(2);
    expect(badAnswer.stderr).toMatch(/Allowed choices are positive, negative, none/);
    const badRate = await runCli(['replay', 'fixtures', '--url', 'http://127.0.0.1:9', '--rate', '0']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--rate <N>' argument '0' is invalid\. give a number above 0/);
    const group = await runCli(['keys']);
    expect(group.code).toBe(2);
    const noId = await runCli(['keys', 'revoke']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/missing required argument 'ID'/);
  });

  it('deadlines explain of a missing file says so (exit 2)', async () => {
    const { code, stderr } = await runCli(['deadlines', 'explain', 'no-such-file.xml'], { MEDCOM_CONFIG_DIR: fromPackageRoot('config') });
    expect(code).toBe(2);
    expect(stderr).toBe('no such file: no-such-file.xml\n');
  });
});

/**
 * Prints a configuration check for people (a line per file, then each problem with its file, JSON
 * path and fix) or as JSON. Exit code 0 when the gateway can start with the folder (warnings allowed),
 * 1 when a file has errors, 2 when the folder does not exist.
 */
import { resolve } from 'node:path';
import { checkConfigDir, isFolder, type ConfigReport } from './config-check.js';

export interface ConfigCheckOptions {
  readonly dir: string;
  readonly json: boolean;
}

export function formatReport(report: ConfigReport): string {
  const lines = [`config check ${report.dir}`];
  const width = Math.max(...report.files.map((f) => f.name.length));
  for (const file of report.files) lines.push(`  ${file.name.padEnd(width)}  ${file.summary}`);
  for (const finding of report.findings) {
    lines.push(`${finding.severity === 'error' ? 'error' : 'warning'}: ${finding.file}#${finding.path}: ${finding.message}`);
    if (finding.fix) lines.push(`  fix: ${finding.fix}`);
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  lines.push(errors === 0 ? `the gateway can start with this configuration${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}` : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}: the gateway would refuse to start`);
  return `${lines.join('\n')}\n`;
}

export function runConfigCheck(options: ConfigCheckOptions, out: (text: string) => void, err: (text: string) => void): number {
  if (!isFolder(options.dir)) {
    err(`no such folder: ${options.dir}\n`);
    return 2;
  }
  const report = checkConfigDir(resolve(options.dir));
  out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/**
 * `medcom-gateway config check [DIR]`: every file of a configuration folder checked at once — each
 * against its schema and its rules, then against each other (keys, routing profiles and deadline
 * profiles name endpoints of endpoints.json) — with every problem listed with its file, JSON path and
 * fix. The gateway itself stops at the first file it cannot use; this is for before a deploy or in CI.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildAlertConfig } from '../../config/alerts-config.js';
import { buildEndpointRegister, ConfigError } from '../../config/endpoints.js';
import { DEADLINE_RULES_FILE } from '../../config/deadline-config.js';
import { keysFileProblems, KEYS_FILE } from '../../config/keys-file.js';
import { buildRetrainingRouting, RETRAINING_ROUTING_FILE } from '../../config/retraining-routing.js';
import { DeadlineRulesError, parseDeadlineRules, type DeadlineRuleSet } from '../../domain/deadlines/index.js';
import type { EndpointRegister } from '../../domain/endpoint.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  readonly severity: Severity;
  readonly file: string;
  /** JSON pointer inside the file; `/` for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly fix?: string;
}

export interface FileResult {
  readonly name: string;
  readonly file: string;
  /** `ok`, `absent` (and what that means), or the number of problems. */
  readonly summary: string;
}

export interface ConfigReport {
  readonly dir: string;
  readonly files: readonly FileResult[];
  readonly findings: readonly Finding[];
}

export const ENDPOINTS_FILE = 'endpoints.json';
/** Alert rules (config/alerts.json), checked by the same loader the gateway uses at start. */
export const ALERTS_FILE = 'alerts.json';
const KNOWN = [ENDPOINTS_FILE, KEYS_FILE, DEADLINE_RULES_FILE, RETRAINING_ROUTING_FILE, ALERTS_FILE];

/**
 * A loader's problem line (`FILE#/path: message — fix`, or `FILE/path: …`) as a finding. Lines the
 * pattern does not fit are kept whole, on the file.
 */
export function findingOf(file: string, line: string, severity: Severity = 'error'): Finding {
  const rest = line.startsWith(file) ? line.slice(file.length) : line;
  const match = /^#?(\/[^:]*)?: ([\s\S]*)$/.exec(rest);
  const path = match?.[1] || '/';
  const text = match?.[2] ?? rest;
  const dash = text.indexOf(' — ');
  return dash >= 0 ? { severity, file, path, message: text.slice(0, dash), fix: text.slice(dash + 3) } : { severity, file, path, message: text };
}

/** Line and column of a JSON.parse error position, for a syntax error people can find. */
function syntaxFinding(file: string, text: string, error: Error): Finding {
  const position = Number(/position (\d+)/.exec(error.message)?.[1]);
  let where = '';
  if (Number.isInteger(position)) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    where = ` (line ${line}, column ${position - before.lastIndexOf('\n')})`;
  }
  return { severity: 'error', file, path: '/', message: `not valid JSON: ${error.message}${where}`, fix: 'correct the JSON at that place (a missing comma or quote, or a comma before } or ])' };
}

interface Parsed {
  readonly raw?: unknown;
  readonly finding?: Finding;
}

function parseFile(file: string): Parsed {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { finding: { severity: 'error', file, path: '/', message: `cannot read it: ${(error as Error).message}`, fix: 'make it readable by the gateway' } };
  }
  try {
    return { raw: JSON.parse(text) };
  } catch (error) {
    return { finding: syntaxFinding(file, text, error as Error) };
  }
}

function problemsOf(error: unknown, file: string): Finding[] {
  if (error instanceof ConfigError || error instanceof DeadlineRulesError) {
    const lines = error.problems.length > 0 ? error.problems : [error.message];
    return lines.map((line) => findingOf(file, line));
  }
  throw error;
}

/** Deadline profiles naming endpoints or regions the register does not have: they would never apply. */
function deadlineProfileFindings(rules: DeadlineRuleSet, file: string, register: EndpointRegister): Finding[] {
  const findings: Finding[] = [];
  const regions = new Set(register.endpoints.map((e) => e.region).filter((r): r is string => r !== undefined));
  rules.profiles.forEach((profile, index) => {
    const at = `/profiles/${index}/appliesTo`;
    const scope = profile.appliesTo as { region?: string; hospitalEan?: string; municipalityEan?: string };
    if (scope.region !== undefined && !regions.has(scope.region)) {
      findings.push({ severity: 'warning', file, path: `${at}/region`, message: `no endpoint in endpoints.json has the region "${scope.region}", so the profile never applies`, fix: `check the spelling${regions.size > 0 ? ` (regions there: ${[...regions].join(', ')})` : ''}` });
    }
    for (const [field, kind] of [['hospitalEan', 'hospital'], ['municipalityEan', 'municipality']] as const) {
      const ean = scope[field];
      if (ean === undefined) continue;
      const endpoint = register.find(ean);
      if (!endpoint) findings.push({ severity: 'warning', file, path: `${at}/${field}`, message: `${ean} is not an endpoint in endpoints.json, so the profile never applies`, fix: 'check the number' });
      else if (endpoint.kind !== kind) findings.push({ severity: 'error', file, path: `${at}/${field}`, message: `${ean} (${endpoint.name}) is a ${endpoint.kind}, not a ${kind}`, fix: `give the EAN of a ${kind}` });
    }
  });
  return findings;
}

export function checkConfigDir(dir: string): ConfigReport {
  const files: FileResult[] = [];
  const findings: Finding[] = [];
  const record = (name: string, found: readonly Finding[], ok: string) => {
    findings.push(...found);
    const errors = found.filter((f) => f.severity === 'error').length;
    const warnings = found.length - errors;
    const counts = [errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
    files.push({ name, file: join(dir, name), summary: errors > 0 ? counts : `${ok}${counts ? ` (${counts})` : ''}` });
  };

  // endpoints.json: required, and what the other files refer to.
  const endpointsFile = join(dir, ENDPOINTS_FILE);
  let register: EndpointRegister | undefined;
  if (!existsSync(endpointsFile)) {
    record(ENDPOINTS_FILE, [{ severity: 'error', file: endpointsFile, path: '/', message: 'missing: the gateway cannot start without its endpoint register', fix: 'copy config/endpoints.json of the package and list your endpoints' }], '');
  } else {
    const parsed = parseFile(endpointsFile);
    if (parsed.finding) record(ENDPOINTS_FILE, [parsed.finding], '');
    else {
      try {
        register = buildEndpointRegister(parsed.raw, endpointsFile);
        record(ENDPOINTS_FILE, [], `ok: ${register.endpoints.length} endpoints, demo keys ${register.demoKeys ? 'on (refused when NODE_ENV=production)' : 'off'}`);
      } catch (error) {
        record(ENDPOINTS_FILE, problemsOf(error, endpointsFile), '');
      }
    }
  }
  const unchecked = register ? '' : '; references to endpoints not checked until endpoints.json is usable';

  const keysFile = join(dir, KEYS_FILE);
  if (!existsSync(keysFile)) {
    const none: Finding[] =
      register && !register.demoKeys
        ? [{ severity: 'warning', file: keysFile, path: '/', message: 'no keys and no demo keys: no endpoint can authenticate', fix: 'make keys with `medcom-gateway keys create --endpoint EAN`' }]
        : [];
    record(KEYS_FILE, none, 'absent: only the demo keys authenticate');
  } else {
    const parsed = parseFile(keysFile);
    if (parsed.finding) record(KEYS_FILE, [parsed.finding], '');
    else {
      const found = keysFileProblems(parsed.raw, keysFile, register).map((line) => findingOf(keysFile, line));
      const count = Array.isArray((parsed.raw as { keys?: unknown }).keys) ? (parsed.raw as { keys: unknown[] }).keys.length : 0;
      record(KEYS_FILE, found, `ok: ${count} key${count === 1 ? '' : 's'}${unchecked}`);
    }
  }

  const rulesFile = join(dir, DEADLINE_RULES_FILE);
  if (!existsSync(rulesFile)) record(DEADLINE_RULES_FILE, [], 'absent: the packaged default rules apply');
  else {
    const parsed = parseFile(rulesFile);
    if (parsed.finding) record(DEADLINE_RULES_FILE, [parsed.finding], '');
    else {
      try {
        const rules = parseDeadlineRules(parsed.raw, rulesFile);
        const cross = register ? deadlineProfileFindings(rules, rulesFile, register) : [];
        record(DEADLINE_RULES_FILE, cross, `ok: agreement ${rules.agreement.id}, ${rules.rules.length} rules, ${rules.profiles.length} profiles${unchecked}`);
      } catch (error) {
        record(DEADLINE_RULES_FILE, problemsOf(error, rulesFile), '');
      }
    }
  }

  const routingFile = join(dir, RETRAINING_ROUTING_FILE);
  if (!existsSync(routingFile)) record(RETRAINING_ROUTING_FILE, [], 'absent: the built-in retraining-plan rules apply');
  else {
    const parsed = parseFile(routingFile);
    if (parsed.finding) record(RETRAINING_ROUTING_FILE, [parsed.finding], '');
    else if (!register) record(RETRAINING_ROUTING_FILE, [], 'not checked until endpoints.json is usable (its profiles name endpoints and regions)');
    else {
      try {
        const routing = buildRetrainingRouting(parsed.raw, routingFile, register);
        record(RETRAINING_ROUTING_FILE, [], `ok: ${routing.profiles.length} profile${routing.profiles.length === 1 ? '' : 's'}`);
      } catch (error) {
        record(RETRAINING_ROUTING_FILE, problemsOf(error, routingFile), '');
      }
    }
  }

  const alertsFile = join(dir, ALERTS_FILE);
  if (existsSync(alertsFile)) {
    const parsed = parseFile(alertsFile);
    if (parsed.finding) record(ALERTS_FILE, [parsed.finding], '');
    else {
      try {
        const alerts = buildAlertConfig(parsed.raw, alertsFile);
        record(ALERTS_FILE, [], `ok: ${alerts.rules.length} rule${alerts.rules.length === 1 ? '' : 's'}${alerts.webhook ? ', a webhook' : ''}`);
      } catch (error) {
        record(ALERTS_FILE, problemsOf(error, alertsFile), '');
      }
    }
  }

  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || KNOWN.includes(name)) continue;
    findings.push({ severity: 'warning', file: join(dir, name), path: '/', message: 'not a file the gateway reads', fix: `check the name: the gateway reads ${KNOWN.join(', ')}` });
  }
  return { dir, files, findings };
}

/** Whether `dir` is a folder; config check says "no such folder" otherwise. */
export function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Validating the deadline rules (`config/deadline-rules.json`; config/deadline-config.ts reads the
 * file). Every problem is reported with the file, the JSON path and what to write instead, all at
 * once, as `DeadlineRulesError`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DEADLINE_RULES_SCHEMA, FIX_HINTS } from './rule-schema.js';
import { applyOverride } from './profiles.js';
import type { DeadlineRuleSet } from './types.js';

export class DeadlineRulesError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`the deadline rules in ${file} are not valid:\n  ${problems.join('\n  ')}`);
    this.name = 'DeadlineRulesError';
  }
}

let compiled: { readonly all: ValidateFunction<DeadlineRuleSet>; readonly rule: ValidateFunction } | undefined;

function validators(): { readonly all: ValidateFunction<DeadlineRuleSet>; readonly rule: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addSchema(DEADLINE_RULES_SCHEMA);
    const all = ajv.getSchema<DeadlineRuleSet>('deadline-rules');
    const rule = ajv.getSchema('deadline-rules#/$defs/rule');
    if (!all || !rule) throw new Error('deadline rule schema did not compile');
    compiled = { all, rule };
  }
  return compiled;
}

function hintFor(path: string): string {
  const segments = path.split('/').reverse();
  for (const segment of segments) {
    const hint = FIX_HINTS[segment];
    if (hint) return ` — ${hint}`;
  }
  return '';
}

function describe(file: string, base: string, error: ErrorObject): string {
  const path = `${base}${error.instancePath}` || '/';
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (Array.isArray(params.allowedValues)) message += ` (${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  if (typeof params.allowedValue !== 'undefined') message += ` (${JSON.stringify(params.allowedValue)})`;
  if (typeof params.additionalProperty === 'string') message += ` ("${params.additionalProperty}"; remove it or check its spelling)`;
  return `${file}#${path}: ${message}${hintFor(path)}`;
}

function schemaProblems(file: string, base: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  const all = (errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'not' && e.keyword !== 'anyOf');
  const list = all.length > 0 ? all : [...(errors ?? [])];
  return [...new Set(list.map((e) => describe(file, base, e)))];
}

/** Validates already-parsed rules; `file` names the source in error messages. */
export function parseDeadlineRules(raw: unknown, file: string): DeadlineRuleSet {
  const { all, rule: validateRule } = validators();
  if (!all(raw)) throw new DeadlineRulesError(file, schemaProblems(file, '', all.errors));
  const problems: string[] = [];
  const duplicates = (ids: readonly string[], path: string): void => {
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (seen.has(id)) problems.push(`${file}#/${path}/${index}/id: "${id}" is used twice — give each ${path.slice(0, -1)} its own id`);
      seen.add(id);
    });
  };
  duplicates(raw.rules.map((r) => r.id), 'rules');
  duplicates(raw.groups.map((g) => g.id), 'groups');
  duplicates(raw.profiles.map((p) => p.id), 'profiles');
  const groups = new Set(raw.groups.map((g) => g.id));
  raw.rules.forEach((rule, index) => {
    if (rule.group !== undefined && !groups.has(rule.group)) {
      problems.push(`${file}#/rules/${index}/group: no group "${rule.group}" — add it to /groups or remove the property`);
    }
    if (rule.group !== undefined && !rule.startedBy.condition) {
      problems.push(`${file}#/rules/${index}/startedBy/condition: a rule in a group needs a condition that selects it`);
    }
    if (rule.localAgreement === true && rule.enabled !== false) {
      problems.push(`${file}#/rules/${index}/enabled: "${rule.id}" is a local agreement, not a seed rule — set "enabled": false here and enable it in the profile of the parties that agreed it`);
    }
    for (const type of Object.keys(rule.startedBy.typeConditions ?? {})) {
      if (!rule.startedBy.types.some((t) => t === type)) {
        problems.push(`${file}#/rules/${index}/startedBy/typeConditions/${type}: ${type} is not in startedBy.types — add it there or remove the condition`);
      }
    }
  });
  const byId = new Map(raw.rules.map((r) => [r.id, r]));
  raw.rules.forEach((rule, index) => {
    if (rule.kind !== 'validation' || rule.check !== 'stated-limit') return;
    const against = rule.against === undefined ? undefined : byId.get(rule.against);
    if (!against || against.kind !== 'deadline' || !against.statedLimit) {
      problems.push(`${file}#/rules/${index}/against: a "stated-limit" check needs "against": the id of a deadline rule with a statedLimit`);
    }
  });
  raw.profiles.forEach((profile, index) => {
    for (const [ruleId, override] of Object.entries(profile.overrides ?? {})) {
      const path = `/profiles/${index}/overrides/${ruleId}`;
      const rule = byId.get(ruleId);
      if (!rule) {
        problems.push(`${file}#${path}: no rule "${ruleId}" — override one of ${[...byId.keys()].join(', ')}`);
        continue;
      }
      const merged = applyOverride(rule, override);
      if (!validateRule(merged)) {
        problems.push(...schemaProblems(file, `${path}(merged onto /rules/${raw.rules.indexOf(rule)})`, validateRule.errors));
      }
    }
  });
  if (problems.length > 0) throw new DeadlineRulesError(file, problems);
  return raw;
}

/** Parses JSON text; a syntax error names the file. */
export function parseDeadlineRulesText(text: string, file: string): DeadlineRuleSet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeadlineRulesError(file, [`${file}: not valid JSON: ${(error as Error).message}`]);
  }
  return parseDeadlineRules(raw, file);
}

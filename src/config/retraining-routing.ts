/**
 * Loads the retraining-plan routing profile (`config/retraining-routing.json`, README
 * "Retraining-plan routing") and validates it at start, against its schema and the endpoint register.
 * Every problem is reported at once with the file, the JSON path and what to write instead. An absent
 * file means the built-in defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { DEFAULT_ACTIONS, type ConsentMode, type RetrainingRouting, type RoutingProfile, type RuleAction } from '../domain/retraining-profile.js';
import { PROFILE_RULE_IDS, type ProfileRuleId } from '../domain/retraining-routing.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import { ConfigError } from './endpoints.js';

export const RETRAINING_ROUTING_FILE = 'retraining-routing.json';

const EAN = { type: 'string', pattern: '^[0-9]{13}$' } as const;
const ACTIONS = {
  type: 'object',
  propertyNames: { enum: PROFILE_RULE_IDS },
  additionalProperties: { enum: ['reject', 'warn'] },
} as const;
const CONSENT_MODE = { enum: ['assumed', 'explicit'] } as const;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    actions: ACTIONS,
    consent: {
      type: 'object',
      additionalProperties: false,
      properties: {
        $comment: { type: 'string' },
        default: CONSENT_MODE,
        bySender: { type: 'object', propertyNames: EAN, additionalProperties: CONSENT_MODE },
      },
    },
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'appliesTo', 'actions'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1 },
          $comment: { type: 'string' },
          appliesTo: {
            type: 'object',
            minProperties: 1,
            additionalProperties: false,
            properties: { region: { type: 'string', minLength: 1 }, hospitalEan: EAN, municipalityEan: EAN },
          },
          actions: ACTIONS,
        },
      },
    },
  },
} as const;

interface RawRouting {
  actions?: Partial<Record<ProfileRuleId, RuleAction>>;
  consent?: { default?: ConsentMode; bySender?: Record<string, ConsentMode> };
  profiles?: RoutingProfile[];
}

const HINTS: Record<string, string> = {
  actions: `name rules by id (${PROFILE_RULE_IDS.join(', ')}) with "reject" or "warn"`,
  appliesTo: 'give region, hospitalEan, municipalityEan, or hospitalEan and municipalityEan together',
  bySender: 'key by the sender\'s 13-digit EAN, value "assumed" or "explicit"',
  default: '"assumed" (no Consent element means consent) or "explicit" (only <gw:Consent …>true</gw:Consent> counts)',
};

function describe(file: string, error: ErrorObject): string {
  const path = error.instancePath || '/';
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (Array.isArray(params.allowedValues)) message += ` (${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  if (typeof params.additionalProperty === 'string') message += ` ("${params.additionalProperty}"; remove it or check its spelling)`;
  const propertyName = (error as { propertyName?: unknown }).propertyName;
  if (typeof propertyName === 'string') message = `"${propertyName}" is not ${path.endsWith('/bySender') ? 'a 13-digit EAN' : 'a rule id'}`;
  const hint = path
    .split('/')
    .reverse()
    .map((segment) => HINTS[segment])
    .find((h) => h !== undefined);
  return `${file}#${path}: ${message}${hint ? ` — ${hint}` : ''}`;
}

/** Validates an already-parsed profile; `file` names the source in error messages. */
export function buildRetrainingRouting(raw: unknown, file: string, register: EndpointRegister): RetrainingRouting {
  const validate = new Ajv({ allErrors: true, strict: true, strictTuples: false }).compile<RawRouting>(SCHEMA);
  if (!validate(raw)) {
    const problems = [...new Set((validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames' || !e.params?.propertyName).map((e) => describe(file, e)))];
    throw new ConfigError(`the retraining routing profile is not valid:\n  ${problems.join('\n  ')}`);
  }
  const problems: string[] = [];
  const regions = new Set(register.endpoints.map((e) => e.region).filter((r): r is string => r !== undefined));
  const endpoint = (ean: string, path: string, kind?: 'hospital' | 'municipality'): void => {
    const found = register.find(ean);
    if (!found) problems.push(`${file}#${path}: ${ean} is not an endpoint in endpoints.json; check the number`);
    else if (kind && found.kind !== kind) problems.push(`${file}#${path}: ${ean} (${found.name}) is a ${found.kind}, not a ${kind}`);
  };
  for (const ean of Object.keys(raw.consent?.bySender ?? {})) endpoint(ean, `/consent/bySender/${ean}`);
  const ids = new Set<string>();
  (raw.profiles ?? []).forEach((profile, index) => {
    const at = `/profiles/${index}`;
    if (ids.has(profile.id)) problems.push(`${file}#${at}/id: the id "${profile.id}" is used twice; give each profile its own`);
    ids.add(profile.id);
    const scope = profile.appliesTo;
    if (scope.region !== undefined && !regions.has(scope.region)) {
      problems.push(`${file}#${at}/appliesTo/region: no endpoint in endpoints.json has the region "${scope.region}"${regions.size > 0 ? ` (regions there: ${[...regions].join(', ')})` : ''}; check the spelling`);
    }
    if (scope.hospitalEan !== undefined) endpoint(scope.hospitalEan, `${at}/appliesTo/hospitalEan`, 'hospital');
    if (scope.municipalityEan !== undefined) endpoint(scope.municipalityEan, `${at}/appliesTo/municipalityEan`, 'municipality');
  });
  if (problems.length > 0) throw new ConfigError(`the retraining routing profile is not valid:\n  ${problems.join('\n  ')}`);
  return {
    actions: { ...DEFAULT_ACTIONS, ...raw.actions },
    profiles: raw.profiles ?? [],
    consent: { default: raw.consent?.default ?? 'assumed', bySender: raw.consent?.bySender ?? {} },
  };
}

/** `retraining-routing.json` in the configuration folder; the built-in defaults when there is none. */
export function loadRetrainingRouting(configDir: string, register: EndpointRegister): RetrainingRouting {
  const file = join(configDir, RETRAINING_ROUTING_FILE);
  if (!existsSync(file)) return buildRetrainingRouting({}, file, register);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return buildRetrainingRouting(raw, file, register);
}

/**
 * Loads the endpoint register (domain/endpoint.ts) from `config/endpoints.json` and validates it at
 * start; a mistake is reported with the file, the JSON path and what to write instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { MESSAGE_TYPES } from '../domain/catalogue.js';
import { HOSPITAL_KINDS, type Endpoint, type EndpointRegister } from '../domain/endpoint.js';
import { isValidGln } from '../domain/gln.js';

const CONFIG_SCHEMA = {
  type: 'object',
  required: ['endpoints', 'gateway'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    demoKeys: { type: 'boolean' },
    gateway: {
      type: 'object',
      required: ['ean'],
      additionalProperties: false,
      properties: { ean: { type: 'string', pattern: '^[0-9]{13}$' }, name: { type: 'string' } },
    },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        required: ['ean', 'kind', 'name', 'accepts', 'delivery'],
        additionalProperties: false,
        properties: {
          ean: { type: 'string', pattern: '^[0-9]{13}$' },
          kind: { enum: ['hospital', 'municipality', 'gp'] },
          name: { type: 'string', minLength: 1 },
          department: { type: 'string' },
          identifier: { type: 'string' },
          identifierCode: { enum: ['sygehusafdelingsnummer', 'ydernummer', 'lokationsnummer', 'kommunenummer', 'sorkode'] },
          accepts: { type: 'array', items: { enum: MESSAGE_TYPES.map((t) => t.code) }, uniqueItems: true },
          enabled: { type: 'boolean' },
          hospitalKind: { enum: HOSPITAL_KINDS },
          region: { type: 'string', minLength: 1 },
          homeHospitalFor: { type: 'array', items: { type: 'string', pattern: '^[0-9]{3}$' }, uniqueItems: true },
          delivery: {
            oneOf: [
              { type: 'object', required: ['mode'], additionalProperties: false, properties: { mode: { const: 'pull' } } },
              {
                type: 'object',
                required: ['mode', 'url'],
                additionalProperties: false,
                properties: { mode: { const: 'push' }, url: { type: 'string', pattern: '^https?://' } },
              },
            ],
          },
        },
      },
    },
  },
} as const;

interface RawConfig {
  demoKeys?: boolean;
  gateway: { ean: string };
  endpoints: (Omit<Endpoint, 'enabled'> & { enabled?: boolean })[];
}

export class ConfigError extends Error {}

/** A fix for a mistake the schema alone words poorly. */
function hintFor(instancePath: string): string {
  if (instancePath.endsWith('/hospitalKind')) {
    return ' — HOME_HOSPITAL is not a kind: a public hospital (REGIONAL_HOSPITAL) is the home hospital of the municipalities listed in its homeHospitalFor';
  }
  if (/\/homeHospitalFor\/\d+$/.test(instancePath)) return ' — list kommunenumre of three digits, e.g. "751"';
  return '';
}

/** Validates parsed endpoint configuration; `file` names the source in error messages. */
export function buildEndpointRegister(raw: unknown, file: string): EndpointRegister {
  const validate = new Ajv({ allErrors: true }).compile<RawConfig>(CONFIG_SCHEMA);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${file}${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}${hintFor(e.instancePath)}`);
    throw new ConfigError(`the endpoint configuration is not valid:\n  ${problems.join('\n  ')}`);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  raw.endpoints.forEach((endpoint, index) => {
    if (!isValidGln(endpoint.ean)) problems.push(`${file}/endpoints/${index}/ean: ${endpoint.ean} has a wrong GLN check digit`);
    if (seen.has(endpoint.ean)) problems.push(`${file}/endpoints/${index}/ean: ${endpoint.ean} is listed twice`);
    seen.add(endpoint.ean);
    if (endpoint.hospitalKind !== undefined && endpoint.kind !== 'hospital') {
      problems.push(`${file}/endpoints/${index}/hospitalKind: only a hospital has a hospital kind; remove it from this ${endpoint.kind}`);
    }
    if (endpoint.homeHospitalFor !== undefined && (endpoint.kind !== 'hospital' || (endpoint.hospitalKind ?? 'REGIONAL_HOSPITAL') !== 'REGIONAL_HOSPITAL')) {
      problems.push(`${file}/endpoints/${index}/homeHospitalFor: only a public hospital of the region (hospitalKind REGIONAL_HOSPITAL) can be a home hospital; remove it here`);
    }
  });
  if (!isValidGln(raw.gateway.ean)) problems.push(`${file}/gateway/ean: ${raw.gateway.ean} has a wrong GLN check digit`);
  if (seen.has(raw.gateway.ean)) problems.push(`${file}/gateway/ean: the gateway's own EAN must not also be an endpoint`);
  if (problems.length > 0) throw new ConfigError(`the endpoint configuration is not valid:\n  ${problems.join('\n  ')}`);
  const endpoints: Endpoint[] = raw.endpoints.map((endpoint) => ({ ...endpoint, enabled: endpoint.enabled ?? true }));
  const byEan = new Map(endpoints.map((endpoint) => [endpoint.ean, endpoint]));
  return { endpoints, gatewayEan: raw.gateway.ean, demoKeys: raw.demoKeys ?? false, find: (ean) => byEan.get(ean) };
}

export function loadEndpointRegister(configDir: string): EndpointRegister {
  const file = join(configDir, 'endpoints.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return buildEndpointRegister(raw, file);
}

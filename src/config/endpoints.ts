/**
 * Loads the endpoint register (domain/endpoint.ts) from `config/endpoints.json` and validates it at
 * start; a mistake is reported with the file, the JSON path and what to write instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
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
          clientCertificates: {
            type: 'array',
            items: {
              type: 'object',
              required: ['sha256'],
              additionalProperties: false,
              properties: { sha256: { type: 'string', pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$' }, note: { type: 'string' } },
            },
          },
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

/**
 * A configuration file the gateway cannot use. `problems` lists every problem found, each
 * `FILE#/json/path: what is wrong — the fix` (or `FILE/json/path: …`), so `medcom-gateway config
 * check` can print them one by one.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A fix for a mistake the schema alone words poorly. */
function hintFor(instancePath: string, error?: ErrorObject): string {
  if (instancePath.endsWith('/hospitalKind')) {
    return ' — HOME_HOSPITAL is not a kind: a public hospital (REGIONAL_HOSPITAL) is the home hospital of the municipalities listed in its homeHospitalFor';
  }
  if (/\/homeHospitalFor\/\d+$/.test(instancePath)) return ' — list kommunenumre of three digits, e.g. "751"';
  if (/\/ean$/.test(instancePath)) return ' — write the 13-digit EAN (GLN) location number as a string, e.g. "5790000000012"';
  if (/\/accepts\/\d+$/.test(instancePath)) return ' — list MedCom message type codes such as "XDIS20"';
  if (/\/clientCertificates\/\d+\/sha256$/.test(instancePath)) {
    return ' — write the certificate\'s SHA-256 fingerprint as 32 hex pairs separated by colons, as `openssl x509 -noout -fingerprint -sha256 -in client.crt` prints it';
  }
  if (/\/delivery$/.test(instancePath)) return ' — write {"mode":"pull"} (the endpoint polls its inbox) or {"mode":"push","url":"https://…"}';
  const params = error?.params as Record<string, unknown> | undefined;
  if (typeof params?.additionalProperty === 'string') return ` ("${params.additionalProperty}") — remove it or check its spelling`;
  if (typeof params?.missingProperty === 'string') return ' — add it (docs/configuration.md describes every field of endpoints.json)';
  return '';
}

function schemaProblems(file: string, errors: readonly ErrorObject[]): string[] {
  // A wrong delivery fails every branch of its oneOf: say it once, with both forms.
  const deliveries = new Set<string>();
  const problems: string[] = [];
  for (const e of errors) {
    const delivery = /^(\/endpoints\/\d+\/delivery)(\/|$)/.exec(e.instancePath)?.[1];
    if (delivery) {
      if (deliveries.has(delivery)) continue;
      deliveries.add(delivery);
      problems.push(`${file}${delivery}: is not a delivery mode the gateway knows${hintFor(delivery)}`);
      continue;
    }
    const allowed = e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
    problems.push(`${file}${e.instancePath || '/'}: ${e.message ?? 'invalid'}${allowed}${hintFor(e.instancePath, e)}`);
  }
  return problems;
}

/**
 * The rules beyond the schema: check digits, duplicates, fields only some kinds may have. Run also
 * when the schema found problems (on whatever entries are readable), so every problem is told at once.
 */
function ruleProblems(raw: unknown, file: string): string[] {
  const problems: string[] = [];
  const config = (typeof raw === 'object' && raw !== null ? raw : {}) as { endpoints?: unknown; gateway?: { ean?: unknown } };
  const endpoints = Array.isArray(config.endpoints) ? (config.endpoints as Partial<Record<keyof Endpoint, unknown>>[]) : [];
  const seen = new Set<string>();
  const fingerprints = new Map<string, string>();
  endpoints.forEach((endpoint, index) => {
    if (typeof endpoint !== 'object' || endpoint === null) return;
    const certificates = Array.isArray(endpoint.clientCertificates) ? (endpoint.clientCertificates as unknown[]) : [];
    certificates.forEach((certificate, at) => {
      const sha256 = (certificate as { sha256?: unknown } | null)?.sha256;
      if (typeof sha256 !== 'string') return;
      const where = `/endpoints/${index}/clientCertificates/${at}`;
      const first = fingerprints.get(sha256.toUpperCase());
      if (first !== undefined) problems.push(`${file}${where}/sha256: the same certificate as ${first} — a certificate authenticates one endpoint; remove one`);
      else fingerprints.set(sha256.toUpperCase(), where);
    });
    const ean = typeof endpoint.ean === 'string' && /^[0-9]{13}$/.test(endpoint.ean) ? endpoint.ean : undefined;
    if (ean !== undefined && !isValidGln(ean)) problems.push(`${file}/endpoints/${index}/ean: ${ean} has a wrong GLN check digit — check the number; its last digit is computed from the others`);
    if (ean !== undefined && seen.has(ean)) problems.push(`${file}/endpoints/${index}/ean: ${ean} is listed twice — keep one entry per EAN`);
    if (ean !== undefined) seen.add(ean);
    if (endpoint.hospitalKind !== undefined && endpoint.kind !== 'hospital') {
      problems.push(`${file}/endpoints/${index}/hospitalKind: only a hospital has a hospital kind; remove it from this ${String(endpoint.kind)}`);
    }
    if (endpoint.homeHospitalFor !== undefined && (endpoint.kind !== 'hospital' || (endpoint.hospitalKind ?? 'REGIONAL_HOSPITAL') !== 'REGIONAL_HOSPITAL')) {
      problems.push(`${file}/endpoints/${index}/homeHospitalFor: only a public hospital of the region (hospitalKind REGIONAL_HOSPITAL) can be a home hospital; remove it here`);
    }
  });
  const gatewayEan = typeof config.gateway?.ean === 'string' && /^[0-9]{13}$/.test(config.gateway.ean) ? config.gateway.ean : undefined;
  if (gatewayEan !== undefined && !isValidGln(gatewayEan)) problems.push(`${file}/gateway/ean: ${gatewayEan} has a wrong GLN check digit — check the number; its last digit is computed from the others`);
  if (gatewayEan !== undefined && seen.has(gatewayEan)) problems.push(`${file}/gateway/ean: the gateway's own EAN must not also be an endpoint — give the gateway a location number of its own`);
  return problems;
}

/** Validates parsed endpoint configuration; `file` names the source in error messages. */
export function buildEndpointRegister(raw: unknown, file: string): EndpointRegister {
  const validate = new Ajv({ allErrors: true }).compile<RawConfig>(CONFIG_SCHEMA);
  const valid = validate(raw);
  const problems = [...(valid ? [] : schemaProblems(file, validate.errors ?? [])), ...ruleProblems(raw, file)];
  if (!valid || problems.length > 0) throw new ConfigError(`the endpoint configuration is not valid:\n  ${problems.join('\n  ')}`, problems);
  const endpoints: Endpoint[] = raw.endpoints.map(({ clientCertificates, ...endpoint }) => ({
    ...endpoint,
    enabled: endpoint.enabled ?? true,
    // Fingerprints compared as Node prints them: upper-case hex pairs with colons.
    ...(clientCertificates ? { clientCertificates: clientCertificates.map((c) => ({ ...c, sha256: c.sha256.toUpperCase() })) } : {}),
  }));
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

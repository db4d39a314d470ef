/**
 * Loads the alert rules from `alerts.json` in the configuration directory (none when it is absent) and
 * validates them at start like the other configuration: each mistake is reported with the file, the
 * JSON path and the fix. A webhook must be http(s), and a loopback address is refused unless the
 * file says `"allowLoopback": true`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ALERT_KINDS, NO_ALERTS, isLoopbackHost, type AlertConfig, type AlertRule } from '../domain/alerts.js';
import { ConfigError } from './endpoints.js';

export const ALERTS_FILE = 'alerts.json';

const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } as const;
const rule = (kind: string, limits: Record<string, object>) => ({
  type: 'object',
  required: ['id', 'kind', ...Object.keys(limits).filter((k) => k !== 'deadlineRule')],
  additionalProperties: false,
  properties: { id, kind: { const: kind }, $comment: { type: 'string' }, ...limits },
});
const minutes = { type: 'integer', minimum: 1 } as const;
const over = { type: 'integer', minimum: 0 } as const;

const RULE_SCHEMAS: Record<string, object> = {
  'inbox-oldest-age': rule('inbox-oldest-age', { minutes }),
  'endpoint-not-polling': rule('endpoint-not-polling', { minutes }),
  unacknowledged: rule('unacknowledged', { over }),
  'dead-letter': rule('dead-letter', {}),
  'deadline-breaches': rule('deadline-breaches', { over, deadlineRule: { type: 'string', minLength: 1 } }),
};

const ALERTS_SCHEMA = {
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    intervalSeconds: { type: 'integer', minimum: 5, maximum: 3600 },
    webhook: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        allowLoopback: { type: 'boolean' },
        attempts: { type: 'integer', minimum: 1, maximum: 50 },
        retryDelayMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
      },
    },
    rules: { type: 'array', items: { type: 'object', required: ['id', 'kind'], properties: { kind: { enum: ALERT_KINDS } } } },
  },
} as const;

interface RawAlerts {
  intervalSeconds?: number;
  webhook?: { url: string; allowLoopback?: boolean; attempts?: number; retryDelayMs?: number };
  rules: { id: string; kind: string }[];
}

function fixFor(path: string, message: string): string {
  if (path.endsWith('/kind')) return ` — use one of ${ALERT_KINDS.join(', ')}`;
  if (path.endsWith('/url')) return ' — write an http:// or https:// address';
  if (message.includes('additional properties')) return ' — remove it, or check its spelling (see docs/metrics-and-alerts.md)';
  return '';
}

/** Validates parsed alert rules; `file` names the source in error messages. */
export function buildAlertConfig(raw: unknown, file: string): AlertConfig {
  const ajv = new Ajv({ allErrors: true });
  const problems: string[] = [];
  const report = (errors: typeof ajv.errors, prefix = ''): void => {
    for (const e of errors ?? []) {
      const path = `${prefix}${e.instancePath}`;
      const extra = e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : '';
      const allowed = e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
      problems.push(`${file}${path || '/'}: ${e.message ?? 'invalid'}${extra}${allowed}${fixFor(path, e.message ?? '')}`);
    }
  };
  const validate = ajv.compile<RawAlerts>(ALERTS_SCHEMA);
  if (!validate(raw)) {
    report(validate.errors);
    throw new ConfigError(`the alert rules are not valid:\n  ${problems.join('\n  ')}`, problems);
  }
  const seen = new Set<string>();
  raw.rules.forEach((r, index) => {
    const check = ajv.compile(RULE_SCHEMAS[r.kind] ?? {});
    if (!check(r)) report(check.errors, `/rules/${index}`);
    if (seen.has(r.id)) problems.push(`${file}/rules/${index}/id: "${r.id}" is used twice — give each rule its own id`);
    seen.add(r.id);
  });
  const webhook = raw.webhook;
  if (webhook) {
    let host: string | undefined;
    try {
      host = new URL(webhook.url).hostname;
    } catch {
      problems.push(`${file}/webhook/url: "${webhook.url}" is not a URL — write an http:// or https:// address`);
    }
    if (host !== undefined && isLoopbackHost(host) && webhook.allowLoopback !== true) {
      problems.push(`${file}/webhook/url: ${host} is a loopback address, refused so a mistake cannot aim the gateway at itself — use the receiver's address, or add "allowLoopback": true to the webhook if this is meant`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`the alert rules are not valid:\n  ${problems.join('\n  ')}`, problems);
  return {
    rules: raw.rules as unknown as AlertRule[],
    intervalMs: (raw.intervalSeconds ?? 60) * 1000,
    ...(webhook
      ? { webhook: { url: webhook.url, allowLoopback: webhook.allowLoopback ?? false, attempts: webhook.attempts ?? 8, retryDelayMs: webhook.retryDelayMs ?? 5_000 } }
      : {}),
  };
}

/** The rules of `<configDir>/alerts.json`, or none when the file is absent. */
export function loadAlertConfig(configDir: string): AlertConfig {
  const file = join(configDir, ALERTS_FILE);
  if (!existsSync(file)) return NO_ALERTS;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return buildAlertConfig(raw, file);
}

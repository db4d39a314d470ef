/**
 * The shape and references of `keys.json`: every key has an id as the gateway issues them, a principal
 * that is an endpoint of endpoints.json or "ops", and the SHA-256 of its secret; a revoked key keeps
 * its record with the time (`revoked`), a rotated one the time it stops working (`expires`). Checked at start (a
 * hand-edited file must not quietly lock an endpoint out) and by `medcom-gateway config check`; every
 * problem is reported at once as `FILE#/path: what is wrong — the fix`.
 */
import { Ajv } from 'ajv';
import type { EndpointRegister } from '../domain/endpoint.js';

export const KEYS_FILE = 'keys.json';

const SCHEMA = {
  type: 'object',
  required: ['keys'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'principal', 'sha256'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9]{8,32}$' },
          principal: { type: 'string', pattern: '^([0-9]{13}|ops)$' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          created: { type: 'string', format: 'date-time' },
          name: { type: 'string', maxLength: 100, pattern: '\\S' },
          revoked: { type: 'string', format: 'date-time' },
          expires: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

const FIXES: Record<string, string> = {
  id: 'the id is the part between "mgw_" and the next "_" of the key: 8 to 32 lower-case letters and digits',
  principal: 'the 13-digit EAN of an endpoint in endpoints.json, or "ops"',
  sha256: 'the SHA-256 of the secret as 64 lower-case hex digits; make keys with `medcom-gateway keys create` rather than by hand',
  created: 'an RFC 3339 time such as 2026-03-13T09:00:00.000Z, or leave it out',
  name: 'the name of the person the ops key belongs to, 1 to 100 characters, as the audit log should show it',
  revoked: 'the RFC 3339 time the key was revoked, such as 2026-03-13T09:00:00.000Z (`medcom-gateway keys revoke ID` writes it), or leave it out',
  expires: 'the RFC 3339 time the key stops working, such as 2026-03-14T09:00:00.000Z (`medcom-gateway keys rotate ID` writes it), or leave it out',
  keys: 'write { "keys": [ { "id": …, "principal": …, "sha256": … } ] }',
};

const validate = new Ajv({ allErrors: true, formats: { 'date-time': (text: string) => !Number.isNaN(Date.parse(text)) && /^\d{4}-\d{2}-\d{2}T/.test(text) } }).compile<{ keys: { id: string; principal: string; sha256: string; created?: string; name?: string; revoked?: string; expires?: string }[] }>(SCHEMA);

function fixFor(path: string, additional: unknown): string {
  if (typeof additional === 'string') return ` ("${additional}") — remove it or check its spelling`;
  const field = path.split('/').reverse().find((segment) => FIXES[segment] !== undefined);
  return field ? ` — ${FIXES[field]}` : '';
}

/**
 * Every problem of parsed `keys.json`; `register` (when the endpoints could be read) adds the check
 * that each principal is an endpoint. An empty list means the file is usable.
 */
export function keysFileProblems(raw: unknown, file: string, register?: EndpointRegister): string[] {
  if (!validate(raw)) {
    return [
      ...new Set(
        (validate.errors ?? []).map((e) => {
          const params = e.params as Record<string, unknown>;
          const missing = typeof params.missingProperty === 'string' ? `${e.instancePath}/${params.missingProperty}` : e.instancePath;
          return `${file}#${e.instancePath || '/'}: ${e.message ?? 'is invalid'}${fixFor(missing, params.additionalProperty)}`;
        }),
      ),
    ];
  }
  const problems: string[] = [];
  const { keys } = raw;
  const ids = new Map<string, number>();
  const digests = new Map<string, number>();
  keys.forEach((key, index) => {
    const first = ids.get(key.id);
    if (first !== undefined) problems.push(`${file}#/keys/${index}/id: "${key.id}" is also the id of /keys/${first} — each key needs its own id; remove one, or make a new key`);
    else ids.set(key.id, index);
    const same = digests.get(key.sha256);
    if (same !== undefined) problems.push(`${file}#/keys/${index}/sha256: the same secret as /keys/${same} — a secret must belong to one key; remove one`);
    else digests.set(key.sha256, index);
    if (key.name !== undefined && key.principal !== 'ops') {
      problems.push(`${file}#/keys/${index}/name: only an ops key names a person — remove the name, or make the key's principal "ops"`);
    }
    if (register && key.principal !== 'ops' && !register.find(key.principal)) {
      problems.push(`${file}#/keys/${index}/principal: ${key.principal} is not an endpoint in endpoints.json — add the endpoint there, or remove this key`);
    }
  });
  return problems;
}

/**
 * API keys. Real keys look like `mgw_<id>_<secret>`; `config/keys.json` stores only the id, who it
 * belongs to and the SHA-256 of the secret (`medcom-gateway keys create` makes them). Keys are 32
 * random bytes, so a fast hash is enough; comparison is constant-time. The demo network's keys
 * (`demo-<EAN>`, `demo-ops`) exist only when the configuration asks for them and never in production.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointRegister } from '../domain/endpoint.js';
import { principalOf, type Principal } from '../domain/principal.js';
import { ConfigError } from './endpoints.js';
import { keysFileProblems, KEYS_FILE } from './keys-file.js';

export interface StoredKey {
  readonly id: string;
  /** An endpoint EAN, or "ops". */
  readonly principal: string;
  readonly sha256: string;
  readonly created?: string;
  /** The person an ops key belongs to, as the audit log names them. */
  readonly name?: string;
}

export type AuthenticationResult =
  | { readonly ok: true; readonly principal: Principal; readonly keyId: string }
  | { readonly ok: false; readonly reason: string };

/** The demo network's operator, as the audit log names them. */
export const DEMO_OPERATOR_NAME = 'Demo operator';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class KeyRing {
  private readonly byId = new Map<string, { principal: Principal; digest: Buffer }>();
  private readonly demo = new Map<string, { principal: Principal; digest: Buffer }>();

  constructor(
    stored: readonly StoredKey[],
    register: EndpointRegister,
    private readonly production: boolean,
  ) {
    for (const key of stored) {
      if (key.principal !== 'ops' && !register.find(key.principal)) {
        throw new ConfigError(`keys.json: key ${key.id} belongs to ${key.principal}, which is not an endpoint in endpoints.json`);
      }
      this.byId.set(key.id, { principal: principalOf(key.principal, key.name, key.id), digest: Buffer.from(key.sha256, 'hex') });
    }
    if (register.demoKeys) {
      for (const endpoint of register.endpoints) {
        const key = `demo-${endpoint.ean}`;
        this.demo.set(key, { principal: { kind: 'endpoint', ean: endpoint.ean }, digest: sha256(key) });
      }
      this.demo.set('demo-ops', { principal: { kind: 'ops', name: DEMO_OPERATOR_NAME }, digest: sha256('demo-ops') });
    }
  }

  authenticate(presented: string): AuthenticationResult {
    const real = /^mgw_([a-z0-9]{8,32})_([A-Za-z0-9_-]{20,})$/.exec(presented);
    if (real) {
      const entry = this.byId.get(real[1] as string);
      const digest = sha256(real[2] as string);
      if (entry && timingSafeEqual(entry.digest, digest)) return { ok: true, principal: entry.principal, keyId: real[1] as string };
      return { ok: false, reason: 'the API key is not known' };
    }
    const demo = this.demo.get(presented);
    if (demo && timingSafeEqual(demo.digest, sha256(presented))) {
      if (this.production) return { ok: false, reason: 'demo keys are refused when NODE_ENV=production' };
      return { ok: true, principal: demo.principal, keyId: presented.startsWith('demo-ops') ? 'demo-ops' : 'demo' };
    }
    if (presented.startsWith('demo-') && this.production) return { ok: false, reason: 'demo keys are refused when NODE_ENV=production' };
    return { ok: false, reason: 'the API key is not known' };
  }
}

/** Makes a new key for `principal`: the secret to hand over once, and the record to store. */
export function createKey(principal: string, now: Date = new Date(), name?: string): { key: string; record: StoredKey } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `mgw_${id}_${secret}`,
    record: { id, principal, sha256: sha256(secret).toString('hex'), created: now.toISOString(), ...(name === undefined ? {} : { name }) },
  };
}

/** The keys of `keys.json` in the configuration folder (none when there is no file); a file with problems is refused with all of them. */
export function loadStoredKeys(configDir: string, register?: EndpointRegister): StoredKey[] {
  const file = join(configDir, KEYS_FILE);
  if (!existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const problems = keysFileProblems(raw, file, register);
  if (problems.length > 0) throw new ConfigError(`the API keys are not valid:\n  ${problems.join('\n  ')}`, problems);
  return (raw as { keys: StoredKey[] }).keys;
}

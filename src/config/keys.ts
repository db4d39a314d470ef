/**
 * API keys. Real keys look like `mgw_<id>_<secret>`; `config/keys.json` stores only the id, who it
 * belongs to and the SHA-256 of the secret (`medcom-gateway keys create` makes them). Keys are 32
 * random bytes, so a fast hash is enough; comparison is constant-time. The demo network's keys
 * (`demo-<EAN>`, `demo-ops`) exist only when the configuration asks for them and never in production.
 *
 * A revoked key (`revoked`) and a key past its `expires` (the old key of a rotation, after its grace)
 * are refused. The ring can take a new set of keys while the gateway runs (`replaceKeys`, for the
 * reload of keys.json): the new set is built whole before it replaces the old, so a bad set changes
 * nothing.
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
  /** When the key was revoked: it no longer works, and the record stays to say so. */
  readonly revoked?: string;
  /** When the key stops working (the old key of a rotation keeps working until then). */
  readonly expires?: string;
}

export type KeyState = 'active' | 'revoked' | 'expired';

/** Whether a stored key works at `now`. */
export function keyState(key: StoredKey, now: Date): KeyState {
  if (key.revoked !== undefined) return 'revoked';
  if (key.expires !== undefined && Date.parse(key.expires) <= now.getTime()) return 'expired';
  return 'active';
}

export type AuthenticationResult =
  | { readonly ok: true; readonly principal: Principal; readonly keyId: string }
  | { readonly ok: false; readonly reason: string };

/** The demo network's operator, as the audit log names them. */
export const DEMO_OPERATOR_NAME = 'Demo operator';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

interface RingEntry {
  readonly principal: Principal;
  readonly digest: Buffer;
  readonly revoked: boolean;
  /** Milliseconds since the epoch; undefined: no end. */
  readonly expires: number | undefined;
}

export class KeyRing {
  private byId = new Map<string, RingEntry>();
  private readonly demo = new Map<string, { principal: Principal; digest: Buffer }>();

  constructor(
    stored: readonly StoredKey[],
    private readonly register: EndpointRegister,
    private readonly production: boolean,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.replaceKeys(stored);
    if (register.demoKeys) {
      for (const endpoint of register.endpoints) {
        const key = `demo-${endpoint.ean}`;
        this.demo.set(key, { principal: { kind: 'endpoint', ean: endpoint.ean }, digest: sha256(key) });
      }
      this.demo.set('demo-ops', { principal: { kind: 'ops', name: DEMO_OPERATOR_NAME }, digest: sha256('demo-ops') });
    }
  }

  /** Takes `stored` as the keys from now on; throws (and keeps the old keys) when one names no endpoint. */
  replaceKeys(stored: readonly StoredKey[]): void {
    const byId = new Map<string, RingEntry>();
    for (const key of stored) {
      if (key.principal !== 'ops' && !this.register.find(key.principal)) {
        throw new ConfigError(`keys.json: key ${key.id} belongs to ${key.principal}, which is not an endpoint in endpoints.json`);
      }
      byId.set(key.id, {
        principal: principalOf(key.principal, key.name, key.id),
        digest: Buffer.from(key.sha256, 'hex'),
        revoked: key.revoked !== undefined,
        expires: key.expires === undefined ? undefined : Date.parse(key.expires),
      });
    }
    this.byId = byId;
  }

  authenticate(presented: string): AuthenticationResult {
    const real = /^mgw_([a-z0-9]{8,32})_([A-Za-z0-9_-]{20,})$/.exec(presented);
    if (real) {
      const entry = this.byId.get(real[1] as string);
      const digest = sha256(real[2] as string);
      // Only the holder of the right secret learns that the key has expired; a revoked key is as
      // unknown as one never issued.
      if (!entry || !timingSafeEqual(entry.digest, digest) || entry.revoked) return { ok: false, reason: 'the API key is not known' };
      if (entry.expires !== undefined && entry.expires <= this.now().getTime()) return { ok: false, reason: 'the API key has expired' };
      return { ok: true, principal: entry.principal, keyId: real[1] as string };
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

/** The file of the API keys in the configuration folder. */
export function keysFilePath(configDir: string): string {
  return join(configDir, KEYS_FILE);
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

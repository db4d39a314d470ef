/**
 * Operator sessions for the web page: after logging in once with their ops key, a person's browser
 * holds only a random session id in an HttpOnly cookie. The session (the operator's name, the key's id,
 * the CSRF token and the expiry; never the key) is kept in Redis, so every gateway process behind a
 * load balancer accepts it, under a hash of the id: what Redis holds cannot be replayed as a cookie.
 * Without Redis (a single process, tests of the HTTP plumbing) the sessions live in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface OpsSession {
  readonly name: string;
  readonly keyId: string;
  /** The synchronizer token every state-changing request made with the cookie must send back. */
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

export interface SessionStore {
  save(id: string, session: OpsSession): Promise<void>;
  load(id: string): Promise<OpsSession | undefined>;
  remove(id: string): Promise<void>;
}

export const SESSION_COOKIE = 'medcom_ops';
export const SESSION_TTL_SECONDS = 8 * 3600;

/** 256 random bits, URL-safe: session ids and CSRF tokens. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The store key of a session id (a hash: the id itself is only ever in the browser's cookie). */
const keyOf = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** A plausible session id (what newSecret makes); anything else is not looked up. */
export const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

interface StoredSession {
  readonly name: string;
  readonly keyId: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

function parse(text: string | null | undefined, now: number): OpsSession | undefined {
  if (!text) return undefined;
  try {
    const stored = JSON.parse(text) as StoredSession;
    const expiresAt = new Date(stored.expiresAt);
    if (typeof stored.name !== 'string' || typeof stored.keyId !== 'string' || typeof stored.csrfToken !== 'string' || !(expiresAt.getTime() > now)) return undefined;
    return { name: stored.name, keyId: stored.keyId, csrfToken: stored.csrfToken, expiresAt };
  } catch {
    return undefined;
  }
}

const serialise = (session: OpsSession): string =>
  JSON.stringify({ name: session.name, keyId: session.keyId, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() } satisfies StoredSession);

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async save(id: string, session: OpsSession): Promise<void> {
    const ttl = Math.max(1, Math.ceil((session.expiresAt.getTime() - Date.now()) / 1000));
    await this.redis.set(`${this.prefix}${keyOf(id)}`, serialise(session), 'EX', ttl);
  }

  async load(id: string): Promise<OpsSession | undefined> {
    return parse(await this.redis.get(`${this.prefix}${keyOf(id)}`), Date.now());
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}${keyOf(id)}`);
  }
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, string>();

  async save(id: string, session: OpsSession): Promise<void> {
    this.sessions.set(keyOf(id), serialise(session));
  }

  async load(id: string): Promise<OpsSession | undefined> {
    const key = keyOf(id);
    const session = parse(this.sessions.get(key), Date.now());
    if (!session) this.sessions.delete(key);
    return session;
  }

  async remove(id: string): Promise<void> {
    this.sessions.delete(keyOf(id));
  }
}

/**
 * The operations session cookie. A request without an `Authorization` header that carries the
 * `medcom_ops` cookie of a live session acts as that operator (the same `principal` and `apiKeyId` as
 * their key would give, so the audit log names the person) on the ops API (`/api/v1/ops/…`), the
 * deadline routes (`/api/v1/deadlines/…`) and the ops pages (paths outside `/api/`, `/docs`, `/metrics` and the health probes). A Bearer key always
 * wins over a cookie.
 *
 * CSRF: the cookie is SameSite=Strict, and on top every POST, PUT, PATCH or DELETE authenticated by it
 * must carry the session's token in `x-csrf-token` (a synchronizer token, compared in constant time),
 * else 403 `csrf`. The token lives in the session, which already is server-side in Redis, so
 * @fastify/csrf-protection (a second secret in another cookie, or a session plugin) would add moving
 * parts without adding protection. Requests with a Bearer key need no token: a browser never adds one.
 */
import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { KeyRing } from '../../config/keys.js';
import { SESSION_COOKIE, SESSION_ID, type OpsSession, type SessionStore } from '../ops-sessions.js';
import { problem, serviceUnavailable } from '../problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operations session the request's cookie belongs to; null without one. */
    opsSession: { readonly id: string; readonly session: OpsSession } | null;
  }
  interface FastifyInstance {
    readonly opsSessions: { readonly store: SessionStore; readonly keyRing: Pick<KeyRing, 'authenticate'> };
  }
}

const NOT_PAGES = /^\/(api|docs|metrics|healthz|readyz)(\/|$|\?)/;

/**
 * Where the session cookie counts: the ops API, the ops pages, and the deadline routes (operators record
 * a warning given by phone or fax through the same fulfilment route the obliged endpoint uses).
 */
export function inSessionScope(url: string): boolean {
  return url.startsWith('/api/v1/ops/') || url === '/api/v1/ops' || url.startsWith('/api/v1/deadlines/') || !NOT_PAGES.test(url);
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameToken(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Logging in is the one unsafe request a cookie may come with and no token: it makes a new session. */
const isLogin = (request: FastifyRequest): boolean => request.method === 'POST' && request.url.split('?')[0] === '/api/v1/ops/session';

export interface OpsSessionOptions {
  readonly store: SessionStore;
  readonly keyRing: Pick<KeyRing, 'authenticate'>;
}

async function opsSession(app: FastifyInstance, options: OpsSessionOptions): Promise<void> {
  await app.register(cookie, { hook: 'onRequest' });
  app.decorate('opsSessions', { store: options.store, keyRing: options.keyRing });
  app.decorateRequest('opsSession', null);

  app.addHook('onRequest', async (request) => {
    if (request.principal || request.headers.authorization !== undefined || !inSessionScope(request.url)) return;
    const id = request.cookies[SESSION_COOKIE];
    if (!id || !SESSION_ID.test(id)) return;
    const session = await options.store.load(id).catch(() => {
      throw serviceUnavailable('the session store is not reachable: try again, or use an API key', 5);
    });
    if (!session) return;
    request.opsSession = { id, session };
    request.principal = { kind: 'ops', name: session.name };
    request.apiKeyId = session.keyId;
    if (UNSAFE_METHODS.has(request.method) && !isLogin(request) && !sameToken(request.headers['x-csrf-token'], session.csrfToken)) {
      throw problem(403, 'csrf', 'send the session\'s csrfToken in the x-csrf-token header with every POST, PUT or DELETE made with the session cookie');
    }
  });
}

export default fp(opsSession, { name: 'ops-session', fastify: '5.x', dependencies: ['authentication'] });

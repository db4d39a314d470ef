/**
 * Logging in to the ops pages: `POST /api/v1/ops/session` with an operations key gives a session
 * cookie (HttpOnly, SameSite=Strict, Secure over TLS, 8 hours) and the CSRF token the page sends back
 * on every change; `GET` says who is logged in; `DELETE` logs out. Endpoint keys get 403. Login
 * attempts are limited per client address, so the page is no oracle for guessing keys.
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newSecret, SESSION_COOKIE, SESSION_TTL_SECONDS, type OpsSession } from '../ops-sessions.js';
import { forbidden, unauthorized } from '../problem.js';
import { DateTime, Open, problems } from '../schemas/common.js';

export const LOGINS_PER_MINUTE = 10;

const SessionAnswer = Open(
  {
    name: Type.String({ description: 'The operator\'s name, as the audit log writes it' }),
    csrfToken: Type.String({ description: 'Send it as the x-csrf-token header with every POST, PUT and DELETE made with the cookie' }),
    expiresAt: DateTime,
  },
  { description: 'The session; the cookie `medcom_ops` holds its id' },
);

const answerOf = (session: OpsSession) => ({ name: session.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() });

function refuseEndpointKeys(request: FastifyRequest): void {
  if (request.principal?.kind === 'endpoint') throw forbidden('operations sessions are for operations keys, not an endpoint\'s key');
}

function cookieOptions(request: FastifyRequest) {
  // request.protocol is https over TLS, or behind a trusted proxy that says so (x-forwarded-proto).
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', secure: request.protocol === 'https' };
}

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

const opsSessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, keyRing } = app.opsSessions;

  app.post(
    '/api/v1/ops/session',
    {
      config: { contentTypes: ['json'], rateLimit: { max: LOGINS_PER_MINUTE, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `login:${request.ip}` } },
      schema: {
        summary: 'Log in to the ops pages with an operations key',
        description: `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over TLS) for ${SESSION_TTL_SECONDS / 3600} hours. The key is checked once and not kept. At most ${LOGINS_PER_MINUTE} attempts a minute per client address.`,
        tags: ['operations'],
        body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 512, description: 'The operator\'s API key' }) }, { additionalProperties: false }),
        response: {
          200: SessionAnswer,
          ...problems({ 400: 'No key in the body', 401: 'The key is not known', 403: 'Not an operations key', 429: 'Too many attempts: wait', 503: 'The session store (Redis) is not reachable' }),
        },
      },
    },
    async (request, reply) => {
      refuseEndpointKeys(request);
      const result = keyRing.authenticate(request.body.key);
      if (!result.ok) throw unauthorized(result.reason);
      if (result.principal.kind !== 'ops') throw forbidden('only an operations key can log in to the ops pages');
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await store.remove(previous).catch(() => undefined);
      const id = newSecret();
      const session: OpsSession = { name: result.principal.name, keyId: result.keyId, csrfToken: newSecret(), expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000) };
      await store.save(id, session);
      reply.setCookie(SESSION_COOKIE, id, { ...cookieOptions(request), maxAge: SESSION_TTL_SECONDS });
      noStore(reply);
      return answerOf(session);
    },
  );

  app.get(
    '/api/v1/ops/session',
    {
      schema: {
        summary: 'Who is logged in',
        tags: ['operations'],
        response: { 200: SessionAnswer, ...problems({ 401: 'No live session (log in)', 403: 'An endpoint\'s key', 503: 'The session store (Redis) is not reachable' }) },
      },
    },
    async (request, reply) => {
      refuseEndpointKeys(request);
      if (!request.opsSession) throw unauthorized('no session: log in with POST /api/v1/ops/session');
      noStore(reply);
      return answerOf(request.opsSession.session);
    },
  );

  app.delete(
    '/api/v1/ops/session',
    {
      schema: {
        summary: 'Log out',
        description: 'Ends the session and clears the cookie. With the cookie, needs the x-csrf-token header.',
        tags: ['operations'],
        response: {
          204: Type.Null({ description: 'Logged out' }),
          ...problems({ 401: 'No live session', 403: 'Without the CSRF token, or an endpoint\'s key', 503: 'The session store (Redis) is not reachable' }),
        },
      },
    },
    async (request, reply) => {
      refuseEndpointKeys(request);
      if (!request.opsSession) throw unauthorized('no session to log out of');
      await store.remove(request.opsSession.id);
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      reply.code(204);
      return null;
    },
  );
};

export default opsSessionRoutes;

/**
 * API keys. Every request's `Authorization: Bearer <key>` is checked once, early (so rate limiting
 * can count per key): a valid key sets `request.principal` and `request.apiKeyId`; nothing is refused
 * here. Routes then demand what they need, in one of three equivalent ways:
 *
 * - declaratively: `config: { auth: 'endpoint' | 'ops' | 'any' }` (also puts the bearer scheme on the
 *   operation in the OpenAPI document);
 * - as hooks: `onRequest: app.authenticate` / `app.requireEndpoint` / `app.requireOps`;
 * - in the handler: `const me = requireEndpoint(request)` (typed; throws the 401/403 problem).
 *
 * A missing or refused key is 401 with `WWW-Authenticate: Bearer`; a key of the wrong kind is 403.
 * Comparing keys is the KeyRing's job.
 *
 * Mutual TLS: when the gateway asks for client certificates, a request without an Authorization
 * header is judged by its connection's certificate instead. The TLS layer only asks for one (it lets
 * every client in, so API keys keep working without a certificate); here a certificate counts when it
 * chains to the configured CA, is within its validity (Node's `authorized`) and its SHA-256
 * fingerprint is listed for an endpoint. A presented API key always decides over a certificate.
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { TLSSocket } from 'node:tls';
import fp from 'fastify-plugin';
import type { KeyRing } from '../../config/keys.js';
import type { Operator } from '../../app/ops-input.js';
import type { Principal } from '../../domain/principal.js';
import { forbidden, unauthorized } from '../problem.js';

export type EndpointPrincipal = Extract<Principal, { kind: 'endpoint' }>;
export type OpsPrincipal = Extract<Principal, { kind: 'ops' }>;
export type AuthRequirement = 'any' | 'endpoint' | 'ops';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request's API key belongs to; null without a valid key. */
    principal: Principal | null;
    /** The id of the accepted API key (`demo`/`demo-ops` for demo keys); null without a valid key. */
    apiKeyId: string | null;
    /** Why the presented key was refused; null when none was presented or it was accepted. */
    authFailure: string | null;
  }
  interface FastifyInstance {
    /** onRequest hook: any valid key, else 401. */
    authenticate: onRequestAsyncHookHandler;
    /** onRequest hook: an endpoint's key, else 401/403. */
    requireEndpoint: onRequestAsyncHookHandler;
    /** onRequest hook: an operations key, else 401/403. */
    requireOps: onRequestAsyncHookHandler;
  }
  interface FastifyContextConfig {
    /** Who may call the route; enforced before the body is read. */
    auth?: AuthRequirement;
  }
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The principal, or a 401 problem. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal) return request.principal;
  if (request.authFailure) {
    throw unauthorized(request.authFailure, { headers: { 'WWW-Authenticate': 'Bearer realm="medcom-gateway", error="invalid_token"' } });
  }
  throw unauthorized('this needs an API key: send Authorization: Bearer <api key>');
}

/** The endpoint whose key made the request, or a 401/403 problem. */
export function requireEndpoint(request: FastifyRequest): EndpointPrincipal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'endpoint') throw forbidden('this needs an endpoint\'s API key, not an operations key');
  return principal;
}

/** The operations principal, or a 401/403 problem. */
export function requireOps(request: FastifyRequest): OpsPrincipal {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'ops') throw forbidden('this needs an operations key');
  return principal;
}

/** The operator acting, as the audit log names them (their name and key id), or a 401/403 problem. */
export function requireOperator(request: FastifyRequest): Operator {
  const principal = requireOps(request);
  return request.apiKeyId === null ? { name: principal.name } : { name: principal.name, keyId: request.apiKeyId };
}

const HOOKS: Record<AuthRequirement, onRequestAsyncHookHandler> = {
  any: async (request) => {
    requirePrincipal(request);
  },
  endpoint: async (request) => {
    requireEndpoint(request);
  },
  ops: async (request) => {
    requireOps(request);
  },
};

export interface AuthenticationOptions {
  readonly keyRing: Pick<KeyRing, 'authenticate'>;
  /** Told the id of every accepted stored key (not the demo keys), to record its last use. */
  readonly keyUsed?: (keyId: string) => void;
  /** With mutual TLS: the endpoint EAN of each listed certificate's SHA-256 fingerprint (upper-case, colons). */
  readonly certificateOwners?: ReadonlyMap<string, string>;
}

type CertificateVerdict = { readonly ean: string; readonly fingerprint: string } | { readonly failure: string } | undefined;

/** The endpoint a request's TLS client certificate authenticates as; undefined when it presented none. */
function judgeCertificate(request: FastifyRequest, owners: ReadonlyMap<string, string>): CertificateVerdict {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const certificate = socket.getPeerCertificate();
  // An empty object: no certificate was presented.
  if (!certificate || typeof certificate.fingerprint256 !== 'string') return undefined;
  if (!socket.authorized) {
    const expired = String(socket.authorizationError) === 'CERT_HAS_EXPIRED';
    return { failure: expired ? 'the client certificate has expired' : 'the client certificate is not known' };
  }
  const ean = owners.get(certificate.fingerprint256.toUpperCase());
  return ean === undefined ? { failure: 'the client certificate is not known' } : { ean, fingerprint: certificate.fingerprint256 };
}

async function authentication(app: FastifyInstance, options: AuthenticationOptions): Promise<void> {
  app.decorateRequest('principal', null);
  app.decorateRequest('apiKeyId', null);
  app.decorateRequest('authFailure', null);
  app.decorate('authenticate', HOOKS.any);
  app.decorate('requireEndpoint', HOOKS.endpoint);
  app.decorate('requireOps', HOOKS.ops);

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      const verdict = options.certificateOwners ? judgeCertificate(request, options.certificateOwners) : undefined;
      if (verdict === undefined) return;
      if ('failure' in verdict) {
        request.authFailure = verdict.failure;
        return;
      }
      request.principal = { kind: 'endpoint', ean: verdict.ean };
      // Names the certificate in rate limits and logs, as a key id names a key.
      request.apiKeyId = `cert-${verdict.fingerprint.replaceAll(':', '').slice(0, 16).toLowerCase()}`;
      return;
    }
    const bearer = BEARER.exec(header);
    if (!bearer) {
      request.authFailure = 'the Authorization header must be "Bearer <api key>"';
      return;
    }
    const result = options.keyRing.authenticate(bearer[1] as string);
    if (result.ok) {
      request.principal = result.principal;
      request.apiKeyId = result.keyId;
      // The demo keys' ids ("demo", "demo-ops") cannot be a stored key's id (8 to 32 letters and digits).
      if (options.keyUsed && result.keyId !== 'demo' && result.keyId !== 'demo-ops') options.keyUsed(result.keyId);
    } else {
      request.authFailure = result.reason;
    }
  });

  // `config.auth` → the matching hook, first among the route's own onRequest hooks.
  app.addHook('onRoute', (route) => {
    const requirement = route.config?.auth;
    if (requirement === undefined) return;
    const hook = HOOKS[requirement];
    if (!hook) throw new Error(`route ${route.method.toString()} ${route.url}: config.auth must be 'any', 'endpoint' or 'ops', not ${String(requirement)}`);
    const existing = route.onRequest;
    route.onRequest = existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing];
  });
}

export default fp(authentication, { name: 'authentication', fastify: '5.x' });

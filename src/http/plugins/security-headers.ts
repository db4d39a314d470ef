/**
 * Security headers (@fastify/helmet) on every answer, with a strict Content-Security-Policy: the ops
 * pages load scripts, styles, images and data from the gateway itself only, no inline script or style,
 * no plugins, no framing. The OpenAPI viewer at /docs (swagger-ui, which needs inline code) keeps the
 * headers its own plugin sets.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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
  app.addHook('onRoute', (route) => {
    if (route.url === options.docsPrefix || route.url.startsWith(`${options.docsPrefix}/`)) route.helmet = false;
  });
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The API is also called from other hosts' programs; only browsers read these, and the pages are same-origin.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

export default fp(securityHeaders, { name: 'security-headers', fastify: '5.x' });

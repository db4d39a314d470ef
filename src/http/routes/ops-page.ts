/**
 * The operations page: `GET /` answers the page's one HTML document and `/ops/assets/…` its script,
 * style sheet and fonts, all built by `npm run build` into `dist/page/` (web/build.mjs). The document
 * is the same for everyone and holds no data at all: the page logs in and reads everything through the
 * ops API, so nothing about a patient can be in it before login.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromPackageRoot } from '../../package-root.js';

/** Where the build writes the page; the same folder from src/ (tests) and from dist/src/ (built). */
export const PAGE_DIR = fromPackageRoot('dist', 'page');

export default async function opsPage(app: FastifyInstance, options: { readonly pageDir?: string } = {}): Promise<void> {
  const pageDir = options.pageDir ?? PAGE_DIR;
  if (!existsSync(join(pageDir, 'index.html'))) {
    // A checkout that was never built: say so instead of a bare 404.
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The operations page is not built: run `npm run build`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: join(pageDir, 'assets'),
    prefix: '/ops/assets/',
    index: false,
    list: false,
    // The asset names carry a content hash (web/build.mjs), so a browser may keep them.
    immutable: true,
    maxAge: '365d',
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    // The document names the current asset hashes: always fetched anew.
    reply.header('cache-control', 'no-store').sendFile('index.html', pageDir, { cacheControl: false }),
  );
}

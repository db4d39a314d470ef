/**
 * The operations page's document and assets as the gateway serves them (the page itself is driven in
 * a browser by test/browser/ops-page.test.ts).
 */
import Fastify from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import opsPage from '../../src/http/routes/ops-page.js';

const dir = mkdtempSync(join(tmpdir(), 'ops-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the operations page route', () => {
  it('serves the built document at / uncached and the hashed assets under /ops/assets/ cached', async () => {
    const built = join(dir, 'built');
    mkdirSync(join(built, 'assets'), { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html><script type="module" src="/ops/assets/app-X.js"></script>');
    writeFileSync(join(built, 'assets', 'app-X.js'), 'export {};');
    const app = Fastify();
    await app.register(opsPage, { pageDir: built });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('/ops/assets/app-X.js');
    const asset = await app.inject({ method: 'GET', url: '/ops/assets/app-X.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject({ method: 'GET', url: '/ops/assets/../index.html' })).statusCode).not.toBe(200);
    // No listing of the folder.
    expect([403, 404]).toContain((await app.inject({ method: 'GET', url: '/ops/assets/' })).statusCode);
    await app.close();
  });

  it('says the page is not built instead of a bare 404 when dist/page is missing', async () => {
    const app = Fastify();
    await app.register(opsPage, { pageDir: join(dir, 'missing') });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
    await app.close();
  });
});

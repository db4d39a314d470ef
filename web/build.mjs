// Builds the operations page into dist/page/: one script and one style sheet bundled by esbuild with
// content-hashed names under assets/, and index.html naming them. No inline script or style, so the
// page runs under the gateway's Content-Security-Policy (default-src 'self'). Run by `npm run build`.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
const out = join(web, '..', 'dist', 'page');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(web, 'src', 'main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const script = outputs.find((file) => file.endsWith('.js'));
const styles = outputs.find((file) => file.endsWith('.css'));
if (!script || !styles) throw new Error(`the page build made no script or style sheet: ${outputs.join(', ')}`);
const html = readFileSync(join(web, 'index.html'), 'utf8').replace('{{script}}', `/ops/assets/${script}`).replace('{{styles}}', `/ops/assets/${styles}`);
writeFileSync(join(out, 'index.html'), html);

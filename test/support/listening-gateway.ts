/**
 * A test gateway (see gateway.ts) that also listens on a free loopback port, so a command under test
 * talks real HTTP to it — spawned as `node bin/medcom-gateway.js` (asynchronously: the gateway runs in
 * the test's own event loop) or called in-process.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fromPackageRoot } from '../../src/package-root.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';

export interface ListeningGateway extends TestGateway {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
}

export async function startListeningGateway(options: TestGatewayOptions = {}): Promise<ListeningGateway> {
  const gw = await startTestGateway({ ...options, env: { PORT: '0', HOST: '127.0.0.1', ...options.env } });
  const url = await gw.gateway.listen();
  return { ...gw, url };
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI without blocking the event loop; `npm test` builds dist/ first. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(fromPackageRoot('dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fromPackageRoot('bin', 'medcom-gateway.js'), ...args],
      { cwd: fromPackageRoot(), env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

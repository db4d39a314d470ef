/**
 * MEDCOM_TRUST_PROXY: X-Forwarded-For decides the client address (in the request log line and in the
 * per-address rate limit) only when the setting trusts the proxy that sent it.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEndpointRegister } from '../../src/config/endpoints.js';
import { KeyRing } from '../../src/config/keys.js';
import { readSettings } from '../../src/config/settings.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';

const register = loadEndpointRegister(fromPackageRoot('config'));
const PROXY = '10.0.0.5';
const CLIENT_A = '203.0.113.7';
const CLIENT_B = '198.51.100.9';

class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  }
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function build(trustProxy: string | undefined): Promise<{ app: FastifyInstance; logs: Lines }> {
  const logs = new Lines();
  const settings = { ...readSettings(trustProxy === undefined ? {} : { MEDCOM_TRUST_PROXY: trustProxy }), rateLimitPerMinute: 2 };
  const app = await buildApp({
    settings,
    logger: createLogger({ level: 'info' }, logs),
    keyRing: new KeyRing([], register, false),
    health: { check: async () => ({ store: { ok: true }, redis: { ok: true } }) },
    defaultMetrics: false,
  });
  apps.push(app);
  return { app, logs };
}

/** An unauthenticated request (counted per address) from the proxy, on behalf of `client`. */
function viaProxy(app: FastifyInstance, client: string) {
  return app.inject({ method: 'GET', url: '/api/v1/nothing-here', remoteAddress: PROXY, headers: { 'x-forwarded-for': client } });
}

function loggedAddresses(logs: Lines): unknown[] {
  return logs.lines.filter((line) => line.msg === 'request completed').map((line) => (line.req as { remoteAddress?: unknown }).remoteAddress);
}

describe('MEDCOM_TRUST_PROXY', () => {
  it('unset: X-Forwarded-For is ignored; the proxy is the client, in the log and in the rate limit', async () => {
    const { app, logs } = await build(undefined);
    expect((await viaProxy(app, CLIENT_A)).statusCode).toBe(404);
    expect((await viaProxy(app, CLIENT_B)).statusCode).toBe(404);
    // Both clients spend the proxy's one budget of 2 a minute.
    expect((await viaProxy(app, CLIENT_A)).statusCode).toBe(429);
    expect(loggedAddresses(logs)).toEqual([PROXY, PROXY, PROXY]);
  });

  it('true: the forwarded client is the address; each client has its own budget', async () => {
    const { app, logs } = await build('true');
    expect((await viaProxy(app, CLIENT_A)).statusCode).toBe(404);
    expect((await viaProxy(app, CLIENT_A)).statusCode).toBe(404);
    expect((await viaProxy(app, CLIENT_A)).statusCode).toBe(429);
    expect((await viaProxy(app, CLIENT_B)).statusCode).toBe(404);
    expect(loggedAddresses(logs)).toEqual([CLIENT_A, CLIENT_A, CLIENT_A, CLIENT_B]);
  });

  it('an address list: only the listed proxy is believed', async () => {
    const { app, logs } = await build('10.0.0.0/8, 192.168.1.1');
    await viaProxy(app, CLIENT_A);
    // Someone who is not a listed proxy cannot choose the address by sending the header.
    await app.inject({ method: 'GET', url: '/api/v1/nothing-here', remoteAddress: '172.16.0.9', headers: { 'x-forwarded-for': CLIENT_B } });
    expect(loggedAddresses(logs)).toEqual([CLIENT_A, '172.16.0.9']);
  });

  it('a hop count is refused: Fastify cannot check who sent the hops, so it would trust nobody silently', () => {
    expect(() => readSettings({ MEDCOM_TRUST_PROXY: '1' })).toThrow(/^MEDCOM_TRUST_PROXY=1 is not valid: a hop count cannot tell a proxy from a client/);
  });

  it('refuses a value that is none of these at start, in one line naming the variable', () => {
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.1,nope', '10.0.0.1/8/1']) {
      expect(() => readSettings({ MEDCOM_TRUST_PROXY: bad })).toThrow(/^MEDCOM_TRUST_PROXY=.* is not valid: use true, false, or the proxies' addresses/);
    }
    expect(readSettings({ MEDCOM_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(readSettings({}).trustProxy).toBe(false);
    expect(readSettings({ MEDCOM_TRUST_PROXY: '::1, 2001:db8::/32' }).trustProxy).toEqual(['::1', '2001:db8::/32']);
  });
});

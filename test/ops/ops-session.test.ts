/**
 * The ops pages' login: a session cookie (HttpOnly, SameSite=Strict, Path=/, Secure behind TLS) for an
 * operations key only, kept in Redis and so accepted by every gateway process, holding the key's id and
 * the person's name but never the key; the cookie acts as that operator on the ops API (and the audit
 * names them); every change made with it needs the CSRF token; logging out ends it; logins are limited;
 * answers carry a strict Content-Security-Policy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/config/keys.js';
import { LOGINS_PER_MINUTE } from '../../src/http/routes/ops-session.js';
import { HOSPITAL, MUNICIPALITY, renumber, startTestGateway, testConfigDir, type TestGateway } from '../support/gateway.js';
import { TEST_REDIS_URL } from '../support/redis.js';

const REASON = 'checking the discharge went out';
const jens = createKey('ops', new Date(), 'Jens Hansen');

interface Login {
  readonly cookie: string;
  readonly setCookie: string;
  readonly csrfToken: string;
  readonly name: string;
}

describe('ops sessions', () => {
  let gw: TestGateway;
  let other: TestGateway;
  let redis: Redis;
  const config = testConfigDir(() => undefined);
  writeFileSync(join(config.dir, 'keys.json'), JSON.stringify({ keys: [jens.record] }));

  beforeAll(async () => {
    gw = await startTestGateway({ workers: false, env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_TRUST_PROXY: 'true' } });
    other = await startTestGateway({ workers: false, sharedWith: gw, env: { MEDCOM_CONFIG_DIR: config.dir } });
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await other?.close();
    await gw?.close();
    await redis?.quit();
    config.remove();
  });

  async function login(key: string, headers: Record<string, string> = {}): Promise<Login> {
    const response = await gw.request({ method: 'POST', url: '/api/v1/ops/session', headers, payload: { key } });
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    const body = response.json<{ csrfToken: string; name: string }>();
    return { cookie: setCookie.split(';')[0] as string, setCookie, csrfToken: body.csrfToken, name: body.name };
  }

  it('logs in with an operations key: the cookie\'s flags, the name, a CSRF token, an expiry 8 hours on', async () => {
    const response = await gw.request({ method: 'POST', url: '/api/v1/ops/session', payload: { key: jens.key } });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ name: string; csrfToken: string; expiresAt: string }>();
    expect(body.name).toBe('Jens Hansen');
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Math.abs(Date.parse(body.expiresAt) - Date.now() - 8 * 3600_000)).toBeLessThan(60_000);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^medcom_ops=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('marks the cookie Secure when the request came over TLS (a trusted proxy says so)', async () => {
    expect((await login(jens.key, { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure/);
  });

  it('keeps the key id and the name in Redis, never the key', async () => {
    const { cookie } = await login(jens.key);
    const keys = await redis.keys(`${gw.settings.queuePrefix}:ops-session:*`);
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((k) => redis.get(k)));
    for (const value of values) {
      expect(value).not.toContain(jens.key);
      expect(value).not.toContain(jens.key.split('_').at(-1));
    }
    expect(values.some((v) => v?.includes(jens.record.id) && v.includes('Jens Hansen'))).toBe(true);
    // Stored under a hash of the id: the cookie's value is not a key in Redis.
    expect(keys.some((k) => k.endsWith(cookie.split('=')[1] as string))).toBe(false);
  });

  it('refuses an endpoint key (403), an unknown key (401) and a body without a key (400)', async () => {
    expect((await gw.request({ method: 'POST', url: '/api/v1/ops/session', payload: { key: `demo-${HOSPITAL}` } })).statusCode).toBe(403);
    expect((await gw.request({ method: 'POST', url: '/api/v1/ops/session', payload: { key: 'mgw_abcdef12_nottherightsecretatall' } })).statusCode).toBe(401);
    const noKey = await gw.request({ method: 'POST', url: '/api/v1/ops/session', payload: {} });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.body).toContain('key');
  });

  it('GET says who is logged in, in any gateway process; 401 without a session, 403 for an endpoint key', async () => {
    const session = await login(jens.key);
    for (const process of [gw, other]) {
      const response = await process.request({ method: 'GET', url: '/api/v1/ops/session', headers: { cookie: session.cookie } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ name: 'Jens Hansen', csrfToken: session.csrfToken });
    }
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/session' })).statusCode).toBe(401);
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/session', headers: { cookie: 'medcom_ops=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).statusCode).toBe(401);
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/session', headers: { authorization: `Bearer demo-${HOSPITAL}` } })).statusCode).toBe(403);
  });

  it('the cookie acts as the operator on the ops API, and the audit names the person; not elsewhere', async () => {
    const session = await login(jens.key);
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/overview', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    const posted = await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'SES-E1', letter: 'SES-L1' }));
    const id = posted.json<{ id: string }>().id;
    const read = await other.request({ method: 'GET', url: `/api/v1/ops/messages/${id}/body?reason=${encodeURIComponent(REASON)}`, headers: { cookie: session.cookie } });
    expect(read.statusCode).toBe(200);
    const audit = (await gw.request({ method: 'GET', url: '/api/v1/ops/audit', headers: { cookie: session.cookie } })).json<{ items: { operator: string; keyId: string; action: string }[] }>();
    expect(audit.items[0]).toMatchObject({ operator: 'Jens Hansen', keyId: jens.record.id, action: 'body-read' });
    // The deadline routes take the operator too (recording a warning given by phone), a change only with the token.
    const unknownDeadline = '00000000-0000-4000-8000-000000000000';
    expect((await gw.request({ method: 'GET', url: `/api/v1/deadlines/${unknownDeadline}`, headers: { cookie: session.cookie } })).statusCode).toBe(404);
    const noToken = await gw.request({ method: 'POST', url: `/api/v1/deadlines/${unknownDeadline}/fulfil`, headers: { cookie: session.cookie }, payload: {} });
    expect(noToken.json()).toMatchObject({ status: 403, type: expect.stringMatching(/\/csrf$/) });
    // Outside the ops API and the deadlines the cookie is nobody.
    expect((await gw.request({ method: 'GET', url: `/api/v1/messages/${id}`, headers: { cookie: session.cookie } })).statusCode).toBe(401);
    expect((await gw.request({ method: 'GET', url: '/metrics', headers: { cookie: session.cookie } })).statusCode).toBe(401);
    // A Bearer key wins over the cookie.
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/overview', headers: { cookie: session.cookie, authorization: `Bearer demo-${HOSPITAL}` } })).statusCode).toBe(403);
  });

  it('a change made with the cookie needs the CSRF token (403 csrf without or with a wrong one); a Bearer key needs none', async () => {
    const session = await login(jens.key);
    const pause = (headers: Record<string, string>) =>
      gw.request({ method: 'POST', url: `/api/v1/ops/endpoints/${MUNICIPALITY}/pause`, headers, payload: { reason: REASON } });
    for (const headers of <Record<string, string>[]>[{ cookie: session.cookie }, { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) }, { cookie: session.cookie, 'x-csrf-token': '' }]) {
      const refused = await pause(headers);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ type: expect.stringMatching(/\/csrf$/) });
    }
    expect((await gw.request({ method: 'GET', url: '/api/v1/ops/endpoints', headers: { cookie: session.cookie } })).json<{ endpoints: { ean: string; paused: unknown }[] }>().endpoints.find((e) => e.ean === MUNICIPALITY)?.paused).toBeNull();
    expect((await pause({ cookie: session.cookie, 'x-csrf-token': session.csrfToken })).statusCode).toBe(200);
    const resumed = await gw.request({ method: 'POST', url: `/api/v1/ops/endpoints/${MUNICIPALITY}/resume`, headers: { authorization: 'Bearer demo-ops' }, payload: { reason: REASON } });
    expect(resumed.json()).toMatchObject({ paused: false, changed: true });
  });

  it('logs out (with the CSRF token): the session is gone in every process and the cookie cleared', async () => {
    const session = await login(jens.key);
    expect((await gw.request({ method: 'DELETE', url: '/api/v1/ops/session', headers: { cookie: session.cookie } })).statusCode).toBe(403);
    const out = await other.request({ method: 'DELETE', url: '/api/v1/ops/session', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^medcom_ops=; Max-Age=0; Path=\/;.*HttpOnly; SameSite=Strict/);
    for (const process of [gw, other]) {
      expect((await process.request({ method: 'GET', url: '/api/v1/ops/session', headers: { cookie: session.cookie } })).statusCode).toBe(401);
      expect((await process.request({ method: 'GET', url: '/api/v1/ops/overview', headers: { cookie: session.cookie } })).statusCode).toBe(401);
    }
  });

  it('sends a strict Content-Security-Policy: everything from the gateway itself, no inline code', async () => {
    const response = await gw.request({ method: 'GET', url: '/api/v1/ops/session' });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect((await gw.request({ method: 'GET', url: '/docs/json' })).headers['content-security-policy']).toBeUndefined();
  });

  it(`limits login attempts to ${LOGINS_PER_MINUTE} a minute per address`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LOGINS_PER_MINUTE; i++) {
      statuses.push((await gw.request({ method: 'POST', url: '/api/v1/ops/session', remoteAddress: '192.0.2.7', payload: { key: 'demo-nope' } })).statusCode);
    }
    expect(statuses.slice(0, LOGINS_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

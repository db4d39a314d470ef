/**
 * HTTPS and mutual TLS with a throwaway CA: a listed client certificate authenticates as its
 * endpoint; one from another CA, an expired one and an unlisted one are 401; API keys work over TLS
 * with or without a certificate; plain HTTP when TLS is not configured; and the starts that must be
 * refused are.
 */
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/endpoints.js';
import { readSettings } from '../../src/config/settings.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { checkConfigDir } from '../../src/cli/config-check/config-check.js';
import { fixture, HOSPITAL, MUNICIPALITY, testConfigDir } from '../support/gateway.js';
import { startListeningGateway, type ListeningGateway } from '../support/listening-gateway.js';
import { makeTestCa, type Issued, type TestCa } from '../support/test-ca.js';

let ca: TestCa;
let otherCa: TestCa;
let server: Issued;
let listed: Issued;
let listedForMunicipality: Issued;
let unlisted: Issued;
let expired: Issued;
let foreign: Issued;
let config: ReturnType<typeof testConfigDir>;
let gw: ListeningGateway;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A request on a new connection (no session reuse), trusting the test CA for the server. */
function get(path: string, options: { client?: Issued; key?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  const url = new URL(path, gw.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca: ca.ca,
        agent: false,
        method: options.body ? 'POST' : 'GET',
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
        headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

beforeAll(async () => {
  ca = makeTestCa('medcom test CA');
  otherCa = makeTestCa('another CA', ca.dir);
  server = ca.issue('gateway', { serverFor: '127.0.0.1' });
  listed = ca.issue('hospital');
  listedForMunicipality = ca.issue('municipality');
  unlisted = ca.issue('stranger');
  expired = ca.issue('expired', { days: -1 });
  foreign = otherCa.issue('hospital');
  config = testConfigDir((c) => {
    const hospital = c.endpoints.find((e) => e.ean === HOSPITAL);
    if (hospital) hospital.clientCertificates = [{ sha256: listed.sha256, note: 'test' }, { sha256: expired.sha256 }, { sha256: foreign.sha256.toLowerCase() }];
    const municipality = c.endpoints.find((e) => e.ean === MUNICIPALITY);
    if (municipality) municipality.clientCertificates = [{ sha256: listedForMunicipality.sha256 }];
  });
  gw = await startListeningGateway({
    workers: false,
    env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: server.keyFile, MEDCOM_TLS_CLIENT_CA: ca.caFile },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  config?.remove();
  ca?.remove();
});

describe('mutual TLS', () => {
  it('serves HTTPS', () => {
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a listed certificate under the CA authenticates as its endpoint', async () => {
    const hospital = await get('/api/v1/inbox?wait=0', { client: listed });
    expect(hospital.status).toBe(200);
    expect(hospital.body).toMatchObject({ items: [] });
    // The hospital's certificate sends as the hospital; the municipality's certificate leases the municipality's inbox.
    const posted = await get('/api/v1/messages', { client: listed, body: fixture('XDIS17_discharge_home.xml'), headers: { 'content-type': 'application/xml' } });
    expect(posted.status).toBe(202);
    const municipality = await get('/api/v1/inbox?wait=0', { client: listedForMunicipality });
    expect(municipality.status).toBe(200);
    expect(municipality.body).toMatchObject({ items: [{ messageId: posted.body.id, sender: HOSPITAL }] });
    // An endpoint, not operations.
    const ops = await get('/api/v1/ops/alerts', { client: listed });
    expect(ops.status).toBe(403);
  });

  it('refuses a certificate of another CA, an expired one and an unlisted one (401), even when listed', async () => {
    const other = await get('/api/v1/inbox?wait=0', { client: foreign });
    expect(other.status).toBe(401);
    expect(other.body).toMatchObject({ detail: 'the client certificate is not known' });
    const old = await get('/api/v1/inbox?wait=0', { client: expired });
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ detail: 'the client certificate has expired' });
    const stranger = await get('/api/v1/inbox?wait=0', { client: unlisted });
    expect(stranger.status).toBe(401);
    expect(stranger.body).toMatchObject({ detail: 'the client certificate is not known' });
  });

  it('API keys work over TLS, with or without a certificate; a key decides over a certificate', async () => {
    expect((await get('/api/v1/inbox?wait=0', { key: `demo-${HOSPITAL}` })).status).toBe(200);
    expect((await get('/api/v1/ops/alerts', { key: 'demo-ops', client: unlisted })).status).toBe(200);
    const wrongKey = await get('/api/v1/inbox?wait=0', { key: 'demo-nobody', client: listed });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body).toMatchObject({ detail: 'the API key is not known' });
    const none = await get('/api/v1/inbox?wait=0');
    expect(none.status).toBe(401);
  });

  it('X-Forwarded-Proto does not change who is authenticated', async () => {
    expect((await get('/api/v1/inbox?wait=0', { headers: { 'x-forwarded-proto': 'http' }, client: listed })).status).toBe(200);
    expect((await get('/api/v1/inbox?wait=0', { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(401);
  });
});

describe('without client certificates configured', () => {
  it('HTTPS only: a listed certificate does not authenticate (nobody asked for it), keys do', async () => {
    const plainTls = await startListeningGateway({ workers: false, sharedWith: gw, env: { MEDCOM_CONFIG_DIR: config.dir, MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: server.keyFile } });
    try {
      const at = (path: string, options: { client?: Issued; key?: string } = {}) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest(new URL(path, plainTls.url), { ca: ca.ca, agent: false, ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}), headers: options.key ? { authorization: `Bearer ${options.key}` } : {} }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await at('/api/v1/inbox?wait=0', { client: listed })).toBe(401);
      expect(await at('/api/v1/inbox?wait=0', { key: `demo-${HOSPITAL}` })).toBe(200);
    } finally {
      await plainTls.close();
    }
  });

  it('plain HTTP when the TLS settings are absent', async () => {
    const plain = await startListeningGateway({ workers: false, sharedWith: gw, env: { MEDCOM_CONFIG_DIR: config.dir } });
    try {
      expect(plain.url).toMatch(/^http:\/\//);
      const response = await fetch(`${plain.url}/api/v1/inbox?wait=0`, { headers: { authorization: `Bearer demo-${HOSPITAL}` } });
      expect(response.status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});

describe('refused starts', () => {
  it('only one of MEDCOM_TLS_CERT and MEDCOM_TLS_KEY, or a client CA without them', () => {
    expect(() => readSettings({ MEDCOM_TLS_CERT: server.certFile })).toThrow(
      'MEDCOM_TLS_CERT is set but MEDCOM_TLS_KEY is not: for HTTPS set both (the PEM files of the server certificate and of its private key), for plain HTTP neither',
    );
    expect(() => readSettings({ MEDCOM_TLS_KEY: server.keyFile })).toThrow(/^MEDCOM_TLS_KEY is set but MEDCOM_TLS_CERT is not/);
    expect(() => readSettings({ MEDCOM_TLS_CLIENT_CA: ca.caFile })).toThrow(/^MEDCOM_TLS_CLIENT_CA is set but MEDCOM_TLS_CERT and MEDCOM_TLS_KEY are not/);
    expect(readSettings({}).tls).toBeUndefined();
  });

  it('a file that cannot be read, or a key that does not fit the certificate', async () => {
    const start = (env: Record<string, string>) => createGateway(readSettings({ MEDCOM_CONFIG_DIR: config.dir, LOG_LEVEL: 'silent', ...env }), { api: true, workers: false });
    const missing = join(ca.dir, 'no-such.pem');
    await expect(start({ MEDCOM_TLS_CERT: missing, MEDCOM_TLS_KEY: server.keyFile })).rejects.toThrow(new RegExp(`^MEDCOM_TLS_CERT=${missing} cannot be read: ENOENT`));
    await expect(start({ MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: missing })).rejects.toBeInstanceOf(ConfigError);
    await expect(start({ MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: server.keyFile, MEDCOM_TLS_CLIENT_CA: missing })).rejects.toThrow(/^MEDCOM_TLS_CLIENT_CA=.* cannot be read/);
    await expect(start({ MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: listed.keyFile })).rejects.toThrow(/cannot serve HTTPS: .* — give the PEM certificate and the private key that belongs to it/);
    const garbage = join(ca.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    await expect(start({ MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: server.keyFile, MEDCOM_TLS_CLIENT_CA: garbage })).rejects.toThrow(/^MEDCOM_TLS_CLIENT_CA=.* is not a PEM CA certificate/);
    await expect(start({ MEDCOM_TLS_CERT: server.certFile, MEDCOM_TLS_KEY: server.keyFile, MEDCOM_TLS_CLIENT_CA: listed.certFile })).rejects.toThrow(/is not a PEM CA certificate: .*CN=hospital may not issue certificates/);
  });
});

describe('endpoints.json clientCertificates', () => {
  it('config check reports a malformed fingerprint and one certificate listed for two endpoints', () => {
    const broken = testConfigDir((c) => {
      const [first, second] = c.endpoints;
      if (first) first.clientCertificates = [{ sha256: 'AB:CD' }, { sha256: listed.sha256, owner: 'x' }];
      if (second) second.clientCertificates = [{ sha256: listed.sha256.toLowerCase() }];
    });
    try {
      const report = checkConfigDir(broken.dir);
      const file = join(broken.dir, 'endpoints.json');
      const problems = report.findings.filter((f) => f.file === file).map((f) => `${f.path}: ${f.message}${f.fix ? ` — ${f.fix}` : ''}`);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\/endpoints\/0\/clientCertificates\/0\/sha256: must match pattern .* — write the certificate's SHA-256 fingerprint as 32 hex pairs separated by colons/),
          expect.stringMatching(/^\/endpoints\/0\/clientCertificates\/1: must NOT have additional properties \("owner"\) — remove it or check its spelling$/),
          expect.stringMatching(/^\/endpoints\/1\/clientCertificates\/0\/sha256: the same certificate as \/endpoints\/0\/clientCertificates\/1 — a certificate authenticates one endpoint/),
        ]),
      );
      expect(problems).toHaveLength(3);
      expect(report.files.find((f) => f.name === 'endpoints.json')?.summary).toBe('3 errors');
    } finally {
      broken.remove();
    }
  });
});

/**
 * The HTTP plumbing with `app.inject` (no port): authentication, body handling, problem+json for
 * every error, rate limiting, probes, OpenAPI, metrics, and CPR-free logs.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEndpointRegister } from '../../src/config/endpoints.js';
import { KeyRing } from '../../src/config/keys.js';
import { readSettings, type Settings } from '../../src/config/settings.js';
import { buildApp, type HealthCheck } from '../../src/http/app.js';
import { requireEndpoint } from '../../src/http/plugins/authentication.js';
import { newRequestId } from '../../src/http/plugins/request-context.js';
import { badRequest, issuesToProblemErrors, ProblemError, unprocessable } from '../../src/http/problem.js';
import { createLogger, scrubCpr } from '../../src/logging.js';
import { fromPackageRoot } from '../../src/package-root.js';

const register = loadEndpointRegister(fromPackageRoot('config'));
const HOSPITAL = '5790000000012';
const HOSPITAL_KEY = `demo-${HOSPITAL}`;
const OTHER_KEY = 'demo-5790000000036';
const OPS_KEY = 'demo-ops';
const CPR = '0101901234';
const CPR_ANYWHERE = /(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])/;

/** Collects what a logger writes, one parsed JSON object per line. */
class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.raw.push(...chunk.toString().split('\n').filter((line) => line !== ''));
    callback();
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  get text(): string {
    return this.raw.join('\n');
  }
}

const healthy: HealthCheck = { check: async () => ({ postgres: { ok: true }, redis: { ok: true } }) };

interface Built {
  app: FastifyInstance;
  logs: LogCapture;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function build(options: { settings?: Partial<Settings>; production?: boolean; health?: HealthCheck } = {}): Promise<Built> {
  const settings: Settings = { ...readSettings({}), maxBodyBytes: 4096, rateLimitPerMinute: 1000, ...options.settings };
  const logs = new LogCapture();
  const app = await buildApp({
    settings,
    logger: createLogger({ level: 'info' }, logs),
    keyRing: new KeyRing([], register, options.production ?? false),
    health: options.health ?? healthy,
    defaultMetrics: true,
    registerRoutes: (scope) => {
      scope.post('/test/xml', { config: { auth: 'endpoint', contentTypes: ['xml'] } }, async (request) => ({
        isBuffer: Buffer.isBuffer(request.body),
        base64: (request.body as Buffer).toString('base64'),
        charset: request.xmlCharset ?? null,
        sender: requireEndpoint(request).ean,
      }));
      scope.post(
        '/test/json',
        {
          config: { auth: 'any', contentTypes: ['json'] },
          schema: { body: { type: 'object', required: ['status'], properties: { status: { enum: ['positive', 'negative'] } } } },
        },
        async (request) => ({ got: request.body }),
      );
      scope.get('/test/whoami', { onRequest: scope.authenticate }, async (request) => ({ principal: request.principal, keyId: request.apiKeyId }));
      scope.get('/test/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
      scope.get('/test/ops-only', { onRequest: scope.requireOps }, async () => ({ ok: true }));
      scope.get('/test/boom', async () => {
        throw new Error(`database exploded while reading patient ${CPR}`);
      });
      scope.get('/test/reject', async () => {
        throw unprocessable('the message is not valid', issuesToProblemErrors([
          { code: 'missing-element', severity: 'error', path: '/Emessage/Envelope/Sent', message: 'missing', line: 3, column: 5 },
          { code: 'gln-check-digit', severity: 'warning', path: '/Emessage/Envelope', message: 'a warning' },
        ]));
      });
    },
  });
  apps.push(app);
  return { app, logs };
}

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, slug: string): Record<string, unknown> {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ type: `https://medcom-gateway.local/problems/${slug}`, status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(response.headers['x-request-id']).toBeTruthy();
  return body;
}

const xml = (text: string): Buffer => Buffer.from(`<?xml version="1.0" encoding="utf-8"?><Emessage>${text}</Emessage>`, 'utf8');

describe('authentication', () => {
  it('answers 401 problem+json with WWW-Authenticate without a key, with a wrong key and with a malformed header', async () => {
    const { app } = await build();
    const none = await app.inject({ method: 'GET', url: '/test/whoami' });
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);

    const wrong = await app.inject({ method: 'GET', url: '/test/whoami', headers: bearer('demo-not-a-key') });
    expect(expectProblem(wrong, 401, 'unauthorized').detail).toMatch(/not known/);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer .*invalid_token/);

    const basic = await app.inject({ method: 'GET', url: '/test/whoami', headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(expectProblem(basic, 401, 'unauthorized').detail).toMatch(/Bearer/);

    // config.auth is enforced before the body is read
    const post = await app.inject({ method: 'POST', url: '/test/xml', headers: { 'content-type': 'application/xml' }, payload: xml('x') });
    expectProblem(post, 401, 'unauthorized');
  });

  it('accepts the demo keys and tells endpoint from operations keys', async () => {
    const { app } = await build();
    const endpoint = await app.inject({ method: 'GET', url: '/test/whoami', headers: bearer(HOSPITAL_KEY) });
    expect(endpoint.statusCode).toBe(200);
    expect(endpoint.json()).toEqual({ principal: { kind: 'endpoint', ean: HOSPITAL }, keyId: 'demo' });

    const ops = await app.inject({ method: 'GET', url: '/test/whoami', headers: bearer(OPS_KEY) });
    expect(ops.json()).toEqual({ principal: { kind: 'ops', name: 'Demo operator' }, keyId: 'demo-ops' });

    expectProblem(await app.inject({ method: 'GET', url: '/test/ops-only', headers: bearer(HOSPITAL_KEY) }), 403, 'forbidden');
    expect((await app.inject({ method: 'GET', url: '/test/ops-only', headers: bearer(OPS_KEY) })).statusCode).toBe(200);
    const opsPostingXml = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(OPS_KEY), 'content-type': 'application/xml' }, payload: xml('x') });
    expectProblem(opsPostingXml, 403, 'forbidden');
  });

  it('refuses demo keys in production', async () => {
    const { app } = await build({ production: true });
    const response = await app.inject({ method: 'GET', url: '/test/whoami', headers: bearer(HOSPITAL_KEY) });
    expect(expectProblem(response, 401, 'unauthorized').detail).toMatch(/production/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});

describe('request bodies', () => {
  it('hands a windows-1252 XML body to the handler byte for byte, with its charset', async () => {
    const { app } = await build();
    const bytes = iconv.encode('<?xml version="1.0" encoding="windows-1252"?><Emessage>Søren Ærø, Åbenrå – 5 € „tak“</Emessage>', 'windows-1252');
    expect(bytes.includes(0x80)).toBe(true); // € is 0x80 in windows-1252, not valid UTF-8
    const response = await app.inject({
      method: 'POST',
      url: '/test/xml',
      headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/xml; charset="windows-1252"' },
      payload: bytes,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ isBuffer: boolean; base64: string; charset: string; sender: string }>();
    expect(body.isBuffer).toBe(true);
    expect(Buffer.from(body.base64, 'base64').equals(bytes)).toBe(true);
    expect(body.charset).toBe('windows-1252');
    expect(body.sender).toBe(HOSPITAL);
  });

  it('takes text/xml and application/*+xml too, without a charset', async () => {
    const { app } = await build();
    for (const contentType of ['text/xml', 'application/vnd.medcom+xml', 'Application/XML; Charset=ISO-8859-1']) {
      const response = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(HOSPITAL_KEY), 'content-type': contentType }, payload: xml('æøå') });
      expect(response.statusCode, contentType).toBe(200);
      expect(Buffer.from(response.json<{ base64: string }>().base64, 'base64').equals(xml('æøå'))).toBe(true);
    }
    const latin = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'Application/XML; Charset=ISO-8859-1' }, payload: xml('x') });
    expect(latin.json<{ charset: string }>().charset).toBe('ISO-8859-1');
    const plain = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'text/xml' }, payload: xml('x') });
    expect(plain.json<{ charset: string | null }>().charset).toBeNull();
  });

  it('answers 415 problem for text/plain, for JSON on an XML route and for a body without Content-Type', async () => {
    const { app } = await build();
    const plain = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'text/plain' }, payload: 'hello' });
    expect(expectProblem(plain, 415, 'unsupported-media-type').detail).toMatch(/text\/plain/);
    const json = await app.inject({ method: 'POST', url: '/test/xml', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/json' }, payload: '{}' });
    expectProblem(json, 415, 'unsupported-media-type');
    const none = await app.inject({ method: 'POST', url: '/test/xml', headers: bearer(HOSPITAL_KEY), payload: Buffer.from('<a/>') });
    expectProblem(none, 415, 'unsupported-media-type');
    // A route without config.contentTypes still refuses types nobody parses.
    const octets = await app.inject({ method: 'POST', url: '/test/json', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') });
    expectProblem(octets, 415, 'unsupported-media-type');
  });

  it('answers 413 problem for a body over the limit', async () => {
    const { app } = await build({ settings: { maxBodyBytes: 2048 } });
    const response = await app.inject({
      method: 'POST',
      url: '/test/xml',
      headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/xml' },
      payload: xml('x'.repeat(3000)),
    });
    expect(expectProblem(response, 413, 'payload-too-large')).toMatchObject({ limitBytes: 2048 });
    const json = await app.inject({ method: 'POST', url: '/test/json', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/json' }, payload: JSON.stringify({ status: 'x'.repeat(3000) }) });
    expectProblem(json, 413, 'payload-too-large');
  });

  it('answers 400 problems for malformed JSON and for schema violations, with errors', async () => {
    const { app } = await build();
    const broken = await app.inject({ method: 'POST', url: '/test/json', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/json' }, payload: '{"status": ' });
    expectProblem(broken, 400, 'invalid-json');
    const invalid = await app.inject({ method: 'POST', url: '/test/json', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/json' }, payload: { state: 'positive' } });
    const body = expectProblem(invalid, 400, 'invalid-request');
    expect(body.errors).toEqual([expect.objectContaining({ path: '/body/status', message: expect.stringContaining('status') as unknown })]);
    const good = await app.inject({ method: 'POST', url: '/test/json', headers: { ...bearer(HOSPITAL_KEY), 'content-type': 'application/json' }, payload: { status: 'positive' } });
    expect(good.json()).toEqual({ got: { status: 'positive' } });
  });
});

describe('problems', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1' });
    expect(expectProblem(response, 404, 'not-found').detail).toBe('there is no GET /api/v1/nothing-here');
  });

  it('passes a thrown ProblemError through with its errors (codec warnings left out)', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/test/reject' });
    const body = expectProblem(response, 422, 'unprocessable');
    expect(body.errors).toEqual([{ path: '/Emessage/Envelope/Sent', message: 'missing', code: 'missing-element', line: 3, column: 5 }]);
    expect(body.requestId).toBe(response.headers['x-request-id']);
  });

  it('turns an unexpected error into a generic 500 problem, logs it without the CPR number and keeps serving', async () => {
    const { app, logs } = await build();
    const response = await app.inject({ method: 'GET', url: '/test/boom', headers: { 'x-request-id': 'trace-42' } });
    const body = expectProblem(response, 500, 'internal-error');
    expect(body.detail).not.toMatch(/database|exploded/);
    expect(body.detail).toContain('trace-42');
    expect(response.body).not.toContain(CPR);

    const errorLine = logs.lines.find((line) => line.msg === 'unexpected error');
    expect(errorLine).toBeDefined();
    expect(errorLine?.requestId).toBe('trace-42');
    expect((errorLine?.err as { message: string; type: string }).message).toBe('database exploded while reading patient [cpr]');
    expect((errorLine?.err as { type: string }).type).toBe('Error');
    expect(logs.text).not.toContain(CPR);

    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('builds problem documents with headers and reserved members protected', () => {
    const problem = badRequest('nope', { type: 'not-well-formed', errors: [{ path: '/Emessage', message: 'x', line: 1, column: 2 }], extra: { status: 999, envelopeId: 'E1' }, headers: { 'X-A': 'b' } });
    expect(problem).toBeInstanceOf(ProblemError);
    expect(problem.statusCode).toBe(400);
    expect(problem.toDocument('r1')).toEqual({
      type: 'https://medcom-gateway.local/problems/not-well-formed',
      title: 'XML not well-formed',
      status: 400,
      detail: 'nope',
      errors: [{ path: '/Emessage', message: 'x', line: 1, column: 2 }],
      envelopeId: 'E1',
      requestId: 'r1',
    });
    expect(problem.headers).toEqual({ 'X-A': 'b' });
  });
});

describe('request ids', () => {
  it('never makes an id the log scrubber would cut (a UUID with a CPR-shaped run is drawn again)', () => {
    const drawn = ['4e108764-7198-44ea-ba08-59e4f071ba1e', '4e1087a4-7198-44ea-ba08-59e4f071ba1e'];
    expect(newRequestId(() => drawn.shift() as string)).toBe('4e1087a4-7198-44ea-ba08-59e4f071ba1e');
    expect(drawn).toEqual([]);
  });

  it('keeps a sane x-request-id, replaces an insane one, and logs it on every line', async () => {
    const { app, logs } = await build();
    const kept = await app.inject({ method: 'GET', url: '/test/whoami', headers: { 'x-request-id': 'abc-123.x:y', authorization: 'Bearer mgw_abcdefgh_TOPSECRETtopsecret12345' } });
    expect(kept.headers['x-request-id']).toBe('abc-123.x:y');
    const replaced = await app.inject({ method: 'GET', url: '/test/whoami', headers: { 'x-request-id': 'evil id\u0000<script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const requestLines = logs.lines.filter((line) => line.msg === 'request completed');
    expect(requestLines.map((line) => line.requestId)).toEqual(['abc-123.x:y', replaced.headers['x-request-id']]);
    expect(requestLines[0]).toMatchObject({ req: { method: 'GET', url: '/test/whoami' }, res: { statusCode: 401 } });
    expect(logs.text).not.toContain('TOPSECRET');
  });
});

describe('rate limiting', () => {
  it('answers 429 problem+json with Retry-After after the limit, per key, and never limits the probes', async () => {
    const { app } = await build({ settings: { rateLimitPerMinute: 2 } });
    const call = (key: string) => app.inject({ method: 'GET', url: '/test/whoami', headers: bearer(key) });
    expect((await call(HOSPITAL_KEY)).statusCode).toBe(200);
    expect((await call(HOSPITAL_KEY)).statusCode).toBe(200);
    const limited = await call(HOSPITAL_KEY);
    expectProblem(limited, 429, 'too-many-requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call(OTHER_KEY)).statusCode).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    }
    // Without a key, requests count per address (key guessing and URL probing are limited too).
    for (let i = 0; i < 2; i += 1) await app.inject({ method: 'GET', url: '/nothing' });
    expectProblem(await app.inject({ method: 'GET', url: '/nothing' }), 429, 'too-many-requests');
  });
});

describe('probes', () => {
  it('says ok and ready while everything is fine', async () => {
    const { app } = await build();
    const live = await app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true } } });
  });

  it('answers readyz with a 503 problem naming the missing dependency', async () => {
    const { app } = await build({
      health: {
        check: async () => ({
          postgres: { ok: true },
          redis: { ok: false, detail: 'Redis at redis://:hunter2@127.0.0.1:6379 is not reachable' },
        }),
      },
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    const body = expectProblem(response, 503, 'service-unavailable');
    expect(body.detail).toBe('Redis at redis://***@127.0.0.1:6379 is not reachable');
    expect(body.checks).toEqual({ postgres: { ok: true }, redis: { ok: false, detail: 'Redis at redis://***@127.0.0.1:6379 is not reachable' } });
    expect(response.headers['retry-after']).toBe('5');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers readyz with 503 when the checks themselves fail', async () => {
    const { app } = await build({ health: { check: async () => Promise.reject(new Error('pool closed')) } });
    const body = expectProblem(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'service-unavailable');
    expect(body.detail).toMatch(/pool closed/);
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function refsIn(value: Json, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}

function resolvePointer(document: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = document;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = node[segment];
  }
  return node;
}

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3 document with the bearer scheme and the Problem schema', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<
      Json & {
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
        components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties: Record<string, unknown> }> };
      }
    >();
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({ title: 'medcom-gateway', version: expect.any(String) as unknown });
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.components.schemas.Problem?.properties ?? {})).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']));
    // every operation has responses; every $ref resolves inside the document
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses).length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(resolvePointer(document, ref), ref).toBeDefined();
    // routes with config.auth carry the bearer scheme and their 401; the probes do not
    expect(document.paths['/metrics']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/metrics']?.get?.responses['401']).toBeDefined();
    expect(document.paths['/test/xml']?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/healthz']?.get?.security).toBeUndefined();
    expect(document.paths['/readyz']?.get?.responses['503']).toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('metrics', () => {
  it('needs the operations key and exposes request durations by route', async () => {
    const { app } = await build();
    await app.inject({ method: 'GET', url: '/healthz' });
    const none = await app.inject({ method: 'GET', url: '/metrics' });
    expectProblem(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await app.inject({ method: 'GET', url: '/metrics', headers: bearer(HOSPITAL_KEY) }), 403, 'forbidden');
    const ok = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(OPS_KEY) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/);
    expect(ok.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('CPR-free logging', () => {
  it('scrubCpr replaces CPR numbers in strings, objects, arrays and errors, and keeps EANs', () => {
    expect(scrubCpr(`cpr ${CPR} and 010190-1234 for ${HOSPITAL}`)).toBe(`cpr [cpr] and [cpr] for ${HOSPITAL}`);
    expect(scrubCpr('CPR:0101901234.')).toBe('CPR:[cpr].');
    expect(scrubCpr('cpr0101901234')).toBe('cpr[cpr]');
    expect(scrubCpr('12345678901 (11 digits) 5790000000012 (13 digits)')).toBe('12345678901 (11 digits) 5790000000012 (13 digits)');
    const input = { patient: { cpr: CPR, names: ['Jens', `Jens ${CPR}`] }, ean: HOSPITAL, count: 3 };
    expect(scrubCpr(input)).toEqual({ patient: { cpr: '[cpr]', names: ['Jens', 'Jens [cpr]'] }, ean: HOSPITAL, count: 3 });
    expect(input.patient.cpr).toBe(CPR); // not mutated

    class CodecError extends Error {
      readonly detailPath = `/Emessage/Patient ${CPR}`;
    }
    const error = new CodecError(`bad ${CPR}`, { cause: new Error(`cause ${CPR}`) });
    const scrubbed = scrubCpr(error);
    expect(scrubbed).toBeInstanceOf(CodecError);
    expect(scrubbed.message).toBe('bad [cpr]');
    expect(scrubbed.stack).not.toContain(CPR);
    expect(scrubbed.stack).toContain('bad [cpr]');
    expect(scrubbed.detailPath).toBe('/Emessage/Patient [cpr]');
    expect((scrubbed.cause as Error).message).toBe('cause [cpr]');
    expect(error.message).toBe(`bad ${CPR}`);

    const cyclic: Record<string, unknown> = { cpr: CPR };
    cyclic.self = cyclic;
    expect((scrubCpr(cyclic) as { cpr: string }).cpr).toBe('[cpr]');
  });

  it('the logger never writes a CPR number and keeps 13-digit EANs', () => {
    const logs = new LogCapture();
    const logger = createLogger({ logLevel: 'trace' }, logs);
    logger.info({ patient: { cpr: CPR, other: '010190-1234' }, receiver: HOSPITAL }, `message about ${CPR} for ${HOSPITAL}`);
    logger.error(new Error(`cannot route ${CPR}`));
    logger.warn({ err: new TypeError(`bad ${CPR}`) });
    logger.info('interpolated %s and %d', CPR, 1010901234);
    logger.info({ asNumber: 1010901234, escaped: `line\n${CPR}`, control: `\u0001${CPR}`, ean: Number(HOSPITAL) });
    logger.child({ patient: CPR }).info('child binding');
    logger.info({ req: { method: 'GET', url: `/api/v1/ops/search?cpr=${CPR}`, headers: { authorization: 'Bearer secret' } } }, 'request');

    expect(logs.raw).toHaveLength(7);
    for (const raw of logs.raw) expect(raw).not.toMatch(CPR_ANYWHERE);
    expect(logs.text).not.toContain('1234');
    expect(logs.text).not.toContain('secret');
    const [first, second, third, , fifth, sixth, seventh] = logs.lines;
    expect(first).toMatchObject({ msg: `message about [cpr] for ${HOSPITAL}`, receiver: HOSPITAL, patient: { cpr: '[cpr]', other: '[cpr]' } });
    expect(second).toMatchObject({ msg: 'cannot route [cpr]', err: { type: 'Error', message: 'cannot route [cpr]' } });
    expect(third).toMatchObject({ msg: 'bad [cpr]', err: { type: 'TypeError', message: 'bad [cpr]' } });
    expect(fifth).toMatchObject({ asNumber: '[cpr]', escaped: 'line\n[cpr]', control: '\u0001[cpr]', ean: Number(HOSPITAL) });
    expect(sixth).toMatchObject({ patient: '[cpr]' });
    expect(seventh).toMatchObject({ req: { url: '/api/v1/ops/search?cpr=[redacted]' } });
  });
});

describe('malformed URLs', () => {
  it('answers a URL that cannot be decoded with a 400 problem', async () => {
    const { app } = await build();
    expect((await app.inject({ method: 'GET', url: '/test/items/%C3%A6' })).json()).toEqual({ id: 'æ' });
    const response = await app.inject({ method: 'GET', url: '/test/items/%E0%A4%A' });
    expect(expectProblem(response, 400, 'bad-request').detail).toBe('the URL is malformed');
  });
});

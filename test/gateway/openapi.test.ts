/**
 * The API's contract as /docs publishes it: every operation of the gateway documents its success with
 * a schema and each of its error answers, by status, as application/problem+json — no "2xx Success"
 * and no catch-all ranges. And the response schemas document without filtering: what a use case
 * answers reaches the client whole (fast-json-stringify would drop properties a closed schema lacks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewDeadline } from '../../src/app/deadline-view.js';
import { viewMessage } from '../../src/app/message-view.js';
import { HOSPITAL, MUNICIPALITY, startTestGateway, variant, type TestGateway } from '../support/gateway.js';

interface Operation {
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

let gw: TestGateway;
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  paths = (await gw.request({ method: 'GET', url: '/docs/json' })).json<{ paths: typeof paths }>().paths;
});

afterAll(async () => {
  await gw?.close();
});

const gatewayOperations = (): [string, Operation][] =>
  Object.entries(paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]));

describe('/docs', () => {
  it('documents the receipt route\'s body in both media types: the JSON answer with its fields, and the XML receipt', () => {
    const operation = paths['/api/v1/inbox/{id}/receipt']?.post as unknown as { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>; required?: string[] } }> } };
    const content = operation.requestBody?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/xml', 'text/xml']);
    expect(Object.keys(content['application/json']?.schema?.properties ?? {})).toEqual(['status', 'refuseCode', 'text']);
    expect(content['application/json']?.schema?.required).toEqual(['status']);
  });

  it('lists the gateway\'s operations', () => {
    expect(gatewayOperations().map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/messages',
        'GET /api/v1/messages/{id}',
        'GET /api/v1/inbox',
        'GET /api/v1/inbox/{id}',
        'POST /api/v1/inbox/{id}/receipt',
        'POST /api/v1/deadlines/evaluate',
        'GET /api/v1/deadlines/{id}',
        'POST /api/v1/deadlines/{id}/fulfil',
        'GET /api/v1/ops/deadlines',
        'GET /api/v1/ops/deadlines/report',
      ]),
    );
  });

  it('documents every answer of every operation: a described 2xx with a schema, each error by status as problem+json', () => {
    for (const [name, operation] of gatewayOperations()) {
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((status) => status.startsWith('2'));
      expect(success.length, name).toBeGreaterThan(0);
      for (const status of success) {
        const answer = operation.responses[status];
        expect(answer?.description, `${name} ${status}`).not.toMatch(/^(Default Response|Success)$/);
        expect(Object.values(answer?.content ?? {}).every((media) => media.schema !== undefined), `${name} ${status}`).toBe(true);
      }
      const errors = statuses.filter((status) => !status.startsWith('2'));
      expect(errors, name).toEqual(expect.arrayContaining(['401', '429', '503']));
      for (const status of errors) {
        expect(status, `${name}: a status, not a range`).toMatch(/^[45]\d\d$/);
        expect(Object.keys(operation.responses[status]?.content ?? {}), `${name} ${status}`).toEqual(['application/problem+json']);
      }
      if (name.includes('{id}')) expect(errors, `${name}: an id that is not a UUID`).toContain('400');
    }
  });

  it('documents path ids as UUIDs', () => {
    const parameters = (paths['/api/v1/messages/{id}']?.get as unknown as { parameters: { name: string; schema: { format?: string } }[] }).parameters;
    expect(parameters.find((p) => p.name === 'id')?.schema.format).toBe('uuid');
  });
});

describe('response schemas', () => {
  it('drop nothing the use cases answer', async () => {
    const posted = await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'OPENAPI1', letter: 'OPENAPI1L' }));
    expect(posted.statusCode).toBe(202);
    const id = posted.json<{ id: string }>().id;
    const ctx = gw.gateway.context();

    const viaHttp = (await gw.get(MUNICIPALITY, `/api/v1/messages/${id}`)).json<{ deadlines: { id: string }[] }>();
    const direct = JSON.parse(JSON.stringify(await viewMessage(ctx, { kind: 'endpoint', ean: MUNICIPALITY }, id))) as unknown;
    expect(viaHttp).toEqual(direct);

    expect(viaHttp.deadlines.length).toBeGreaterThan(0);
    for (const deadline of viaHttp.deadlines) {
      const one = (await gw.get(MUNICIPALITY, `/api/v1/deadlines/${deadline.id}`)).json<unknown>();
      expect(one).toEqual(JSON.parse(JSON.stringify(await viewDeadline(ctx, { kind: 'endpoint', ean: MUNICIPALITY }, deadline.id))));
    }
  });
});

/**
 * Ids in paths are validated as UUIDs by the route schemas: a string that merely looks like one (36
 * hex digits and dashes, or PostgreSQL-foreign forms such as `urn:uuid:…`) is a 400 problem naming
 * the parameter, never a 500 from the store. The ops list's cursor, which carries an id, likewise.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSPITAL, startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});

afterAll(async () => {
  await gw?.close();
});

const ODD_IDS = ['a'.repeat(36), '-'.repeat(36), `urn:uuid:${randomUUID()}`, `${randomUUID()}0`, 'ffffffff-ffff-ffff-ffff-fffffffffffg'];

const ROUTES: { name: string; send: (id: string) => ReturnType<TestGateway['request']> }[] = [
  { name: 'GET /api/v1/messages/{id}', send: (id) => gw.get(HOSPITAL, `/api/v1/messages/${id}`) },
  { name: 'GET /api/v1/inbox/{id}', send: (id) => gw.get(HOSPITAL, `/api/v1/inbox/${id}`) },
  { name: 'POST /api/v1/inbox/{id}/receipt', send: (id) => gw.answer(HOSPITAL, id, { status: 'positive' }) },
  { name: 'GET /api/v1/deadlines/{id}', send: (id) => gw.get(HOSPITAL, `/api/v1/deadlines/${id}`) },
  {
    name: 'POST /api/v1/deadlines/{id}/fulfil',
    send: (id) =>
      gw.request({
        method: 'POST',
        url: `/api/v1/deadlines/${id}/fulfil`,
        headers: { authorization: `Bearer demo-${HOSPITAL}`, 'content-type': 'application/json' },
        payload: '{}',
      }),
  },
];

describe('odd ids', () => {
  it.each(ROUTES)('$name answers 400 naming /params/id for every id that is not a UUID', async ({ send }) => {
    for (const id of ODD_IDS) {
      const response = await send(encodeURIComponent(id));
      expect(response.statusCode, id).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json(), id).toMatchObject({ type: 'https://medcom-gateway.local/problems/invalid-request', errors: [{ path: '/params/id' }] });
    }
  });

  it.each(ROUTES)('$name still answers 404 for a UUID that names nothing', async ({ send }) => {
    expect((await send(randomUUID())).statusCode).toBe(404);
  });

  it('the ops list answers 400 for a cursor whose id is not a UUID', async () => {
    for (const id of ODD_IDS) {
      const cursor = Buffer.from(JSON.stringify(['2026-11-23T09:00:00.000Z', id])).toString('base64url');
      const response = await gw.get('ops', `/api/v1/ops/deadlines?cursor=${cursor}`);
      expect(response.statusCode, id).toBe(400);
      expect(response.json()).toMatchObject({ type: 'https://medcom-gateway.local/problems/bad-cursor' });
    }
  });
});

/**
 * How the original bytes are stored on PostgreSQL: compressed with lz4 (migration 015), and given back
 * exactly as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSPITAL_2, MUNICIPALITY_2, leaseInbox, renumber, startTestGateway, type TestGateway } from '../support/gateway.js';

describe('message bodies on PostgreSQL', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('stores a large body compressed with lz4 and hands back the very bytes', async () => {
    const body = renumber('XDIS18_large_report.xml', { envelope: 'LZ4ENV1', letter: 'LZ4LET1' });
    const posted = await gw.post(HOSPITAL_2, body);
    expect(posted.statusCode, posted.body).toBe(202);
    const id = posted.json<{ id: string }>().id;
    const { rows } = await gw.db.query<{ method: string | null; stored: number; length: number }>(
      'SELECT pg_column_compression(body) AS method, pg_column_size(body) AS stored, length(body) AS length FROM message_bodies WHERE message_id = $1',
      [id],
    );
    expect(rows[0]).toMatchObject({ method: 'lz4', length: body.length });
    expect(rows[0]?.stored).toBeLessThan(body.length / 2);

    const item = (await leaseInbox(gw, MUNICIPALITY_2)).find((i) => i.messageId === id);
    expect(item, 'the report is in its receiver\'s inbox').toBeDefined();
    const fetched = await gw.get(MUNICIPALITY_2, `/api/v1/inbox/${item?.id}`);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.rawPayload.equals(body)).toBe(true);
  });
});

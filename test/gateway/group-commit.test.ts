/**
 * Group commit: many messages posted at once share statements and commits, and each still gets its own,
 * right answer — including a repeat and a reused envelope identifier inside the same burst.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/store/database.js';
import { InsertBatcher } from '../../src/store/insert-batcher.js';
import { findFirstLetters, insertMessages } from '../../src/store/message-store.js';
import { HOSPITAL, MUNICIPALITY, startTestGateway, variant, type TestGateway } from '../support/gateway.js';
import { messageInsert } from '../support/message-insert.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

describe('accepting a burst of messages', () => {
  it('uses the batcher on PostgreSQL', () => {
    expect(gw.gateway.context().insertBatcher).toBeInstanceOf(InsertBatcher);
  });

  it('stores every new message once and answers a repeat and a conflict inside the burst correctly', async () => {
    const fresh = Array.from({ length: 40 }, (_, i) => variant('XDIS20_admission_acute.xml', { envelope: `BURST${i}`, letter: `BURSTL${i}` }));
    const repeat = fresh[0] as Buffer;
    const conflicting = variant('XDIS20_admission_acute.xml', { envelope: 'BURST1', letter: 'BURSTOTHER' });
    const responses = await Promise.all([...fresh, repeat, conflicting].map((body) => gw.post(HOSPITAL, body)));
    const statuses = responses.map((r) => r.statusCode);
    // The message and its repeat race: one is stored (202), the other is answered as a repeat (200).
    // BURST1 and the other content under the same envelope race too (concurrent requests reach the
    // store in no fixed order): whichever comes first is stored, the other is refused (409).
    expect(statuses.filter((s) => s === 202)).toHaveLength(40);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect([statuses[1], statuses[41]].sort()).toEqual([202, 409]);
    const ids = new Set(responses.filter((r) => r.statusCode !== 409).map((r) => r.json<{ id: string }>().id));
    expect(ids.size).toBe(40);
    const { rows } = await gw.db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE envelope_id LIKE 'BURST%'");
    expect(rows[0]?.n).toBe(40);
    const deliveries = await gw.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.envelope_id LIKE 'BURST%' AND d.receiver_ean = $1",
      [MUNICIPALITY],
    );
    expect(deliveries.rows[0]?.n).toBe(40);
  });

  it('still refuses to offer a resend that arrives in a later burst', async () => {
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'LATER1', letter: 'LATERL1' }));
    const resends = await Promise.all([
      gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'LATER2', letter: 'LATERL1' })),
      gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'LATER3', letter: 'LATERL3' })),
    ]);
    expect(resends.map((r) => r.statusCode)).toEqual([200, 202]);
    expect(resends[0]?.json()).toMatchObject({ duplicate: true });
  });
});

describe('InsertBatcher', () => {
  it('writes concurrent inserts in fewer statements than messages, each answered', async () => {
    let statements = 0;
    const counting: Queryable = {
      query: (sql, params, name) => {
        statements += 1;
        return gw.db.query(sql, params, name);
      },
    };
    const batcher = new InsertBatcher(counting, 64, 1);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.insert(messageInsert(`GC${i}`), gw.clock.now())));
    expect(outcomes.every((o) => Array.isArray(o))).toBe(true);
    expect(statements).toBeLessThan(20);
    const { rows } = await gw.db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE envelope_id LIKE 'GC%'");
    expect(rows[0]?.n).toBe(20);
  });

  it('falls back to one statement each when a shared one fails, so only the bad message is refused', async () => {
    const batcher = new InsertBatcher(gw.db, 64, 1);
    await batcher.insert(messageInsert('GCTAKEN'), gw.clock.now());
    const results = await Promise.allSettled([
      batcher.insert(messageInsert('GCOK1'), gw.clock.now()),
      batcher.insert(messageInsert('GCTAKEN', { letterId: 'LGCOTHER' }), gw.clock.now()),
      batcher.insert(messageInsert('GCOK2'), gw.clock.now()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('23505');
  });
});

describe('the shared insert: a letter seen before', () => {
  // The accept path asks findFirstLetters before it plans; the insert checks again in its own snapshot,
  // for a resend that was stored by a concurrent request after that question.
  it('writes nothing for a message whose letter the sender used before, and writes the others in the statement', async () => {
    await insertMessages(gw.db, [messageInsert('SEEN1', { letterId: 'SEENL1' })], gw.clock.now());
    const outcomes = await insertMessages(gw.db, [messageInsert('SEEN2', { letterId: 'SEENL1' }), messageInsert('SEEN3', { letterId: 'SEENL3' })], gw.clock.now());
    expect(outcomes[0]).toBe('not-inserted');
    expect(Array.isArray(outcomes[1])).toBe(true);
    const { rows } = await gw.db.query<{ envelope_id: string }>("SELECT envelope_id FROM messages WHERE envelope_id LIKE 'SEEN%' ORDER BY envelope_id");
    expect(rows.map((r) => r.envelope_id)).toEqual(['SEEN1', 'SEEN3']);
  });

  it('findFirstLetters names the first message of each letter id the sender used, and nothing for a new one', async () => {
    const [first] = await insertMessages(gw.db, [messageInsert('FIRST1', { letterId: 'FIRSTL1' })], gw.clock.now());
    expect(Array.isArray(first)).toBe(true);
    const { rows } = await gw.db.query<{ id: string }>("SELECT id FROM messages WHERE envelope_id = 'FIRST1'");
    const found = await findFirstLetters(gw.db, HOSPITAL, ['FIRSTL1', 'NEVERUSED', 'FIRSTL1']);
    expect([...found]).toEqual([['FIRSTL1', { messageId: rows[0]?.id, letterIndex: 0 }]]);
    expect((await findFirstLetters(gw.db, MUNICIPALITY, ['FIRSTL1'])).size).toBe(0);
  });
});

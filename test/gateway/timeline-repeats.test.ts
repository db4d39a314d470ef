/**
 * A receiver that fetches one message again and again, or repeats its receipt, must not grow the
 * message's timeline without bound: identical events are counted on one entry ("fetched ×200, last at
 * …"), and the timeline of `GET /api/v1/messages/{id}` comes in pages. On PostgreSQL and PGlite alike
 * (the counting is a trigger in the store).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSPITAL, MUNICIPALITY, leaseInbox, renumber, startTestGateway, type TestGateway } from '../support/gateway.js';

interface TimelineEntry {
  kind: string;
  deliveryId: string | null;
  count: number;
  lastAt: string | null;
  at: string;
  detail: Record<string, unknown>;
}
interface PagedView {
  timeline: TimelineEntry[];
  timelineNext: string | null;
}

describe.each(['postgres', 'pglite'] as const)('repeated events on %s', (kind) => {
  let gw: TestGateway;
  let messageId: string;
  let itemId: string;

  beforeAll(async () => {
    gw = await startTestGateway({ kind });
    const posted = await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope: `REP${kind}`, letter: `REPL${kind}` }));
    expect(posted.statusCode, posted.body).toBe(202);
    messageId = posted.json<{ id: string }>().id;
    const [item] = await leaseInbox(gw, MUNICIPALITY);
    if (!item) throw new Error('nothing leased');
    itemId = item.id;
    for (let i = 0; i < 200; i++) {
      gw.clock.advance(1000);
      expect((await gw.get(MUNICIPALITY, `/api/v1/inbox/${itemId}`)).statusCode).toBe(200);
    }
    for (let i = 0; i < 50; i++) {
      gw.clock.advance(1000);
      expect((await gw.answer(MUNICIPALITY, itemId, { status: 'positive' })).statusCode).toBeLessThan(300);
    }
    // Fetching and answering in turn is counted as well.
    for (let i = 0; i < 50; i++) {
      gw.clock.advance(1000);
      expect((await gw.get(MUNICIPALITY, `/api/v1/inbox/${itemId}`)).statusCode).toBe(200);
      expect((await gw.answer(MUNICIPALITY, itemId, { status: 'positive' })).statusCode).toBeLessThan(300);
    }
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
  });

  async function page(query: string): Promise<PagedView> {
    const response = await gw.get(HOSPITAL, `/api/v1/messages/${messageId}${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<PagedView>();
  }

  it('200 fetches, 50 repeated receipts, then 50 of each in turn leave a short timeline that counts them', async () => {
    const { timeline, timelineNext } = await page('');
    expect(timelineNext).toBeNull();
    expect(timeline.length).toBeLessThan(12);
    const fetched = timeline.filter((e) => e.kind === 'fetched');
    // The first fetch delivered the message; the 199 after it are one counted entry.
    expect(fetched.map((e) => [e.detail.first, e.count])).toEqual([
      [true, 1],
      [false, 199],
      [false, 50],
    ]);
    const again = fetched[1] as TimelineEntry;
    expect(again.lastAt).not.toBeNull();
    expect(Date.parse(again.lastAt as string) - Date.parse(again.at)).toBe(198_000);
    const repeated = timeline.filter((e) => e.kind === 'receipt-repeated');
    expect(repeated.map((e) => e.count)).toEqual([99]);
    expect(timeline.filter((e) => e.kind === 'receipted')).toHaveLength(1);
    expect(timeline.find((e) => e.kind === 'accepted')).toMatchObject({ count: 1, lastAt: null });
  });

  it('the timeline is paged: timelineLimit entries, then timelineNext reads on to the end', async () => {
    const whole = (await page('')).timeline;
    const seen: TimelineEntry[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const current = await page(`?timelineLimit=2${next ? `&timelineAfter=${next}` : ''}`);
      expect(current.timeline.length).toBeLessThanOrEqual(2);
      seen.push(...current.timeline);
      next = current.timelineNext;
      pages++;
    } while (next !== null && pages < 50);
    expect(seen).toEqual(whole);
    expect(pages).toBe(Math.ceil(whole.length / 2));
  });

  it('a page size out of range or a cursor that is not one → 400', async () => {
    for (const query of ['?timelineLimit=0', '?timelineLimit=501', '?timelineAfter=abc', '?timelineAfter=-1']) {
      expect((await gw.get(HOSPITAL, `/api/v1/messages/${messageId}${query}`)).statusCode, query).toBe(400);
    }
  });
});

/**
 * The operations use cases over a real store (PostgreSQL and PGlite), fed through the gateway's own
 * API: the overview's counts as messages move through their deliveries, search by every filter with
 * keyset pages, the message detail (overall status, timeline order, duplicates), the audit log and
 * its CSV, pause and resume, dead letters and their retry, and what each refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/app/context.js';
import { runDeadlineBreach } from '../../src/app/deadline-tracking.js';
import { recordPushFailure } from '../../src/app/delivery-lifecycle.js';
import { exportAuditLog, listAuditLog, recordAudit } from '../../src/app/ops-audit.js';
import { listDeadLettersView, retryDeadLetters } from '../../src/app/ops-dead-letters.js';
import { pauseEndpointAction, resumeEndpointAction } from '../../src/app/ops-endpoints.js';
import { opsMessageDetail } from '../../src/app/ops-message-detail.js';
import { opsOverview, type EndpointOverview } from '../../src/app/ops-overview.js';
import { searchMessagesView, type MessageSearchQuery } from '../../src/app/ops-search.js';
import { Refusal } from '../../src/app/refusal.js';
import { ACTIVITY_INTERVAL_MS } from '../../src/store/endpoint-state-store.js';
import { pendingOutbox } from '../../src/store/outbox.js';
import { countRejection } from '../../src/store/rejection-store.js';
import {
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  psychiatricAdmission,
  renumber,
  startTestGateway,
  testConfigDir,
  type TestGateway,
} from '../support/gateway.js';
import type { TestDatabaseKind } from '../support/store.js';

const CPR = '0101501234';
const OTHER_CPR = '1507381236';
const OPERATOR = { name: 'Jens Hansen', keyId: 'k-jens' };
const REASON = 'the municipality says it never got it';

async function refusalOf(work: Promise<unknown>): Promise<Refusal> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Refusal);
  return error as Refusal;
}

describe.each<[TestDatabaseKind]>([['postgres'], ['pglite']])('operations data on %s', (kind) => {
  let gw: TestGateway;
  let ctx: GatewayContext;
  const config = testConfigDir((c) => {
    const receiver = c.endpoints.find((e) => e.ean === MUNICIPALITY_2);
    if (receiver) receiver.delivery = { mode: 'push', url: 'http://127.0.0.1:9/medcom' };
  });
  const ids: Record<string, string> = {};
  const endpoint = async (ean: string): Promise<EndpointOverview> => (await opsOverview(ctx)).endpoints.find((e) => e.ean === ean) as EndpointOverview;
  const search = (query: MessageSearchQuery) => searchMessagesView(ctx, query);

  beforeAll(async () => {
    gw = await startTestGateway({ kind, workers: false, env: { MEDCOM_CONFIG_DIR: config.dir } });
    ctx = gw.gateway.context();
  });

  afterAll(async () => {
    await gw?.close();
    config.remove();
  });

  async function post(ean: string, fixture: string, envelope: string, letter: string): Promise<string> {
    const response = await gw.post(ean, renumber(fixture, { envelope, letter }));
    expect([200, 202]).toContain(response.statusCode);
    return response.json<{ id: string; resendId?: string }>().resendId ?? response.json<{ id: string }>().id;
  }

  it('lists every endpoint of the register, all quiet, before anything happens', async () => {
    const overview = await opsOverview(ctx);
    expect(overview.endpoints.map((e) => e.ean)).toEqual(expect.arrayContaining([HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, GP]));
    for (const e of overview.endpoints) {
      expect(e).toMatchObject({ waiting: 0, leased: 0, deliveredNotAnswered: 0, unacknowledged: 0, deadLettered: 0, receiptsOverdue: 0, oldestWaitingSeconds: null, paused: null, stuck: false, lastPolledAt: null });
    }
    expect(overview).toMatchObject({ types: [], receiptsOverdue: 0, deadlineBreaches: { today: 0, thisWeek: 0 } });
    // 2026-11-23 is a Monday: the week and the day start at the same Copenhagen midnight (23:00Z).
    expect(overview.deadlineBreaches).toMatchObject({ todayFrom: '2026-11-22T23:00:00.000Z', weekFrom: '2026-11-22T23:00:00.000Z' });
  });

  it('counts waiting messages and the age of the oldest; the stuck endpoint comes first', async () => {
    ids.discharge = await post(HOSPITAL, 'XDIS17_discharge_home.xml', 'OPS-E1', 'OPS-L1');
    gw.clock.advance(60_000);
    ids.email = await post(HOSPITAL, 'XDIS91_clinical_email.xml', 'OPS-E2', 'OPS-L2');
    gw.clock.advance(60_000);
    const overview = await opsOverview(ctx);
    expect(overview.endpoints[0]).toMatchObject({ ean: MUNICIPALITY, waiting: 2, oldestWaitingSeconds: 120, stuck: true, mode: 'pull', name: expect.any(String) });
    expect(overview.types).toEqual([
      { type: 'XDIS17', accepted: { lastHour: 1, lastDay: 1 }, duplicates: { lastHour: 0, lastDay: 0 }, rejected: { lastHour: 0, lastDay: 0, byReason: {} } },
      { type: 'XDIS91', accepted: { lastHour: 1, lastDay: 1 }, duplicates: { lastHour: 0, lastDay: 0 }, rejected: { lastHour: 0, lastDay: 0, byReason: {} } },
    ]);
  });

  it('follows the deliveries: leased (with the poll noted), delivered awaiting a receipt, overdue, answered', async () => {
    const items = await leaseInbox(gw, MUNICIPALITY);
    expect(items).toHaveLength(2);
    const polledAt = gw.clock.now().toISOString();
    expect(await endpoint(MUNICIPALITY)).toMatchObject({ waiting: 0, leased: 2, oldestWaitingSeconds: 120, lastPolledAt: polledAt });

    // A poll within the activity interval is not written again; one after it is.
    gw.clock.advance(ACTIVITY_INTERVAL_MS - 1000);
    await leaseInbox(gw, MUNICIPALITY);
    expect((await endpoint(MUNICIPALITY)).lastPolledAt).toBe(polledAt);
    gw.clock.advance(1000);
    await leaseInbox(gw, MUNICIPALITY);
    expect((await endpoint(MUNICIPALITY)).lastPolledAt).toBe(gw.clock.now().toISOString());

    await fetchItems(gw, MUNICIPALITY, items);
    expect(await endpoint(MUNICIPALITY)).toMatchObject({ leased: 0, deliveredNotAnswered: 2, receiptsOverdue: 0, oldestWaitingSeconds: null });
    gw.clock.advance(gw.settings.receiptTimeoutSeconds * 1000 + 1000);
    expect(await endpoint(MUNICIPALITY)).toMatchObject({ deliveredNotAnswered: 2, receiptsOverdue: 2, stuck: true });
    expect((await opsOverview(ctx)).receiptsOverdue).toBe(2);

    const discharge = items.find((i) => i.messageId === ids.discharge);
    expect((await gw.answer(MUNICIPALITY, discharge?.id ?? '', { status: 'positive' })).statusCode).toBe(200);
    expect(await endpoint(MUNICIPALITY)).toMatchObject({ deliveredNotAnswered: 1, receiptsOverdue: 1 });
    // The receipt is the hospital's to fetch; it asks for no answer.
    expect(await endpoint(HOSPITAL)).toMatchObject({ waiting: 1, deliveredNotAnswered: 0 });
  });

  it('shows the detail: the overall status after every receiver acknowledged, the answer before its receipt, receipts with their arrival', async () => {
    const detail = await opsMessageDetail(ctx, ids.discharge as string);
    expect(detail).toMatchObject({ id: ids.discharge, status: 'acknowledged', storedStatus: 'accepted' });
    expect(detail.receipts).toEqual([
      expect.objectContaining({ receiver: MUNICIPALITY, kind: 'positive', messageId: expect.any(String), receivedAt: gw.clock.now().toISOString() }),
    ]);
    const kinds = detail.timeline.map((e) => e.kind);
    expect(kinds.indexOf('receipted')).toBeGreaterThan(-1);
    expect(kinds.indexOf('receipted')).toBeLessThan(kinds.indexOf('receipt-sent'));
    expect(kinds.slice(0, 3)).toEqual(['accepted', 'leased', 'fetched']);
    const times = detail.timeline.map((e) => e.at);
    expect([...times].sort()).toEqual(times);

    const email = await opsMessageDetail(ctx, ids.email as string);
    expect(email.status).toBe('delivered');
  });

  it('refuses an unknown or malformed message id with a 404', async () => {
    expect((await refusalOf(opsMessageDetail(ctx, '0f8fad5b-d9cb-469f-a165-70867728950e'))).status).toBe(404);
    expect((await refusalOf(opsMessageDetail(ctx, "1' OR '1'='1"))).status).toBe(404);
  });

  it('links a resend with the message it repeats, both ways', async () => {
    ids.resend = await post(HOSPITAL, 'XDIS17_discharge_home.xml', 'OPS-E3', 'OPS-L1');
    const resend = await opsMessageDetail(ctx, ids.resend);
    expect(resend).toMatchObject({ status: 'duplicate', duplicates: { resendOf: [{ letterId: 'OPS-L1', messageId: ids.discharge }], resentBy: [] } });
    const original = await opsMessageDetail(ctx, ids.discharge as string);
    expect(original.duplicates.resentBy).toEqual([expect.objectContaining({ messageId: ids.resend, envelopeId: 'OPS-E3', letterId: 'OPS-L1' })]);
  });

  it('searches by patient, identifiers, endpoints, type, status and time; newest first', async () => {
    ids.admission = await post(HOSPITAL_2, 'XDIS20_windows-1252.xml', 'OPS-E4', 'OPS-L4');
    const idsOf = async (query: MessageSearchQuery): Promise<string[]> => (await search(query)).items.map((i) => i.id);
    expect(await idsOf({ cpr: CPR })).toEqual([ids.resend, ids.email, ids.discharge]);
    expect(await idsOf({ cpr: '010150-1234' })).toEqual([ids.resend, ids.email, ids.discharge]);
    expect(await idsOf({ cpr: OTHER_CPR })).toEqual([ids.admission]);
    expect(await idsOf({ cpr: '0202020202' })).toEqual([]);
    expect(await idsOf({ envelopeId: 'OPS-E2' })).toEqual([ids.email]);
    expect(await idsOf({ letterId: 'OPS-L1' })).toEqual([ids.resend, ids.discharge]);
    expect(await idsOf({ id: ids.email })).toEqual([ids.email]);
    expect(await idsOf({ sender: HOSPITAL_2 })).toEqual([ids.admission]);
    expect(await idsOf({ receiver: MUNICIPALITY_2 })).toEqual([ids.admission]);
    expect(await idsOf({ type: 'xdis91' })).toEqual([ids.email]);
    expect(await idsOf({ status: 'waiting' })).toEqual(expect.arrayContaining([ids.admission]));
    expect(await idsOf({ status: 'acknowledged' })).toEqual([ids.discharge]);
    expect(await idsOf({ status: 'delivered', sender: HOSPITAL })).toEqual([ids.email]);
    expect(await idsOf({ status: 'duplicate' })).toEqual([ids.resend]);
    expect(await idsOf({ sender: HOSPITAL, cpr: CPR, type: 'XDIS17' })).toEqual([ids.resend, ids.discharge]);
    const emailAt = (await search({ id: ids.email })).items[0]?.receivedAt as string;
    expect(await idsOf({ from: emailAt, cpr: CPR })).toEqual([ids.resend, ids.email]);
    expect(await idsOf({ to: emailAt, cpr: CPR })).toEqual([ids.discharge]);
    const [hit] = (await search({ id: ids.discharge })).items;
    expect(hit).toMatchObject({ status: 'acknowledged', letters: [{ letterId: 'OPS-L1', type: 'XDIS17' }], deliveries: [{ receiver: MUNICIPALITY, role: 'receiver', state: 'acknowledged' }], href: `/api/v1/ops/messages/${ids.discharge}` });
  });

  it('treats empty filters as absent: the newest messages of the whole store', async () => {
    const page = await search({ cpr: '', sender: ' ', status: '', cursor: '' });
    expect(page.items[0]?.id).toBeDefined();
    expect(page.items.length).toBeGreaterThanOrEqual(5);
    const times = page.items.map((i) => i.receivedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('pages with a cursor without skipping or repeating, also among messages of the same instant', async () => {
    // Three messages accepted at one instant: only the id orders them.
    for (const n of [5, 6, 7]) await post(HOSPITAL, 'XDIS91_clinical_email.xml', `OPS-E${n}`, `OPS-L${n}`);
    const all = (await search({ limit: 200 })).items.map((i) => i.id);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
  });

  it('refuses a bad cursor and bad filters with a 400 that names the field and never echoes a CPR number', async () => {
    expect(await refusalOf(search({ cursor: 'not-a-cursor' }))).toMatchObject({ status: 400, slug: 'bad-cursor' });
    const refused = await refusalOf(search({ cpr: '3213991234', id: 'x', sender: '123', type: 'XDIS99', status: 'lost', from: 'yesterday', limit: '0' }));
    expect(refused).toMatchObject({ status: 400, slug: 'invalid-query' });
    expect(refused.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/querystring/cpr', '/querystring/id', '/querystring/sender', '/querystring/type', '/querystring/status', '/querystring/from', '/querystring/limit']),
    );
    expect(JSON.stringify(refused)).not.toContain('3213991234');
    expect(refused.detail).not.toContain('3213991234');
    expect(await refusalOf(search({ from: '2026-11-24T00:00:00Z', to: '2026-11-23T00:00:00Z' }))).toMatchObject({ status: 422, slug: 'bad-period' });
  });

  it('counts rejections per type and reason over the last hour and day', async () => {
    const now = gw.clock.now();
    await countRejection(ctx.db, { type: 'XDIS17', reason: 'invalid-message' }, now);
    await countRejection(ctx.db, { type: 'XDIS17', reason: 'invalid-message' }, now);
    await countRejection(ctx.db, { type: 'XDIS17', reason: 'unroutable' }, new Date(now.getTime() - 2 * 3_600_000));
    await countRejection(ctx.db, { type: 'unknown', reason: 'not-well-formed' }, new Date(now.getTime() - 25 * 3_600_000));
    const overview = await opsOverview(ctx);
    expect(overview.types.find((t) => t.type === 'XDIS17')?.rejected).toEqual({
      lastHour: 2,
      lastDay: 3,
      byReason: { 'invalid-message': { lastHour: 2, lastDay: 2 }, unroutable: { lastHour: 0, lastDay: 1 } },
    });
    expect(overview.types.find((t) => t.type === 'unknown')).toBeUndefined();
  });

  it('pauses an endpoint: its inbox offers nothing and nothing is lost; resumed, the messages come', async () => {
    const waiting = (await endpoint(MUNICIPALITY)).waiting;
    ids.paused = await post(HOSPITAL, 'XDIS17_discharge_home.xml', 'OPS-E8', 'OPS-L8');
    expect(await pauseEndpointAction(ctx, OPERATOR, MUNICIPALITY, REASON)).toEqual({ ean: MUNICIPALITY, paused: true, changed: true });
    expect(await pauseEndpointAction(ctx, OPERATOR, MUNICIPALITY, REASON)).toMatchObject({ changed: false });
    expect(await leaseInbox(gw, MUNICIPALITY)).toEqual([]);
    expect(await endpoint(MUNICIPALITY)).toMatchObject({ waiting: waiting + 1, paused: { operator: OPERATOR.name, reason: REASON }, stuck: true });

    expect(await resumeEndpointAction(ctx, OPERATOR, MUNICIPALITY, 'the municipality fixed their system')).toEqual({ ean: MUNICIPALITY, paused: false, changed: true });
    const items = await leaseInbox(gw, MUNICIPALITY, '?limit=50');
    expect(items.map((i) => i.messageId)).toContain(ids.paused);
    expect((await endpoint(MUNICIPALITY)).paused).toBeNull();
    await fetchItems(gw, MUNICIPALITY, items);
  });

  it('refuses to pause an unknown endpoint (404) or without a reason (400)', async () => {
    expect(await refusalOf(pauseEndpointAction(ctx, OPERATOR, '5790000009999', REASON))).toMatchObject({ status: 404, slug: 'unknown-endpoint' });
    expect(await refusalOf(pauseEndpointAction(ctx, OPERATOR, 'abc', REASON))).toMatchObject({ status: 404 });
    expect(await refusalOf(pauseEndpointAction(ctx, OPERATOR, MUNICIPALITY, 'because'))).toMatchObject({ status: 400, slug: 'reason-required' });
    expect((await endpoint(MUNICIPALITY)).paused).toBeNull();
  });

  it('lists dead letters and retries them by id once: a new push job, an event, an audit row', async () => {
    // The push worker's last failed attempt dead-letters the delivery (workers are off: called directly).
    const outbox = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'push');
    expect(outbox).toBeDefined();
    const deliveryId = outbox?.kind === 'push' ? outbox.deliveryId : '';
    await recordPushFailure(ctx, outbox?.id ?? 0, deliveryId, 'HTTP 503', true);
    expect(await endpoint(MUNICIPALITY_2)).toMatchObject({ deadLettered: 1, waiting: 0, stuck: true });

    const listed = await listDeadLettersView(ctx, { receiver: MUNICIPALITY_2 });
    expect(listed.items).toEqual([
      expect.objectContaining({ deliveryId, messageId: ids.admission, receiver: MUNICIPALITY_2, sender: HOSPITAL_2, types: ['XDIS20'], reason: 'HTTP 503', pushAttempts: 1 }),
    ]);
    expect((await listDeadLettersView(ctx, { type: 'XDIS17' })).items).toEqual([]);
    expect((await listDeadLettersView(ctx, { receiver: MUNICIPALITY })).items).toEqual([]);
    expect((await search({ status: 'dead' })).items.map((i) => i.id)).toEqual([ids.admission]);
    expect((await opsMessageDetail(ctx, ids.admission as string)).status).toBe('dead-lettered');

    const retried = await retryDeadLetters(ctx, OPERATOR, { ids: [deliveryId], reason: REASON });
    expect(retried.requeued).toEqual([{ deliveryId, messageId: ids.admission, receiver: MUNICIPALITY_2, mode: 'push', outboxId: expect.any(Number) }]);
    expect((await pendingOutbox(ctx.db, 100)).some((o) => o.id === retried.requeued[0]?.outboxId && o.kind === 'push')).toBe(true);
    expect(await endpoint(MUNICIPALITY_2)).toMatchObject({ deadLettered: 0, waiting: 1 });
    const detail = await opsMessageDetail(ctx, ids.admission as string);
    expect(detail.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['dead-lettered', 'dead-letter-retried', 'ops-dead-letter-retry']));
    expect(detail.timeline.find((e) => e.kind === 'ops-dead-letter-retry')).toMatchObject({ source: 'ops', deliveryId, detail: { operator: OPERATOR.name, reason: REASON } });

    expect((await retryDeadLetters(ctx, OPERATOR, { ids: [deliveryId], reason: REASON })).requeued).toEqual([]);
    expect((await retryDeadLetters(ctx, OPERATOR, { filter: { receiver: MUNICIPALITY_2 }, reason: REASON })).requeued).toEqual([]);
  });

  it('refuses a retry without a selection, with both, with bad ids or without a reason', async () => {
    expect(await refusalOf(retryDeadLetters(ctx, OPERATOR, { reason: REASON }))).toMatchObject({ status: 400, slug: 'invalid-retry' });
    expect(await refusalOf(retryDeadLetters(ctx, OPERATOR, { ids: [], reason: REASON }))).toMatchObject({ status: 400 });
    expect(await refusalOf(retryDeadLetters(ctx, OPERATOR, { ids: ['x'], filter: {}, reason: REASON }))).toMatchObject({ status: 400 });
    expect(await refusalOf(retryDeadLetters(ctx, OPERATOR, { filter: {}, max: 5000, reason: REASON }))).toMatchObject({ status: 400 });
    expect(await refusalOf(retryDeadLetters(ctx, OPERATOR, { filter: {}, reason: 'x' }))).toMatchObject({ status: 400, slug: 'reason-required' });
    expect(await refusalOf(listDeadLettersView(ctx, { cursor: 'zzz' }))).toMatchObject({ status: 400, slug: 'bad-cursor' });
  });

  it('counts deadline breaches today and this week (Copenhagen days)', async () => {
    expect((await gw.post(HOSPITAL, psychiatricAdmission({ envelope: 'OPS-E9', letter: 'OPS-L9' }))).statusCode).toBe(202);
    const timer = (await pendingOutbox(ctx.db, 100)).find((o) => o.kind === 'deadline-breach');
    expect(timer).toBeDefined();
    gw.clock.advance(Math.max(0, (timer?.dueAt.getTime() ?? 0) - gw.clock.now().getTime()) + 1000);
    expect((await runDeadlineBreach(ctx, timer?.id ?? 0)).outcome).toBe('breached');
    expect((await opsOverview(ctx)).deadlineBreaches).toMatchObject({ today: 1, thisWeek: 1 });
    // Next Monday (Copenhagen) it is neither today's nor this week's breach.
    gw.clock.advance(7 * 86_400_000);
    expect((await opsOverview(ctx)).deadlineBreaches).toMatchObject({ today: 0, thisWeek: 0 });
  });

  it('keeps the audit log: every action with who, why and the patient reference; filtered, paged and as CSV', async () => {
    const at = gw.clock.now();
    await recordAudit(ctx.db, { name: 'Demo operator' }, { action: 'body-read', messageId: ids.email, patientRef: ctx.patientRef(CPR), reason: 'checking the "reply", again' }, at);
    const page = await listAuditLog(ctx, {});
    expect(page.items[0]).toMatchObject({ operator: 'Demo operator', keyId: null, action: 'body-read', messageId: ids.email, patientRef: ctx.patientRef(CPR), at: at.toISOString() });
    expect(page.items.map((i) => i.action)).toEqual(expect.arrayContaining(['endpoint-pause', 'endpoint-resume', 'dead-letter-retry']));
    expect(page.items.find((i) => i.action === 'endpoint-pause')).toMatchObject({ operator: OPERATOR.name, keyId: OPERATOR.keyId, reason: REASON, details: { endpoint: MUNICIPALITY } });
    expect(JSON.stringify(page)).not.toContain(CPR);

    const jens = await listAuditLog(ctx, { operator: OPERATOR.name });
    expect(jens.items.every((i) => i.operator === OPERATOR.name)).toBe(true);
    expect(jens.items).toHaveLength(page.items.length - 1);
    expect((await listAuditLog(ctx, { from: at.toISOString() })).items.map((i) => i.action)).toEqual(['body-read']);
    expect((await listAuditLog(ctx, { to: at.toISOString() })).items).toHaveLength(page.items.length - 1);

    const paged: number[] = [];
    let cursor: string | undefined;
    do {
      const next = await listAuditLog(ctx, { limit: 1, ...(cursor ? { cursor } : {}) });
      paged.push(...next.items.map((i) => i.id));
      cursor = next.nextCursor;
    } while (cursor);
    expect(paged).toEqual(page.items.map((i) => i.id));

    const csv = await exportAuditLog(ctx, {});
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,at,operator,keyId,action,messageId,patientRef,reason,details');
    expect(lines).toHaveLength(page.items.length + 2);
    expect(lines[1]).toContain('"checking the ""reply"", again"');
    expect(csv).not.toContain(CPR);

    expect(await refusalOf(listAuditLog(ctx, { cursor: page.nextCursor ?? 'bad' }))).toMatchObject({ status: 400, slug: 'bad-cursor' });
    const messageCursor = (await search({ limit: 1 })).nextCursor as string;
    expect(await refusalOf(listAuditLog(ctx, { cursor: messageCursor }))).toMatchObject({ status: 400, slug: 'bad-cursor' });
    expect(await refusalOf(listAuditLog(ctx, { from: 'soon' }))).toMatchObject({ status: 400, slug: 'invalid-query' });
  });
});

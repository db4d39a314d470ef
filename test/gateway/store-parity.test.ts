/**
 * The same core flow against PostgreSQL and against the embedded PGlite (the same SQL runs on both):
 * accept, lease, fetch byte for byte, answer, the receipt back at the sender, duplicates, the 409s,
 * lease expiry and order per patient. Each run writes a transcript of what it observed (statuses,
 * states, timelines; no generated ids or times) and the two transcripts must be equal.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageCodec } from '../../src/codec/decode-message.js';
import {
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  renumber,
  startTestGateway,
  viewMessage,
  type InboxItemJson,
  type TestGateway,
} from '../support/gateway.js';
import type { TestDatabaseKind } from '../support/store.js';

const codec = new MessageCodec();
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const transcripts = new Map<TestDatabaseKind, unknown[]>();

describe.each<[TestDatabaseKind]>([['postgres'], ['pglite']])('the core flow on %s', (kind) => {
  let gw: TestGateway;
  const transcript: unknown[] = [];
  /** Notes what was observed, for the comparison at the end. */
  const note = (step: string, observed: unknown): void => {
    transcript.push([step, observed]);
  };

  beforeAll(async () => {
    gw = await startTestGateway({ kind, env: { MEDCOM_LEASE_SECONDS: '60' } });
    expect(gw.db.kind).toBe(kind);
    transcripts.set(kind, transcript);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const original = renumber('XDIS20_windows-1252.xml', { envelope: 'PARITY1', letter: 'PARITY1L', ack: 'pluspositivkvitt' });
  const contentType = 'application/xml; charset=windows-1252';
  let messageId = '';
  let item: InboxItemJson;

  it('accepts (202), leases once, fetches the exact bytes', async () => {
    const accepted = await gw.post(HOSPITAL_2, original, contentType);
    expect(accepted.statusCode).toBe(202);
    const body = accepted.json<{ id: string; envelopeId: string; status: string; duplicate: boolean; letters: unknown[]; warnings: unknown[] }>();
    messageId = body.id;
    note('accept', { status: accepted.statusCode, envelopeId: body.envelopeId, state: body.status, duplicate: body.duplicate, letters: body.letters, warnings: body.warnings });

    const items = await leaseInbox(gw, MUNICIPALITY_2);
    expect(items).toHaveLength(1);
    item = items[0] as InboxItemJson;
    expect(item).toMatchObject({ messageId, sha256: sha256(original), contentType, offers: 1, ackRequested: true });
    note('lease', items.map((i) => ({ envelopeId: i.envelopeId, sender: i.sender, role: i.role, letters: i.letters, offers: i.offers, sha256: i.sha256 })));
    const again = await leaseInbox(gw, MUNICIPALITY_2);
    expect(again).toEqual([]);
    note('lease again', again.length);

    const [fetched] = await fetchItems(gw, MUNICIPALITY_2, items);
    expect(fetched?.rawPayload.equals(original)).toBe(true);
    expect(fetched?.headers.etag).toBe(`"${sha256(original)}"`);
    expect(fetched?.headers['content-type']).toBe(contentType);
    note('fetch', { bytes: fetched?.rawPayload.equals(original), etag: fetched?.headers.etag, type: fetched?.headers['content-type'] });
  });

  it('answers positive; the same answer is repeated harmlessly, another is refused (409); the XCTL03 reaches the sender', async () => {
    const answered = await gw.answer(MUNICIPALITY_2, item.id, { status: 'positive' });
    expect(answered.statusCode).toBe(200);
    const repeated = await gw.answer(MUNICIPALITY_2, item.id, { status: 'positive' });
    expect(repeated.json()).toMatchObject({ repeated: true });
    const conflicting = await gw.answer(MUNICIPALITY_2, item.id, { status: 'negative', refuseCode: 'syntaksfejl' });
    expect(conflicting.statusCode).toBe(409);
    note('answers', [answered.statusCode, answered.json<{ repeated: boolean }>().repeated, repeated.statusCode, repeated.json<{ repeated: boolean }>().repeated, conflicting.statusCode]);

    const receipts = await leaseInbox(gw, HOSPITAL_2);
    expect(receipts.map((r) => [r.sender, r.letters[0]?.type])).toEqual([[MUNICIPALITY_2, 'XCTL03']]);
    const [bytes] = await fetchItems(gw, HOSPITAL_2, receipts);
    const decoded = codec.decode(bytes?.rawPayload as Buffer);
    expect(decoded.ok).toBe(true);
    const receipt = decoded.ok ? decoded.message.letters[0]?.body.receipt : undefined;
    expect(receipt).toMatchObject({ kind: 'positive', originalEnvelopeIdentifier: 'PARITY1', originalLetters: [{ letterIdentifier: 'PARITY1L', versionCode: 'XD2030C' }] });
    note('receipt', { sender: receipts[0]?.sender, type: receipts[0]?.letters[0]?.type, receipt });

    const view = await viewMessage(gw, HOSPITAL_2, messageId);
    expect(view.deliveries).toMatchObject([{ state: 'acknowledged', receipt: { kind: 'positive' } }]);
    note('view', { status: view.status, deliveries: view.deliveries.map((d) => [d.receiver, d.role, d.state, d.offers, d.receipt?.kind]), timeline: view.timeline.map((e) => e.kind) });
  });

  it('the same bytes again: 200, duplicate, the first id, nothing new delivered', async () => {
    const again = await gw.post(HOSPITAL_2, original, contentType);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: messageId, duplicate: true });
    expect(await leaseInbox(gw, MUNICIPALITY_2)).toEqual([]);
    note('duplicate', [again.statusCode, again.json<{ duplicate: boolean }>().duplicate]);
  });

  it('the envelope identifier with other content: 409', async () => {
    const reused = await gw.post(HOSPITAL_2, renumber('XDIS20_windows-1252.xml', { envelope: 'PARITY1', letter: 'PARITY1X' }), contentType);
    expect(reused.statusCode).toBe(409);
    expect(reused.headers['content-type']).toMatch(/application\/problem\+json/);
    note('envelope reused', [reused.statusCode, reused.json<{ title: string }>().title]);
  });

  it('a resend (the letter in a new envelope): not offered again, the sender gets the same answer again', async () => {
    const resend = await gw.post(HOSPITAL_2, renumber('XDIS20_windows-1252.xml', { envelope: 'PARITY1R', letter: 'PARITY1L' }), contentType);
    expect(resend.statusCode).toBe(200);
    expect(resend.json()).toMatchObject({ id: messageId, duplicate: true, resendId: expect.any(String) });
    expect(await leaseInbox(gw, MUNICIPALITY_2)).toEqual([]);
    const repeated = await leaseInbox(gw, HOSPITAL_2);
    expect(repeated.map((r) => r.letters[0]?.type)).toEqual(['XCTL03']);
    await fetchItems(gw, HOSPITAL_2, repeated);
    const timeline = (await viewMessage(gw, HOSPITAL_2, messageId)).timeline.map((e) => e.kind);
    expect(timeline).toContain('duplicate');
    note('resend', { status: resend.statusCode, repeatedReceipts: repeated.map((r) => r.letters[0]?.type), timeline });
  });

  it('lease expiry and order per patient', async () => {
    const first = (await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope: 'PARITY2', letter: 'PARITY2L' }))).json<{ id: string }>();
    const second = (await gw.post(HOSPITAL, renumber('XDIS17_discharge_home.xml', { envelope: 'PARITY3', letter: 'PARITY3L' }))).json<{ id: string }>();
    const leased = await leaseInbox(gw, MUNICIPALITY, '?limit=1');
    expect(leased.map((i) => i.messageId)).toEqual([first.id]);
    const heldBack = await leaseInbox(gw, MUNICIPALITY);
    expect(heldBack).toEqual([]);
    gw.clock.advance(61_000);
    const reoffered = await leaseInbox(gw, MUNICIPALITY, '?limit=1');
    expect(reoffered.map((i) => [i.messageId, i.offers])).toEqual([[first.id, 2]]);
    await fetchItems(gw, MUNICIPALITY, reoffered);
    const next = await leaseInbox(gw, MUNICIPALITY);
    expect(next.map((i) => i.messageId)).toEqual([second.id]);
    await fetchItems(gw, MUNICIPALITY, next);
    const timeline = (await viewMessage(gw, HOSPITAL, first.id)).timeline.map((e) => e.kind);
    expect(timeline).toEqual(['accepted', 'leased', 'lease-expired', 'leased', 'fetched']);
    note('order', { leased: leased.length, heldBack: heldBack.length, offers: reoffered[0]?.offers, next: next.length, timeline });
  });

  it('refusals leave no trace', async () => {
    const invalid = await gw.post(HOSPITAL, Buffer.from(renumber('XDIS20_admission_acute.xml', { envelope: 'PARITY4', letter: 'PARITY4L' }).toString('latin1').replace(/<CivilRegistrationNumber>[^<]*<\/CivilRegistrationNumber>/, '')));
    const malformed = await gw.post(HOSPITAL, '<Emessage><Envelope></Emessage>');
    expect([invalid.statusCode, malformed.statusCode]).toEqual([422, 400]);
    expect(await leaseInbox(gw, MUNICIPALITY)).toEqual([]);
    note('refusals', [invalid.statusCode, invalid.json<{ errors: { path: string }[] }>().errors.map((e) => e.path), malformed.statusCode]);
  });
});

describe('parity', () => {
  it('PostgreSQL and PGlite observed the same', () => {
    const postgres = transcripts.get('postgres');
    const pglite = transcripts.get('pglite');
    expect(postgres?.length).toBeGreaterThan(5);
    expect(pglite).toEqual(postgres);
  });
});

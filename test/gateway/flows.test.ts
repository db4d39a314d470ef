/**
 * The gateway end to end over HTTP, on real PostgreSQL and Redis: accept, lease, fetch byte for byte,
 * answer, and the receipt arriving back at the sender; MedCom's duplicate rules; refusals.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GP, HOSPITAL, HOSPITAL_2, MUNICIPALITY, MUNICIPALITY_2, fixture, startTestGateway, variant, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

interface InboxItem {
  id: string;
  messageId: string;
  envelopeId: string;
  sender: string;
  letters: { letterId: string; type: string }[];
}

async function inbox(ean: string, query = ''): Promise<InboxItem[]> {
  const response = await gw.get(ean, `/api/v1/inbox${query}`);
  expect(response.statusCode).toBe(200);
  return response.json<{ items: InboxItem[] }>().items;
}

/** Fetches what a test leased, so later messages for the same patient are not held back behind it. */
async function fetchAll(ean: string, items: InboxItem[]): Promise<void> {
  for (const item of items) expect((await gw.get(ean, `/api/v1/inbox/${item.id}`)).statusCode).toBe(200);
}

describe('hospital → municipality → receipt back', () => {
  it('delivers the exact bytes and returns an XCTL03 to the sender', async () => {
    const body = variant('XDIS20_windows-1252.xml', { envelope: 'FLOW1ENV', letter: 'FLOW1LET', ack: 'pluspositivkvitt' });
    const accepted = await gw.post(HOSPITAL_2, body, 'application/xml; charset=windows-1252');
    expect(accepted.statusCode).toBe(202);
    const acceptance = accepted.json<{ id: string; envelopeId: string; status: string; letters: { letterId: string; type: string; receiver: string }[] }>();
    expect(acceptance).toMatchObject({ envelopeId: 'FLOW1ENV', status: 'accepted', letters: [{ letterId: 'FLOW1LET', type: 'XDIS20', receiver: MUNICIPALITY_2 }] });

    const [item] = await inbox(MUNICIPALITY_2);
    expect(item).toMatchObject({ messageId: acceptance.id, envelopeId: 'FLOW1ENV', sender: HOSPITAL_2, letters: [{ letterId: 'FLOW1LET', type: 'XDIS20' }] });
    expect(await inbox(MUNICIPALITY_2)).toEqual([]); // leased: not offered twice

    const fetched = await gw.get(MUNICIPALITY_2, `/api/v1/inbox/${item?.id}`);
    expect(fetched.statusCode).toBe(200);
    expect(fetched.rawPayload.equals(body)).toBe(true);
    expect(fetched.headers['content-type']).toBe('application/xml; charset=windows-1252');
    expect(fetched.headers.etag).toBe(`"${createHash('sha256').update(body).digest('hex')}"`);

    const answered = await gw.answer(MUNICIPALITY_2, item?.id as string, { status: 'positive' });
    expect(answered.statusCode).toBe(200);

    const [receipt] = await inbox(HOSPITAL_2);
    expect(receipt?.letters[0]?.type).toBe('XCTL03');
    const xml = (await gw.get(HOSPITAL_2, `/api/v1/inbox/${receipt?.id}`)).body;
    expect(xml).toContain('<OriginalEnvelopeIdentifier>FLOW1ENV</OriginalEnvelopeIdentifier>');
    expect(xml).toContain('<OriginalLetterIdentifier>FLOW1LET</OriginalLetterIdentifier>');

    const view = (await gw.get(HOSPITAL_2, `/api/v1/messages/${acceptance.id}`)).json<{ deliveries: { state: string; receipt: { kind: string } }[]; timeline: { kind: string }[] }>();
    expect(view.deliveries).toMatchObject([{ state: 'acknowledged', receipt: { kind: 'positive' } }]);
    expect(view.timeline.map((e) => e.kind)).toEqual(['accepted', 'leased', 'fetched', 'receipt-sent', 'receipted']);
  });

  it('refuses a second, different answer and repeats nothing for the same answer', async () => {
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'FLOW2ENV', letter: 'FLOW2LET' }));
    const [item] = await inbox(MUNICIPALITY);
    expect((await gw.answer(MUNICIPALITY, item?.id as string, { status: 'negative', refuseCode: 'problem_med_version' })).statusCode).toBe(200);
    const again = await gw.answer(MUNICIPALITY, item?.id as string, { status: 'negative', refuseCode: 'problem_med_version' });
    expect(again.json()).toMatchObject({ repeated: true });
    const conflicting = await gw.answer(MUNICIPALITY, item?.id as string, { status: 'positive' });
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.headers['content-type']).toMatch(/application\/problem\+json/);
    const receipts = await inbox(HOSPITAL);
    expect(receipts.map((r) => r.letters[0]?.type)).toEqual(['XCTL02']);
  });
});

describe('duplicates, per MedCom', () => {
  it('answers the exact same message again with 200, duplicate and the first id, delivering nothing new', async () => {
    const body = variant('XDIS20_admission_acute.xml', { envelope: 'DUP1ENV', letter: 'DUP1LET' });
    const first = (await gw.post(HOSPITAL, body)).json<{ id: string }>();
    const again = await gw.post(HOSPITAL, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.id, duplicate: true });
    const items = await inbox(MUNICIPALITY);
    expect(items).toHaveLength(1);
    await fetchAll(MUNICIPALITY, items);
  });

  it('refuses an envelope identifier reused with other content (409)', async () => {
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'DUP2ENV', letter: 'DUP2LET' }));
    const reused = await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'DUP2ENV', letter: 'DUP2OTHER' }));
    expect(reused.statusCode).toBe(409);
    await fetchAll(MUNICIPALITY, await inbox(MUNICIPALITY));
  });

  it('does not offer a resend (same letter, new envelope) again, and repeats the receipt the receiver gave', async () => {
    const original = (await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'DUP3ENV', letter: 'DUP3LET' }))).json<{ id: string }>();
    const [item] = await inbox(MUNICIPALITY);
    await gw.answer(MUNICIPALITY, item?.id as string, { status: 'positive' });
    await inbox(HOSPITAL); // the first XCTL03
    const resend = await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'DUP3RESEND', letter: 'DUP3LET' }));
    expect(resend.statusCode).toBe(200);
    expect(resend.json()).toMatchObject({ id: original.id, duplicate: true });
    expect(await inbox(MUNICIPALITY)).toEqual([]);
    const repeated = await inbox(HOSPITAL);
    expect(repeated.map((r) => r.letters[0]?.type)).toEqual(['XCTL03']);
    const view = (await gw.get(HOSPITAL, `/api/v1/messages/${original.id}`)).json<{ timeline: { kind: string }[] }>();
    expect(view.timeline.map((e) => e.kind)).toContain('duplicate');
  });
});

describe('resends, the cases that must not repeat or lose an answer', () => {
  it('a resend before the receiver answered sends the sender nothing; the later answer reaches it once', async () => {
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'RSB1ENV', letter: 'RSB1LET' }));
    const [item] = await inbox(MUNICIPALITY);
    const resend = await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'RSB1AGAIN', letter: 'RSB1LET' }));
    expect(resend.json()).toMatchObject({ duplicate: true });
    expect(await inbox(HOSPITAL)).toEqual([]);
    expect(await inbox(MUNICIPALITY)).toEqual([]);
    expect((await gw.answer(MUNICIPALITY, item?.id as string, { status: 'positive' })).statusCode).toBe(200);
    const receipts = await inbox(HOSPITAL);
    expect(receipts.map((r) => r.letters[0]?.type)).toEqual(['XCTL03']);
    await fetchAll(HOSPITAL, receipts);
  });

  it('a resend of a refused message gets the same negative receipt, refuse code included', async () => {
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'RSN1ENV', letter: 'RSN1LET' }));
    const [item] = await inbox(MUNICIPALITY);
    await gw.answer(MUNICIPALITY, item?.id as string, { status: 'negative', refuseCode: 'problem_med_modtagerID', text: 'Ukendt borger' });
    await fetchAll(HOSPITAL, await inbox(HOSPITAL));
    await gw.post(HOSPITAL, variant('XDIS20_admission_acute.xml', { envelope: 'RSN1AGAIN', letter: 'RSN1LET' }));
    const [repeated] = await inbox(HOSPITAL);
    expect(repeated?.letters[0]?.type).toBe('XCTL02');
    const xml = (await gw.get(HOSPITAL, `/api/v1/inbox/${repeated?.id}`)).body;
    expect(xml).toContain('<RefuseCode>problem_med_modtagerID</RefuseCode>');
    expect(xml).toContain('<OriginalEnvelopeIdentifier>RSN1ENV</OriginalEnvelopeIdentifier>');
  });
});

describe('refusals leave no trace', () => {
  it.each([
    ['not well-formed', '<Emessage><Envelope></Emessage>', 400],
    ['schema-invalid', fixture('XDIS20_admission_acute.xml').toString('latin1').replace(/<CivilRegistrationNumber>[^<]*<\/CivilRegistrationNumber>/, ''), 422],
  ])('%s → %i problem+json, nothing in the inbox', async (_what, body, status) => {
    const response = await gw.post(HOSPITAL, Buffer.from(body, 'latin1'));
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json<{ errors: unknown[] }>().errors.length).toBeGreaterThan(0);
    expect(await inbox(MUNICIPALITY)).toEqual([]);
  });

  it('403 when the sender EAN is not the key owner', async () => {
    const response = await gw.post(MUNICIPALITY_2, variant('XDIS20_admission_acute.xml', { envelope: 'SPOOF1', letter: 'SPOOF1' }));
    expect(response.statusCode).toBe(403);
  });

  it('422 when the receiver does not accept the type', async () => {
    const body = variant('XDIS20_admission_acute.xml', { envelope: 'NOACC1', letter: 'NOACC1' }).toString('latin1').replace(/(<Receiver>\s*<EANIdentifier>)5790000000036/, `$1${GP}`);
    const response = await gw.post(HOSPITAL, Buffer.from(body, 'latin1'));
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ errors: [expect.objectContaining({ path: '/Emessage/NotificationOfAdmission/Receiver/EANIdentifier' })] });
  });

  it('415 for a JSON body and 401 without a key', async () => {
    expect((await gw.post(HOSPITAL, '{}', 'application/json')).statusCode).toBe(415);
    expect((await gw.request({ method: 'POST', url: '/api/v1/messages', payload: 'x', headers: { 'content-type': 'application/xml' } })).statusCode).toBe(401);
  });
});

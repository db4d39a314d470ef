/**
 * Receipts over HTTP on real PostgreSQL and Redis (`../shared/medcom.md` §3): an XCTL03/XCTL02 posted
 * as an ordinary message or on the inbox item, correlated by the original envelope and letter
 * identifiers; only the receiver of the original may answer; receipts for unknown messages; the JSON
 * answer's validation; the XCTL01 the gateway writes for a disabled receiver; receipts never ask for
 * receipts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageCodec } from '../../src/codec/decode-message.js';
import type { ParsedMessage, RefuseCode } from '../../src/domain/message.js';
import { buildReceipt } from '../../src/codec/receipt-writer.js';
import type { ReceiptKind } from '../../src/domain/catalogue.js';
import {
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  fixture,
  leaseInbox,
  renumber,
  startTestGateway,
  testConfigDir,
  viewMessage,
  type InboxItemJson,
  type TestGateway,
} from '../support/gateway.js';

const codec = new MessageCodec();
const GATEWAY_EAN = '5790000000067';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function parsed(bytes: Buffer): ParsedMessage {
  const decoded = codec.decode(bytes);
  if (!decoded.ok) throw new Error(`does not decode: ${decoded.errors[0]?.message}`);
  return decoded.message;
}

/** A MedCom receipt for `original` (as posted), written by `issuer` with the project's receipt writer. */
function receiptFor(
  original: Buffer,
  kind: ReceiptKind,
  issuer: string,
  id: string,
  options: { refuse?: { code: RefuseCode; text?: string }; receiverEan?: string } = {},
): Buffer {
  return buildReceipt({
    kind,
    issuerEan: issuer,
    envelopeIdentifier: id,
    letterIdentifier: id,
    sent: { date: '2026-11-23', time: '10:15' },
    original: { ...parsed(original), ...(options.receiverEan ? { receiverEan: options.receiverEan } : {}) },
    ...(options.refuse ? { refuse: options.refuse } : {}),
  }).bytes;
}

/** Posts `body` from `sender` and has `receiver` lease (and fetch) it; returns both ids. */
async function sendAndLease(sender: string, receiver: string, body: Buffer, fetch = true): Promise<{ messageId: string; item: InboxItemJson }> {
  const posted = await gw.post(sender, body);
  expect(posted.statusCode, posted.body).toBe(202);
  const messageId = posted.json<{ id: string }>().id;
  const items = await leaseInbox(gw, receiver, '?limit=100');
  const item = items.find((i) => i.messageId === messageId);
  expect(item).toBeDefined();
  if (fetch) await fetchItems(gw, receiver, items);
  return { messageId, item: item as InboxItemJson };
}

/** Everything in `ean`'s inbox now, fetched: items with their bytes. */
async function drain(ean: string): Promise<{ item: InboxItemJson; bytes: Buffer }[]> {
  const items = await leaseInbox(gw, ean, '?limit=100');
  const fetched = await fetchItems(gw, ean, items);
  return items.map((item, i) => ({ item, bytes: (fetched[i] as (typeof fetched)[number]).rawPayload }));
}

function postXmlReceipt(ean: string, deliveryId: string, body: Buffer, contentType = 'application/xml') {
  return gw.request({ method: 'POST', url: `/api/v1/inbox/${deliveryId}/receipt`, headers: { authorization: `Bearer demo-${ean}`, 'content-type': contentType }, payload: body });
}

describe('a receipt posted as an ordinary message (POST /api/v1/messages)', () => {
  it('an XCTL03 written with buildReceipt is correlated with the original, and reaches the original sender byte for byte', async () => {
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP1ENV', letter: 'RCP1LET' });
    const { messageId } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);

    const receipt = receiptFor(original, 'positive', MUNICIPALITY, 'RCP1ACK');
    const posted = await gw.post(MUNICIPALITY, receipt);
    expect(posted.statusCode, posted.body).toBe(202);
    const acceptance = posted.json<{ id: string; letters: unknown[] }>();
    expect(acceptance.letters).toEqual([{ letterId: 'RCP1ACK', type: 'XCTL03', receiver: HOSPITAL, copies: [] }]);

    const view = await viewMessage(gw, HOSPITAL, messageId);
    expect(view.deliveries).toMatchObject([{ receiver: MUNICIPALITY, state: 'acknowledged', receipt: { kind: 'positive', messageId: acceptance.id } }]);
    expect(view.timeline.find((e) => e.kind === 'receipted')?.detail).toMatchObject({ kind: 'positive', receiptMessageId: acceptance.id });

    const inbox = await drain(HOSPITAL);
    expect(inbox.map(({ item }) => [item.messageId, item.letters[0]?.type, item.sender])).toEqual([[acceptance.id, 'XCTL03', MUNICIPALITY]]);
    expect(inbox[0]?.bytes.equals(receipt)).toBe(true);
    expect(inbox[0]?.item.sha256).toBe(sha256(receipt));
  });

  it('the same receipt again is a harmless duplicate; a different answer in a new envelope is refused (409)', async () => {
    const original = renumber('XDIS17_discharge_home.xml', { envelope: 'RCP2ENV', letter: 'RCP2LET' });
    const { messageId } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    const receipt = receiptFor(original, 'positive', MUNICIPALITY, 'RCP2ACK');
    const first = (await gw.post(MUNICIPALITY, receipt)).json<{ id: string }>();
    const again = await gw.post(MUNICIPALITY, receipt);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.id, duplicate: true });

    const conflicting = await gw.post(MUNICIPALITY, receiptFor(original, 'negative', MUNICIPALITY, 'RCP2NAK', { refuse: { code: 'syntaksfejl' } }));
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.headers['content-type']).toMatch(/application\/problem\+json/);

    expect((await drain(HOSPITAL)).map(({ item }) => item.messageId)).toEqual([first.id]);
    expect((await viewMessage(gw, HOSPITAL, messageId)).deliveries).toMatchObject([{ state: 'acknowledged', receipt: { kind: 'positive' } }]);
  });

  it('the project fixtures tell the story: XDIS20_admission_acute answered by XCTL03_positive_receipt as they are', async () => {
    const original = fixture('XDIS20_admission_acute.xml');
    const { messageId } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    const posted = await gw.post(MUNICIPALITY, fixture('XCTL03_positive_receipt.xml'));
    expect(posted.statusCode, posted.body).toBe(202);
    expect((await viewMessage(gw, MUNICIPALITY, messageId)).deliveries).toMatchObject([{ state: 'acknowledged' }]);
    const inbox = await drain(HOSPITAL);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.bytes.equals(fixture('XCTL03_positive_receipt.xml'))).toBe(true);
  });

  it('a receipt from someone who was not the receiver → 422 unknown-original, as for a message never carried, and nothing is recorded or delivered', async () => {
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP3ENV', letter: 'RCP3LET' });
    const { messageId } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    for (const receipt of [
      receiptFor(original, 'positive', MUNICIPALITY_2, 'RCP3ACK'), // quoting the true receiver
      receiptFor(original, 'negative', MUNICIPALITY_2, 'RCP3NAK', { receiverEan: MUNICIPALITY_2, refuse: { code: 'ikke_specificeret' } }), // claiming to be it
    ]) {
      const response = await gw.post(MUNICIPALITY_2, receipt);
      expect(response.statusCode, response.body).toBe(422);
      expect(response.json()).toMatchObject({ type: expect.stringMatching(/unknown-original$/) });
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(await drain(HOSPITAL)).toEqual([]);
    const view = await viewMessage(gw, HOSPITAL, messageId);
    expect(view.deliveries).toMatchObject([{ receiver: MUNICIPALITY, state: 'delivered', receipt: null }]);
    expect(view.timeline.map((e) => e.kind)).not.toContain('receipted');
  });

  it('a receipt for an envelope the gateway never carried → 422 naming OriginalEnvelopeIdentifier', async () => {
    const neverSent = renumber('XDIS20_admission_acute.xml', { envelope: 'RCPNEVER', letter: 'RCPNEVERL' });
    for (const receipt of [receiptFor(neverSent, 'positive', MUNICIPALITY, 'RCP4ACK'), receiptFor(neverSent, 'negative', MUNICIPALITY, 'RCP4NAK', { refuse: { code: 'syntaksfejl' } })]) {
      const response = await gw.post(MUNICIPALITY, receipt);
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ errors: [{ path: expect.stringMatching(/\/OriginalEmessage\/OriginalEnvelopeIdentifier$/) }] });
    }
    expect(await drain(HOSPITAL)).toEqual([]);
  });

  it('receipts never ask for receipts: an XCTL03 that says pluspositivkvitt is not watched for a receipt of its own', async () => {
    // BUG (src/app/accept-message.ts, ackRequested): a receipt posted with pluspositivkvitt arms the
    // receipt watchdog on the original sender's side, which would re-offer the receipt and end as
    // "unacknowledged" — MedCom never answers a receipt with a receipt.
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP5ENV', letter: 'RCP5LET' });
    await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    const receipt = Buffer.from(
      receiptFor(original, 'positive', MUNICIPALITY, 'RCP5ACK').toString('utf8').replace('<AcknowledgementCode>minuspositivkvitt<', '<AcknowledgementCode>pluspositivkvitt<'),
    );
    const posted = await gw.post(MUNICIPALITY, receipt);
    expect(posted.statusCode, posted.body).toBe(202);
    const receiptId = posted.json<{ id: string }>().id;
    const inbox = await drain(HOSPITAL);
    expect(inbox.map(({ item }) => item.messageId)).toEqual([receiptId]);
    const view = await viewMessage(gw, HOSPITAL, receiptId);
    expect({ ackRequested: view.ackRequested, receiptDueAt: view.deliveries[0]?.receiptDueAt }).toEqual({ ackRequested: false, receiptDueAt: null });
  });
});

describe('a receipt posted on the inbox item (POST /api/v1/inbox/{id}/receipt as XML)', () => {
  it('the fixture XCTL02 (letter-level refusal) answers the fixture XDIS17 it quotes; the sender gets those bytes', async () => {
    const original = fixture('XDIS17_iso-8859-1.xml');
    const { messageId, item } = await sendAndLease(HOSPITAL_2, MUNICIPALITY_2, original);
    const receipt = fixture('XCTL02_negative_receipt.xml');
    const answered = await postXmlReceipt(MUNICIPALITY_2, item.id, receipt);
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.json()).toMatchObject({ deliveryId: item.id, messageId, receipt: 'negative', repeated: false });

    const view = await viewMessage(gw, HOSPITAL_2, messageId);
    expect(view.deliveries).toMatchObject([{ state: 'rejected', receipt: { kind: 'negative', refuseCode: 'problem_med_modtagerID' } }]);
    const inbox = await drain(HOSPITAL_2);
    expect(inbox.map(({ item: i }) => [i.letters[0]?.type, i.sender])).toEqual([['XCTL02', MUNICIPALITY_2]]);
    expect(inbox[0]?.bytes.equals(receipt)).toBe(true);

    // The other answer afterwards: 409, by JSON and by XML alike.
    expect((await gw.answer(MUNICIPALITY_2, item.id, { status: 'positive' })).statusCode).toBe(409);
    expect((await postXmlReceipt(MUNICIPALITY_2, item.id, receiptFor(original, 'positive', MUNICIPALITY_2, 'RCP6ACK'))).statusCode).toBe(409);
  });

  it('the same XML receipt twice is harmless (repeated: true, one receipt to the sender)', async () => {
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP7ENV', letter: 'RCP7LET' });
    const { item } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    const receipt = receiptFor(original, 'positive', MUNICIPALITY, 'RCP7ACK');
    expect((await postXmlReceipt(MUNICIPALITY, item.id, receipt, 'text/xml; charset=utf-8')).json()).toMatchObject({ receipt: 'positive', repeated: false });
    const again = await postXmlReceipt(MUNICIPALITY, item.id, receipt);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ receipt: 'positive', repeated: true });
    expect(await drain(HOSPITAL)).toHaveLength(1);
  });

  it('the same answer again in a new envelope (a resent receipt) says repeated: true', async () => {
    // BUG (src/app/inbox.ts answerWithXml): `repeated` is taken from the envelope duplicate check only,
    // so a resent receipt with the same content in a new envelope answers repeated: false although the
    // delivery's timeline records `receipt-repeated`.
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP8ENV', letter: 'RCP8LET' });
    const { messageId, item } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    await postXmlReceipt(MUNICIPALITY, item.id, receiptFor(original, 'positive', MUNICIPALITY, 'RCP8ACK'));
    const resent = await postXmlReceipt(MUNICIPALITY, item.id, receiptFor(original, 'positive', MUNICIPALITY, 'RCP8ACK2'));
    expect(resent.statusCode).toBe(200);
    await drain(HOSPITAL);
    expect((await viewMessage(gw, HOSPITAL, messageId)).timeline.map((e) => e.kind)).toContain('receipt-repeated');
    expect(resent.json()).toMatchObject({ receipt: 'positive', repeated: true });
  });

  it('an XML receipt quoting another message → 422; a message that is not a receipt → 422; someone else\'s item → 404', async () => {
    const original = renumber('XDIS20_admission_acute.xml', { envelope: 'RCP9ENV', letter: 'RCP9LET' });
    const other = renumber('XDIS17_discharge_home.xml', { envelope: 'RCP9OTH', letter: 'RCP9OTHL' });
    const { item } = await sendAndLease(HOSPITAL, MUNICIPALITY, original);
    await sendAndLease(HOSPITAL, MUNICIPALITY, other);

    const mismatch = await postXmlReceipt(MUNICIPALITY, item.id, receiptFor(other, 'positive', MUNICIPALITY, 'RCP9ACK'));
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.headers['content-type']).toMatch(/application\/problem\+json/);
    const notAReceipt = await postXmlReceipt(MUNICIPALITY, item.id, renumber('XDIS91_clinical_email.xml', { envelope: 'RCP9MAIL', letter: 'RCP9MAILL' }));
    expect(notAReceipt.statusCode).toBe(422);
    const foreign = await postXmlReceipt(MUNICIPALITY_2, item.id, receiptFor(original, 'positive', MUNICIPALITY_2, 'RCP9FOR'));
    expect(foreign.statusCode).toBe(404);

    expect(await drain(HOSPITAL)).toEqual([]);
    expect((await leaseInbox(gw, MUNICIPALITY)).map((i) => i.letters[0]?.type)).toEqual([]); // the XDIS91 was not delivered either
  });
});

describe('the JSON answer is validated', () => {
  let item: InboxItemJson;
  let messageId: string;

  beforeAll(async () => {
    ({ item, messageId } = await sendAndLease(HOSPITAL, MUNICIPALITY, renumber('XDIS20_admission_acute.xml', { envelope: 'JSONENV', letter: 'JSONLET' })));
  });

  it.each([
    { what: 'an unknown status', answer: { status: 'maybe' }, status: 400, path: '/body/status' },
    { what: 'no status', answer: { refuseCode: 'syntaksfejl' }, status: 400, path: '/body/status' },
    { what: 'status of the wrong type', answer: { status: true }, status: 400, path: '/body/status' },
    // Fastify coerces scalars in bodies as in query strings: 3 is read as "3", which is no refuse code.
    { what: 'a refuseCode that is not text', answer: { status: 'negative', refuseCode: 3 }, status: 422, path: '/body/refuseCode' },
    { what: 'a refuseCode that is an object', answer: { status: 'negative', refuseCode: { code: 'syntaksfejl' } }, status: 400, path: '/body/refuseCode' },
    { what: 'a text longer than 350 characters', answer: { status: 'negative', text: 'x'.repeat(351) }, status: 400, path: '/body/text' },
    { what: 'a field a receipt does not have', answer: { status: 'positive', reason: 'ok' }, status: 400, path: '/body/reason' },
    { what: 'an unknown refuseCode', answer: { status: 'negative', refuseCode: 'ukendt_modtager' }, status: 422, path: '/body/refuseCode' },
    { what: 'a positive receipt with a refuseCode', answer: { status: 'positive', refuseCode: 'syntaksfejl' }, status: 422, path: '/body/refuseCode' },
    { what: 'a positive receipt with a text', answer: { status: 'positive', text: 'fint' }, status: 422, path: '/body/text' },
    { what: 'a text with a NUL character', answer: { status: 'negative', text: 'fejl\u0000' }, status: 400, path: '/body/text' },
    { what: 'a text with an unpaired surrogate', answer: { status: 'negative', text: 'fejl \ud800' }, status: 400, path: '/body/text' },
  ])('$what → $status problem+json with errors naming $path', async ({ answer, status, path }) => {
    const response = await gw.answer(MUNICIPALITY, item.id, answer);
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    const problem = response.json<{ type: string; title: string; status: number; detail: string; errors?: { path: string; message: string }[] }>();
    expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(problem.errors?.map((e) => e.path) ?? []).toContain(path);
  });

  it('malformed JSON → 400, another media type → 415', async () => {
    const malformed = await gw.request({
      method: 'POST',
      url: `/api/v1/inbox/${item.id}/receipt`,
      headers: { authorization: `Bearer demo-${MUNICIPALITY}`, 'content-type': 'application/json' },
      payload: '{"status": "positive"',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/application\/problem\+json/);
    const plain = await gw.request({
      method: 'POST',
      url: `/api/v1/inbox/${item.id}/receipt`,
      headers: { authorization: `Bearer demo-${MUNICIPALITY}`, 'content-type': 'text/plain' },
      payload: 'positive',
    });
    expect(plain.statusCode).toBe(415);
  });

  it('none of the refused answers left a trace; a valid answer still works', async () => {
    expect(await drain(HOSPITAL)).toEqual([]);
    const before = await viewMessage(gw, HOSPITAL, messageId);
    expect(before.deliveries).toMatchObject([{ state: 'delivered', receipt: null }]);
    const answered = await gw.answer(MUNICIPALITY, item.id, { status: 'negative', refuseCode: 'syntaksfejl', text: 'Ugyldig dato i <Admission> & mere' });
    expect(answered.statusCode, answered.body).toBe(200);
    const inbox = await drain(HOSPITAL);
    expect(inbox).toHaveLength(1);
    const receipt = parsed(inbox[0]?.bytes as Buffer).letters[0]?.body.receipt;
    expect(receipt).toMatchObject({ kind: 'negative', refuseCode: 'syntaksfejl', refuseText: 'Ugyldig dato i <Admission> & mere', originalEnvelopeIdentifier: 'JSONENV' });
  });
});

describe('a disabled receiver: the message is accepted and the sender gets an XCTL01 (ukendt_lokationsnummer)', () => {
  let disabledGw: TestGateway;
  let config: ReturnType<typeof testConfigDir>;

  beforeAll(async () => {
    config = testConfigDir((c) => {
      for (const endpoint of c.endpoints) if (endpoint.ean === MUNICIPALITY || endpoint.ean === GP) endpoint.enabled = false;
    });
    disabledGw = await startTestGateway({ env: { MEDCOM_CONFIG_DIR: config.dir } });
  });

  afterAll(async () => {
    await disabledGw?.close();
    config?.remove();
  });

  async function xctl01sIn(ean: string) {
    const items = await leaseInbox(disabledGw, ean, '?limit=100');
    const fetched = await fetchItems(disabledGw, ean, items);
    return items.map((item, i) => ({ item, message: parsed((fetched[i] as (typeof fetched)[number]).rawPayload) }));
  }

  it('the only receiver disabled: no delivery, receiver-disabled on the timeline, an XCTL01 from the gateway quoting envelope and letter', async () => {
    const body = renumber('XDIS20_admission_acute.xml', { envelope: 'DISENV1', letter: 'DISLET1' });
    const posted = await disabledGw.post(HOSPITAL, body);
    expect(posted.statusCode, posted.body).toBe(202);
    const id = posted.json<{ id: string }>().id;

    expect(await leaseInbox(disabledGw, MUNICIPALITY)).toEqual([]);
    const view = await viewMessage(disabledGw, HOSPITAL, id);
    expect(view.deliveries).toEqual([]);
    expect(view.timeline.map((e) => e.kind)).toEqual(['accepted', 'receiver-disabled', 'receipt-sent']);
    expect(view.timeline.find((e) => e.kind === 'receiver-disabled')?.detail).toMatchObject({ receiverEan: MUNICIPALITY });

    const received = await xctl01sIn(HOSPITAL);
    expect(received).toHaveLength(1);
    const { item, message } = received[0] as (typeof received)[number];
    expect(item).toMatchObject({ sender: GATEWAY_EAN, letters: [{ type: 'XCTL01' }], ackRequested: false });
    expect(message.envelope.acknowledgementCode).toBe('minuspositivkvitt');
    expect(message.letters[0]?.sender.ean).toBe(GATEWAY_EAN);
    expect(message.letters[0]?.receiver.ean).toBe(HOSPITAL);
    expect(message.letters[0]?.body.receipt).toMatchObject({
      kind: 'negative-vans',
      originalEnvelopeIdentifier: 'DISENV1',
      originalSender: HOSPITAL,
      originalReceiver: MUNICIPALITY,
      refuseCode: 'ukendt_lokationsnummer',
      originalLetters: [{ letterIdentifier: 'DISLET1', versionCode: 'XD2030C' }],
    });
    expect((await viewMessage(disabledGw, HOSPITAL, item.messageId)).sender).toBe(GATEWAY_EAN);
  });

  it('a disabled copy receiver: the receiver gets the message, the sender an XCTL01 naming the copy receiver', async () => {
    const body = renumber('GGOP_rehabilitation_plan.xml', { envelope: 'DISENV2', letter: 'DISLET2' });
    const posted = await disabledGw.post(HOSPITAL_2, body);
    expect(posted.statusCode, posted.body).toBe(202);
    const id = posted.json<{ id: string }>().id;
    const items = await leaseInbox(disabledGw, MUNICIPALITY_2);
    expect(items.map((i) => i.messageId)).toEqual([id]);
    await fetchItems(disabledGw, MUNICIPALITY_2, items);
    expect(await leaseInbox(disabledGw, GP)).toEqual([]);
    expect((await viewMessage(disabledGw, HOSPITAL_2, id)).deliveries.map((d) => [d.receiver, d.role])).toEqual([[MUNICIPALITY_2, 'receiver']]);

    const received = await xctl01sIn(HOSPITAL_2);
    expect(received.map(({ message }) => message.letters[0]?.body.receipt)).toMatchObject([
      { kind: 'negative-vans', originalEnvelopeIdentifier: 'DISENV2', originalReceiver: GP, refuseCode: 'ukendt_lokationsnummer' },
    ]);
  });
});

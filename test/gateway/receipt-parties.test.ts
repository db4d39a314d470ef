/**
 * Who a receipt may answer and whom it goes to: a stranger quoting another party's real envelope is
 * answered exactly as for an envelope that never existed (nothing tells it the message exists), and a
 * receipt addressed to anyone but the original sender is refused naming the sender, who always gets it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type TestGateway,
} from '../support/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

/** XCTL03_positive_receipt.xml (Demo Kommune Nord answering RHD2603090001) with its identifiers and parties changed. */
function positiveReceipt(ids: { envelope: string; originalEnvelope: string; originalLetter: string; issuer?: string; receiver?: string }): Buffer {
  let text = renumber('XCTL03_positive_receipt.xml', { envelope: ids.envelope, letter: ids.envelope }).toString('utf8');
  text = text.replace(/<OriginalEnvelopeIdentifier>[^<]*</, `<OriginalEnvelopeIdentifier>${ids.originalEnvelope}<`);
  text = text.replace(/<OriginalLetterIdentifier>[^<]*</, `<OriginalLetterIdentifier>${ids.originalLetter}<`);
  const issuer = ids.issuer ?? MUNICIPALITY;
  text = text.replace(/(<Sender>\s*<EANIdentifier>)[0-9]+/, `$1${issuer}`).replace(/(<OriginalReceiver>\s*<EANIdentifier>)[0-9]+/, `$1${issuer}`);
  if (ids.receiver) text = text.replace(/(<Receiver>\s*<EANIdentifier>)[0-9]+/, `$1${ids.receiver}`);
  return Buffer.from(text, 'utf8');
}

/** Sends XDIS20_admission_acute.xml from the hospital to MUNICIPALITY, which leases and fetches it. */
async function sendAdmission(envelope: string): Promise<string> {
  const posted = await gw.post(HOSPITAL, renumber('XDIS20_admission_acute.xml', { envelope, letter: `${envelope}L` }));
  expect(posted.statusCode, posted.body).toBe(202);
  await fetchItems(gw, MUNICIPALITY, await leaseInbox(gw, MUNICIPALITY, '?limit=100'));
  return posted.json<{ id: string }>().id;
}

async function rowCounts(): Promise<string> {
  const { rows } = await gw.db.query<{ n: string }>('SELECT (SELECT count(*) FROM messages) || \'/\' || (SELECT count(*) FROM deliveries) || \'/\' || (SELECT count(*) FROM events) AS n');
  return rows[0]?.n ?? '';
}

describe('a stranger learns nothing from a receipt', () => {
  it('answers a receipt quoting another party\'s real envelope exactly as one quoting an unknown envelope', async () => {
    await sendAdmission('PARTY8ENV');
    const before = await rowCounts();
    // MUNICIPALITY_2 never received PARTY8ENV; NOSUCHENV was never sent at all.
    const real = await gw.post(MUNICIPALITY_2, positiveReceipt({ envelope: 'PARTY8R1', originalEnvelope: 'PARTY8ENV', originalLetter: 'PARTY8ENVL', issuer: MUNICIPALITY_2 }));
    const unknown = await gw.post(MUNICIPALITY_2, positiveReceipt({ envelope: 'PARTY8R2', originalEnvelope: 'NOSUCHENV', originalLetter: 'NOSUCHENVL', issuer: MUNICIPALITY_2 }));
    expect(real.statusCode).toBe(unknown.statusCode);
    expect(real.statusCode).toBe(422);
    const problemOf = (body: string) => {
      const { type, title, detail, errors } = JSON.parse(body) as Record<string, unknown>;
      return { type, title, detail, errors };
    };
    expect(problemOf(real.body)).toEqual(problemOf(unknown.body));
    expect(await rowCounts()).toBe(before);
  });
});

describe('a receipt goes back to the original sender', () => {
  it('refuses a receipt addressed to a third party with 422 naming the original sender; the original stays unanswered', async () => {
    const messageId = await sendAdmission('PARTY2ENV');
    const before = await rowCounts();
    const misaddressed = await gw.post(MUNICIPALITY, positiveReceipt({ envelope: 'PARTY2R1', originalEnvelope: 'PARTY2ENV', originalLetter: 'PARTY2ENVL', receiver: HOSPITAL_2 }));
    expect(misaddressed.statusCode, misaddressed.body).toBe(422);
    expect(misaddressed.json()).toMatchObject({
      type: expect.stringMatching(/receipt-misaddressed$/),
      detail: expect.stringContaining(HOSPITAL),
      errors: [{ path: '/Emessage/PositiveReceipt/Receiver/EANIdentifier' }],
    });
    expect(await rowCounts()).toBe(before);
    expect(await leaseInbox(gw, HOSPITAL_2, '?limit=100')).toEqual([]);
    const view = await viewMessage(gw, HOSPITAL, messageId);
    expect(view.deliveries).toMatchObject([{ receiver: MUNICIPALITY, receipt: null }]);

    // Addressed properly, the same answer is taken and reaches the original sender.
    const proper = await gw.post(MUNICIPALITY, positiveReceipt({ envelope: 'PARTY2R2', originalEnvelope: 'PARTY2ENV', originalLetter: 'PARTY2ENVL' }));
    expect(proper.statusCode, proper.body).toBe(202);
    const inbox = await leaseInbox(gw, HOSPITAL, '?limit=100');
    expect(inbox.map((item) => [item.sender, item.letters[0]?.type])).toEqual([[MUNICIPALITY, 'XCTL03']]);
    expect((await viewMessage(gw, HOSPITAL, messageId)).deliveries).toMatchObject([{ receiver: MUNICIPALITY, receipt: { kind: 'positive' } }]);
  });
});

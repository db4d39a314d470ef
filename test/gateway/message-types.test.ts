/**
 * Every message type of the catalogue that has a fixture, end to end over HTTP on real PostgreSQL and
 * Redis: the fixture's own sender posts it, the receiver leases it, fetches it byte for byte (bytes,
 * Content-Type and ETag), answers it (positive and negative by turns), and the original sender finds
 * the XCTL03/XCTL02 in its own inbox quoting the original envelope and letter identifiers. Both
 * directions (hospital → municipality and municipality → hospital), copies to the GP (role `cc`, with
 * their own delivery and receipt) and Emessages with several letters.
 *
 * Two gateways: the demo network as it is (`config/endpoints.json`), and a "wide" network in which the
 * GP also accepts XDIS18 and XDIS19 and Regionshospitalet also accepts XDIS90. With the demo network
 * the fixtures whose CCReceiver is the GP (XDIS18_report_of_discharge, XDIS18_large_report,
 * XDIS19_warning_of_discharge) are refused as a whole (the GP does not accept those types), and XDIS90
 * is not routable at all (no demo endpoint accepts it); the wide network carries them.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageCodec } from '../../src/codec/decode-message.js';
import type { Letter, RefuseCode } from '../../src/domain/message.js';
import {
  GP,
  HOSPITAL,
  HOSPITAL_2,
  MUNICIPALITY,
  MUNICIPALITY_2,
  fetchItems,
  leaseInbox,
  renumber,
  senderEanOf,
  startTestGateway,
  testConfigDir,
  viewMessage,
  type TestGateway,
} from '../support/gateway.js';

const codec = new MessageCodec();

let demo: TestGateway;
let wide: TestGateway;
let wideConfig: ReturnType<typeof testConfigDir>;

beforeAll(async () => {
  wideConfig = testConfigDir((config) => {
    for (const endpoint of config.endpoints) {
      if (endpoint.ean === GP) endpoint.accepts.push('XDIS18', 'XDIS19');
      if (endpoint.ean === HOSPITAL) endpoint.accepts.push('XDIS90');
    }
  });
  [demo, wide] = await Promise.all([startTestGateway(), startTestGateway({ env: { MEDCOM_CONFIG_DIR: wideConfig.dir } })]);
});

afterAll(async () => {
  await Promise.all([demo?.close(), wide?.close()]);
  wideConfig?.remove();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let counter = 0;
/** Fresh identifiers for each message (MedCom's duplicate key is sender + envelope / letter id). */
function ids(): { envelope: string; letter: string } {
  counter += 1;
  return { envelope: `MTE${String(counter).padStart(4, '0')}`, letter: `MTL${String(counter).padStart(4, '0')}` };
}

type Answer = { status: 'positive' } | { status: 'negative'; refuseCode?: RefuseCode; text?: string };

interface Party {
  readonly ean: string;
  readonly role: 'receiver' | 'cc';
  readonly answer: Answer;
}

interface Flow {
  readonly gateway: () => TestGateway;
  readonly body: Buffer;
  readonly contentType?: string;
  /** The letter types in order, as the acceptance lists them. */
  readonly types: readonly string[];
  readonly receiver: Party;
  readonly copies?: readonly Party[];
}

/** The message as the codec reads it (identifiers and VersionCodes the receipt must quote). */
function parse(body: Buffer, contentType: string): { envelopeId: string; letters: readonly Letter[] } {
  const charset = /charset=([^;\s]+)/i.exec(contentType)?.[1];
  const decoded = codec.decode(body, charset ? { charset } : {});
  if (!decoded.ok) throw new Error(`the test message does not decode: ${decoded.errors[0]?.message}`);
  return { envelopeId: decoded.message.envelope.identifier, letters: decoded.message.letters };
}

/**
 * Takes everything waiting in `ean`'s inbox, fetches all of it, and returns the decoded receipts
 * that answer `envelopeId` (with their inbox items).
 */
async function receiptsFor(gw: TestGateway, ean: string, envelopeId: string) {
  const items = await leaseInbox(gw, ean, '?limit=100');
  const fetched = await fetchItems(gw, ean, items);
  return items
    .map((item, i) => {
      const bytes = (fetched[i] as (typeof fetched)[number]).rawPayload;
      const decoded = codec.decode(bytes);
      if (!decoded.ok) throw new Error(`a receipt in ${ean}'s inbox does not decode: ${decoded.errors[0]?.message}`);
      return { item, bytes, message: decoded.message };
    })
    .filter(({ message }) => message.letters.some((l) => l.body.receipt?.originalEnvelopeIdentifier === envelopeId));
}

/** The whole flow for one message; returns the acceptance id. */
async function roundTrip(flow: Flow): Promise<string> {
  const gw = flow.gateway();
  const contentType = flow.contentType ?? 'application/xml';
  const sender = senderEanOf(flow.body);
  const { envelopeId, letters } = parse(flow.body, contentType);
  const copies = (flow.copies ?? []).map((c) => c.ean);

  const posted = await gw.post(sender, flow.body, contentType);
  expect(posted.statusCode, posted.body).toBe(202);
  const acceptance = posted.json<{ id: string; envelopeId: string; status: string; letters: { letterId: string; type: string; receiver: string; copies: string[] }[] }>();
  expect(acceptance).toMatchObject({ envelopeId, status: 'accepted' });
  expect(acceptance.letters).toEqual(
    letters.map((l, i) => ({ letterId: l.identifier, type: flow.types[i], receiver: flow.receiver.ean, copies })),
  );

  for (const party of [flow.receiver, ...(flow.copies ?? [])]) {
    // The party leases, finds the message once, and fetches the exact bytes.
    const items = await leaseInbox(gw, party.ean, '?limit=100');
    const mine = items.filter((i) => i.messageId === acceptance.id);
    expect(mine).toHaveLength(1);
    const item = mine[0] as (typeof mine)[number];
    expect(item).toMatchObject({
      envelopeId,
      sender,
      role: party.role,
      contentType,
      sha256: sha256(flow.body),
      ackRequested: /AcknowledgementCode>pluspositivkvitt</.test(flow.body.toString('latin1')),
      letters: letters.map((l, i) => ({ letterId: l.identifier, type: flow.types[i] })),
    });
    const fetched = (await fetchItems(gw, party.ean, items))[items.indexOf(item)] as Awaited<ReturnType<typeof fetchItems>>[number];
    expect(fetched.rawPayload.equals(flow.body)).toBe(true);
    expect(fetched.headers['content-type']).toBe(contentType);
    expect(fetched.headers.etag).toBe(`"${sha256(flow.body)}"`);
    expect(sha256(fetched.rawPayload)).toBe(sha256(flow.body));

    // The party answers; the gateway writes the MedCom receipt on its behalf.
    const answered = await gw.answer(party.ean, item.id, party.answer);
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.json()).toMatchObject({ deliveryId: item.id, messageId: acceptance.id, receipt: party.answer.status, repeated: false });

    // The original sender finds exactly one receipt from this party, quoting envelope and letters.
    const receipts = (await receiptsFor(gw, sender, envelopeId)).filter(({ message }) => message.letters[0]?.sender.ean === party.ean);
    expect(receipts).toHaveLength(1);
    const { item: receiptItem, message: receipt } = receipts[0] as (typeof receipts)[number];
    const expectedType = party.answer.status === 'positive' ? 'XCTL03' : 'XCTL02';
    expect(receiptItem).toMatchObject({ sender: party.ean, role: 'receiver', letters: [{ type: expectedType }], ackRequested: false });
    expect(receipt.envelope.acknowledgementCode).toBe('minuspositivkvitt');
    const receiptLetter = receipt.letters[0] as Letter;
    expect(receiptLetter.type).toBe(expectedType);
    expect(receiptLetter.receiver.ean).toBe(sender);
    expect(receiptLetter.body.receipt).toMatchObject({
      kind: party.answer.status,
      originalEnvelopeIdentifier: envelopeId,
      originalSender: sender,
      originalReceiver: party.ean,
    });
    expect(receiptLetter.body.receipt?.originalLetters.map((l) => [l.letterIdentifier, l.versionCode])).toEqual(letters.map((l) => [l.identifier, l.versionCode]));
    if (party.answer.status === 'negative') {
      const refuseCode = receiptLetter.body.receipt?.refuseCode ?? receiptLetter.body.receipt?.originalLetters[0]?.refuseCode;
      expect(refuseCode).toBe(party.answer.refuseCode ?? 'ikke_specificeret');
      if (party.answer.text) {
        // A line break becomes MedCom's <Break/>; the codec reads RefuseText without markup.
        const refuseText = receiptLetter.body.receipt?.refuseText ?? receiptLetter.body.receipt?.originalLetters[0]?.refuseText;
        expect(refuseText).toBe(party.answer.text.replace(/\n/g, ''));
        expect(receipts[0]?.bytes.toString('utf8')).toContain(`<RefuseText>${party.answer.text.replace(/\n/g, '<Break/>')}</RefuseText>`);
      }
    }
    // The receipt is a message of its own, visible to the original sender.
    expect((await viewMessage(gw, sender, receiptItem.messageId)).origin).toBe('gateway');
  }

  // Status per receiver and the timeline, as the sender sees them.
  const view = await viewMessage(gw, sender, acceptance.id);
  const parties = [flow.receiver, ...(flow.copies ?? [])];
  expect(view.deliveries.map((d) => ({ receiver: d.receiver, role: d.role, state: d.state, receipt: d.receipt?.kind })).sort((a, b) => a.receiver.localeCompare(b.receiver))).toEqual(
    parties
      .map((p) => ({ receiver: p.ean, role: p.role, state: p.answer.status === 'positive' ? 'acknowledged' : 'rejected', receipt: p.answer.status }))
      .sort((a, b) => a.receiver.localeCompare(b.receiver)),
  );
  for (const delivery of view.deliveries) {
    expect(view.timeline.filter((e) => e.deliveryId === delivery.id).map((e) => e.kind)).toEqual(['leased', 'fetched', 'receipted']);
  }
  expect(view.timeline.map((e) => e.kind).filter((k) => k === 'accepted' || k === 'receipt-sent')).toEqual(['accepted', ...parties.map(() => 'receipt-sent')]);
  return acceptance.id;
}

const positive: Answer = { status: 'positive' };
const negative = (refuseCode?: RefuseCode, text?: string): Answer => ({ status: 'negative', ...(refuseCode ? { refuseCode } : {}), ...(text ? { text } : {}) });
const to = (ean: string, answer: Answer): Party => ({ ean, role: 'receiver', answer });
const copyTo = (ean: string, answer: Answer): Party => ({ ean, role: 'cc', answer });
const withoutCopies = (body: Buffer): Buffer => Buffer.from(body.toString('latin1').replace(/\s*<CCReceiver>[\s\S]*?<\/CCReceiver>/g, ''), 'latin1');

describe('hospital → municipality, every type (demo network)', () => {
  it('XDIS20 NotificationOfAdmission XD2030C (UTF-8), answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS20_admission_acute.xml', ids()), types: ['XDIS20'], receiver: to(MUNICIPALITY, positive) });
  });

  it('XDIS20 in windows-1252 with the charset on Content-Type, answered negative', async () => {
    await roundTrip({
      gateway: () => demo,
      body: renumber('XDIS20_windows-1252.xml', ids()),
      contentType: 'application/xml; charset=windows-1252',
      types: ['XDIS20'],
      receiver: to(MUNICIPALITY_2, negative('problem_med_modtagerID', 'Borgeren bor ikke i kommunen – send til Ærø')),
    });
  });

  it('XDIS17 NotificationOfDischarge XD1730C, answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS17_discharge_home.xml', ids()), types: ['XDIS17'], receiver: to(MUNICIPALITY, positive) });
  });

  it('XDIS17 in ISO-8859-1 as text/xml, answered negative without a refuse code (ikke_specificeret)', async () => {
    await roundTrip({
      gateway: () => demo,
      body: renumber('XDIS17_iso-8859-1.xml', ids()),
      contentType: 'text/xml; charset=ISO-8859-1',
      types: ['XDIS17'],
      receiver: to(MUNICIPALITY_2, negative()),
    });
  });

  it('XDIS18 ReportOfDischarge XD1830C (its CCReceiver left out), answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: withoutCopies(renumber('XDIS18_report_of_discharge.xml', ids())), types: ['XDIS18'], receiver: to(MUNICIPALITY, positive) });
  });

  it('XDIS18 ReportOfDischarge XD1834C (municipality generation), answered negative', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS18_XD1834C_municipality.xml', ids()), types: ['XDIS18'], receiver: to(MUNICIPALITY, negative('problem_med_version')) });
  });

  it('XDIS19 WarningOfDischarge XD1930C with the gateway extension, answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS19_gateway_extension.xml', ids()), types: ['XDIS19'], receiver: to(MUNICIPALITY_2, positive) });
  });

  it('XDIS19 WarningOfDischarge (its CCReceiver left out), answered negative', async () => {
    await roundTrip({ gateway: () => demo, body: withoutCopies(renumber('XDIS19_warning_of_discharge.xml', ids())), types: ['XDIS19'], receiver: to(MUNICIPALITY, negative('syntaksfejl')) });
  });

  it('XDIS21 ProgressOfCarePlan XD2134C (municipality generation, prefixed envelope), answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS21_progress_of_care_plan.xml', ids()), types: ['XDIS21'], receiver: to(MUNICIPALITY, positive) });
  });

  it('XDIS91 ClinicalEmail XD9134L, answered negative', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS91_clinical_email.xml', ids()), types: ['XDIS91'], receiver: to(MUNICIPALITY, negative('ikke_specificeret', 'Linje 1\nLinje 2')) });
  });
});

describe('municipality → hospital (demo network)', () => {
  it('XDIS14 AnswerOfAdmission XD1431C, answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS14_answer_of_admission.xml', ids()), types: ['XDIS14'], receiver: to(HOSPITAL, positive) });
  });

  it('XDIS16 ReportOfAdmission XD1630C, answered negative', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS16_report_of_admission.xml', ids()), types: ['XDIS16'], receiver: to(HOSPITAL_2, negative('problem_med_modtagerID')) });
  });

  it('XDIS91 ClinicalEmail XD9133L (2005 generation), answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS91_XD9133L_2005.xml', ids()), types: ['XDIS91'], receiver: to(HOSPITAL_2, positive) });
  });

  it('XDIS91 XD9134L in windows-1252, answered negative', async () => {
    await roundTrip({
      gateway: () => demo,
      body: renumber('XDIS91_windows-1252.xml', ids()),
      contentType: 'application/xml; charset=windows-1252',
      types: ['XDIS91'],
      receiver: to(HOSPITAL_2, negative('ikke_specificeret', 'Spørgsmål „modtaget“ – svar følger')),
    });
  });

  it('XDIS91 from the GP (UTF-8 without XML declaration) to the hospital, answered positive', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS91_utf8_no_declaration.xml', ids()), types: ['XDIS91'], receiver: to(HOSPITAL, positive) });
  });
});

describe('copies to the GP', () => {
  it('GGOP RehabilitationPlan: the GPCCReceiver (the GP by EAN) gets a delivery of its own with role cc and its own receipt', async () => {
    const id = await roundTrip({
      gateway: () => demo,
      body: renumber('GGOP_rehabilitation_plan.xml', ids()),
      types: ['GGOP'],
      receiver: to(MUNICIPALITY_2, positive),
      copies: [copyTo(GP, negative('problem_med_modtagerID'))],
    });
    const view = await viewMessage(demo, GP, id); // the copy receiver may see the message too
    expect(view.deliveries.find((d) => d.receiver === GP)).toMatchObject({ role: 'cc', state: 'rejected' });
    expect(view.deliveries.find((d) => d.receiver === MUNICIPALITY_2)).toMatchObject({ role: 'receiver', state: 'acknowledged' });
  });

  it.each([['XDIS18_report_of_discharge.xml'], ['XDIS18_large_report.xml'], ['XDIS19_warning_of_discharge.xml']])(
    'demo network: %s names the GP (by ydernummer) as CCReceiver, who does not accept the type → accepted for the municipality, the copy skipped with a warning naming the CCReceiver',
    async (name) => {
      const body = renumber(name, ids());
      const response = await demo.post(senderEanOf(body), body);
      expect(response.statusCode).toBe(202);
      const accepted = response.json<{ id: string; warnings: { path: string; message: string }[]; letters: { copies: string[] }[] }>();
      expect(accepted.warnings).toContainEqual(expect.objectContaining({ path: expect.stringMatching(/\/CCReceiver$/), message: expect.stringMatching(/no copy was delivered/) }));
      expect(accepted.letters[0]?.copies).toEqual([]);
      expect(await leaseInbox(demo, GP)).toEqual([]);
      const view = await viewMessage(demo, senderEanOf(body), accepted.id);
      expect(view.deliveries.map((d) => d.role)).toEqual(['receiver']);
      await fetchItems(demo, view.deliveries[0]?.receiver as string, await leaseInbox(demo, view.deliveries[0]?.receiver as string));
    },
  );

  it('wide network: XDIS18 XD1830C with CCReceiver by ydernummer → the GP gets a cc delivery', async () => {
    await roundTrip({
      gateway: () => wide,
      body: renumber('XDIS18_report_of_discharge.xml', ids()),
      types: ['XDIS18'],
      receiver: to(MUNICIPALITY, negative('syntaksfejl')),
      copies: [copyTo(GP, positive)],
    });
  });

  it('wide network: XDIS19 with CCReceiver by ydernummer → the GP gets a cc delivery', async () => {
    await roundTrip({
      gateway: () => wide,
      body: renumber('XDIS19_warning_of_discharge.xml', ids()),
      types: ['XDIS19'],
      receiver: to(MUNICIPALITY, positive),
      copies: [copyTo(GP, negative())],
    });
  });

  it('wide network: the 190 KB XDIS18 report with a GP copy, byte for byte to both', async () => {
    await roundTrip({
      gateway: () => wide,
      body: renumber('XDIS18_large_report.xml', ids()),
      types: ['XDIS18'],
      receiver: to(MUNICIPALITY_2, positive),
      copies: [copyTo(GP, positive)],
    });
  });
});

describe('XDIS90 AdministrativeEmail', () => {
  it('demo network: no endpoint accepts XDIS90 → 422 naming the Receiver', async () => {
    const response = await demo.post(MUNICIPALITY, renumber('XDIS90_administrative_email.xml', ids()));
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ errors: [{ path: '/Emessage/AdministrativeEmail/Receiver/EANIdentifier' }] });
  });

  it('wide network (the hospital accepts XDIS90): delivered and answered although minuspositivkvitt asks for no receipt', async () => {
    await roundTrip({ gateway: () => wide, body: renumber('XDIS90_administrative_email.xml', ids()), types: ['XDIS90'], receiver: to(HOSPITAL, negative('problem_med_version')) });
  });
});

describe('Emessages with several letters', () => {
  it('XDIS20 × 2 (two patients): one delivery with both letters; the receipt quotes both letter identifiers', async () => {
    await roundTrip({ gateway: () => demo, body: renumber('XDIS20_two_patients.xml', ids()), types: ['XDIS20', 'XDIS20'], receiver: to(MUNICIPALITY, positive) });
  });

  it('XDIS17 + XDIS91 in one envelope: one delivery; the negative receipt quotes both letters and VersionCodes', async () => {
    await roundTrip({
      gateway: () => demo,
      body: renumber('XDIS17_and_XDIS91_two_letters.xml', ids()),
      types: ['XDIS17', 'XDIS91'],
      receiver: to(MUNICIPALITY, negative('problem_med_version')),
    });
  });
});

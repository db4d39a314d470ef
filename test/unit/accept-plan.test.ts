/**
 * planAccept on its own, without a store: each outcome the accept path acts on (the one-statement way,
 * the careful way for receipts, disabled receivers, look-back deadlines and resends, the letters that
 * may fulfil a deadline) and each refusal, plus the 415-or-400 choice for encoding problems.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refusalForDecode } from '../../src/app/accept-message.js';
import { FIRST_SIGHT, planAccept, withDeadlineEffects, type AcceptPlan, type AcceptPlanResult, type AcceptSetting } from '../../src/app/accept-plan.js';
import { patientRefFunction } from '../../src/app/context.js';
import type { Refusal } from '../../src/app/refusal.js';
import type { Letter } from '../../src/domain/message.js';
import { decodeMessage, type DecodeResult } from '../../src/codec/decode-message.js';
import { loadDeadlineConfig } from '../../src/config/deadline-config.js';
import { buildEndpointRegister, loadEndpointRegister } from '../../src/config/endpoints.js';
import { loadRetrainingRouting } from '../../src/config/retraining-routing.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { HOSPITAL, HOSPITAL_2, MUNICIPALITY, fixture } from '../support/gateway.js';
import { retrainingPlan } from '../support/retraining-plan.js';

const CONFIG = fromPackageRoot('config');
const register = loadEndpointRegister(CONFIG);
const setting: AcceptSetting = {
  register,
  retrainingRouting: loadRetrainingRouting(CONFIG, register),
  patientRef: patientRefFunction('test-key'),
  ...loadDeadlineConfig(CONFIG),
};
const NOW = new Date('2026-03-12T10:00:00Z');

function decoded(bytes: Buffer): Extract<DecodeResult, { ok: true }> {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`fixture does not decode: ${result.errors[0]?.message}`);
  return result;
}

function plan(bytes: Buffer, senderEan: string, options: { setting?: AcceptSetting; duplicates?: Map<string, string> } = {}): AcceptPlanResult {
  const request = { senderEan, decoded: decoded(bytes), body: bytes, contentType: 'application/xml', sha256: 'sha' };
  return planAccept(request, options.setting ?? setting, options.duplicates ? { duplicates: options.duplicates } : FIRST_SIGHT, NOW);
}

function planned(result: AcceptPlanResult): AcceptPlan {
  if (result.kind !== 'plan') throw new Error(`refused: ${result.refusal.detail}`);
  return result;
}

function refused(result: AcceptPlanResult): Refusal {
  if (result.kind !== 'refused') throw new Error('planned, not refused');
  return result.refusal;
}

/** The demo register with one endpoint changed. */
function registerWith(ean: string, change: Record<string, unknown>): AcceptSetting {
  const raw = JSON.parse(readFileSync(fromPackageRoot('config', 'endpoints.json'), 'utf8')) as { endpoints: { ean: string }[] };
  raw.endpoints = raw.endpoints.map((e) => (e.ean === ean ? { ...e, ...change } : e));
  return { ...setting, register: buildEndpointRegister(raw, 'endpoints.json') };
}

function extension(...children: string[]): string {
  return `<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1">${children.join('')}</gw:Gateway></Local_Elements>`;
}

describe('planAccept', () => {
  it('a new letter to an enabled pull receiver: the one-statement way, one delivery, the accepted event', () => {
    const bytes = fixture('XDIS20_admission_acute.xml');
    const result = planned(plan(bytes, HOSPITAL));
    const letter = result.request.decoded.message.letters[0];
    expect(result.oneStatement).toBe(true);
    expect(result.allDuplicates).toBe(false);
    expect(result.deliveries).toEqual([expect.objectContaining({ receiverEan: MUNICIPALITY, role: 'receiver', mode: 'pull', letterIndexes: [0] })]);
    expect(result.message).toMatchObject({ senderEan: HOSPITAL, status: 'accepted', ackRequested: true, origin: 'endpoint', envelopeId: result.request.decoded.message.envelope.identifier });
    expect(result.events).toEqual([{ messageId: result.message.id, kind: 'accepted', detail: { sha256: 'sha', letters: 1, deliveries: 1 } }]);
    // The patient is kept as a keyed reference, never as the CPR number.
    const ref = result.letters[0]?.patientRef;
    expect(ref).toBe(setting.patientRef(letter?.patient?.cpr as string));
    expect(ref).not.toContain(letter?.patient?.cpr as string);
    expect(result.receipts).toEqual([]);
    expect(result.disabledReceivers).toEqual([]);
    expect(result.deadlines).toBe(result.started.deadlines);
    expect(result.summary.deadlines?.map((d) => d.ruleId)).toEqual(result.started.deadlines.map((d) => d.ruleId));
    expect(result.message.summary).toBe(result.summary);
  });

  it('refuses with 403 when the caller does not own the sender, and plans nothing', () => {
    const refusal = refused(plan(fixture('XDIS20_admission_acute.xml'), HOSPITAL_2));
    expect(refusal).toMatchObject({ status: 403, slug: 'sender-not-owned' });
  });

  it('refuses with 422 unroutable when the receiver does not take the type', () => {
    const refusal = refused(plan(fixture('XDIS20_admission_acute.xml'), HOSPITAL, { setting: registerWith(MUNICIPALITY, { accepts: ['XDIS17'] }) }));
    expect(refusal).toMatchObject({ status: 422, slug: 'unroutable' });
    expect(refusal.errors.length).toBeGreaterThan(0);
  });

  it('refuses with 422 misaddressed naming the broken rule first', () => {
    const refusal = refused(plan(retrainingPlan({ id: 'AP1', from: HOSPITAL, to: HOSPITAL_2, type: 'ZZ0175Y' }), HOSPITAL));
    expect(refusal).toMatchObject({ status: 422, slug: 'misaddressed' });
    expect(refusal.detail).toMatch(/^R-SPEC-OWN: /);
    expect(refusal.errors[0]?.code).toBe('R-SPEC-OWN');
  });

  it('a disabled receiver gets no delivery; its letters are listed for an XCTL01 and the careful way is taken', () => {
    const result = planned(plan(fixture('XDIS20_admission_acute.xml'), HOSPITAL, { setting: registerWith(MUNICIPALITY, { enabled: false }) }));
    expect(result.deliveries).toEqual([]);
    expect(result.disabledReceivers).toEqual([{ receiverEan: MUNICIPALITY, letters: [result.request.decoded.message.letters[0]] }]);
    expect(result.oneStatement).toBe(false);
  });

  it('a receipt is recorded the careful way, asks for no receipt and starts no deadline', () => {
    const bytes = fixture('XCTL03_positive_receipt.xml');
    const message = decoded(bytes).message;
    const result = planned(plan(bytes, message.letters[0]?.sender.ean as string));
    expect(result.receipts).toEqual([{ letter: message.letters[0], content: { kind: 'positive' } }]);
    expect(result.oneStatement).toBe(false);
    expect(result.message.ackRequested).toBe(false);
    expect(result.started.deadlines).toEqual([]);
    expect(result.fulfilling).toEqual([]);
  });

  it('a resend (every letter seen before) is a duplicate: no delivery, no deadline, no correlation', () => {
    const bytes = fixture('XDIS20_admission_acute.xml');
    const letterId = decoded(bytes).message.letters[0]?.identifier as string;
    const result = planned(plan(bytes, HOSPITAL, { duplicates: new Map([[letterId, 'first-message']]) }));
    expect(result.allDuplicates).toBe(true);
    expect(result.message.status).toBe('duplicate');
    expect(result.deliveries).toEqual([]);
    expect(result.deadlines).toEqual([]);
    expect(result.letters[0]?.duplicateOf).toBe('first-message');
    expect(result.summary.letters[0]?.duplicateOf).toBe('first-message');
    expect(result.correlating).toBe(false);
  });

  it('a letter that may fulfil an open deadline is checked by the one-statement insert and correlates the careful way', () => {
    const bytes = fixture('XDIS91_clinical_email.xml');
    const letter = decoded(bytes).message.letters[0];
    expect(setting.deadlineCorrelation.fulfilling.has('XDIS91')).toBe(true);
    const result = planned(plan(bytes, HOSPITAL));
    expect(result.fulfilling).toEqual([letter]);
    expect(result.fulfilmentChecks).toEqual([{ patientRef: setting.patientRef(letter?.patient?.cpr as string), type: 'XDIS91' }]);
    expect(result.correlating).toBe(true);
    expect(result.oneStatement).toBe(true);
    // Sent before, it fulfils nothing again.
    const resent = planned(plan(bytes, HOSPITAL, { duplicates: new Map([[letter?.identifier as string, 'first']]) }));
    expect(resent.fulfilling).toEqual([]);
    expect(resent.fulfilmentChecks).toEqual([]);
  });

  it('a discharge that starts a deadline looking back (D10) is guarded in the one-statement insert: the earlier plan it looks for, the waiting deadlines it would start, the discharge it records', () => {
    const text = fixture('XDIS17_discharge_home.xml').toString('utf8').replace('</Emessage>', `${extension('<gw:RetrainingExpected>true</gw:RetrainingExpected>')}</Emessage>`);
    const bytes = Buffer.from(text, 'utf8');
    const letter = decoded(bytes).message.letters[0] as Letter;
    const ref = setting.patientRef(letter.patient?.cpr as string);
    const result = planned(plan(bytes, letter.sender.ean));
    const d10 = result.started.deadlines.find((d) => d.ruleId === 'D10');
    expect(d10?.lookbackDays).toBe(30);
    expect(result.started.looksBack).toBe(true);
    expect(result.correlating).toBe(true);
    expect(result.oneStatement).toBe(true);
    expect(result.correlation.patientRefs).toEqual([ref]);
    expect(result.correlation.lookbacks).toEqual([{ patientRef: ref, senderEan: letter.sender.ean, types: ['GGOP'], since: new Date(NOW.getTime() - 30 * 86_400_000) }]);
    expect(result.correlation.discharging).toEqual([{ patientRef: ref, senderEan: letter.sender.ean }]);
    expect(result.correlation.discharges).toEqual([
      expect.objectContaining({ messageId: result.message.id, letterIndex: 0, patientRef: ref, senderEan: letter.sender.ean, discharge: expect.objectContaining({ kind: 'discharge' }) }),
    ]);
    expect(result.correlation.awaiting).toEqual([]);
  });

  it('a plan whose first-contact deadline waits for the discharge (D7) is guarded against a discharge already known', () => {
    const bytes = fixture('GGOP_rehabilitation_plan.xml');
    const letter = decoded(bytes).message.letters[0] as Letter;
    const ref = setting.patientRef(letter.patient?.cpr as string);
    const result = planned(plan(bytes, letter.sender.ean));
    expect(result.started.awaiting.map((a) => a.letter)).toEqual([letter]);
    expect(result.oneStatement).toBe(true);
    expect(result.correlation.awaiting).toEqual([{ patientRef: ref, senderEan: letter.sender.ean }]);
    expect(result.correlation.patientRefs).toEqual([ref]);
    expect(result.correlation.discharges).toEqual([]);
  });

  it('a message that correlates nothing carries an empty guard', () => {
    const result = planned(plan(fixture('XDIS20_admission_acute.xml'), HOSPITAL));
    expect(result.correlating).toBe(false);
    expect(result.correlation).toEqual({ patientRefs: [], discharging: [], awaiting: [], lookbacks: [], discharges: [] });
  });

  it('withDeadlineEffects puts what correlation found into the summary, the message row and the deadlines', () => {
    const result = planned(plan(fixture('XDIS20_admission_acute.xml'), HOSPITAL));
    const fulfilled = { ...(result.summary.deadlines?.[0] ?? {}), id: 'earlier', letterId: 'L', effect: 'fulfilled' } as never;
    const after = withDeadlineEffects(result, { started: [], fulfilled: [fulfilled] });
    expect(after.deadlines).toEqual([]);
    expect(after.summary.deadlines).toEqual([fulfilled]);
    expect(after.message.summary).toBe(after.summary);
    expect(after.deliveries).toBe(result.deliveries);
  });
});

describe('refusalForDecode: encoding problems are told apart by their issue code', () => {
  const xml = (declaration: string): Buffer => Buffer.from(`<?xml version="1.0"${declaration}?><Emessage/>`, 'latin1');
  const refusalOf = (bytes: Buffer, charset?: string): Refusal => {
    const result = decodeMessage(bytes, charset ? { charset } : {});
    if (result.ok) throw new Error('decoded');
    return refusalForDecode(result);
  };

  it.each([
    ['UTF-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a/>', 'utf16le')]), undefined],
    ['an encoding the XML declaration names that the gateway does not read', xml(' encoding="koi8-r"'), undefined],
    ['an HTTP charset the gateway does not read', xml(''), 'koi8-r'],
  ])('415 unsupported-charset for %s', (_what, bytes, charset) => {
    expect(refusalOf(bytes, charset)).toMatchObject({ status: 415, slug: 'unsupported-charset' });
  });

  it.each([
    ['an HTTP charset that contradicts the declaration', xml(' encoding="UTF-8"'), 'iso-8859-1'],
    ['bytes that are not the UTF-8 they declare', Buffer.concat([xml(' encoding="UTF-8"'), Buffer.from([0xe6, 0x3c])]), undefined],
  ])('400 bad-encoding for %s', (_what, bytes, charset) => {
    expect(refusalOf(bytes, charset)).toMatchObject({ status: 400, slug: 'bad-encoding' });
  });
});

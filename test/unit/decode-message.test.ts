/**
 * The codec end to end: bytes in, typed model or precise errors out. MedCom's own samples come from
 * ../shared (skipped with a message when absent); the rest uses the project's fixtures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DecodeResult } from '../../src/codec/decode-message.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { hasShared, sharedPath } from '../support/shared-dir.js';

const SAMPLES = sharedPath('medcom-samples');
const haveSamples = hasShared('medcom-samples');
if (!haveSamples) console.warn(`skipping MedCom sample tests: ${SAMPLES} is absent`);

function fixture(name: string): Buffer {
  return readFileSync(fromPackageRoot('fixtures', name));
}

function ok(result: DecodeResult) {
  if (!result.ok) throw new Error(`expected a valid message, got ${JSON.stringify(result.errors, null, 2)}`);
  return result;
}

function failed(result: DecodeResult) {
  if (result.ok) throw new Error('expected the message to be refused');
  return result;
}

function utf8(xml: string): Buffer {
  return Buffer.from(xml, 'utf8');
}

const NS_2005 = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/';

function admission(overrides: { letter?: string; patient?: string; ns?: string; after?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Emessage xmlns="${overrides.ns ?? NS_2005}">
  <Envelope><Sent><Date>2026-11-23</Date><Time>09:15</Time></Sent><Identifier>ENV0001</Identifier><AcknowledgementCode>pluspositivkvitt</AcknowledgementCode></Envelope>
  <NotificationOfAdmission>
    ${overrides.letter ?? '<Letter><Identifier>LET0001</Identifier><VersionCode>XD2030C</VersionCode><StatisticalCode>XDIS20</StatisticalCode><Authorisation><Date>2026-11-23</Date><TimeWithSec>09:14:00</TimeWithSec></Authorisation><TypeCode>XDIS20</TypeCode><StatusCode>nytbrev</StatusCode><NotificationIdentifier>N1</NotificationIdentifier></Letter>'}
    <Sender><EANIdentifier>5790000000012</EANIdentifier><Identifier>6620011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode><OrganisationName>Regionshospitalet Demo</OrganisationName><AnswerTo><EANIdentifier>5790000000012</EANIdentifier></AnswerTo></Sender>
    <Receiver><EANIdentifier>5790000000036</EANIdentifier><Identifier>751</Identifier><IdentifierCode>kommunenummer</IdentifierCode></Receiver>
    ${overrides.patient ?? '<Patient><CivilRegistrationNumber>0101501234</CivilRegistrationNumber><EpisodeOfCareStatusCode>indlagt</EpisodeOfCareStatusCode></Patient>'}
    <Admission><Date>2026-11-23</Date><Time>08:40</Time></Admission>
  </NotificationOfAdmission>${overrides.after ?? ''}
</Emessage>`;
}

describe.skipIf(!haveSamples)("MedCom's own samples", () => {
  const files = haveSamples ? readdirSync(SAMPLES).filter((f) => f.endsWith('.xml')) : [];
  it.each(files)('%s is valid', (file) => {
    ok(decodeMessage(readFileSync(join(SAMPLES, file))));
  });

  it('reads the XDIS20 sample into the model', () => {
    const { message, encoding } = ok(decodeMessage(readFileSync(join(SAMPLES, 'DIS20_1.xml'))));
    expect(encoding).toBe('windows-1252');
    expect(message.generation).toBe('2005/08/07');
    expect(message.envelope).toEqual({ sent: { date: '2000-01-24', time: '21:30' }, identifier: '123456789', acknowledgementCode: 'minuspositivkvitt' });
    const [letter] = message.letters;
    expect(letter).toMatchObject({
      type: 'XDIS20',
      versionCode: 'XD2030C',
      identifier: '24681012',
      statusCode: 'nytbrev',
      notificationIdentifier: '24681012',
      authorisation: { date: '2000-01-24', time: '21:30:00' },
      sender: { ean: '5790000143054', identifierCode: 'sygehusafdelingsnummer', organisation: 'Odense Universitetshospital', department: 'Medicinsk Afdeling' },
      receiver: { ean: '5790000143055', identifier: '173', identifierCode: 'kommunenummer', organisation: 'Lyngby Taarbæk Kommune' },
      answerTo: '5790000143054',
      patient: { cpr: '2505544849', episodeOfCareStatus: 'indlagt' },
      body: { admission: { date: '2000-01-24', time: '21:15' } },
    });
  });

  it('reads a positive receipt, quoting the original envelope and letter', () => {
    const { message } = ok(decodeMessage(readFileSync(join(SAMPLES, 'Flow2-XCTL03_Ex_from_FHIR_XDIS91.xml'))));
    expect(message.letters[0]?.body.receipt).toMatchObject({
      kind: 'positive',
      originalEnvelopeIdentifier: 'KuvNrerwerwe99',
      originalLetters: [{ letterIdentifier: 'Brevt23400929' }],
    });
  });

  it('reads a negative receipt with its refuse code', () => {
    const { message } = ok(decodeMessage(readFileSync(join(SAMPLES, 'CTL02_1.xml'))));
    const receipt = message.letters[0]?.body.receipt;
    expect(receipt?.kind).toBe('negative');
    expect([receipt?.refuseCode, ...(receipt?.originalLetters ?? []).map((l) => l.refuseCode)]).toContain('problem_med_version');
  });

  it('reads the FHIR Acknowledgement as a receipt', () => {
    const { message } = ok(decodeMessage(readFileSync(join(SAMPLES, 'Flow4-Acknowledgement_Ex_from_OIOXML.xml'))));
    expect(message.generation).toBe('fhir');
    expect(message.envelope.identifier).toBe('e90e15ae-e019-496b-aa65-95aab4983f0d');
    expect(message.letters[0]?.body.receipt).toMatchObject({
      kind: 'positive',
      responseCode: 'ok',
      originalLetters: [{ letterIdentifier: '080d88be-177c-42a4-9124-de4e73ad485a' }],
    });
  });

  it('warns, without refusing, about a CPR replacement number and a GLN with a wrong check digit', () => {
    const result = ok(decodeMessage(readFileSync(join(SAMPLES, 'korr_x9134.xml'))));
    expect(result.warnings.map((w) => w.code)).toContain('invalid-cpr');
    const dis20 = ok(decodeMessage(readFileSync(join(SAMPLES, 'DIS20_1.xml'))));
    expect(dis20.warnings).toContainEqual(expect.objectContaining({ code: 'gln-check-digit', path: '/Emessage/NotificationOfAdmission/Receiver/EANIdentifier' }));
  });
});

describe('decodeMessage: accepted messages', () => {
  it('accepts a well-formed advis and extracts its fields', () => {
    const { message, warnings } = ok(decodeMessage(utf8(admission())));
    expect(warnings).toEqual([]);
    expect(message.envelope.acknowledgementCode).toBe('pluspositivkvitt');
    expect(message.letters[0]?.body.admission).toEqual({ date: '2026-11-23', time: '08:40' });
  });

  it('reads the gateway extension from the Local_Elements after a letter', () => {
    const after = `\n  <Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:WarningCategory>REDUCED_CARE</gw:WarningCategory><gw:WarningCategory>REDUCED_SPECIAL_AIDS</gw:WarningCategory><gw:RetrainingExpected>true</gw:RetrainingExpected><gw:Consent receiver="5790000000050">false</gw:Consent></gw:Gateway></Local_Elements>`;
    const { message } = ok(decodeMessage(utf8(admission({ after }))));
    expect(message.letters[0]?.extension).toEqual({
      warningCategories: ['REDUCED_CARE', 'REDUCED_SPECIAL_AIDS'],
      retrainingExpected: true,
      consent: [{ receiverEan: '5790000000050', given: false }],
    });
  });

  it('ignores Local_Elements content in other namespaces, as MedCom receivers do', () => {
    ok(decodeMessage(utf8(admission({ after: '<Local_Elements><x:Foo xmlns:x="urn:someone-else">bar</x:Foo></Local_Elements>' }))));
  });
});

describe('decodeMessage: refused messages name the problem', () => {
  it('a missing CPR number: the path and line of the Patient element', () => {
    const { stage, errors } = failed(decodeMessage(utf8(admission({ patient: '<Patient><EpisodeOfCareStatusCode>indlagt</EpisodeOfCareStatusCode></Patient>' }))));
    expect(stage).toBe('schema');
    expect(errors).toEqual([
      expect.objectContaining({ code: 'missing-element', path: '/Emessage/NotificationOfAdmission/Patient/CivilRegistrationNumber', line: 8 }),
    ]);
  });

  it('a CPR number that is not a date, without echoing the number', () => {
    const { stage, errors } = failed(decodeMessage(utf8(admission({ patient: '<Patient><CivilRegistrationNumber>3102501234</CivilRegistrationNumber></Patient>' }))));
    expect(stage).toBe('semantic');
    expect(errors[0]).toMatchObject({ code: 'invalid-cpr', path: '/Emessage/NotificationOfAdmission/Patient/CivilRegistrationNumber' });
    expect(errors[0]?.message).not.toContain('3102501234');
  });

  it('a StatisticalCode that contradicts the letter type', () => {
    const letter = '<Letter><Identifier>LET0001</Identifier><VersionCode>XD2030C</VersionCode><StatisticalCode>XDIS17</StatisticalCode><Authorisation><Date>2026-11-23</Date><TimeWithSec>09:14:00</TimeWithSec></Authorisation><TypeCode>XDIS20</TypeCode><StatusCode>nytbrev</StatusCode><NotificationIdentifier>N1</NotificationIdentifier></Letter>';
    const { errors } = failed(decodeMessage(utf8(admission({ letter }))));
    expect(errors[0]).toMatchObject({ code: 'inconsistent-codes', path: '/Emessage/NotificationOfAdmission/Letter/StatisticalCode' });
  });

  it('an impossible date', () => {
    const { errors } = failed(decodeMessage(utf8(admission().replace('<Admission><Date>2026-11-23', '<Admission><Date>2026-02-30'))));
    expect(errors[0]).toMatchObject({ code: 'invalid-value', path: '/Emessage/NotificationOfAdmission/Admission/Date' });
    expect(errors[0]?.message).toMatch(/real calendar date/);
  });

  it('an unknown namespace', () => {
    const { stage, errors } = failed(decodeMessage(utf8(admission({ ns: 'urn:example:not-medcom' }))));
    expect(stage).toBe('structure');
    expect(errors[0]?.code).toBe('unknown-namespace');
  });

  it('a letter of a generation it does not belong to', () => {
    const xml = admission({ ns: 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/' });
    expect(failed(decodeMessage(utf8(xml))).errors[0]).toMatchObject({ code: 'unknown-message-type', path: '/Emessage/NotificationOfAdmission' });
  });

  it('an element in another namespace than the message', () => {
    const xml = admission().replace('<Admission>', '<Admission xmlns="urn:other">');
    expect(failed(decodeMessage(utf8(xml))).errors[0]).toMatchObject({ code: 'wrong-namespace', path: '/Emessage/NotificationOfAdmission/Admission' });
  });

  it('an unsupported VersionCode', () => {
    const xml = admission().replace('XD2030C', 'XD2031C');
    expect(failed(decodeMessage(utf8(xml))).errors[0]?.path).toBe('/Emessage/NotificationOfAdmission/Letter/VersionCode');
  });

  it('a root element that is not Emessage', () => {
    const xml = admission().replace(/Emessage/g, 'Message');
    expect(failed(decodeMessage(utf8(xml))).errors[0]?.code).toBe('unknown-root');
  });

  it('an Emessage without letters', () => {
    const xml = admission().replace(/<NotificationOfAdmission>[\s\S]*<\/NotificationOfAdmission>/, '');
    expect(failed(decodeMessage(utf8(xml))).errors[0]).toMatchObject({ code: 'missing-element', path: '/Emessage' });
  });

  it('Local_Elements before any letter', () => {
    const xml = admission().replace('</Envelope>', '</Envelope><Local_Elements/>');
    expect(failed(decodeMessage(utf8(xml))).errors[0]).toMatchObject({ code: 'wrong-order', path: '/Emessage/Local_Elements' });
  });

  it('two letters with the same identifier in one Emessage', () => {
    const letter = admission().match(/<NotificationOfAdmission>[\s\S]*<\/NotificationOfAdmission>/)?.[0] ?? '';
    const xml = admission().replace('</NotificationOfAdmission>', `</NotificationOfAdmission>${letter}`);
    expect(failed(decodeMessage(utf8(xml))).errors[0]).toMatchObject({ code: 'inconsistent-codes', path: '/Emessage/NotificationOfAdmission[2]/Letter/Identifier' });
  });

  it('a bad value in the gateway extension', () => {
    const after = '<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"><gw:WarningCategory>SOMETIMES</gw:WarningCategory></gw:Gateway></Local_Elements>';
    const { errors } = failed(decodeMessage(utf8(admission({ after }))));
    expect(errors[0]).toMatchObject({ code: 'extension', path: '/Emessage/Local_Elements/Gateway/WarningCategory' });
  });

  it('a message over the size limit', () => {
    expect(failed(decodeMessage(utf8(admission()), { maxBytes: 100 })).stage).toBe('size');
  });

  it('an empty body', () => {
    expect(failed(decodeMessage(Buffer.alloc(0))).stage).toBe('xml');
  });
});

describe('project fixtures', () => {
  const valid = readdirSync(fromPackageRoot('fixtures', 'valid')).filter((f) => f.endsWith('.xml'));
  const invalid = readdirSync(fromPackageRoot('fixtures', 'invalid')).filter((f) => f.endsWith('.xml'));

  it.each(valid)('valid/%s is accepted', (file) => {
    ok(decodeMessage(fixture(join('valid', file))));
  });

  it.each(invalid)('invalid/%s is refused with a located reason', (file) => {
    const { errors } = failed(decodeMessage(fixture(join('invalid', file))));
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.path).toMatch(/^\//);
      expect(error.message.length).toBeGreaterThan(10);
    }
  });
});

describe('decodeMessage: the fields the gateway extracts, per type', () => {
  function letters(file: string) {
    return ok(decodeMessage(fixture(join('valid', file)))).message.letters;
  }

  it('XDIS19: the warning dates and the copy receiver named by ydernummer', () => {
    const [letter] = letters('XDIS19_warning_of_discharge.xml');
    expect(letter?.body).toEqual({
      admission: { date: '2026-03-09', time: '14:05' },
      planConference: { date: '2026-03-12', time: '13:00' },
      endOfTreatment: { date: '2026-03-16', time: '12:00' },
      plannedDischarge: { date: '2026-03-17', time: '11:00' },
    });
    expect(letter?.ccReceivers).toEqual([{ identifier: '012345', identifierCode: 'ydernummer', organisation: 'Lægehuset Demo' }]);
  });

  it('GGOP: retraining type, deadline (a date) and the GP copy receiver', () => {
    const [letter] = letters('GGOP_rehabilitation_plan.xml');
    expect(letter?.type).toBe('GGOP');
    expect(letter?.body.rehabilitation).toEqual({ type: 'ZZ0175X', deadline: { date: '2026-03-27' } });
    expect(letter?.gpCcReceiver).toMatchObject({ ean: '5790000000050', identifierCode: 'ydernummer' });
  });

  it('XDIS21: agreed discharge and expected end of treatment', () => {
    const [letter] = letters('XDIS21_progress_of_care_plan.xml');
    expect(letter?.body).toMatchObject({ agreedDischarge: { date: '2026-03-17', time: '11:00' }, expectedEndOfTreatment: { date: '2026-03-16', time: '12:00' } });
  });

  it('XDIS91: subject and priority', () => {
    const [letter] = letters('XDIS91_clinical_email.xml');
    expect(letter?.body.correspondence).toEqual({ subject: 'Nøgle til lejligheden og hjælpemidler før udskrivelse', priority: 'høj_prioritet' });
  });

  it('a multi-letter Emessage keeps every letter, in order, with its path', () => {
    const all = letters('XDIS17_and_XDIS91_two_letters.xml');
    expect(all.map((l) => [l.index, l.type, l.path])).toEqual([
      [0, 'XDIS17', '/Emessage/NotificationOfDischarge'],
      [1, 'XDIS91', '/Emessage/ClinicalEmail'],
    ]);
  });

  it('keeps æ, ø and å from a windows-1252 message', () => {
    const result = ok(decodeMessage(fixture(join('valid', 'XDIS91_windows-1252.xml'))));
    expect(result.encoding).toBe('windows-1252');
    expect(JSON.stringify(result.message)).toMatch(/[æøåÆØÅ]/);
  });
});

describe('decodeMessage: Local_Elements after a refused letter', () => {
  it.each([
    ['an unknown letter element', '<Foo/>'],
    ['an empty letter', '<NotificationOfAdmission/>'],
  ])('refuses %s followed by the gateway extension without throwing', (_what, letter) => {
    const xml = `<Emessage xmlns="${NS_2005}"><Envelope><Sent><Date>2026-11-23</Date><Time>09:15</Time></Sent><Identifier>E1</Identifier><AcknowledgementCode>minuspositivkvitt</AcknowledgementCode></Envelope>${letter}<Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"/></Local_Elements></Emessage>`;
    expect(failed(decodeMessage(utf8(xml))).stage).toBe('structure');
  });
});

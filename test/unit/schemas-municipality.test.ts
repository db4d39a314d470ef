/**
 * The schemas written without a MedCom XSD: the municipality generation (XDIS18 XD1834C, XDIS21
 * XD2134C, GGOP ggop100, shared parts in defs-municipality.json), the FHIR Acknowledgement (FCTL.json)
 * and the gateway's own Local_Elements extension (extension.json). Valid messages must give no issue;
 * each broken variant must give the expected issue at the right XML path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../src/codec/decode-text.js';
import type { ValidationIssue } from '../../src/codec/issues.js';
import { SchemaRegistry } from '../../src/codec/schema-validator.js';
import { childrenOf, isElement, parseXml, textOf, type XmlDocument, type XmlElement } from '../../src/codec/xml-tree.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { hasShared, sharedPath } from '../support/shared-dir.js';

const XD1834C = 'XDIS18.json#/$defs/XD1834C';
const XD2134C = 'XDIS21.json#/$defs/XD2134C';
const GGOP100 = 'GGOP.json#/$defs/ggop100';
const ACK = 'FCTL.json#/$defs/acknowledgement';
const GATEWAY = 'extension.json#/$defs/Gateway';

/** The schema of each municipality-generation VersionCode. */
const REF_BY_VERSION: Record<string, string> = { XD1834C, XD2134C, ggop100: GGOP100 };

let registry: SchemaRegistry;
beforeAll(() => {
  registry = new SchemaRegistry();
});

function parse(text: string): XmlDocument {
  const result = parseXml(text);
  if (!result.ok) throw new Error(`expected to parse: ${JSON.stringify(result.issues)}`);
  return result.document;
}

function parseBytes(bytes: Uint8Array): XmlDocument {
  const decoded = decodeText(bytes);
  if (!decoded.ok) throw new Error(`expected to decode: ${JSON.stringify(decoded.issues)}`);
  return parse(decoded.text);
}

/** Replaces `from` by `to`, failing loudly when the base message no longer contains `from`. */
function mutate(xml: string, from: string, to: string): string {
  if (!xml.includes(from)) throw new Error(`test message does not contain ${from}`);
  return xml.replace(from, to);
}

/** Validates the single letter `rootElement` of an Emessage. */
function validateLetter(xml: string, rootElement: string, ref: string): ValidationIssue[] {
  const document = parse(xml);
  const letter = childrenOf(document.root, rootElement)[0];
  if (!isElement(letter)) throw new Error(`no <${rootElement}> in the message`);
  return registry.validate(ref, letter, `/Emessage/${rootElement}`, document);
}

function validateBundle(xml: string): ValidationIssue[] {
  const document = parse(xml);
  return registry.validate(ACK, document.root, '/Bundle', document);
}

/** Validates the first gw:Gateway inside Local_Elements. */
function validateGateway(xml: string): ValidationIssue[] {
  const document = parse(xml);
  const local = childrenOf(document.root, 'Local_Elements')[0];
  if (!isElement(local)) throw new Error('no <Local_Elements>');
  const gateway = childrenOf(local, 'Gateway')[0];
  if (gateway === undefined) throw new Error('no <Gateway>');
  return registry.validate(GATEWAY, gateway, '/Emessage/Local_Elements/Gateway', document);
}

function expectIssue(issues: ValidationIssue[], code: ValidationIssue['code'], path: string, message?: RegExp): void {
  const found = issues.find((i) => i.code === code && i.path === path);
  expect(found, `expected ${code} at ${path}, got ${JSON.stringify(issues, null, 1)}`).toBeDefined();
  if (message) expect(found?.message).toMatch(message);
}

const ENVELOPE = `
  <Envelope>
    <Sent><Date>2026-03-17</Date><Time>11:48</Time></Sent>
    <Identifier>RHD2603170021</Identifier>
    <AcknowledgementCode>pluspositivkvitt</AcknowledgementCode>
  </Envelope>`;

const SENDER = `
    <Sender>
      <EANIdentifier>5790000000012</EANIdentifier>
      <Identifier>6620011</Identifier>
      <IdentifierCode>sygehusafdelingsnummer</IdentifierCode>
      <OrganisationName>Regionshospitalet Demo</OrganisationName>
      <DepartmentName>Medicinsk afdeling</DepartmentName>
      <UnitName>Sengeafsnit M3</UnitName>
      <StreetName>Hospitalsvej 1</StreetName>
      <DistrictName>Aarhus N</DistrictName>
      <PostCodeIdentifier>8200</PostCodeIdentifier>
      <TelephoneSubscriberIdentifier>78450312</TelephoneSubscriberIdentifier>
      <SignedBy>
        <Identifier>6620011</Identifier>
        <IdentifierCode>sygehusafdelingsnummer</IdentifierCode>
        <PersonGivenName>Mette</PersonGivenName>
        <PersonSurnameName>Bøgelund</PersonSurnameName>
        <PersonTitle>Sygeplejerske</PersonTitle>
      </SignedBy>
      <MedicalSpecialityCode>intern_medicin_sygehus</MedicalSpecialityCode>
      <ContactInformation>
        <ContactName>Mette Bøgelund</ContactName>
        <TelephoneSubscriberIdentifier>78450318</TelephoneSubscriberIdentifier>
      </ContactInformation>
    </Sender>`;

const RECEIVER = `
    <Receiver>
      <EANIdentifier>5790000000036</EANIdentifier>
      <Identifier>751</Identifier>
      <IdentifierCode>kommunenummer</IdentifierCode>
      <OrganisationName>Demo Kommune Nord</OrganisationName>
      <DepartmentName>Sygehusvisitationen</DepartmentName>
      <PostCodeIdentifier>8000</PostCodeIdentifier>
    </Receiver>`;

const PRACTITIONER = `
    <Practitioner>
      <Identifier>012345</Identifier>
      <IdentifierCode>ydernummer</IdentifierCode>
      <PersonName>Lægehuset Demo</PersonName>
      <TelephoneSubscriberIdentifier>86120045</TelephoneSubscriberIdentifier>
    </Practitioner>`;

const PATIENT = `
    <Patient>
      <CivilRegistrationNumber>0101501234</CivilRegistrationNumber>
      <PersonSurnameName>Østergaard</PersonSurnameName>
      <PersonGivenName>Søren</PersonGivenName>
      <StreetName>Østergade 12</StreetName>
      <DistrictName>Aarhus C</DistrictName>
      <PostCodeIdentifier>8000</PostCodeIdentifier>
      <Occupation>Pensionist</Occupation>
      <TelephoneSubscriberIdentifier>20417733</TelephoneSubscriberIdentifier>
    </Patient>`;

const RELATIVES = `
    <m3:Relatives>
      <m3:Relative>
        <m3:RelationCode>barn</m3:RelationCode>
        <PersonSurnameName>Østergaard</PersonSurnameName>
        <CodedTelephoneSubscriberIdentifier>
          <TelephoneCode>mobil</TelephoneCode>
          <TelephoneSubscriberIdentifier>20417733</TelephoneSubscriberIdentifier>
        </CodedTelephoneSubscriberIdentifier>
        <m3:InformedRelative>1</m3:InformedRelative>
      </m3:Relative>
    </m3:Relatives>`;

function letterXml(version: string, code: string): string {
  return `
    <m3:Letter>
      <m3:Identifier>RHD2603170021</m3:Identifier>
      <m3:VersionCode>${version}</m3:VersionCode>
      <m3:StatisticalCode>${code}</m3:StatisticalCode>
      <m3:Authorisation><Date>2026-03-17</Date><Time>11:45</Time></m3:Authorisation>
      <m3:TypeCode>${code}</m3:TypeCode>
      <m3:EpisodeOfCareIdentifier>7f3c2a9e4b1d4c8e9a6b5d2f1e0c3a47</m3:EpisodeOfCareIdentifier>
    </m3:Letter>`;
}

const REPORT_OF_DISCHARGE = `<?xml version="1.0" encoding="UTF-8"?>
<m3:Emessage xmlns="urn:oio:medcom:municipality:1.0.0" xmlns:m3="urn:oio:medcom:municipality:1.0.3">${ENVELOPE}
  <m3:ReportOfDischarge>${letterXml('XD1834C', 'XDIS18')}${SENDER}${RECEIVER}${PRACTITIONER}${PATIENT}${RELATIVES}
    <Admission><Date>2026-03-09</Date><Time>14:05</Time></Admission>
    <EndOfTreatment><Date>2026-03-16</Date><Time>12:00</Time></EndOfTreatment>
    <Discharge><Date>2026-03-17</Date><Time>11:20</Time></Discharge>
    <CauseOfAdmission>Feber og åndenød, pneumoni.</CauseOfAdmission>
    <m3:NursingProblemAreas>
      <m3:NursingProblemArea>
        <m3:Terminology><m3:Code>A-12345</m3:Code><m3:CodeSystem>medcom</m3:CodeSystem><m3:CodeDescription>Funktionsevne</m3:CodeDescription></m3:Terminology>
        <m3:ProblemArea>Går med rollator <Break/>Hjælp til bad</m3:ProblemArea>
      </m3:NursingProblemArea>
    </m3:NursingProblemAreas>
    <m3:Diagnoses>
      <m3:Diagnosis><m3:Code>DJ189</m3:Code><m3:TypeCode>SKSdiagnosekode</m3:TypeCode><m3:Text>Pneumoni UNS</m3:Text></m3:Diagnosis>
    </m3:Diagnoses>
    <m3:AbilityToFunctionAtDischarge>
      <m3:LastModifiedDate>2026-03-17</m3:LastModifiedDate>
      <m3:AbilityToFunctionRelevance>ikke_relevant</m3:AbilityToFunctionRelevance>
    </m3:AbilityToFunctionAtDischarge>
  </m3:ReportOfDischarge>
</m3:Emessage>
`;

const PROGRESS_OF_CARE_PLAN = `<?xml version="1.0" encoding="UTF-8"?>
<m3:Emessage xmlns="urn:oio:medcom:municipality:1.0.0" xmlns:m3="urn:oio:medcom:municipality:1.0.3" xmlns:m2="urn:oio:medcom:municipality:1.0.2">${ENVELOPE}
  <m3:ProgressOfCarePlan>${letterXml('XD2134C', 'XDIS21')}${SENDER}${RECEIVER}${PRACTITIONER}${PATIENT}${RELATIVES}
    <Admission><Date>2026-03-09</Date><Time>14:05</Time></Admission>
    <m2:ExpectedEndOfTreatment><m2:Date>2026-03-19</m2:Date><m2:Time>10:00</m2:Time></m2:ExpectedEndOfTreatment>
    <AgreedDischarge><Date>2026-03-20</Date><Time>13:00</Time></AgreedDischarge>
    <m2:AgreedDischargeComment>Udskrivelse aftalt med datter.</m2:AgreedDischargeComment>
    <CauseOfAdmission>Pneumoni.</CauseOfAdmission>
    <ExpectedCourseOfAdmission>Antibiotika i 5 døgn.</ExpectedCourseOfAdmission>
    <RiskOfContagion>Ingen kendte</RiskOfContagion>
    <m3:DietFirst24Hours><m3:LunchBox>0</m3:LunchBox><m3:ShoppingAtDischarge>1</m3:ShoppingAtDischarge></m3:DietFirst24Hours>
    <m3:FurtherCoordination>
      <m3:HomeCareNeeds><m3:Comment>Hjælp til bad</m3:Comment></m3:HomeCareNeeds>
      <m3:DischargeConference>
        <m3:DischargeDateCode>forslag</m3:DischargeDateCode>
        <m3:Date>2026-03-18</m3:Date>
        <m3:Time>10:00</m3:Time>
        <m3:VideoConference>1</m3:VideoConference>
      </m3:DischargeConference>
    </m3:FurtherCoordination>
    <m3:ExpectedAbilityToFunctionAtDischarge>
      <m3:LastModifiedDate>2026-03-17</m3:LastModifiedDate>
      <m3:AbilityToFunctionElements>
        <m3:AbilityToFunctionElement>
          <m3:Terminology><m3:Code>FA510</m3:Code><m3:CodeSystem>icf</m3:CodeSystem><m3:CodeDescription>Vaske sig</m3:CodeDescription></m3:Terminology>
          <m3:Score>moderate</m3:Score>
        </m3:AbilityToFunctionElement>
      </m3:AbilityToFunctionElements>
    </m3:ExpectedAbilityToFunctionAtDischarge>
    <m3:NursingProblemAreas>
      <m3:NursingProblemArea><m3:ProblemArea>Mobilisering: rollator</m3:ProblemArea></m3:NursingProblemArea>
    </m3:NursingProblemAreas>
  </m3:ProgressOfCarePlan>
</m3:Emessage>
`;

const REHABILITATION_PLAN = `<?xml version="1.0" encoding="UTF-8"?>
<m4:Emessage xmlns="urn:oio:medcom:municipality:1.0.0" xmlns:m3="urn:oio:medcom:municipality:1.0.3" xmlns:m4="urn:oio:medcom:municipality:1.0.4">${ENVELOPE}
  <m4:RehabilitationPlan>${letterXml('ggop100', 'GGOP')}
    <Sender>
      <EANIdentifier>5790000000012</EANIdentifier>
      <Identifier>6620011</Identifier>
      <IdentifierCode>sygehusafdelingsnummer</IdentifierCode>
      <OrganisationName>Regionshospitalet Demo</OrganisationName>
      <SignedBy>
        <PersonGivenName>Anders</PersonGivenName>
        <PersonSurnameName>Kjærgaard</PersonSurnameName>
        <PersonTitle>Overlæge</PersonTitle>
      </SignedBy>
      <CoWriter><PersonGivenName>Lise</PersonGivenName><PersonSurnameName>Holm</PersonSurnameName><PersonTitle>Fysioterapeut</PersonTitle></CoWriter>
    </Sender>${RECEIVER}${PATIENT}
    <GPCCReceiver>
      <EANIdentifier>5790000000050</EANIdentifier>
      <Identifier>012345</Identifier>
      <IdentifierCode>ydernummer</IdentifierCode>
      <OrganisationName>Lægehuset Demo</OrganisationName>
    </GPCCReceiver>
    <CCReceiver>
      <EANIdentifier>5790000000043</EANIdentifier>
      <Identifier>461</Identifier>
      <IdentifierCode>kommunenummer</IdentifierCode>
    </CCReceiver>
    <m4:TypeOfRehabilitationPlan>ZZ0175Y</m4:TypeOfRehabilitationPlan>${RELATIVES}
    <m4:InformationForPatientAndRelatives>Patienten er informeret om planen.</m4:InformationForPatientAndRelatives>
    <m4:PracticalInformation><m4:Text>Kan ikke gå på trapper <Break/>Bor i stueetage</m4:Text></m4:PracticalInformation>
    <m4:RehabilitationDeadline>2026-03-24</m4:RehabilitationDeadline>
    <m4:AbilityAtDischargeSummary>Går med rollator.</m4:AbilityAtDischargeSummary>
    <m4:ICD10Diagnoses><m4:Diagnosis><m4:Code>DS720</m4:Code></m4:Diagnosis></m4:ICD10Diagnoses>
    <m4:ContactMunicipality><m4:Name>Genoptræningen</m4:Name></m4:ContactMunicipality>
    <m4:HealthCareTeam>Fysioterapeut Lise Holm</m4:HealthCareTeam>
    <m4:Reference><m4:RefDescription>BIN</m4:RefDescription></m4:Reference>
    <m4:Reference><m4:RefDescription>URL</m4:RefDescription></m4:Reference>
  </m4:RehabilitationPlan>
</m4:Emessage>
`;

const WITH_GATEWAY_EXTENSION = `<?xml version="1.0" encoding="UTF-8"?>
<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/">${ENVELOPE}
  <Local_Elements>
    <gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1">
      <gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>
      <gw:WarningCategory>REDUCED_SPECIAL_AIDS</gw:WarningCategory>
      <gw:NursingServiceDay>2026-03-18</gw:NursingServiceDay>
      <gw:RetrainingExpected>true</gw:RetrainingExpected>
      <gw:RequestForInformation>false</gw:RequestForInformation>
      <gw:AdmissionKind>ACUTE</gw:AdmissionKind>
      <gw:Psychiatric>false</gw:Psychiatric>
      <gw:Consent receiver="5790000000050">true</gw:Consent>
      <gw:Consent receiver="5790000000043">false</gw:Consent>
    </gw:Gateway>
  </Local_Elements>
</Emessage>
`;

const ACKNOWLEDGEMENT = `<Bundle xmlns="http://hl7.org/fhir">
  <id value="7d1c6f1e-2b8a-4c43-9a57-0f3e1c2d9b11"/>
  <type value="message"/>
  <timestamp value="2026-03-17T11:50:12+01:00"/>
  <entry>
    <fullUrl value="Organization/a1"/>
    <resource><Organization><id value="a1"/></Organization></resource>
  </entry>
  <entry>
    <fullUrl value="MessageHeader/4f0c"/>
    <resource>
      <MessageHeader>
        <id value="4f0c"/>
        <eventCoding>
          <system value="http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"/>
          <code value="acknowledgement-message"/>
        </eventCoding>
        <response>
          <identifier value="080d88be-177c-42a4-9124-de4e73ad485a"/>
          <code value="fatal-error"/>
          <details><reference value="OperationOutcome/o1"/></details>
        </response>
      </MessageHeader>
    </resource>
  </entry>
</Bundle>
`;

describe('municipality generation: valid messages', () => {
  it('accepts an XD1834C ReportOfDischarge with mixed 1.0.0/1.0.3 namespaces', () => {
    expect(validateLetter(REPORT_OF_DISCHARGE, 'ReportOfDischarge', XD1834C)).toEqual([]);
  });

  it('accepts an XD2134C ProgressOfCarePlan', () => {
    expect(validateLetter(PROGRESS_OF_CARE_PLAN, 'ProgressOfCarePlan', XD2134C)).toEqual([]);
  });

  it('accepts a ggop100 RehabilitationPlan', () => {
    expect(validateLetter(REHABILITATION_PLAN, 'RehabilitationPlan', GGOP100)).toEqual([]);
  });

  it('accepts the minimal letters: only Letter, Sender, Receiver and Patient (and the GGOP plan type)', () => {
    const minimal = (xml: string, root: string): string => {
      const start = xml.indexOf('</Patient>') + '</Patient>'.length;
      const end = xml.indexOf(`</m3:${root}>`) === -1 ? xml.indexOf(`</m4:${root}>`) : xml.indexOf(`</m3:${root}>`);
      return xml.slice(0, start) + xml.slice(end);
    };
    expect(validateLetter(minimal(REPORT_OF_DISCHARGE, 'ReportOfDischarge'), 'ReportOfDischarge', XD1834C)).toEqual([]);
    expect(validateLetter(minimal(PROGRESS_OF_CARE_PLAN, 'ProgressOfCarePlan'), 'ProgressOfCarePlan', XD2134C)).toEqual([]);
    const ggop = minimal(REHABILITATION_PLAN, 'RehabilitationPlan').replace(
      '</Patient>',
      '</Patient><m4:TypeOfRehabilitationPlan>ZZ0175X</m4:TypeOfRehabilitationPlan>',
    );
    expect(validateLetter(ggop, 'RehabilitationPlan', GGOP100)).toEqual([]);
  });

  it('accepts an AlternativeIdentifier instead of the CPR number', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<CivilRegistrationNumber>0101501234</CivilRegistrationNumber>', '<AlternativeIdentifier>01015X1234</AlternativeIdentifier>');
    expect(validateLetter(xml, 'ReportOfDischarge', XD1834C)).toEqual([]);
  });

  it('accepts any content in the clinical free-text sections', () => {
    const xml = mutate(
      REPORT_OF_DISCHARGE,
      '<CauseOfAdmission>Feber og åndenød, pneumoni.</CauseOfAdmission>',
      '<CauseOfAdmission><Bold>Feber</Bold> og <Unknown a="1"><Deep>åndenød</Deep></Unknown></CauseOfAdmission>',
    );
    expect(validateLetter(xml, 'ReportOfDischarge', XD1834C)).toEqual([]);
  });
});

describe('municipality generation: fixtures', () => {
  const dir = fromPackageRoot('fixtures', 'valid');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^(XDIS18_|XDIS21_|GGOP_).*\.xml$/.test(f)) : [];
  const letters = files.flatMap((file) => {
    const document = parseBytes(readFileSync(`${dir}/${file}`));
    const found: { file: string; document: XmlDocument; name: string; index: number; letter: XmlElement; ref: string }[] = [];
    const counts = new Map<string, number>();
    for (const name of Object.keys(document.root)) {
      for (const child of childrenOf(document.root, name)) {
        const index = counts.get(name) ?? 0;
        counts.set(name, index + 1);
        if (!isElement(child)) continue;
        const letter = childrenOf(child, 'Letter')[0];
        const version = isElement(letter) ? textOf(letter, 'VersionCode') : undefined;
        const ref = version === undefined ? undefined : REF_BY_VERSION[version];
        if (ref) found.push({ file, document, name, index, letter: child, ref });
      }
    }
    return found;
  });

  it.skipIf(letters.length === 0).each(letters.map((l) => [`${l.file} <${l.name}>`, l] as const))(
    'the fixture %s validates',
    (_label, { document, name, index, letter, ref }) => {
      const path = `/Emessage/${name}${index > 0 ? `[${index + 1}]` : ''}`;
      expect(registry.validate(ref, letter, path, document)).toEqual([]);
    },
  );

  const withExtension = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.xml'))
        .map((file) => ({ file, document: parseBytes(readFileSync(`${dir}/${file}`)) }))
        .flatMap(({ file, document }) =>
          childrenOf(document.root, 'Local_Elements')
            .filter(isElement)
            .flatMap((local) => childrenOf(local, 'Gateway').map((gateway) => ({ file, document, gateway }))),
        )
    : [];

  it.skipIf(withExtension.length === 0).each(withExtension.map((e) => [e.file, e] as const))(
    'the gateway extension in %s validates',
    (_label, { document, gateway }) => {
      expect(registry.validate(GATEWAY, gateway, '/Emessage/Local_Elements/Gateway', document)).toEqual([]);
    },
  );
});

describe('municipality generation: invalid fixtures', () => {
  const file = fromPackageRoot('fixtures', 'invalid', 'GGOP_unknown_rehabilitation_type.xml');

  it.skipIf(!existsSync(file))('reports the unknown plan type of GGOP_unknown_rehabilitation_type.xml', () => {
    const document = parseBytes(readFileSync(file));
    const letter = childrenOf(document.root, 'RehabilitationPlan')[0];
    if (!isElement(letter)) throw new Error('no <RehabilitationPlan>');
    const issues = registry.validate(GGOP100, letter, '/Emessage/RehabilitationPlan', document);
    expectIssue(issues, 'invalid-value', '/Emessage/RehabilitationPlan/TypeOfRehabilitationPlan', /ZZ0175X, ZZ0175Y or ZZ0175Z/);
    expect(issues).toHaveLength(1);
  });
});

describe('XD1834C: broken messages', () => {
  const base = '/Emessage/ReportOfDischarge';
  const check = (xml: string) => validateLetter(xml, 'ReportOfDischarge', XD1834C);

  it('reports a missing Patient', () => {
    const start = REPORT_OF_DISCHARGE.indexOf('<Patient>');
    const end = REPORT_OF_DISCHARGE.indexOf('</Patient>') + '</Patient>'.length;
    const xml = REPORT_OF_DISCHARGE.slice(0, start) + REPORT_OF_DISCHARGE.slice(end);
    expectIssue(check(xml), 'missing-element', `${base}/Patient`, /required element <Patient>/);
  });

  it('reports a letter identifier longer than 14 characters', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<m3:Identifier>RHD2603170021</m3:Identifier>', '<m3:Identifier>RHD260317002100</m3:Identifier>');
    expectIssue(check(xml), 'invalid-value', `${base}/Letter/Identifier`, /1 to 14 characters/);
  });

  it('reports a VersionCode of another variant', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<m3:VersionCode>XD1834C</m3:VersionCode>', '<m3:VersionCode>XD1830C</m3:VersionCode>');
    expectIssue(check(xml), 'invalid-value', `${base}/Letter/VersionCode`, /XD1834C/);
  });

  it('reports a StatusCode, which this generation\'s Letter does not have', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<m3:EpisodeOfCareIdentifier>', '<m3:StatusCode>nytbrev</m3:StatusCode><m3:EpisodeOfCareIdentifier>');
    expectIssue(check(xml), 'unexpected-element', `${base}/Letter/StatusCode`);
  });

  it('reports Discharge before EndOfTreatment', () => {
    const xml = mutate(
      REPORT_OF_DISCHARGE,
      '<EndOfTreatment><Date>2026-03-16</Date><Time>12:00</Time></EndOfTreatment>\n    <Discharge><Date>2026-03-17</Date><Time>11:20</Time></Discharge>',
      '<Discharge><Date>2026-03-17</Date><Time>11:20</Time></Discharge>\n    <EndOfTreatment><Date>2026-03-16</Date><Time>12:00</Time></EndOfTreatment>',
    );
    expectIssue(check(xml), 'wrong-order', `${base}/EndOfTreatment`, /must come before <Discharge>/);
  });

  it('reports a duplicated Admission', () => {
    const admission = '<Admission><Date>2026-03-09</Date><Time>14:05</Time></Admission>';
    const xml = mutate(REPORT_OF_DISCHARGE, admission, admission + admission);
    expectIssue(check(xml), 'too-many', `${base}/Admission`);
  });

  it('reports an element the variant does not have', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<CauseOfAdmission>', '<Medicine>Furix</Medicine><CauseOfAdmission>');
    expectIssue(check(xml), 'unexpected-element', `${base}/Medicine`);
  });

  it('reports an impossible discharge date and a bad time', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<Discharge><Date>2026-03-17</Date><Time>11:20</Time>', '<Discharge><Date>2026-02-30</Date><Time>24:10</Time>');
    const issues = check(xml);
    expectIssue(issues, 'invalid-value', `${base}/Discharge/Date`, /calendar date/);
    expectIssue(issues, 'invalid-value', `${base}/Discharge/Time`, /hh:mm/);
  });

  it('reports a CPR number that is not 10 digits, and both CPR and AlternativeIdentifier', () => {
    const short = mutate(REPORT_OF_DISCHARGE, '<CivilRegistrationNumber>0101501234</CivilRegistrationNumber>', '<CivilRegistrationNumber>010150123</CivilRegistrationNumber>');
    expectIssue(check(short), 'invalid-value', `${base}/Patient/CivilRegistrationNumber`, /10 digits/);
    const both = mutate(
      REPORT_OF_DISCHARGE,
      '<CivilRegistrationNumber>0101501234</CivilRegistrationNumber>',
      '<CivilRegistrationNumber>0101501234</CivilRegistrationNumber><AlternativeIdentifier>01015X1234</AlternativeIdentifier>',
    );
    expectIssue(check(both), 'invalid-value', `${base}/Patient`, /exactly one of <CivilRegistrationNumber> or <AlternativeIdentifier>/);
    const neither = mutate(REPORT_OF_DISCHARGE, '<CivilRegistrationNumber>0101501234</CivilRegistrationNumber>', '');
    expectIssue(check(neither), 'invalid-value', `${base}/Patient`, /exactly one of/);
  });

  it('reports a receiver IdentifierCode outside the value list and a sender without SignedBy', () => {
    const code = mutate(REPORT_OF_DISCHARGE, '<IdentifierCode>kommunenummer</IdentifierCode>', '<IdentifierCode>kommunekode</IdentifierCode>');
    expectIssue(check(code), 'invalid-value', `${base}/Receiver/IdentifierCode`, /kommunenummer/);
    const start = REPORT_OF_DISCHARGE.indexOf('<SignedBy>');
    const end = REPORT_OF_DISCHARGE.indexOf('</SignedBy>') + '</SignedBy>'.length;
    expectIssue(check(REPORT_OF_DISCHARGE.slice(0, start) + REPORT_OF_DISCHARGE.slice(end)), 'missing-element', `${base}/Sender/SignedBy`);
  });

  it('reports an EANIdentifier longer than 35 characters', () => {
    const xml = mutate(REPORT_OF_DISCHARGE, '<EANIdentifier>5790000000036</EANIdentifier>', `<EANIdentifier>${'5'.repeat(36)}</EANIdentifier>`);
    expectIssue(check(xml), 'invalid-value', `${base}/Receiver/EANIdentifier`);
  });
});

describe('XD2134C: broken messages', () => {
  const base = '/Emessage/ProgressOfCarePlan';
  const check = (xml: string) => validateLetter(xml, 'ProgressOfCarePlan', XD2134C);

  it('reports an impossible AgreedDischarge time and ExpectedEndOfTreatment date', () => {
    const time = mutate(PROGRESS_OF_CARE_PLAN, '<Time>13:00</Time></AgreedDischarge>', '<Time>25:00</Time></AgreedDischarge>');
    expectIssue(check(time), 'invalid-value', `${base}/AgreedDischarge/Time`, /hh:mm/);
    const date = mutate(PROGRESS_OF_CARE_PLAN, '<m2:Date>2026-03-19</m2:Date>', '<m2:Date>19-03-2026</m2:Date>');
    expectIssue(check(date), 'invalid-value', `${base}/ExpectedEndOfTreatment/Date`, /YYYY-MM-DD/);
  });

  it('reports the TypeCode of another message type and a missing Authorisation', () => {
    const type = mutate(PROGRESS_OF_CARE_PLAN, '<m3:TypeCode>XDIS21</m3:TypeCode>', '<m3:TypeCode>XDIS18</m3:TypeCode>');
    expectIssue(check(type), 'invalid-value', `${base}/Letter/TypeCode`, /XDIS21/);
    const auth = mutate(PROGRESS_OF_CARE_PLAN, '<m3:Authorisation><Date>2026-03-17</Date><Time>11:45</Time></m3:Authorisation>', '');
    expectIssue(check(auth), 'missing-element', `${base}/Letter/Authorisation`);
  });

  it('reports AgreedDischarge before ExpectedEndOfTreatment', () => {
    const agreed = '<AgreedDischarge><Date>2026-03-20</Date><Time>13:00</Time></AgreedDischarge>';
    const xml = mutate(mutate(PROGRESS_OF_CARE_PLAN, agreed, ''), '<m2:ExpectedEndOfTreatment>', `${agreed}<m2:ExpectedEndOfTreatment>`);
    expectIssue(check(xml), 'wrong-order', `${base}/ExpectedEndOfTreatment`);
  });
});

describe('GGOP ggop100: broken messages', () => {
  const base = '/Emessage/RehabilitationPlan';
  const check = (xml: string) => validateLetter(xml, 'RehabilitationPlan', GGOP100);

  it('reports a plan type outside ZZ0175X/Y/Z and a missing plan type', () => {
    const bad = mutate(REHABILITATION_PLAN, 'ZZ0175Y', 'ZZ0175Q');
    expectIssue(check(bad), 'invalid-value', `${base}/TypeOfRehabilitationPlan`, /ZZ0175X/);
    const missing = mutate(REHABILITATION_PLAN, '<m4:TypeOfRehabilitationPlan>ZZ0175Y</m4:TypeOfRehabilitationPlan>', '');
    expectIssue(check(missing), 'missing-element', `${base}/TypeOfRehabilitationPlan`);
  });

  it('reports an impossible rehabilitation deadline', () => {
    const xml = mutate(REHABILITATION_PLAN, '<m4:RehabilitationDeadline>2026-03-24</m4:RehabilitationDeadline>', '<m4:RehabilitationDeadline>2026-13-01</m4:RehabilitationDeadline>');
    expectIssue(check(xml), 'invalid-value', `${base}/RehabilitationDeadline`, /calendar date/);
  });

  it('accepts the deadline as a <Date> child too, and checks that date', () => {
    const deadline = '<m4:RehabilitationDeadline>2026-03-24</m4:RehabilitationDeadline>';
    const wrapped = mutate(REHABILITATION_PLAN, deadline, '<m4:RehabilitationDeadline><Date>2026-03-24</Date><Time>10:00</Time></m4:RehabilitationDeadline>');
    expect(check(wrapped)).toEqual([]);
    const bad = mutate(REHABILITATION_PLAN, deadline, '<m4:RehabilitationDeadline><Date>2026-02-29</Date></m4:RehabilitationDeadline>');
    expectIssue(check(bad), 'invalid-value', `${base}/RehabilitationDeadline/Date`, /calendar date/);
  });

  it('reports both ContactCounty and ContactMunicipality (an xs:choice)', () => {
    const xml = mutate(REHABILITATION_PLAN, '<m4:ContactMunicipality>', '<m4:ContactCounty>Region Demo</m4:ContactCounty><m4:ContactMunicipality>');
    expectIssue(check(xml), 'invalid-value', base, /at most one of <ContactCounty> or <ContactMunicipality>/);
  });

  it('reports a GP copy receiver without EANIdentifier, and two of them', () => {
    const noEan = mutate(REHABILITATION_PLAN, '<EANIdentifier>5790000000050</EANIdentifier>', '');
    expectIssue(check(noEan), 'missing-element', `${base}/GPCCReceiver/EANIdentifier`);
    const gp = REHABILITATION_PLAN.slice(REHABILITATION_PLAN.indexOf('<GPCCReceiver>'), REHABILITATION_PLAN.indexOf('</GPCCReceiver>') + '</GPCCReceiver>'.length);
    expectIssue(check(mutate(REHABILITATION_PLAN, gp, gp + gp)), 'too-many', `${base}/GPCCReceiver`);
  });

  it('reports a VersionCode of another type, and the plan type before the copy receivers', () => {
    const version = mutate(REHABILITATION_PLAN, '<m3:VersionCode>ggop100</m3:VersionCode>', '<m3:VersionCode>XD1834C</m3:VersionCode>');
    expectIssue(check(version), 'invalid-value', `${base}/Letter/VersionCode`, /ggop100/);
    const type = '<m4:TypeOfRehabilitationPlan>ZZ0175Y</m4:TypeOfRehabilitationPlan>';
    const moved = mutate(mutate(REHABILITATION_PLAN, type, ''), '<GPCCReceiver>', `${type}<GPCCReceiver>`);
    expectIssue(check(moved), 'wrong-order', `${base}/GPCCReceiver`);
  });
});

describe('FCTL: the FHIR Acknowledgement', () => {
  const flow4 = sharedPath('medcom-samples', 'Flow4-Acknowledgement_Ex_from_OIOXML.xml');

  it.skipIf(!hasShared('medcom-samples', 'Flow4-Acknowledgement_Ex_from_OIOXML.xml'))('accepts MedCom\'s Flow4 Acknowledgement example', () => {
    const document = parseBytes(readFileSync(flow4));
    expect(registry.validate(ACK, document.root, '/Bundle', document)).toEqual([]);
  });

  it('accepts an acknowledgement whose MessageHeader is not the first entry', () => {
    expect(validateBundle(ACKNOWLEDGEMENT)).toEqual([]);
  });

  it('reports a response code outside ok | transient-error | fatal-error', () => {
    const xml = mutate(ACKNOWLEDGEMENT, '<code value="fatal-error"/>', '<code value="AE"/>');
    expectIssue(validateBundle(xml), 'invalid-value', '/Bundle/entry[2]/resource/MessageHeader/response/code/@value', /transient-error/);
  });

  it('reports a Bundle type other than message, and a timestamp without time zone', () => {
    expectIssue(validateBundle(mutate(ACKNOWLEDGEMENT, '<type value="message"/>', '<type value="document"/>')), 'invalid-value', '/Bundle/type/@value', /message/);
    const noZone = mutate(ACKNOWLEDGEMENT, '2026-03-17T11:50:12+01:00', '2026-03-17T11:50:12');
    expectIssue(validateBundle(noZone), 'invalid-value', '/Bundle/timestamp/@value', /time zone/);
  });

  it('reports a missing Bundle id and a missing response identifier', () => {
    const noId = mutate(ACKNOWLEDGEMENT, '<id value="7d1c6f1e-2b8a-4c43-9a57-0f3e1c2d9b11"/>', '');
    expectIssue(validateBundle(noId), 'missing-element', '/Bundle/id');
    const noResponseId = mutate(ACKNOWLEDGEMENT, '<identifier value="080d88be-177c-42a4-9124-de4e73ad485a"/>', '');
    expectIssue(validateBundle(noResponseId), 'missing-element', '/Bundle/entry[2]/resource/MessageHeader/response/identifier');
  });

  it('reports an event code other than acknowledgement-message', () => {
    const xml = mutate(ACKNOWLEDGEMENT, '<code value="acknowledgement-message"/>', '<code value="care-communication-message"/>');
    expectIssue(validateBundle(xml), 'invalid-value', '/Bundle/entry[2]/resource/MessageHeader/eventCoding/code/@value', /acknowledgement-message/);
  });

  it('reports a Bundle without any MessageHeader entry', () => {
    const start = ACKNOWLEDGEMENT.indexOf('<entry>\n    <fullUrl value="MessageHeader');
    const end = ACKNOWLEDGEMENT.lastIndexOf('</entry>') + '</entry>'.length;
    const xml = ACKNOWLEDGEMENT.slice(0, start) + ACKNOWLEDGEMENT.slice(end);
    expectIssue(validateBundle(xml), 'invalid-value', '/Bundle/entry', /MessageHeader/);
  });
});

describe('extension.json: the gateway\'s Local_Elements extension', () => {
  const base = '/Emessage/Local_Elements/Gateway';

  it('accepts every child, and an empty <Gateway/>', () => {
    expect(validateGateway(WITH_GATEWAY_EXTENSION)).toEqual([]);
    const start = WITH_GATEWAY_EXTENSION.indexOf('<gw:Gateway');
    const end = WITH_GATEWAY_EXTENSION.indexOf('</gw:Gateway>') + '</gw:Gateway>'.length;
    const empty = `${WITH_GATEWAY_EXTENSION.slice(0, start)}<gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1"/>${WITH_GATEWAY_EXTENSION.slice(end)}`;
    expect(validateGateway(empty)).toEqual([]);
  });

  it('reports an unknown warning category and a fifth category', () => {
    const bad = mutate(WITH_GATEWAY_EXTENSION, '>REDUCED_CARE<', '>REDUCED_NURSING<');
    expectIssue(validateGateway(bad), 'invalid-value', `${base}/WarningCategory`, /UNCHANGED_SIMPLE_NURSING/);
    const category = '<gw:WarningCategory>REDUCED_CARE</gw:WarningCategory>';
    const five = mutate(WITH_GATEWAY_EXTENSION, category, category.repeat(4));
    expectIssue(validateGateway(five), 'too-many', `${base}/WarningCategory`);
  });

  it('reports a boolean that is not true/false, an impossible nursing service day and a bad admission kind', () => {
    const issues = validateGateway(
      mutate(
        mutate(mutate(WITH_GATEWAY_EXTENSION, '<gw:RetrainingExpected>true<', '<gw:RetrainingExpected>ja<'), '2026-03-18', '2026-03-32'),
        '>ACUTE<',
        '>EMERGENCY<',
      ),
    );
    expectIssue(issues, 'invalid-value', `${base}/RetrainingExpected`, /"true" or "false"/);
    expectIssue(issues, 'invalid-value', `${base}/NursingServiceDay`, /calendar date/);
    expectIssue(issues, 'invalid-value', `${base}/AdmissionKind`, /PLANNED/);
  });

  it('reports a Consent without receiver, with a bad EAN and with a bad value', () => {
    const noReceiver = mutate(WITH_GATEWAY_EXTENSION, '<gw:Consent receiver="5790000000050">true</gw:Consent>', '<gw:Consent>true</gw:Consent>');
    expectIssue(validateGateway(noReceiver), 'invalid-value', `${base}/Consent`, /receiver attribute is missing/);
    const badEan = mutate(WITH_GATEWAY_EXTENSION, 'receiver="5790000000050"', 'receiver="57900"');
    expectIssue(validateGateway(badEan), 'invalid-value', `${base}/Consent/@receiver`, /13 digits/);
    const badValue = mutate(WITH_GATEWAY_EXTENSION, 'receiver="5790000000043">false<', 'receiver="5790000000043">maybe<');
    expectIssue(validateGateway(badValue), 'invalid-value', `${base}/Consent[2]/text()`, /"true" or "false"/);
  });

  it('reports children out of order and an unknown child', () => {
    const kind = '<gw:AdmissionKind>ACUTE</gw:AdmissionKind>';
    const moved = mutate(mutate(WITH_GATEWAY_EXTENSION, kind, ''), '<gw:NursingServiceDay>', `${kind}<gw:NursingServiceDay>`);
    expectIssue(validateGateway(moved), 'wrong-order', `${base}/NursingServiceDay`, /must come before <AdmissionKind>/);
    const unknown = mutate(WITH_GATEWAY_EXTENSION, '<gw:Psychiatric>', '<gw:Priority>high</gw:Priority><gw:Psychiatric>');
    expectIssue(validateGateway(unknown), 'unexpected-element', `${base}/Priority`);
  });
});

/**
 * The 2005/08/07 schemas (XDIS20, XDIS17, XDIS14, XDIS19, XDIS91/XD9133L, XCTL01-03) against the real
 * samples, any fixtures of those types, and inline messages: valid ones must give no issue, broken
 * ones a specific issue at the right XML path. Where MedCom's XSD is at hand (../shared/medcom-xsd),
 * every inline message is also validated with xmllint, so each case proves "our verdict = XSD verdict".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate } from '../support/mutate.js';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { decodeText } from '../../src/codec/decode-text.js';
import type { ValidationIssue } from '../../src/codec/issues.js';
import { SchemaRegistry } from '../../src/codec/schema-validator.js';
import { childrenOf, parseXml, type XmlDocument, type XmlNode } from '../../src/codec/xml-tree.js';
import { MESSAGE_TYPES } from '../../src/domain/catalogue.js';
import { NS_2005 } from '../../src/domain/namespaces.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { hasShared, SHARED_DIR } from '../support/shared-dir.js';

const SHARED = SHARED_DIR;
const SAMPLES = join(SHARED, 'medcom-samples');
const XSD_DIR = join(SHARED, 'medcom-xsd', '2005', '08', '07');
const FIXTURES = fromPackageRoot('fixtures', 'valid');

/** Root element → schema reference, for every 2005/08/07 variant this file covers (from the catalogue). */
const REF_BY_ROOT = new Map<string, string>(
  MESSAGE_TYPES.flatMap((type) =>
    type.variants.filter((v) => v.generation === '2005/08/07').map((v) => [type.rootElement, v.schemaRef] as const),
  ),
);

const registry = new SchemaRegistry();

interface Letter {
  document: XmlDocument;
  root: string;
  element: XmlNode;
  path: string;
}

function letterOf(text: string): Letter {
  const parsed = parseXml(text);
  if (!parsed.ok) throw new Error(`not parsed: ${JSON.stringify(parsed.issues)}`);
  const { document } = parsed;
  for (const root of REF_BY_ROOT.keys()) {
    const element = childrenOf(document.root, root)[0];
    if (element !== undefined) return { document, root, element, path: `/Emessage/${root}` };
  }
  throw new Error('no 2005 letter element in the message');
}

function validate(text: string): ValidationIssue[] {
  const letter = letterOf(text);
  const ref = REF_BY_ROOT.get(letter.root) as string;
  return registry.validate(ref, letter.element, letter.path, letter.document);
}

function decodeFile(path: string): string {
  const decoded = decodeText(readFileSync(path));
  if (!decoded.ok) throw new Error(`${path}: ${JSON.stringify(decoded.issues)}`);
  return decoded.text;
}

// ---------------------------------------------------------------------------------------------
// xmllint with MedCom's own XSD (only where ../shared/medcom-xsd is present)

const HAS_XSD = hasShared('medcom-xsd', '2005', '08', '07', 'EMessage.xsd');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

let xsdFiles: { schema: XMLFileInfo[]; preload: XMLFileInfo[] } | undefined;

async function xsdValid(text: string): Promise<{ valid: boolean; errors: string[] }> {
  xsdFiles ??= {
    schema: [{ fileName: 'EMessage.xsd', contents: readFileSync(join(XSD_DIR, 'EMessage.xsd'), 'utf8') }],
    preload: walk(XSD_DIR)
      .filter((path) => path.endsWith('.xsd') && !path.endsWith('/EMessage.xsd'))
      .map((path) => ({ fileName: relative(XSD_DIR, path), contents: readFileSync(path, 'utf8') })),
  };
  // xmllint-wasm reads only UTF-8: hand it the decoded text with a matching declaration.
  const utf8 = text.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="UTF-8"?>');
  const result = await validateXML({ xml: [{ fileName: 'message.xml', contents: utf8 }], ...xsdFiles });
  return { valid: result.valid, errors: result.errors.map((e) => e.rawMessage) };
}

// ---------------------------------------------------------------------------------------------
// Inline messages

const emessage = (letter: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Emessage xmlns="${NS_2005}"><Envelope><Sent><Date>2005-09-01</Date><Time>10:15</Time></Sent>` +
  `<Identifier>ENV0001</Identifier><AcknowledgementCode>pluspositivkvitt</AcknowledgementCode></Envelope>${letter}</Emessage>`;

const ADVIS_SENDER =
  '<Sender><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode>' +
  '<OrganisationName>Testsygehus</OrganisationName><DepartmentName>Medicinsk afdeling</DepartmentName><UnitName>M2</UnitName>' +
  '<TelephoneSubscriberIdentifier>70101010</TelephoneSubscriberIdentifier><AnswerTo><EANIdentifier>5790000123457</EANIdentifier></AnswerTo></Sender>';
const ADVIS_RECEIVER =
  '<Receiver><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
  '<OrganisationName>Testkommune</OrganisationName></Receiver>';

const XD2030C_FULL = emessage(
  '<NotificationOfAdmission><Letter><Identifier>LTR0001</Identifier><VersionCode>XD2030C</VersionCode><StatisticalCode>XDIS20</StatisticalCode>' +
    '<Authorisation><Date>2005-09-01</Date><TimeWithSec>10:15:00</TimeWithSec></Authorisation><TypeCode>XDIS20</TypeCode>' +
    '<StatusCode>annulleretbrev</StatusCode><NotificationIdentifier>NOTIF-0001</NotificationIdentifier></Letter>' +
    `${ADVIS_SENDER}${ADVIS_RECEIVER}` +
    '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber><EpisodeOfCareStatusCode>doed</EpisodeOfCareStatusCode></Patient>' +
    '<Admission><Date>2005-09-01</Date><Time>08:00</Time></Admission></NotificationOfAdmission>',
);

const XD1730C_MINIMAL = emessage(
  '<NotificationOfDischarge><Letter><Identifier>LTR0002</Identifier><VersionCode>XD1730C</VersionCode><StatisticalCode>XDIS17</StatisticalCode>' +
    '<Authorisation><Date>2005-09-02</Date><TimeWithSec>23:59:59</TimeWithSec></Authorisation><TypeCode>XDIS17</TypeCode>' +
    '<StatusCode>rettetbrev</StatusCode><NotificationIdentifier>NOTIF-0002</NotificationIdentifier></Letter>' +
    '<Sender><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode>' +
    '<OrganisationName>Testsygehus</OrganisationName></Sender>' +
    '<Receiver><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode></Receiver>' +
    '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber><EpisodeOfCareStatusCode>udskrevet_til_hjemmet</EpisodeOfCareStatusCode></Patient>' +
    '<Discharge><Date>2005-09-02</Date><Time>12:00</Time></Discharge></NotificationOfDischarge>',
);

const XD1431C_MINIMAL = emessage(
  '<AnswerOfAdmission><Letter><Identifier>LTR0003</Identifier><VersionCode>XD1431C</VersionCode><StatisticalCode>XDIS14</StatisticalCode>' +
    '<Authorisation><Date>2005-09-01</Date><TimeWithSec>11:00:00</TimeWithSec></Authorisation><TypeCode>XDIS14</TypeCode>' +
    '<StatusCode>nytbrev</StatusCode><NotificationIdentifier>NOTIF-0001</NotificationIdentifier></Letter>' +
    '<Sender><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
    '<OrganisationName>Testkommune</OrganisationName><ContactInformation/><ContactInformation><ContactTimeText>ma-fre 8-15</ContactTimeText></ContactInformation></Sender>' +
    '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode></Receiver>' +
    '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber></Patient></AnswerOfAdmission>',
);

const FORMATTED =
  'Linje 1<Break/>Linje 2 med <Bold>fed<Break/>tekst</Bold>, <Italic>kursiv</Italic>, <Underline>understreget</Underline>' +
  '<Space/><Center>midt</Center><Right/><FixedFont>kode <Bold>x</Bold><Space/><Break/></FixedFont> slut';

const XD1930C_FULL = emessage(
  '<WarningOfDischarge><Letter><Identifier>LTR0004</Identifier><VersionCode>XD1930C</VersionCode><StatisticalCode>XDIS19</StatisticalCode>' +
    '<Authorisation><Date>2005-09-03</Date><Time>09:30</Time></Authorisation><TypeCode>XDIS19</TypeCode><StatusCode>nytbrev</StatusCode>' +
    '<EpisodeOfCareIdentifier>EPI-42</EpisodeOfCareIdentifier></Letter>' +
    '<Sender><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode>' +
    '<OrganisationName>Testsygehus</OrganisationName><DepartmentName>Medicinsk afdeling</DepartmentName><UnitName>M2</UnitName>' +
    '<StreetName>Sygehusvej 1</StreetName><SuburbName>Nordby</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
    '<TelephoneSubscriberIdentifier>70101010</TelephoneSubscriberIdentifier><MedicalSpecialityCode>geriatri</MedicalSpecialityCode>' +
    '<Signatur><PersonSurnameName>Hansen</PersonSurnameName><PersonGivenName>Jens</PersonGivenName><PersonTitle>Overlæge</PersonTitle></Signatur>' +
    '<ContactInformation><ContactName>Sygeplejerske</ContactName><ContactName>Afsnit M2</ContactName><TelephoneSubscriberIdentifier>70101011</TelephoneSubscriberIdentifier>' +
    '<TelefaxSubscriberIdentifier>70101012</TelefaxSubscriberIdentifier><EmailIdentifier>m2@example.dk</EmailIdentifier><ContactTimeText>hele døgnet</ContactTimeText></ContactInformation>' +
    '<ContactInformation/></Sender>' +
    '<Receiver><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
    '<OrganisationName>Testkommune</OrganisationName><DepartmentName>Visitationen</DepartmentName><UnitName>Team 1</UnitName>' +
    '<StreetName>Rådhuspladsen 1</StreetName><SuburbName>Centrum</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier/></Receiver>' +
    '<CCReceiver><Identifier>012345</Identifier><IdentifierCode>ydernummer</IdentifierCode><OrganisationName>Lægehuset</OrganisationName>' +
    '<DepartmentName>A</DepartmentName><UnitName>B</UnitName><StreetName>Lægevej 2</StreetName><SuburbName>S</SuburbName><DistrictName>Testby</DistrictName>' +
    '<PostCodeIdentifier>DK-9999</PostCodeIdentifier></CCReceiver>' +
    '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber><PersonSurnameName>Testesen</PersonSurnameName><PersonGivenName>Test</PersonGivenName>' +
    '<StreetName>Testvej 3</StreetName><SuburbName>Syd</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
    '<OccupancyText>Pensionist</OccupancyText><EpisodeOfCareStatusCode>indlagt</EpisodeOfCareStatusCode></Patient>' +
    '<Relative><RelationCode>barn</RelationCode><PersonIdentifier>0202024321</PersonIdentifier><PersonSurnameName>Testesen</PersonSurnameName>' +
    '<PersonGivenName>Datter</PersonGivenName><StreetName>Andenvej 4</StreetName><SuburbName>Vest</SuburbName><DistrictName>Testby</DistrictName>' +
    '<PostCodeIdentifier>9999</PostCodeIdentifier>' +
    '<CodedTelephoneSubscriberIdentifier><TelephoneCode>mobil</TelephoneCode><TelephoneSubscriberIdentifier>20202020</TelephoneSubscriberIdentifier></CodedTelephoneSubscriberIdentifier>' +
    '<CodedTelephoneSubscriberIdentifier><TelephoneCode>arbejde</TelephoneCode><TelephoneSubscriberIdentifier>30303030</TelephoneSubscriberIdentifier></CodedTelephoneSubscriberIdentifier>' +
    '</Relative>' +
    '<Relative><RelationCode>uspec_paaroerende</RelationCode><PersonSurnameName>Nabo</PersonSurnameName></Relative>' +
    '<FamilyDoctor><Identifier>012345</Identifier><OrganisationName>Lægehuset</OrganisationName><TelephoneSubscriberIdentifier>40404040</TelephoneSubscriberIdentifier></FamilyDoctor>' +
    '<Admission><Date>2005-08-20</Date><Time>14:00</Time></Admission><PlanConference><Date>2005-09-05</Date><Time>13:00</Time></PlanConference>' +
    '<EndOfTreatment><Date>2005-09-06</Date><Time>12:00</Time></EndOfTreatment><PlannedDischarge><Date>2005-09-08</Date><Time>10:00</Time></PlannedDischarge>' +
    `<CareDescription><CommentsText>${FORMATTED}</CommentsText></CareDescription></WarningOfDischarge>`,
);

const XD1930C_MINIMAL = emessage(
  '<WarningOfDischarge><Letter><Identifier>LTR0005</Identifier><VersionCode>XD1930C</VersionCode><StatisticalCode>XDIS19</StatisticalCode>' +
    '<Authorisation><Date>2004-02-29</Date><Time>00:00</Time></Authorisation><TypeCode>XDIS19</TypeCode><StatusCode>rettetbrev</StatusCode></Letter>' +
    '<Sender><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sorkode</IdentifierCode>' +
    '<OrganisationName>Testsygehus</OrganisationName>' +
    '<Signatur><PersonSurnameName>Hansen</PersonSurnameName><PersonGivenName>Jens</PersonGivenName><PersonTitle>Overlæge</PersonTitle></Signatur></Sender>' +
    '<Receiver><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode></Receiver>' +
    '<Patient><AlternativeIdentifier>X123456789</AlternativeIdentifier><PersonSurnameName>Ukendt</PersonSurnameName>' +
    '<EpisodeOfCareStatusCode>ambulant_roentgen</EpisodeOfCareStatusCode></Patient>' +
    '<FamilyDoctor/>' +
    '<Admission><Date>2004-02-20</Date><Time>14:00</Time></Admission>' +
    '<EndOfTreatment><Date>2004-02-28</Date><Time>12:00</Time></EndOfTreatment><PlannedDischarge><Date>2004-03-01</Date><Time>23:59</Time></PlannedDischarge>' +
    '<CareDescription><CommentsText/></CareDescription></WarningOfDischarge>',
);

const XD9133L_FULL = emessage(
  '<ClinicalEmail><Letter><Identifier>LTR0006</Identifier><VersionCode>XD9133L</VersionCode><StatisticalCode>XDIS91</StatisticalCode>' +
    '<Authorisation><Date>2005-09-04</Date><Time>16:45</Time></Authorisation><TypeCode>XDIS91</TypeCode><StatusCode>nytbrev</StatusCode>' +
    '<EpisodeOfCareIdentifier>EPI-43</EpisodeOfCareIdentifier></Letter>' +
    '<Sender><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
    '<OrganisationName>Testkommune</OrganisationName><DepartmentName>Hjemmeplejen</DepartmentName><UnitName>Gruppe 2</UnitName>' +
    '<StreetName>Rådhuspladsen 1</StreetName><SuburbName>Centrum</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
    '<TelephoneSubscriberIdentifier>44601000</TelephoneSubscriberIdentifier><MedicalSpecialityCode>ikkeklassificeret</MedicalSpecialityCode></Sender>' +
    '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode></Receiver>' +
    '<Patient><AlternativeIdentifier>0101001234</AlternativeIdentifier><PersonSurnameName>Testesen</PersonSurnameName>' +
    '<EpisodeOfCareStatusCode>inaktiv</EpisodeOfCareStatusCode></Patient>' +
    '<ClinicalInformation><Text01>Emne: Medicin</Text01></ClinicalInformation>' +
    `<ClinicalInformation><Text01>${FORMATTED}</Text01></ClinicalInformation>` +
    '<Reference><RefDescription>Vejledning</RefDescription><URL>https://example.dk/vejledning</URL></Reference>' +
    '<Reference><RefDescription>Supplerende oplysninger</RefDescription><SUP>true</SUP></Reference>' +
    '<Reference><RefDescription>Billede</RefDescription><BIN><ObjectIdentifier>OBJ-1</ObjectIdentifier><ObjectCode>billede</ObjectCode>' +
    '<ObjectExtensionCode>jpeg</ObjectExtensionCode><OriginalObjectSize>123456</OriginalObjectSize></BIN></Reference></ClinicalEmail>',
);

const XD9133L_MINIMAL = emessage(
  '<ClinicalEmail><Letter><Identifier>LTR0007</Identifier><VersionCode>XD9133L</VersionCode><StatisticalCode>XDIS91</StatisticalCode>' +
    '<Authorisation><Date>2005-09-04</Date><Time>16:45</Time></Authorisation><TypeCode>XDIS91</TypeCode><StatusCode>rettetbrev</StatusCode></Letter>' +
    '<Sender><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
    '<OrganisationName>Testkommune</OrganisationName></Sender>' +
    '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode></Receiver>' +
    '<Patient><CivilRegistrationNumber>0000000000</CivilRegistrationNumber><PersonSurnameName>Testesen</PersonSurnameName>' +
    '<EpisodeOfCareStatusCode>ambulant</EpisodeOfCareStatusCode></Patient></ClinicalEmail>',
);

const RECEIPT_HEAD = (root: string, versionCode: string, statisticalCode: string): string =>
  `<${root}><Letter><Identifier>BREV0001</Identifier><VersionCode>${versionCode}</VersionCode><StatisticalCode>${statisticalCode}</StatisticalCode></Letter>` +
  '<Sender><EANIdentifier>5790000123456</EANIdentifier></Sender><Receiver><EANIdentifier>5790000654321</EANIdentifier></Receiver>' +
  '<OriginalEmessage><OriginalEnvelopeIdentifier>ENV0001</OriginalEnvelopeIdentifier>' +
  '<OriginalSender><EANIdentifier>5790000654321</EANIdentifier></OriginalSender><OriginalReceiver><EANIdentifier>5790000123456</EANIdentifier></OriginalReceiver>';

const XC0130Q_MINIMAL = emessage(`${RECEIPT_HEAD('NegativeVansReceipt', 'XC0130Q', 'XCTL01')}</OriginalEmessage></NegativeVansReceipt>`);

const XC0230Q_FULL = emessage(
  `${RECEIPT_HEAD('NegativeReceipt', 'XC0230Q', 'XCTL02')}<RefuseCode>syntaksfejl</RefuseCode><RefuseText>Fejl<Break/>i<Space/>brevet</RefuseText>` +
    '<OriginalLetter><OriginalLetterIdentifier>LTR0001</OriginalLetterIdentifier><OriginalVersionCode>XD2030C</OriginalVersionCode>' +
    '<RefuseCode>problem_med_modtagerID</RefuseCode><RefuseText>Ukendt modtager</RefuseText></OriginalLetter>' +
    '<OriginalLetter><OriginalLetterIdentifier>LTR0002</OriginalLetterIdentifier><OriginalVersionCode>XD1730C</OriginalVersionCode></OriginalLetter>' +
    '</OriginalEmessage></NegativeReceipt>',
);

const XC0330Q_FULL = emessage(
  `${RECEIPT_HEAD('PositiveReceipt', 'XC0330Q', 'XCTL03')}` +
    '<OriginalLetter><OriginalLetterIdentifier>LTR0001</OriginalLetterIdentifier><OriginalVersionCode>XD2030C</OriginalVersionCode></OriginalLetter>' +
    '</OriginalEmessage></PositiveReceipt>',
);

const INLINE_VALID: Record<string, string> = {
  XD2030C_FULL,
  XD1730C_MINIMAL,
  XD1431C_MINIMAL,
  XD1930C_FULL,
  XD1930C_MINIMAL,
  XD9133L_FULL,
  XD9133L_MINIMAL,
  XC0130Q_MINIMAL,
  XC0230Q_FULL,
  XC0330Q_FULL,
};


interface BrokenCase {
  name: string;
  xml: string;
  code: ValidationIssue['code'];
  path: string;
}

const NOA = '/Emessage/NotificationOfAdmission';
const NOD = '/Emessage/NotificationOfDischarge';
const AOA = '/Emessage/AnswerOfAdmission';
const WOD = '/Emessage/WarningOfDischarge';
const CE = '/Emessage/ClinicalEmail';
const NVR = '/Emessage/NegativeVansReceipt';
const NR = '/Emessage/NegativeReceipt';
const PR = '/Emessage/PositiveReceipt';

const BROKEN: BrokenCase[] = [
  // missing required elements
  { name: 'XDIS20 without Admission', xml: mutate(XD2030C_FULL, /<Admission>.*<\/Admission>/, ''), code: 'missing-element', path: `${NOA}/Admission` },
  { name: 'XDIS20 Sender without AnswerTo', xml: mutate(XD2030C_FULL, /<AnswerTo>.*<\/AnswerTo>/, ''), code: 'missing-element', path: `${NOA}/Sender/AnswerTo` },
  { name: 'XDIS17 Letter without NotificationIdentifier', xml: mutate(XD1730C_MINIMAL, /<NotificationIdentifier>[^<]*<\/NotificationIdentifier>/, ''), code: 'missing-element', path: `${NOD}/Letter/NotificationIdentifier` },
  { name: 'XDIS19 without EndOfTreatment', xml: mutate(XD1930C_MINIMAL, /<EndOfTreatment>.*?<\/EndOfTreatment>/, ''), code: 'missing-element', path: `${WOD}/EndOfTreatment` },
  { name: 'XDIS19 Sender without Signatur', xml: mutate(XD1930C_MINIMAL, /<Signatur>.*?<\/Signatur>/, ''), code: 'missing-element', path: `${WOD}/Sender/Signatur` },
  { name: 'XDIS19 Signatur without PersonTitle', xml: mutate(XD1930C_MINIMAL, /<PersonTitle>[^<]*<\/PersonTitle>/, ''), code: 'missing-element', path: `${WOD}/Sender/Signatur/PersonTitle` },
  { name: 'XDIS19 Patient without EpisodeOfCareStatusCode', xml: mutate(XD1930C_MINIMAL, /<EpisodeOfCareStatusCode>[^<]*<\/EpisodeOfCareStatusCode>/, ''), code: 'missing-element', path: `${WOD}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS19 CareDescription without CommentsText', xml: mutate(XD1930C_MINIMAL, '<CommentsText/>', ''), code: 'invalid-value', path: `${WOD}/CareDescription` },
  { name: 'XDIS91 Patient without CPR or AlternativeIdentifier', xml: mutate(XD9133L_MINIMAL, /<CivilRegistrationNumber>[^<]*<\/CivilRegistrationNumber>/, ''), code: 'invalid-value', path: `${CE}/Patient` },
  { name: 'XDIS91 Reference without URL/SUP/BIN', xml: mutate(XD9133L_FULL, '<SUP>true</SUP>', ''), code: 'invalid-value', path: `${CE}/Reference[2]` },
  { name: 'XCTL01 without OriginalEnvelopeIdentifier', xml: mutate(XC0130Q_MINIMAL, /<OriginalEnvelopeIdentifier>[^<]*<\/OriginalEnvelopeIdentifier>/, ''), code: 'missing-element', path: `${NVR}/OriginalEmessage/OriginalEnvelopeIdentifier` },
  { name: 'XCTL03 OriginalLetter without OriginalVersionCode', xml: mutate(XC0330Q_FULL, /<OriginalVersionCode>[^<]*<\/OriginalVersionCode>/, ''), code: 'missing-element', path: `${PR}/OriginalEmessage/OriginalLetter/OriginalVersionCode` },
  // lengths
  { name: 'XDIS20 Letter/Identifier of 15 characters', xml: mutate(XD2030C_FULL, '<Identifier>LTR0001</Identifier>', `<Identifier>${'L'.repeat(15)}</Identifier>`), code: 'invalid-value', path: `${NOA}/Letter/Identifier` },
  { name: 'XDIS14 Sender/Identifier of 18 characters', xml: mutate(XD1431C_MINIMAL, '<Identifier>173</Identifier>', `<Identifier>${'1'.repeat(18)}</Identifier>`), code: 'invalid-value', path: `${AOA}/Sender/Identifier` },
  { name: 'XDIS19 empty StreetName', xml: mutate(XD1930C_FULL, '<StreetName>Testvej 3</StreetName>', '<StreetName/>'), code: 'invalid-value', path: `${WOD}/Patient/StreetName` },
  { name: 'XDIS19 PostCodeIdentifier of 10 characters', xml: mutate(XD1930C_FULL, '<PostCodeIdentifier>DK-9999</PostCodeIdentifier>', '<PostCodeIdentifier>DK-9999-00</PostCodeIdentifier>'), code: 'invalid-value', path: `${WOD}/CCReceiver/PostCodeIdentifier` },
  { name: 'XDIS19 AlternativeIdentifier of 9 characters', xml: mutate(XD1930C_MINIMAL, 'X123456789', 'X12345678'), code: 'invalid-value', path: `${WOD}/Patient/AlternativeIdentifier` },
  { name: 'XCTL02 OriginalVersionCode of 8 characters', xml: mutate(XC0230Q_FULL, '<OriginalVersionCode>XD1730C</OriginalVersionCode>', '<OriginalVersionCode>XD1730CX</OriginalVersionCode>'), code: 'invalid-value', path: `${NR}/OriginalEmessage/OriginalLetter[2]/OriginalVersionCode` },
  // enumerations, fixed codes and patterns
  { name: 'XDIS20 IdentifierCode "amt" (2006 only)', xml: mutate(XD2030C_FULL, '<IdentifierCode>kommunenummer</IdentifierCode>', '<IdentifierCode>amt</IdentifierCode>'), code: 'invalid-value', path: `${NOA}/Receiver/IdentifierCode` },
  { name: 'XDIS20 EpisodeOfCareStatusCode "ambulant"', xml: mutate(XD2030C_FULL, '>doed<', '>ambulant<'), code: 'invalid-value', path: `${NOA}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS17 EpisodeOfCareStatusCode "indlagt"', xml: mutate(XD1730C_MINIMAL, '>udskrevet_til_hjemmet<', '>indlagt<'), code: 'invalid-value', path: `${NOD}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS14 StatusCode "rettetbrev"', xml: mutate(XD1431C_MINIMAL, '>nytbrev<', '>rettetbrev<'), code: 'invalid-value', path: `${AOA}/Letter/StatusCode` },
  { name: 'XDIS19 StatusCode "annulleretbrev"', xml: mutate(XD1930C_MINIMAL, '>rettetbrev<', '>annulleretbrev<'), code: 'invalid-value', path: `${WOD}/Letter/StatusCode` },
  { name: 'XDIS19 MedicalSpecialityCode unknown', xml: mutate(XD1930C_FULL, '>geriatri<', '>geriatric<'), code: 'invalid-value', path: `${WOD}/Sender/MedicalSpecialityCode` },
  { name: 'XDIS19 TelephoneCode "fastnet"', xml: mutate(XD1930C_FULL, '<TelephoneCode>arbejde</TelephoneCode>', '<TelephoneCode>fastnet</TelephoneCode>'), code: 'invalid-value', path: `${WOD}/Relative/CodedTelephoneSubscriberIdentifier[2]/TelephoneCode` },
  { name: 'XDIS19 VersionCode XD1931C', xml: mutate(XD1930C_MINIMAL, '<VersionCode>XD1930C</VersionCode>', '<VersionCode>XD1931C</VersionCode>'), code: 'invalid-value', path: `${WOD}/Letter/VersionCode` },
  { name: 'XDIS91 VersionCode XD9134L in the 2005 namespace', xml: mutate(XD9133L_MINIMAL, '>XD9133L<', '>XD9134L<'), code: 'invalid-value', path: `${CE}/Letter/VersionCode` },
  { name: 'XDIS91 TypeCode XDIS20', xml: mutate(XD9133L_MINIMAL, '<TypeCode>XDIS91</TypeCode>', '<TypeCode>XDIS20</TypeCode>'), code: 'invalid-value', path: `${CE}/Letter/TypeCode` },
  { name: 'XDIS91 SUP "false"', xml: mutate(XD9133L_FULL, '<SUP>true</SUP>', '<SUP>false</SUP>'), code: 'invalid-value', path: `${CE}/Reference[2]/SUP` },
  { name: 'XDIS91 ObjectExtensionCode "mds" (2006 only)', xml: mutate(XD9133L_FULL, '>jpeg<', '>mds<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/ObjectExtensionCode` },
  { name: 'XDIS91 OriginalObjectSize 0', xml: mutate(XD9133L_FULL, '>123456<', '>0<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/OriginalObjectSize` },
  { name: 'XDIS20 CPR of 9 digits', xml: mutate(XD2030C_FULL, '>0101001234<', '>010100123<'), code: 'invalid-value', path: `${NOA}/Patient/CivilRegistrationNumber` },
  { name: 'XDIS91 CPR with a dash', xml: mutate(XD9133L_MINIMAL, '>0000000000<', '>010100-1234<'), code: 'invalid-value', path: `${CE}/Patient/CivilRegistrationNumber` },
  { name: 'XCTL01 RefuseCode unknown', xml: mutate(XC0130Q_MINIMAL, '</OriginalReceiver>', '</OriginalReceiver><RefuseCode>ukendt</RefuseCode>'), code: 'invalid-value', path: `${NVR}/OriginalEmessage/RefuseCode` },
  { name: 'XCTL03 VersionCode XC0230Q', xml: mutate(XC0330Q_FULL, '<VersionCode>XC0330Q</VersionCode>', '<VersionCode>XC0230Q</VersionCode>'), code: 'invalid-value', path: `${PR}/Letter/VersionCode` },
  // dates and times
  { name: 'XDIS20 Admission on 2005-02-29', xml: mutate(XD2030C_FULL, '<Admission><Date>2005-09-01</Date>', '<Admission><Date>2005-02-29</Date>'), code: 'invalid-value', path: `${NOA}/Admission/Date` },
  { name: 'XDIS19 Authorisation at 24:00', xml: mutate(XD1930C_MINIMAL, '<Time>00:00</Time>', '<Time>24:00</Time>'), code: 'invalid-value', path: `${WOD}/Letter/Authorisation/Time` },
  { name: 'XDIS17 Authorisation without seconds', xml: mutate(XD1730C_MINIMAL, '<TimeWithSec>23:59:59</TimeWithSec>', '<Time>23:59</Time>'), code: 'missing-element', path: `${NOD}/Letter/Authorisation/TimeWithSec` },
  // order
  { name: 'XDIS20 Letter with StatusCode before TypeCode', xml: mutate(XD2030C_FULL, '<TypeCode>XDIS20</TypeCode><StatusCode>annulleretbrev</StatusCode>', '<StatusCode>annulleretbrev</StatusCode><TypeCode>XDIS20</TypeCode>'), code: 'wrong-order', path: `${NOA}/Letter/TypeCode` },
  { name: 'XDIS19 PlanConference after EndOfTreatment', xml: mutate(XD1930C_FULL, /(<PlanConference>.*?<\/PlanConference>)(<EndOfTreatment>.*?<\/EndOfTreatment>)/, '$2$1'), code: 'wrong-order', path: `${WOD}/PlanConference` },
  { name: 'XDIS91 Reference before ClinicalInformation', xml: mutate(XD9133L_FULL, '<ClinicalInformation><Text01>Emne: Medicin</Text01></ClinicalInformation>', '').replace('</ClinicalEmail>', '<ClinicalInformation><Text01>Emne</Text01></ClinicalInformation></ClinicalEmail>'), code: 'wrong-order', path: `${CE}/ClinicalInformation` },
  { name: 'XCTL02 RefuseText before RefuseCode', xml: mutate(XC0230Q_FULL, /(<RefuseCode>syntaksfejl<\/RefuseCode>)(<RefuseText>.*?<\/RefuseText>)/, '$2$1'), code: 'wrong-order', path: `${NR}/OriginalEmessage/RefuseCode` },
  // duplicates
  { name: 'XDIS20 two Patient elements', xml: mutate(XD2030C_FULL, /(<Patient>.*<\/Patient>)/, '$1$1'), code: 'too-many', path: `${NOA}/Patient` },
  { name: 'XDIS14 six ContactInformation', xml: mutate(XD1431C_MINIMAL, '<ContactInformation/>', '<ContactInformation/>'.repeat(5)), code: 'too-many', path: `${AOA}/Sender/ContactInformation` },
  { name: 'XDIS19 three ContactName', xml: mutate(XD1930C_FULL, '<ContactName>Sygeplejerske</ContactName>', '<ContactName>A</ContactName><ContactName>B</ContactName>'), code: 'too-many', path: `${WOD}/Sender/ContactInformation/ContactName` },
  { name: 'XDIS19 four CodedTelephoneSubscriberIdentifier', xml: mutate(XD1930C_FULL, /(<CodedTelephoneSubscriberIdentifier>.*?<\/CodedTelephoneSubscriberIdentifier>)/, '$1$1$1'), code: 'too-many', path: `${WOD}/Relative/CodedTelephoneSubscriberIdentifier` },
  { name: 'XDIS91 eleven ClinicalInformation', xml: mutate(XD9133L_MINIMAL, '</Patient>', `</Patient>${'<ClinicalInformation><Text01>x</Text01></ClinicalInformation>'.repeat(11)}`), code: 'too-many', path: `${CE}/ClinicalInformation` },
  { name: 'XDIS91 CPR and AlternativeIdentifier together', xml: mutate(XD9133L_MINIMAL, '</CivilRegistrationNumber>', '</CivilRegistrationNumber><AlternativeIdentifier>0101001234</AlternativeIdentifier>'), code: 'invalid-value', path: `${CE}/Patient` },
  { name: 'XDIS91 URL and SUP together', xml: mutate(XD9133L_FULL, '<SUP>true</SUP>', '<URL>https://example.dk</URL><SUP>true</SUP>'), code: 'invalid-value', path: `${CE}/Reference[2]` },
  { name: 'XCTL03 100 OriginalLetter', xml: mutate(XC0330Q_FULL, /(<OriginalLetter>.*<\/OriginalLetter>)/, '$1'.repeat(100)), code: 'too-many', path: `${PR}/OriginalEmessage/OriginalLetter` },
  // unknown elements, text and formatting
  { name: 'XDIS20 unknown element in Patient', xml: mutate(XD2030C_FULL, '</Patient>', '<PersonSurnameName>X</PersonSurnameName></Patient>'), code: 'unexpected-element', path: `${NOA}/Patient/PersonSurnameName` },
  { name: 'XDIS17 EpisodeOfCareIdentifier in the advis Letter', xml: mutate(XD1730C_MINIMAL, '</NotificationIdentifier>', '</NotificationIdentifier><EpisodeOfCareIdentifier>E</EpisodeOfCareIdentifier>'), code: 'unexpected-element', path: `${NOD}/Letter/EpisodeOfCareIdentifier` },
  { name: 'XDIS91 Signed in ClinicalInformation', xml: mutate(XD9133L_FULL, '<ClinicalInformation><Text01>Emne', '<ClinicalInformation><Signed><Date>2005-09-04</Date><Time>16:45</Time></Signed><Text01>Emne'), code: 'unexpected-element', path: `${CE}/ClinicalInformation/Signed` },
  { name: 'XCTL03 RefuseCode (only negative receipts have one)', xml: mutate(XC0330Q_FULL, '</OriginalReceiver>', '</OriginalReceiver><RefuseCode>syntaksfejl</RefuseCode>'), code: 'unexpected-element', path: `${PR}/OriginalEmessage/RefuseCode` },
  { name: 'XDIS19 text in FamilyDoctor', xml: mutate(XD1930C_MINIMAL, '<FamilyDoctor/>', '<FamilyDoctor>Dr. Hansen</FamilyDoctor>'), code: 'invalid-value', path: `${WOD}/FamilyDoctor` },
  { name: 'XDIS19 Italic inside Bold', xml: mutate(XD1930C_FULL, '<Bold>fed<Break/>tekst</Bold>', '<Bold>fed <Italic>og kursiv</Italic></Bold>'), code: 'unexpected-element', path: `${WOD}/CareDescription/CommentsText/Bold/Italic` },
  { name: 'XDIS91 FixedFont inside FixedFont', xml: mutate(XD9133L_FULL, '<FixedFont>kode', '<FixedFont><FixedFont>x</FixedFont>kode'), code: 'unexpected-element', path: `${CE}/ClinicalInformation[2]/Text01/FixedFont/FixedFont` },
  { name: 'XCTL02 text inside Break', xml: mutate(XC0230Q_FULL, 'Fejl<Break/>', 'Fejl<Break>x</Break>'), code: 'invalid-value', path: `${NR}/OriginalEmessage/RefuseText/Break` },
  { name: 'XDIS14 attribute on Patient', xml: mutate(XD1431C_MINIMAL, '<Patient>', '<Patient type="x">'), code: 'unexpected-element', path: `${AOA}/Patient/@type` },
];

// ---------------------------------------------------------------------------------------------

const SAMPLE_FILES = ['DIS20_1', 'DIS17_1', 'DIS14_1', 'CTL01_1', 'CTL02_1', 'CTL03_1', 'Flow2-XCTL03_Ex_from_FHIR_XDIS91'];

describe('2005/08/07 schemas', () => {
  it('provide every schemaRef the catalogue names for the 2005 generation', () => {
    expect([...REF_BY_ROOT.values()].sort()).toEqual([
      'XCTL01.json#/$defs/XC0130Q',
      'XCTL02.json#/$defs/XC0230Q',
      'XCTL03.json#/$defs/XC0330Q',
      'XDIS14.json#/$defs/XD1431C',
      'XDIS17.json#/$defs/XD1730C',
      'XDIS19.json#/$defs/XD1930C',
      'XDIS20.json#/$defs/XD2030C',
      'XDIS91.json#/$defs/XD9133L',
    ]);
    registry.compileAll([...REF_BY_ROOT.values()]);
  });

  describe.skipIf(!hasShared('medcom-samples'))('real samples', () => {
    it.each(SAMPLE_FILES)('%s is valid', async (name) => {
      const text = decodeFile(join(SAMPLES, `${name}.xml`));
      expect(validate(text)).toEqual([]);
      if (HAS_XSD) expect((await xsdValid(text)).errors).toEqual([]);
    });
  });

  it('accepts every 2005 fixture of these types in fixtures/valid', () => {
    const files = existsSync(FIXTURES) ? walk(FIXTURES).filter((path) => path.endsWith('.xml')) : [];
    for (const path of files) {
      const text = decodeFile(path);
      if (!text.includes(NS_2005)) continue;
      const parsed = parseXml(text);
      if (!parsed.ok || ![...REF_BY_ROOT.keys()].some((root) => childrenOf(parsed.document.root, root).length > 0)) continue;
      expect({ path, issues: validate(text) }).toEqual({ path, issues: [] });
    }
  });

  it.each(Object.entries(INLINE_VALID))('accepts inline %s (and so does the XSD)', async (_name, xml) => {
    expect(validate(xml)).toEqual([]);
    if (HAS_XSD) expect((await xsdValid(xml)).errors).toEqual([]);
  });

  it.each(BROKEN.map((c) => [c.name, c] as const))('refuses %s (and so does the XSD)', async (_name, broken) => {
    const issues = validate(broken.xml);
    expect(issues.map((i) => ({ code: i.code, path: i.path }))).toContainEqual({ code: broken.code, path: broken.path });
    for (const found of issues) {
      expect(found.message.length).toBeGreaterThan(10);
      expect(found.line).toBeGreaterThan(0);
    }
    if (HAS_XSD) expect((await xsdValid(broken.xml)).valid).toBe(false);
  });

  it('quotes the description of a value in its message', () => {
    const xml = mutate(XD2030C_FULL, '>0101001234<', '>01010012345<');
    expect(validate(xml)).toEqual([
      expect.objectContaining({
        code: 'invalid-value',
        path: `${NOA}/Patient/CivilRegistrationNumber`,
        message: expect.stringContaining('a CPR number of exactly 10 digits') as unknown,
      }),
    ]);
  });
});

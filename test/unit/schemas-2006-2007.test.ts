/**
 * The 2006/07/01 (XDIS91 XD9134L), 2007/02/01 (XDIS16 XD1630C, XDIS18 XD1830C) and 2009/08/01 (XDIS90
 * XD9034L) schemas against the real samples, any fixtures of those variants, and inline messages: valid
 * ones must give no issue, broken ones a specific issue at the right XML path. For 2006 and 2007
 * MedCom's XSD is at hand (../shared/medcom-xsd), so every inline message is also validated with
 * xmllint and each case proves "our verdict = XSD verdict". 2009/08/01 has no XSD: XDIS90 is checked
 * against its one sample (DIS91_3.xml) and by analogy with the 2006 cases.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate } from '../support/mutate.js';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { decodeText } from '../../src/codec/decode-text.js';
import type { ValidationIssue } from '../../src/codec/issues.js';
import { SchemaRegistry } from '../../src/codec/schema-validator.js';
import { childrenOf, parseXml, textOf, type XmlDocument, type XmlNode } from '../../src/codec/xml-tree.js';
import { MESSAGE_TYPES } from '../../src/domain/catalogue.js';
import { NS_2006, NS_2007, NS_2009 } from '../../src/domain/namespaces.js';
import { fromPackageRoot } from '../../src/package-root.js';
import { hasShared, SHARED_DIR } from '../support/shared-dir.js';

const SHARED = SHARED_DIR;
const SAMPLES = join(SHARED, 'medcom-samples');
const FIXTURES = fromPackageRoot('fixtures', 'valid');

type Generation = '2006/07/01' | '2007/02/01' | '2009/08/01';
const GENERATIONS: readonly Generation[] = ['2006/07/01', '2007/02/01', '2009/08/01'];
const NAMESPACE: Record<Generation, string> = { '2006/07/01': NS_2006, '2007/02/01': NS_2007, '2009/08/01': NS_2009 };

/** VersionCode → root element and schema reference, for every variant of these generations (from the catalogue). */
const VARIANTS = new Map<string, { root: string; ref: string; generation: Generation }>(
  MESSAGE_TYPES.flatMap((type) =>
    type.variants
      .filter((v) => (GENERATIONS as readonly string[]).includes(v.generation))
      .map((v) => [v.versionCode, { root: type.rootElement, ref: v.schemaRef, generation: v.generation as Generation }] as const),
  ),
);

const registry = new SchemaRegistry();

interface Letter {
  document: XmlDocument;
  element: XmlNode;
  path: string;
  ref: string;
}

/** Every letter of these variants in the message (found by root element and Letter/VersionCode). */
function lettersOf(text: string): Letter[] {
  const parsed = parseXml(text);
  if (!parsed.ok) throw new Error(`not parsed: ${JSON.stringify(parsed.issues)}`);
  const { document } = parsed;
  const letters: Letter[] = [];
  for (const variant of VARIANTS.values()) {
    if (letters.some((l) => l.path === `/Emessage/${variant.root}`)) continue;
    const elements = childrenOf(document.root, variant.root);
    elements.forEach((element, index) => {
      const letter = typeof element === 'object' ? childrenOf(element, 'Letter')[0] : undefined;
      const versionCode = typeof letter === 'object' ? textOf(letter, 'VersionCode') : undefined;
      const byCode = VARIANTS.get(versionCode ?? '');
      const ref = byCode?.root === variant.root ? byCode.ref : variant.ref;
      letters.push({ document, element, path: `/Emessage/${variant.root}${index > 0 ? `[${index + 1}]` : ''}`, ref });
    });
  }
  return letters;
}

function validate(text: string): ValidationIssue[] {
  const letters = lettersOf(text);
  if (letters.length === 0) throw new Error('no 2006/2007/2009 letter element in the message');
  return letters.flatMap((l) => registry.validate(l.ref, l.element, l.path, l.document));
}

function decodeFile(path: string): string {
  const decoded = decodeText(readFileSync(path));
  if (!decoded.ok) throw new Error(`${path}: ${JSON.stringify(decoded.issues)}`);
  return decoded.text;
}

// ---------------------------------------------------------------------------------------------
// xmllint with MedCom's own XSD (2006 and 2007; only where ../shared/medcom-xsd is present)

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const xsdDir = (generation: Generation): string => join(SHARED, 'medcom-xsd', ...generation.split('/'));
// ../shared holds MedCom's 2006 and 2007 XSDs, not 2009's: only those two are checked (and required).
const hasXsd = (generation: Generation): boolean => generation !== '2009/08/01' && hasShared('medcom-xsd', ...generation.split('/'), 'EMessage.xsd');

const xsdFiles = new Map<Generation, { schema: XMLFileInfo[]; preload: XMLFileInfo[] }>();

async function xsdValid(generation: Generation, text: string): Promise<{ valid: boolean; errors: string[] }> {
  const dir = xsdDir(generation);
  let files = xsdFiles.get(generation);
  if (!files) {
    files = {
      schema: [{ fileName: 'EMessage.xsd', contents: readFileSync(join(dir, 'EMessage.xsd'), 'utf8') }],
      preload: walk(dir)
        .filter((path) => path.endsWith('.xsd') && !path.endsWith('/EMessage.xsd'))
        .map((path) => ({ fileName: relative(dir, path), contents: readFileSync(path, 'utf8') })),
    };
    xsdFiles.set(generation, files);
  }
  // xmllint-wasm reads only UTF-8: hand it the decoded text with a matching declaration.
  const utf8 = text.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="UTF-8"?>');
  const result = await validateXML({ xml: [{ fileName: 'message.xml', contents: utf8 }], ...files });
  return { valid: result.valid, errors: result.errors.map((e) => e.rawMessage) };
}

// ---------------------------------------------------------------------------------------------
// Inline messages

const emessage = (generation: Generation, letter: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Emessage xmlns="${NAMESPACE[generation]}"><Envelope><Sent><Date>2007-03-01</Date><Time>10:15</Time></Sent>` +
  `<Identifier>ENV0001</Identifier><AcknowledgementCode>pluspositivkvitt</AcknowledgementCode></Envelope>${letter}</Emessage>`;

const FORMATTED =
  'Linje 1<Break/>Linje 2 med <Bold>fed<Break/>tekst</Bold>, <Italic>kursiv</Italic>, <Underline>understreget</Underline>' +
  '<Space/><Center>midt</Center><Right/><FixedFont>kode <Bold>x</Bold><Space/><Break/></FixedFont> slut';

const CE_LETTER = (versionCode: string, typeCode: string, extra = ''): string =>
  `<Letter><Identifier>LTR0001</Identifier><VersionCode>${versionCode}</VersionCode><StatisticalCode>${typeCode}</StatisticalCode>` +
  `<Authorisation><Date>2006-08-01</Date><Time>16:45</Time></Authorisation><TypeCode>${typeCode}</TypeCode><StatusCode>nytbrev</StatusCode>${extra}</Letter>`;

const CE_FULL_BODY =
  '<Sender><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>amt</IdentifierCode>' +
  '<OrganisationName>Testamt</OrganisationName><DepartmentName>Sundhed</DepartmentName><UnitName>Gruppe 2</UnitName>' +
  '<StreetName>Rådhuspladsen 1</StreetName><SuburbName>Centrum</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
  '<TelephoneSubscriberIdentifier>44601000</TelephoneSubscriberIdentifier><MedicalSpecialityCode>almen_medicin</MedicalSpecialityCode></Sender>' +
  '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode>' +
  '<OrganisationName>Testsygehus</OrganisationName><DepartmentName>Medicinsk afdeling</DepartmentName><UnitName>M2</UnitName>' +
  '<StreetName>Sygehusvej 1</StreetName><SuburbName>Nordby</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>DK-9999</PostCodeIdentifier></Receiver>' +
  '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber><PersonSurnameName>Testesen</PersonSurnameName><PersonGivenName>Test</PersonGivenName>' +
  '<StreetName>Testvej 3</StreetName><SuburbName>Syd</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
  '<OccupancyText>Pensionist</OccupancyText><EpisodeOfCareStatusCode>ambulant_roentgen</EpisodeOfCareStatusCode></Patient>' +
  '<AdditionalInformation><Priority>rutine</Priority><Subject>Medicinafstemning</Subject></AdditionalInformation>' +
  '<ClinicalInformation><Text01>Emne: Medicin</Text01></ClinicalInformation>' +
  `<ClinicalInformation><Text01>${FORMATTED}</Text01></ClinicalInformation>` +
  '<Reference><RefDescription>Vejledning</RefDescription><URL>https://example.dk/vejledning</URL></Reference>' +
  '<Reference><RefDescription>Supplerende oplysninger</RefDescription><SUP>true</SUP></Reference>' +
  '<Reference><RefDescription>Billede</RefDescription><BIN><ObjectIdentifier>OBJ-1</ObjectIdentifier><ObjectCode>billede</ObjectCode>' +
  '<ObjectExtensionCode>jpeg</ObjectExtensionCode><OriginalObjectSize>+000123456</OriginalObjectSize></BIN></Reference>';

const CE_MINIMAL_BODY =
  '<Sender><EANIdentifier>5790000654321</EANIdentifier><Identifier>173</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
  '<OrganisationName>Testkommune</OrganisationName></Sender>' +
  '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sorkode</IdentifierCode></Receiver>' +
  '<Patient><AlternativeIdentifier>X123456789</AlternativeIdentifier><PersonSurnameName>Ukendt</PersonSurnameName>' +
  '<EpisodeOfCareStatusCode>doed</EpisodeOfCareStatusCode></Patient><AdditionalInformation/><ClinicalInformation><Text01/></ClinicalInformation>';

const XD9134L_FULL = emessage('2006/07/01', `<ClinicalEmail>${CE_LETTER('XD9134L', 'XDIS91', '<EpisodeOfCareIdentifier>EPI-43</EpisodeOfCareIdentifier>')}${CE_FULL_BODY}</ClinicalEmail>`);
const XD9134L_MINIMAL = emessage('2006/07/01', `<ClinicalEmail>${CE_LETTER('XD9134L', 'XDIS91')}${CE_MINIMAL_BODY}</ClinicalEmail>`);
const XD9034L_FULL = emessage('2009/08/01', `<AdministrativeEmail>${CE_LETTER('XD9034L', 'XDIS90', '<EpisodeOfCareIdentifier>EPI-44</EpisodeOfCareIdentifier>')}${CE_FULL_BODY}</AdministrativeEmail>`);
const XD9034L_MINIMAL = emessage('2009/08/01', `<AdministrativeEmail>${CE_LETTER('XD9034L', 'XDIS90')}${CE_MINIMAL_BODY}</AdministrativeEmail>`);

const REPORT_LETTER = (versionCode: string, typeCode: string, extra = ''): string =>
  `<Letter><Identifier>LTR0002</Identifier><VersionCode>${versionCode}</VersionCode><StatisticalCode>${typeCode}</StatisticalCode>` +
  `<Authorisation><Date>2007-03-01</Date><Time>10:10</Time></Authorisation><TypeCode>${typeCode}</TypeCode><StatusCode>rettetbrev</StatusCode>${extra}</Letter>`;

const REPORT_SENDER_FULL =
  '<Sender><EANIdentifier>5790000121441</EANIdentifier><Identifier>461</Identifier><IdentifierCode>kommunenummer</IdentifierCode>' +
  '<OrganisationName>Testkommune</OrganisationName><DepartmentName>Hjemmeplejen</DepartmentName><UnitName>Distrikt Syd</UnitName>' +
  '<StreetName>Ørbækvej 100</StreetName><SuburbName>Hjallese</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>5220</PostCodeIdentifier>' +
  '<TelephoneSubscriberIdentifier>66131372</TelephoneSubscriberIdentifier>' +
  '<SignedBy><Identifier>1234</Identifier><IdentifierCode>kommunenummer</IdentifierCode><PersonGivenName>Hanne</PersonGivenName>' +
  '<PersonSurnameName>Jensen</PersonSurnameName><PersonTitle>Sygeplejerske</PersonTitle></SignedBy>' +
  '<MedicalSpecialityCode>paediatri_sygehus</MedicalSpecialityCode>' +
  '<ContactInformation><ContactNamePrimary>Hanne Jensen</ContactNamePrimary><ContactNameSecondary>Vagten</ContactNameSecondary>' +
  '<TelephoneSubscriberIdentifier>66131372</TelephoneSubscriberIdentifier><TelefaxSubscriberIdentifier>66131373</TelefaxSubscriberIdentifier>' +
  '<EmailAddressIdentifier>hj@example.dk</EmailAddressIdentifier><ContactTimeText>kl. 8-15</ContactTimeText></ContactInformation>' +
  '<ContactInformation/></Sender>';

const REPORT_HEAD_FULL =
  REPORT_SENDER_FULL +
  '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sygehusafdelingsnummer</IdentifierCode>' +
  '<OrganisationName>Testsygehus</OrganisationName><DepartmentName>Medicinsk afdeling</DepartmentName><UnitName>M2</UnitName>' +
  '<StreetName>Sygehusvej 1</StreetName><SuburbName>Nordby</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier/></Receiver>' +
  '<CCReceiver><Identifier>012345</Identifier><IdentifierCode>ydernummer</IdentifierCode><OrganisationName>Lægehuset</OrganisationName>' +
  '<DepartmentName>A</DepartmentName><UnitName>B</UnitName><StreetName>Lægevej 2</StreetName><SuburbName>S</SuburbName><DistrictName>Testby</DistrictName>' +
  '<PostCodeIdentifier>DK-9999</PostCodeIdentifier></CCReceiver>' +
  '<Practitioner><Identifier>012345</Identifier><IdentifierCode>ydernummer</IdentifierCode><PersonName>Else Nielsen</PersonName>' +
  '<TelephoneSubscriberIdentifier>48240000</TelephoneSubscriberIdentifier></Practitioner>' +
  '<Patient><CivilRegistrationNumber>0101001234</CivilRegistrationNumber><PersonSurnameName>Testesen</PersonSurnameName><PersonGivenName>Test</PersonGivenName>' +
  '<StreetName>Testvej 3</StreetName><SuburbName>Syd</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
  '<Occupation>Pensionist</Occupation></Patient>' +
  '<Relatives><Relative><RelationCode>barn</RelationCode><PersonSurnameName>Testesen</PersonSurnameName><PersonGivenName>Datter</PersonGivenName>' +
  '<StreetName>Andenvej 4</StreetName><SuburbName>Vest</SuburbName><DistrictName>Testby</DistrictName><PostCodeIdentifier>9999</PostCodeIdentifier>' +
  '<TelephoneSubscriber><TelephoneType>mobil</TelephoneType><TelephoneNumber>20202020</TelephoneNumber></TelephoneSubscriber>' +
  '<TelephoneSubscriber><TelephoneNumber>30303030</TelephoneNumber></TelephoneSubscriber><TelephoneSubscriber/></Relative>' +
  '<Relative><RelationCode>uspec_paaroerende</RelationCode><PersonSurnameName>Nabo</PersonSurnameName></Relative><Relative/></Relatives>';

const REPORT_TAIL_FULL =
  '<Auxiliaries><Auxiliary><AuxiliaryCode>HMI-12345</AuxiliaryCode><Identifier>1</Identifier><IdentifierCode>HMI</IdentifierCode>' +
  '<AuxiliaryText>Rollator</AuxiliaryText></Auxiliary><Auxiliary/><Comment>Bruger rollator <Bold>altid</Bold><Break/>ude</Comment></Auxiliaries>';

const MEDICINE_FULL =
  '<Medicine><Drug><NameOfDrug>Panodil</NameOfDrug><DosageForm>tablet</DosageForm><DrugStrength>500 mg</DrugStrength><Dosage>2 x 4</Dosage>' +
  '<Indication>smerter</Indication></Drug><Drug/><Comment><FixedFont>Dosis<Break/></FixedFont></Comment></Medicine>';

const XD1630C_FULL = emessage(
  '2007/02/01',
  `<ReportOfAdmission>${REPORT_LETTER('XD1630C', 'XDIS16', '<EpisodeOfCareIdentifier>EPI-45</EpisodeOfCareIdentifier>')}${REPORT_HEAD_FULL}` +
    REPORT_TAIL_FULL +
    '<Services><Service><ServiceHeadline>Hjemmehjælp</ServiceHeadline><ServiceText>2 gange dagligt<Break/>morgen og aften</ServiceText></Service>' +
    '<Service/><Comment>Ingen</Comment></Services>' +
    MEDICINE_FULL +
    `<MotionEvaluation>Går med rollator</MotionEvaluation><PatientHealthSummary>${FORMATTED}</PatientHealthSummary>` +
    '<CauseOfAdmission>Fald i hjemmet</CauseOfAdmission><InformedRelative/></ReportOfAdmission>',
);

const REPORT_MINIMAL_HEAD =
  '<Sender><EANIdentifier>5790000121441</EANIdentifier><Identifier>461</Identifier><IdentifierCode>amt</IdentifierCode>' +
  '<OrganisationName>Testkommune</OrganisationName><SignedBy><PersonGivenName>Hanne</PersonGivenName><PersonSurnameName>Jensen</PersonSurnameName>' +
  '<PersonTitle>Sygeplejerske</PersonTitle></SignedBy></Sender>' +
  '<Receiver><EANIdentifier>5790000123456</EANIdentifier><Identifier>1301011</Identifier><IdentifierCode>sorkode</IdentifierCode></Receiver>' +
  '<Patient><AlternativeIdentifier>X123456789</AlternativeIdentifier><PersonSurnameName>Ukendt</PersonSurnameName></Patient>';

const XD1630C_MINIMAL = emessage(
  '2007/02/01',
  `<ReportOfAdmission>${REPORT_LETTER('XD1630C', 'XDIS16')}${REPORT_MINIMAL_HEAD}<Relatives/><Auxiliaries/><Services/><Medicine/></ReportOfAdmission>`,
);

const XD1830C_FULL = emessage(
  '2007/02/01',
  `<ReportOfDischarge>${REPORT_LETTER('XD1830C', 'XDIS18', '<EpisodeOfCareIdentifier>EPI-46</EpisodeOfCareIdentifier>')}${REPORT_HEAD_FULL}` +
    '<Admission><Date>2007-02-20</Date><Time>14:00</Time></Admission><Discharge><Date>2008-02-29</Date><Time>23:59</Time></Discharge>' +
    '<Treatments><Treatment><TreatmentCode>KNFB20</TreatmentCode><Identifier>SKS</Identifier><IdentifierCode>SST</IdentifierCode>' +
    '<TreatmentText>Hoftealloplastik</TreatmentText></Treatment><Treatment/></Treatments>' +
    '<Diagnoses><Diagnose><DiagnoseCode>DS720</DiagnoseCode><DiagnoseTypeCode>SKSdiagnosekode</DiagnoseTypeCode><DiagnoseText>Hoftebrud</DiagnoseText></Diagnose>' +
    '<Diagnose><DiagnoseCode>L95</DiagnoseCode><DiagnoseTypeCode>Psykologhenvisningsdiagnose</DiagnoseTypeCode><DiagnoseText>Osteoporose</DiagnoseText></Diagnose></Diagnoses>' +
    REPORT_TAIL_FULL +
    MEDICINE_FULL +
    `<ClinicalInformation>Udskrevet til eget hjem</ClinicalInformation><ClinicalInformation>${FORMATTED}</ClinicalInformation><ClinicalInformation/>` +
    '</ReportOfDischarge>',
);

const XD1830C_MINIMAL = emessage(
  '2007/02/01',
  `<ReportOfDischarge>${REPORT_LETTER('XD1830C', 'XDIS18')}${REPORT_MINIMAL_HEAD}<Relatives/><Treatments/><Diagnoses/><Auxiliaries/><Medicine/></ReportOfDischarge>`,
);

const INLINE_VALID: Record<string, [Generation, string]> = {
  XD9134L_FULL: ['2006/07/01', XD9134L_FULL],
  XD9134L_MINIMAL: ['2006/07/01', XD9134L_MINIMAL],
  XD9034L_FULL: ['2009/08/01', XD9034L_FULL],
  XD9034L_MINIMAL: ['2009/08/01', XD9034L_MINIMAL],
  XD1630C_FULL: ['2007/02/01', XD1630C_FULL],
  XD1630C_MINIMAL: ['2007/02/01', XD1630C_MINIMAL],
  XD1830C_FULL: ['2007/02/01', XD1830C_FULL],
  XD1830C_MINIMAL: ['2007/02/01', XD1830C_MINIMAL],
};


interface BrokenCase {
  name: string;
  generation: Generation;
  xml: string;
  code: ValidationIssue['code'];
  path: string;
}

const CE = '/Emessage/ClinicalEmail';
const AE = '/Emessage/AdministrativeEmail';
const ROA = '/Emessage/ReportOfAdmission';
const ROD = '/Emessage/ReportOfDischarge';
const G6 = '2006/07/01';
const G7 = '2007/02/01';
const G9 = '2009/08/01';

const BROKEN: BrokenCase[] = [
  // missing required elements
  { name: 'XDIS91 without Receiver', generation: G6, xml: mutate(XD9134L_MINIMAL, /<Receiver>.*<\/Receiver>/, ''), code: 'missing-element', path: `${CE}/Receiver` },
  { name: 'XDIS91 Letter without StatusCode', generation: G6, xml: mutate(XD9134L_FULL, '<StatusCode>nytbrev</StatusCode>', ''), code: 'missing-element', path: `${CE}/Letter/StatusCode` },
  { name: 'XDIS91 Patient without EpisodeOfCareStatusCode', generation: G6, xml: mutate(XD9134L_MINIMAL, /<EpisodeOfCareStatusCode>[^<]*<\/EpisodeOfCareStatusCode>/, ''), code: 'missing-element', path: `${CE}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS91 Patient without CPR or AlternativeIdentifier', generation: G6, xml: mutate(XD9134L_MINIMAL, /<AlternativeIdentifier>[^<]*<\/AlternativeIdentifier>/, ''), code: 'missing-element', path: `${CE}/Patient/CivilRegistrationNumber` },
  { name: 'XDIS91 Sender without OrganisationName', generation: G6, xml: mutate(XD9134L_MINIMAL, '<OrganisationName>Testkommune</OrganisationName>', ''), code: 'missing-element', path: `${CE}/Sender/OrganisationName` },
  { name: 'XDIS91 ClinicalInformation without Text01', generation: G6, xml: mutate(XD9134L_MINIMAL, '<ClinicalInformation><Text01/></ClinicalInformation>', '<ClinicalInformation/>'), code: 'invalid-value', path: `${CE}/ClinicalInformation` },
  { name: 'XDIS91 Reference without URL/SUP/BIN', generation: G6, xml: mutate(XD9134L_FULL, '<SUP>true</SUP>', ''), code: 'invalid-value', path: `${CE}/Reference[2]` },
  { name: 'XDIS91 BIN without OriginalObjectSize', generation: G6, xml: mutate(XD9134L_FULL, /<OriginalObjectSize>[^<]*<\/OriginalObjectSize>/, ''), code: 'missing-element', path: `${CE}/Reference[3]/BIN/OriginalObjectSize` },
  { name: 'XDIS90 without Letter', generation: G9, xml: mutate(XD9034L_MINIMAL, /<Letter>.*<\/Letter>/, ''), code: 'missing-element', path: `${AE}/Letter` },
  { name: 'XDIS16 Sender without SignedBy', generation: G7, xml: mutate(XD1630C_MINIMAL, /<SignedBy>.*<\/SignedBy>/, ''), code: 'missing-element', path: `${ROA}/Sender/SignedBy` },
  { name: 'XDIS16 SignedBy without PersonTitle', generation: G7, xml: mutate(XD1630C_FULL, '<PersonTitle>Sygeplejerske</PersonTitle>', ''), code: 'missing-element', path: `${ROA}/Sender/SignedBy/PersonTitle` },
  { name: 'XDIS16 without Patient', generation: G7, xml: mutate(XD1630C_MINIMAL, /<Patient>.*<\/Patient>/, ''), code: 'missing-element', path: `${ROA}/Patient` },
  { name: 'XDIS16 Practitioner without IdentifierCode', generation: G7, xml: mutate(XD1630C_FULL, '<IdentifierCode>ydernummer</IdentifierCode><PersonName>', '<PersonName>'), code: 'missing-element', path: `${ROA}/Practitioner/IdentifierCode` },
  { name: 'XDIS16 CCReceiver without Identifier', generation: G7, xml: mutate(XD1630C_FULL, '<CCReceiver><Identifier>012345</Identifier>', '<CCReceiver>'), code: 'missing-element', path: `${ROA}/CCReceiver/Identifier` },
  { name: 'XDIS18 Diagnose without DiagnoseText', generation: G7, xml: mutate(XD1830C_FULL, '<DiagnoseText>Hoftebrud</DiagnoseText>', ''), code: 'missing-element', path: `${ROD}/Diagnoses/Diagnose/DiagnoseText` },
  { name: 'XDIS18 Discharge without Time', generation: G7, xml: mutate(XD1830C_FULL, '<Time>23:59</Time></Discharge>', '</Discharge>'), code: 'missing-element', path: `${ROD}/Discharge/Time` },
  { name: 'XDIS18 Patient without PersonSurnameName', generation: G7, xml: mutate(XD1830C_MINIMAL, '<PersonSurnameName>Ukendt</PersonSurnameName>', ''), code: 'missing-element', path: `${ROD}/Patient/PersonSurnameName` },
  // lengths
  { name: 'XDIS91 Letter/Identifier of 15 characters', generation: G6, xml: mutate(XD9134L_FULL, '<Identifier>LTR0001</Identifier>', `<Identifier>${'L'.repeat(15)}</Identifier>`), code: 'invalid-value', path: `${CE}/Letter/Identifier` },
  { name: 'XDIS91 Subject of 71 characters', generation: G6, xml: mutate(XD9134L_FULL, '>Medicinafstemning<', `>${'S'.repeat(71)}<`), code: 'invalid-value', path: `${CE}/AdditionalInformation/Subject` },
  { name: 'XDIS91 empty PostCodeIdentifier (2006 needs 1 character)', generation: G6, xml: mutate(XD9134L_FULL, '<PostCodeIdentifier>DK-9999</PostCodeIdentifier>', '<PostCodeIdentifier/>'), code: 'invalid-value', path: `${CE}/Receiver/PostCodeIdentifier` },
  { name: 'XDIS91 URL of 351 characters', generation: G6, xml: mutate(XD9134L_FULL, 'https://example.dk/vejledning', `https://example.dk/${'v'.repeat(332)}`), code: 'invalid-value', path: `${CE}/Reference/URL` },
  { name: 'XDIS91 AlternativeIdentifier of 11 characters', generation: G6, xml: mutate(XD9134L_MINIMAL, 'X123456789', 'X1234567890'), code: 'invalid-value', path: `${CE}/Patient/AlternativeIdentifier` },
  { name: 'XDIS16 PersonTitle of 36 characters', generation: G7, xml: mutate(XD1630C_FULL, '>Sygeplejerske<', `>${'T'.repeat(36)}<`), code: 'invalid-value', path: `${ROA}/Sender/SignedBy/PersonTitle` },
  { name: 'XDIS16 Auxiliary IdentifierCode of 4 characters', generation: G7, xml: mutate(XD1630C_FULL, '<IdentifierCode>HMI</IdentifierCode>', '<IdentifierCode>HMIX</IdentifierCode>'), code: 'invalid-value', path: `${ROA}/Auxiliaries/Auxiliary/IdentifierCode` },
  { name: 'XDIS16 Occupation of 26 characters', generation: G7, xml: mutate(XD1630C_FULL, '<Occupation>Pensionist</Occupation>', `<Occupation>${'O'.repeat(26)}</Occupation>`), code: 'invalid-value', path: `${ROA}/Patient/Occupation` },
  { name: 'XDIS18 PostCodeIdentifier of 10 characters', generation: G7, xml: mutate(XD1830C_FULL, '<PostCodeIdentifier>DK-9999</PostCodeIdentifier>', '<PostCodeIdentifier>DK-9999-00</PostCodeIdentifier>'), code: 'invalid-value', path: `${ROD}/CCReceiver/PostCodeIdentifier` },
  { name: 'XDIS18 empty TreatmentText', generation: G7, xml: mutate(XD1830C_FULL, '<TreatmentText>Hoftealloplastik</TreatmentText>', '<TreatmentText/>'), code: 'invalid-value', path: `${ROD}/Treatments/Treatment/TreatmentText` },
  { name: 'XDIS18 Sender Identifier of 18 characters', generation: G7, xml: mutate(XD1830C_MINIMAL, '<Identifier>461</Identifier>', `<Identifier>${'4'.repeat(18)}</Identifier>`), code: 'invalid-value', path: `${ROD}/Sender/Identifier` },
  // enumerations, fixed codes and patterns
  { name: 'XDIS91 VersionCode XD9133L in the 2006 namespace', generation: G6, xml: mutate(XD9134L_MINIMAL, '>XD9134L<', '>XD9133L<'), code: 'invalid-value', path: `${CE}/Letter/VersionCode` },
  { name: 'XDIS91 TypeCode XDIS90', generation: G6, xml: mutate(XD9134L_MINIMAL, '<TypeCode>XDIS91</TypeCode>', '<TypeCode>XDIS90</TypeCode>'), code: 'invalid-value', path: `${CE}/Letter/TypeCode` },
  { name: 'XDIS91 StatusCode "annulleretbrev"', generation: G6, xml: mutate(XD9134L_MINIMAL, '>nytbrev<', '>annulleretbrev<'), code: 'invalid-value', path: `${CE}/Letter/StatusCode` },
  { name: 'XDIS91 Priority "akut"', generation: G6, xml: mutate(XD9134L_FULL, '<Priority>rutine</Priority>', '<Priority>akut</Priority>'), code: 'invalid-value', path: `${CE}/AdditionalInformation/Priority` },
  { name: 'XDIS91 EpisodeOfCareStatusCode "uoplyst" (not in type 01)', generation: G6, xml: mutate(XD9134L_MINIMAL, '>doed<', '>uoplyst<'), code: 'invalid-value', path: `${CE}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS91 MedicalSpecialityCode "paediatri_sygehus" (2007 only)', generation: G6, xml: mutate(XD9134L_FULL, '>almen_medicin<', '>paediatri_sygehus<'), code: 'invalid-value', path: `${CE}/Sender/MedicalSpecialityCode` },
  { name: 'XDIS91 IdentifierCode "kommunekode"', generation: G6, xml: mutate(XD9134L_MINIMAL, '>kommunenummer<', '>kommunekode<'), code: 'invalid-value', path: `${CE}/Sender/IdentifierCode` },
  { name: 'XDIS91 SUP "1"', generation: G6, xml: mutate(XD9134L_FULL, '<SUP>true</SUP>', '<SUP>1</SUP>'), code: 'invalid-value', path: `${CE}/Reference[2]/SUP` },
  { name: 'XDIS91 ObjectCode "foto"', generation: G6, xml: mutate(XD9134L_FULL, '>billede<', '>foto<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/ObjectCode` },
  { name: 'XDIS91 ObjectExtensionCode "plo" (2007 only)', generation: G6, xml: mutate(XD9134L_FULL, '>jpeg<', '>plo<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/ObjectExtensionCode` },
  { name: 'XDIS91 OriginalObjectSize 0', generation: G6, xml: mutate(XD9134L_FULL, '>+000123456<', '>0<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/OriginalObjectSize` },
  { name: 'XDIS91 OriginalObjectSize 1.5', generation: G6, xml: mutate(XD9134L_FULL, '>+000123456<', '>1.5<'), code: 'invalid-value', path: `${CE}/Reference[3]/BIN/OriginalObjectSize` },
  { name: 'XDIS91 CPR with a dash', generation: G6, xml: mutate(XD9134L_FULL, '>0101001234<', '>010100-1234<'), code: 'invalid-value', path: `${CE}/Patient/CivilRegistrationNumber` },
  { name: 'XDIS90 VersionCode XD9134L', generation: G9, xml: mutate(XD9034L_MINIMAL, '>XD9034L<', '>XD9134L<'), code: 'invalid-value', path: `${AE}/Letter/VersionCode` },
  { name: 'XDIS90 TypeCode XDIS91', generation: G9, xml: mutate(XD9034L_MINIMAL, '<TypeCode>XDIS90</TypeCode>', '<TypeCode>XDIS91</TypeCode>'), code: 'invalid-value', path: `${AE}/Letter/TypeCode` },
  { name: 'XDIS90 Priority "normal"', generation: G9, xml: mutate(XD9034L_FULL, '<Priority>rutine</Priority>', '<Priority>normal</Priority>'), code: 'invalid-value', path: `${AE}/AdditionalInformation/Priority` },
  { name: 'XDIS16 VersionCode XD1830C', generation: G7, xml: mutate(XD1630C_MINIMAL, '>XD1630C<', '>XD1830C<'), code: 'invalid-value', path: `${ROA}/Letter/VersionCode` },
  { name: 'XDIS16 TypeCode XDIS18', generation: G7, xml: mutate(XD1630C_MINIMAL, '<TypeCode>XDIS16</TypeCode>', '<TypeCode>XDIS18</TypeCode>'), code: 'invalid-value', path: `${ROA}/Letter/TypeCode` },
  { name: 'XDIS16 RelationCode "soester"', generation: G7, xml: mutate(XD1630C_FULL, '<RelationCode>barn</RelationCode>', '<RelationCode>soester</RelationCode>'), code: 'invalid-value', path: `${ROA}/Relatives/Relative/RelationCode` },
  { name: 'XDIS16 SignedBy IdentifierCode "laege"', generation: G7, xml: mutate(XD1630C_FULL, '<Identifier>1234</Identifier><IdentifierCode>kommunenummer</IdentifierCode>', '<Identifier>1234</Identifier><IdentifierCode>laege</IdentifierCode>'), code: 'invalid-value', path: `${ROA}/Sender/SignedBy/IdentifierCode` },
  { name: 'XDIS16 MedicalSpecialityCode "patologi " spelled "patolog"', generation: G7, xml: mutate(XD1630C_FULL, '>paediatri_sygehus<', '>patolog<'), code: 'invalid-value', path: `${ROA}/Sender/MedicalSpecialityCode` },
  { name: 'XDIS18 VersionCode XD1834C in the 2007 namespace', generation: G7, xml: mutate(XD1830C_MINIMAL, '>XD1830C<', '>XD1834C<'), code: 'invalid-value', path: `${ROD}/Letter/VersionCode` },
  { name: 'XDIS18 DiagnoseTypeCode "ICD10"', generation: G7, xml: mutate(XD1830C_FULL, '>SKSdiagnosekode<', '>ICD10<'), code: 'invalid-value', path: `${ROD}/Diagnoses/Diagnose/DiagnoseTypeCode` },
  { name: 'XDIS18 StatusCode "annulleretbrev"', generation: G7, xml: mutate(XD1830C_MINIMAL, '>rettetbrev<', '>annulleretbrev<'), code: 'invalid-value', path: `${ROD}/Letter/StatusCode` },
  { name: 'XDIS18 CPR of 11 digits', generation: G7, xml: mutate(XD1830C_FULL, '>0101001234<', '>01010012345<'), code: 'invalid-value', path: `${ROD}/Patient/CivilRegistrationNumber` },
  // dates and times
  { name: 'XDIS91 Authorisation on 2006-02-29', generation: G6, xml: mutate(XD9134L_FULL, '<Date>2006-08-01</Date>', '<Date>2006-02-29</Date>'), code: 'invalid-value', path: `${CE}/Letter/Authorisation/Date` },
  { name: 'XDIS18 Discharge on 2007-02-29', generation: G7, xml: mutate(XD1830C_FULL, '<Date>2008-02-29</Date>', '<Date>2007-02-29</Date>'), code: 'invalid-value', path: `${ROD}/Discharge/Date` },
  { name: 'XDIS18 Admission at 24:00', generation: G7, xml: mutate(XD1830C_FULL, '<Time>14:00</Time></Admission>', '<Time>24:00</Time></Admission>'), code: 'invalid-value', path: `${ROD}/Admission/Time` },
  { name: 'XDIS16 Authorisation with seconds', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Time>10:10</Time>', '<Time>10:10:00</Time>'), code: 'invalid-value', path: `${ROA}/Letter/Authorisation/Time` },
  // order
  { name: 'XDIS91 Subject before Priority', generation: G6, xml: mutate(XD9134L_FULL, '<Priority>rutine</Priority><Subject>Medicinafstemning</Subject>', '<Subject>Medicinafstemning</Subject><Priority>rutine</Priority>'), code: 'wrong-order', path: `${CE}/AdditionalInformation/Priority` },
  { name: 'XDIS91 AdditionalInformation after ClinicalInformation', generation: G6, xml: mutate(XD9134L_MINIMAL, '<AdditionalInformation/><ClinicalInformation><Text01/></ClinicalInformation>', '<ClinicalInformation><Text01/></ClinicalInformation><AdditionalInformation/>'), code: 'wrong-order', path: `${CE}/AdditionalInformation` },
  { name: 'XDIS91 MedicalSpecialityCode before TelephoneSubscriberIdentifier', generation: G6, xml: mutate(XD9134L_FULL, /(<TelephoneSubscriberIdentifier>44601000<\/TelephoneSubscriberIdentifier>)(<MedicalSpecialityCode>[^<]*<\/MedicalSpecialityCode>)/, '$2$1'), code: 'wrong-order', path: `${CE}/Sender/TelephoneSubscriberIdentifier` },
  { name: 'XDIS16 Practitioner before CCReceiver', generation: G7, xml: mutate(XD1630C_FULL, /(<CCReceiver>.*<\/CCReceiver>)(<Practitioner>.*<\/Practitioner>)/, '$2$1'), code: 'wrong-order', path: `${ROA}/CCReceiver` },
  { name: 'XDIS16 MedicalSpecialityCode before SignedBy', generation: G7, xml: mutate(XD1630C_FULL, /(<SignedBy>.*<\/SignedBy>)(<MedicalSpecialityCode>[^<]*<\/MedicalSpecialityCode>)/, '$2$1'), code: 'wrong-order', path: `${ROA}/Sender/SignedBy` },
  { name: 'XDIS16 Medicine before Services', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Services/><Medicine/>', '<Medicine/><Services/>'), code: 'wrong-order', path: `${ROA}/Services` },
  { name: 'XDIS18 Discharge before Admission', generation: G7, xml: mutate(XD1830C_FULL, /(<Admission>.*<\/Admission>)(<Discharge>.*<\/Discharge>)/, '$2$1'), code: 'wrong-order', path: `${ROD}/Admission` },
  { name: 'XDIS18 Comment before Drug', generation: G7, xml: mutate(XD1830C_FULL, /(<Drug>.*?<\/Drug>)(<Drug\/>)(<Comment>.*?<\/Comment>)/, '$1$3$2'), code: 'wrong-order', path: `${ROD}/Medicine/Drug` },
  // duplicates and choices
  { name: 'XDIS91 eleven Reference', generation: G6, xml: mutate(XD9134L_MINIMAL, '</ClinicalEmail>', `${'<Reference><RefDescription>x</RefDescription><SUP>true</SUP></Reference>'.repeat(11)}</ClinicalEmail>`), code: 'too-many', path: `${CE}/Reference` },
  { name: 'XDIS91 two AdditionalInformation', generation: G6, xml: mutate(XD9134L_MINIMAL, '<AdditionalInformation/>', '<AdditionalInformation/><AdditionalInformation/>'), code: 'too-many', path: `${CE}/AdditionalInformation` },
  { name: 'XDIS91 CPR and AlternativeIdentifier together', generation: G6, xml: mutate(XD9134L_FULL, '</CivilRegistrationNumber>', '</CivilRegistrationNumber><AlternativeIdentifier>0101001234</AlternativeIdentifier>'), code: 'invalid-value', path: `${CE}/Patient` },
  { name: 'XDIS91 URL and BIN together', generation: G6, xml: mutate(XD9134L_FULL, '<BIN>', '<URL>https://example.dk</URL><BIN>'), code: 'invalid-value', path: `${CE}/Reference[3]` },
  { name: 'XDIS16 six ContactInformation', generation: G7, xml: mutate(XD1630C_FULL, '<ContactInformation/>', '<ContactInformation/>'.repeat(5)), code: 'too-many', path: `${ROA}/Sender/ContactInformation` },
  { name: 'XDIS16 six Relative', generation: G7, xml: mutate(XD1630C_FULL, '<Relative/>', '<Relative/>'.repeat(4)), code: 'too-many', path: `${ROA}/Relatives/Relative` },
  { name: 'XDIS16 four TelephoneSubscriber', generation: G7, xml: mutate(XD1630C_FULL, '<TelephoneSubscriber/>', '<TelephoneSubscriber/><TelephoneSubscriber/>'), code: 'too-many', path: `${ROA}/Relatives/Relative/TelephoneSubscriber` },
  { name: 'XDIS16 two CCReceiver', generation: G7, xml: mutate(XD1630C_FULL, /(<CCReceiver>.*<\/CCReceiver>)/, '$1$1'), code: 'too-many', path: `${ROA}/CCReceiver` },
  { name: 'XDIS16 29 Service', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Services/>', `<Services>${'<Service/>'.repeat(29)}</Services>`), code: 'too-many', path: `${ROA}/Services/Service` },
  { name: 'XDIS16 64 Auxiliary', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Auxiliaries/>', `<Auxiliaries>${'<Auxiliary/>'.repeat(64)}</Auxiliaries>`), code: 'too-many', path: `${ROA}/Auxiliaries/Auxiliary` },
  { name: 'XDIS16 two MotionEvaluation', generation: G7, xml: mutate(XD1630C_FULL, /(<MotionEvaluation>.*<\/MotionEvaluation>)/, '$1$1'), code: 'too-many', path: `${ROA}/MotionEvaluation` },
  { name: 'XDIS16 CPR and AlternativeIdentifier together', generation: G7, xml: mutate(XD1630C_MINIMAL, '<AlternativeIdentifier>', '<CivilRegistrationNumber>0101001234</CivilRegistrationNumber><AlternativeIdentifier>'), code: 'invalid-value', path: `${ROA}/Patient` },
  { name: 'XDIS18 eleven ClinicalInformation', generation: G7, xml: mutate(XD1830C_MINIMAL, '</ReportOfDischarge>', `${'<ClinicalInformation>x</ClinicalInformation>'.repeat(11)}</ReportOfDischarge>`), code: 'too-many', path: `${ROD}/ClinicalInformation` },
  { name: 'XDIS18 29 Treatment', generation: G7, xml: mutate(XD1830C_MINIMAL, '<Treatments/>', `<Treatments>${'<Treatment/>'.repeat(29)}</Treatments>`), code: 'too-many', path: `${ROD}/Treatments/Treatment` },
  { name: 'XDIS18 twelve Diagnose', generation: G7, xml: mutate(XD1830C_FULL, /(<Diagnose>.*?<\/Diagnose>)/, '$1'.repeat(11)), code: 'too-many', path: `${ROD}/Diagnoses/Diagnose` },
  { name: 'XDIS18 29 Drug', generation: G7, xml: mutate(XD1830C_MINIMAL, '<Medicine/>', `<Medicine>${'<Drug/>'.repeat(29)}</Medicine>`), code: 'too-many', path: `${ROD}/Medicine/Drug` },
  { name: 'XDIS18 two Discharge', generation: G7, xml: mutate(XD1830C_FULL, /(<Discharge>.*<\/Discharge>)/, '$1$1'), code: 'too-many', path: `${ROD}/Discharge` },
  // unknown elements, text and formatting
  { name: 'XDIS91 Signed in ClinicalInformation (not in 2006 ClinicalEmail)', generation: G6, xml: mutate(XD9134L_FULL, '<ClinicalInformation><Text01>Emne', '<ClinicalInformation><Signed><Date>2006-08-01</Date><Time>16:45</Time></Signed><Text01>Emne'), code: 'unexpected-element', path: `${CE}/ClinicalInformation/Signed` },
  { name: 'XDIS91 Contact in Sender (SenderNoContactType)', generation: G6, xml: mutate(XD9134L_MINIMAL, '<OrganisationName>Testkommune</OrganisationName>', '<OrganisationName>Testkommune</OrganisationName><Contact/>'), code: 'unexpected-element', path: `${CE}/Sender/Contact` },
  { name: 'XDIS91 Occupation in Patient (2007 name)', generation: G6, xml: mutate(XD9134L_FULL, '<OccupancyText>Pensionist</OccupancyText>', '<Occupation>Pensionist</Occupation>'), code: 'unexpected-element', path: `${CE}/Patient/Occupation` },
  { name: 'XDIS91 text in AdditionalInformation', generation: G6, xml: mutate(XD9134L_MINIMAL, '<AdditionalInformation/>', '<AdditionalInformation>Haster</AdditionalInformation>'), code: 'invalid-value', path: `${CE}/AdditionalInformation` },
  { name: 'XDIS91 Bold inside Bold', generation: G6, xml: mutate(XD9134L_FULL, '<Bold>fed<Break/>tekst</Bold>', '<Bold>fed <Bold>og mere</Bold></Bold>'), code: 'unexpected-element', path: `${CE}/ClinicalInformation[2]/Text01/Bold/Bold` },
  { name: 'XDIS91 unknown element in Text01', generation: G6, xml: mutate(XD9134L_FULL, 'Emne: Medicin', 'Emne: <Strong>Medicin</Strong>'), code: 'unexpected-element', path: `${CE}/ClinicalInformation/Text01/Strong` },
  { name: 'XDIS91 text inside Break', generation: G6, xml: mutate(XD9134L_FULL, 'Linje 1<Break/>', 'Linje 1<Break>x</Break>'), code: 'invalid-value', path: `${CE}/ClinicalInformation[2]/Text01/Break` },
  { name: 'XDIS91 attribute on Patient', generation: G6, xml: mutate(XD9134L_MINIMAL, '<Patient>', '<Patient type="x">'), code: 'unexpected-element', path: `${CE}/Patient/@type` },
  { name: 'XDIS90 Contact in Sender', generation: G9, xml: mutate(XD9034L_MINIMAL, '<OrganisationName>Testkommune</OrganisationName>', '<OrganisationName>Testkommune</OrganisationName><Contact/>'), code: 'unexpected-element', path: `${AE}/Sender/Contact` },
  { name: 'XDIS16 EpisodeOfCareStatusCode in Patient (not in 2007 reports)', generation: G7, xml: mutate(XD1630C_MINIMAL, '<PersonSurnameName>Ukendt</PersonSurnameName>', '<PersonSurnameName>Ukendt</PersonSurnameName><EpisodeOfCareStatusCode>indlagt</EpisodeOfCareStatusCode>'), code: 'unexpected-element', path: `${ROA}/Patient/EpisodeOfCareStatusCode` },
  { name: 'XDIS16 Admission (only in XDIS18)', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Relatives/>', '<Relatives/><Admission><Date>2007-02-20</Date><Time>14:00</Time></Admission>'), code: 'unexpected-element', path: `${ROA}/Admission` },
  { name: 'XDIS16 text in Relatives', generation: G7, xml: mutate(XD1630C_MINIMAL, '<Relatives/>', '<Relatives>Datter</Relatives>'), code: 'invalid-value', path: `${ROA}/Relatives` },
  { name: 'XDIS16 empty SignedBy', generation: G7, xml: mutate(XD1630C_MINIMAL, /<SignedBy>.*<\/SignedBy>/, '<SignedBy/>'), code: 'invalid-value', path: `${ROA}/Sender/SignedBy` },
  { name: 'XDIS16 ContactName in ContactInformation (1834C name)', generation: G7, xml: mutate(XD1630C_FULL, '<ContactInformation/>', '<ContactInformation><ContactName>X</ContactName></ContactInformation>'), code: 'unexpected-element', path: `${ROA}/Sender/ContactInformation[2]/ContactName` },
  { name: 'XDIS16 unknown element in a Comment', generation: G7, xml: mutate(XD1630C_FULL, '<Comment>Ingen</Comment>', '<Comment>Ingen<Table/></Comment>'), code: 'unexpected-element', path: `${ROA}/Services/Comment/Table` },
  { name: 'XDIS18 Italic inside Bold', generation: G7, xml: mutate(XD1830C_FULL, '<Bold>fed<Break/>tekst</Bold>', '<Bold>fed <Italic>og kursiv</Italic></Bold>'), code: 'unexpected-element', path: `${ROD}/ClinicalInformation[2]/Bold/Italic` },
  { name: 'XDIS18 Reference (not in 2007 reports)', generation: G7, xml: mutate(XD1830C_MINIMAL, '</ReportOfDischarge>', '<Reference><RefDescription>x</RefDescription><SUP>true</SUP></Reference></ReportOfDischarge>'), code: 'unexpected-element', path: `${ROD}/Reference` },
  { name: 'XDIS18 text in Treatment', generation: G7, xml: mutate(XD1830C_FULL, '<Treatment/>', '<Treatment>Operation</Treatment>'), code: 'invalid-value', path: `${ROD}/Treatments/Treatment[2]` },
];

/** Edge cases that are valid: values one generation's XSD allows and the other's does not, and odd but legal lexical forms. */
const ACCEPTED_EDGE_CASES: { name: string; generation: Generation; xml: string }[] = [
  { name: 'XDIS16 empty PostCodeIdentifier (2007 allows 0 characters)', generation: G7, xml: mutate(XD1630C_MINIMAL, '<IdentifierCode>sorkode</IdentifierCode>', '<IdentifierCode>sorkode</IdentifierCode><PostCodeIdentifier/>') },
  { name: 'XDIS18 MedicalSpecialityCode "paediatri_sygehus" (2007 list)', generation: G7, xml: XD1830C_FULL },
  { name: 'XDIS91 IdentifierCode "amt" (2006 list)', generation: G6, xml: XD9134L_FULL },
  { name: 'XDIS91 MedicalSpecialityCode "patologi " with the XSD\'s trailing space', generation: G6, xml: mutate(XD9134L_FULL, '>almen_medicin<', '>patologi <') },
  { name: 'XDIS91 OriginalObjectSize of 30 digits (xs:positiveInteger is unbounded)', generation: G6, xml: mutate(XD9134L_FULL, '>+000123456<', `>${'9'.repeat(30)}<`) },
  { name: 'XDIS91 Reference with a URL of 350 characters', generation: G6, xml: mutate(XD9134L_FULL, 'https://example.dk/vejledning', `https://example.dk/${'v'.repeat(331)}`) },
  { name: 'XDIS90 MedicalSpecialityCode "paediatri_sygehus" and an empty PostCodeIdentifier (later, looser lists)', generation: G9, xml: mutate(mutate(XD9034L_FULL, '>almen_medicin<', '>paediatri_sygehus<'), '<PostCodeIdentifier>DK-9999</PostCodeIdentifier>', '<PostCodeIdentifier/>') },
];

// ---------------------------------------------------------------------------------------------

const SAMPLE_FILES: [string, Generation][] = [
  ['DIS91_1', G6],
  ['DIS91_2', G6],
  ['korr_x9134', G6],
  ['Flow1-XDIS91_Ex_to_FHIR', G6],
  ['DIS91_3', G9],
];

describe('2006/07/01, 2007/02/01 and 2009/08/01 schemas', () => {
  it('provide every schemaRef the catalogue names for these generations', () => {
    expect([...VARIANTS.values()].map((v) => v.ref).sort()).toEqual([
      'XDIS16.json#/$defs/XD1630C',
      'XDIS18.json#/$defs/XD1830C',
      'XDIS90.json#/$defs/XD9034L',
      'XDIS91.json#/$defs/XD9134L',
    ]);
    registry.compileAll([...VARIANTS.values()].map((v) => v.ref));
  });

  describe.skipIf(!hasShared('medcom-samples'))('real samples', () => {
    it.each(SAMPLE_FILES)('%s is valid', async (name, generation) => {
      const text = decodeFile(join(SAMPLES, `${name}.xml`));
      expect(lettersOf(text)).toHaveLength(1);
      expect(validate(text)).toEqual([]);
      if (hasXsd(generation)) expect((await xsdValid(generation, text)).errors).toEqual([]);
    });
  });

  it('accepts every fixture of these variants in fixtures/valid (and so does the XSD)', async () => {
    const files = existsSync(FIXTURES) ? walk(FIXTURES).filter((path) => path.endsWith('.xml')) : [];
    for (const path of files) {
      const text = decodeFile(path);
      const generation = GENERATIONS.find((g) => text.includes(`xmlns="${NAMESPACE[g]}"`));
      if (!generation) continue;
      const letters = lettersOf(text).filter((l) => VARIANTS.has(textOfLetter(l) ?? ''));
      if (letters.length === 0) continue;
      const issues = letters.flatMap((l) => registry.validate(l.ref, l.element, l.path, l.document));
      expect({ path, issues }).toEqual({ path, issues: [] });
      if (hasXsd(generation)) expect({ path, errors: (await xsdValid(generation, text)).errors }).toEqual({ path, errors: [] });
    }
  });

  it('refuses every fixture of these variants in fixtures/invalid that the XSD refuses', async () => {
    const dir = fromPackageRoot('fixtures', 'invalid');
    const files = existsSync(dir) ? walk(dir).filter((path) => path.endsWith('.xml')) : [];
    for (const path of files) {
      const decoded = decodeText(readFileSync(path));
      if (!decoded.ok) continue; // refused before any schema is consulted
      const text = decoded.text;
      const generation = GENERATIONS.find((g) => text.includes(`xmlns="${NAMESPACE[g]}"`));
      if (!generation || !hasXsd(generation)) continue;
      const parsed = parseXml(text);
      if (!parsed.ok) continue;
      const letters = lettersOf(text).filter((l) => VARIANTS.has(textOfLetter(l) ?? ''));
      if (letters.length === 0 || (await xsdValid(generation, text)).valid) continue;
      const issues = letters.flatMap((l) => registry.validate(l.ref, l.element, l.path, l.document));
      expect({ path, refused: issues.length > 0 }).toEqual({ path, refused: true });
    }
  });

  it.each(Object.entries(INLINE_VALID))('accepts inline %s (and so does the XSD)', async (_name, [generation, xml]) => {
    expect(validate(xml)).toEqual([]);
    if (hasXsd(generation)) expect((await xsdValid(generation, xml)).errors).toEqual([]);
  });

  it.each(ACCEPTED_EDGE_CASES.map((c) => [c.name, c] as const))('accepts %s (and so does the XSD)', async (_name, valid) => {
    expect(validate(valid.xml)).toEqual([]);
    if (hasXsd(valid.generation)) expect((await xsdValid(valid.generation, valid.xml)).errors).toEqual([]);
  });

  it.each(BROKEN.map((c) => [c.name, c] as const))('refuses %s (and so does the XSD)', async (_name, broken) => {
    const issues = validate(broken.xml);
    expect(issues.map((i) => ({ code: i.code, path: i.path }))).toContainEqual({ code: broken.code, path: broken.path });
    for (const found of issues) {
      expect(found.message.length).toBeGreaterThan(10);
      expect(found.line).toBeGreaterThan(0);
    }
    if (hasXsd(broken.generation)) expect((await xsdValid(broken.generation, broken.xml)).valid).toBe(false);
  });

  it('names the choice in words when a Patient has both identifiers', () => {
    const xml = mutate(XD1630C_MINIMAL, '<AlternativeIdentifier>', '<CivilRegistrationNumber>0101001234</CivilRegistrationNumber><AlternativeIdentifier>');
    expect(validate(xml)).toEqual([
      expect.objectContaining({
        code: 'invalid-value',
        path: `${ROA}/Patient`,
        message: expect.stringContaining('either a <CivilRegistrationNumber> or an <AlternativeIdentifier>, not both') as unknown,
      }),
    ]);
  });

  it('reports exactly one issue, at the element, for a too-long value deep in a report', () => {
    const xml = mutate(XD1830C_FULL, '<TelephoneNumber>20202020</TelephoneNumber>', `<TelephoneNumber>${'2'.repeat(36)}</TelephoneNumber>`);
    expect(validate(xml)).toEqual([
      expect.objectContaining({
        code: 'invalid-value',
        path: `${ROD}/Relatives/Relative/TelephoneSubscriber/TelephoneNumber`,
        message: expect.stringContaining('text of 1 to 35 characters') as unknown,
      }),
    ]);
  });
});

function textOfLetter(letter: Letter): string | undefined {
  const head = typeof letter.element === 'object' ? childrenOf(letter.element, 'Letter')[0] : undefined;
  return typeof head === 'object' ? textOf(head, 'VersionCode') : undefined;
}

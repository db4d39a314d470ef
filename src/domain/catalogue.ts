/**
 * The message catalogue: the one place that knows every message type the gateway carries.
 * Pure data plus look-ups; the codec, routing and deadline code ask it instead of hard-coding codes.
 * Sources: medcom.md §1 (codes, versions, namespaces, directions) and MedCom's published XSDs (the conformance tests read them beside the project).
 */
import type { GenerationId } from './namespaces.js';

export type MessageTypeCode =
  | 'XDIS20'
  | 'XDIS17'
  | 'XDIS14'
  | 'XDIS16'
  | 'XDIS18'
  | 'XDIS19'
  | 'XDIS21'
  | 'GGOP'
  | 'XDIS91'
  | 'XDIS90'
  | 'XCTL01'
  | 'XCTL02'
  | 'XCTL03'
  | 'FCTL';

export type EndpointKind = 'hospital' | 'municipality' | 'gp';

export type ReceiptKind = 'negative-vans' | 'negative' | 'positive';

/**
 * Which shape the `Letter` element has: the advis letter (XDIS20/17/14, with NotificationIdentifier and
 * seconds in Authorisation), the generic LetterType, the receipts' three-field letter, or the
 * municipality generation's letter without StatusCode.
 */
export type LetterShape = 'advis' | 'generic' | 'receipt' | 'municipality' | 'fhir';

/** Fields the gateway reads out of a letter's body for routing, receipts and deadlines. */
export type ExtractedField =
  | 'admission'
  | 'discharge'
  | 'endOfTreatment'
  | 'plannedDischarge'
  | 'agreedDischarge'
  | 'planConference'
  | 'expectedEndOfTreatment'
  | 'rehabilitationType'
  | 'rehabilitationDeadline'
  | 'gpCcReceiver'
  | 'ccReceivers'
  | 'subject'
  | 'priority'
  | 'originalEnvelope'
  | 'refuse';

/** One (generation, VersionCode) combination a message type may arrive in. */
export interface MessageVariant {
  readonly versionCode: string;
  readonly generation: GenerationId;
  /** The ajv schema that validates the letter element's content, as `<file>#/$defs/<name>`. */
  readonly schemaRef: string;
  /** True when one of MedCom's published XSDs covers this variant (the conformance test relies on it). */
  readonly hasXsd: boolean;
  /** Set when the variant is known only from samples or converter XSLTs, not from an XSD: why we trust it. */
  readonly source: string;
}

export interface MessageTypeDefinition {
  readonly code: MessageTypeCode;
  /** The letter's root element inside `Emessage` (e.g. `NotificationOfAdmission`). */
  readonly rootElement: string;
  readonly danishName: string;
  readonly englishName: string;
  /** The usual directions; routing uses them to warn about odd traffic, not to refuse it. */
  readonly directions: readonly { readonly from: EndpointKind; readonly to: EndpointKind }[];
  /** The `StatisticalCode` every letter of this type carries. */
  readonly statisticalCode: string;
  /** The `TypeCode`, or null for letters that have none (receipts). */
  readonly typeCode: string | null;
  readonly letterShape: LetterShape;
  /** Set for XCTL01/02/03 (and the FHIR Acknowledgement). */
  readonly receiptKind: ReceiptKind | null;
  readonly variants: readonly MessageVariant[];
  readonly extracts: readonly ExtractedField[];
}

const ANY_TO_ANY = [
  { from: 'hospital', to: 'municipality' },
  { from: 'municipality', to: 'hospital' },
  { from: 'hospital', to: 'gp' },
  { from: 'gp', to: 'hospital' },
  { from: 'municipality', to: 'gp' },
  { from: 'gp', to: 'municipality' },
] as const;

const XSD_2005 = 'MedCom XSD 2005/08/07';

export const MESSAGE_TYPES: readonly MessageTypeDefinition[] = [
  {
    code: 'XDIS20',
    rootElement: 'NotificationOfAdmission',
    danishName: 'Indlæggelsesadvis',
    englishName: 'Notification of admission',
    directions: [{ from: 'hospital', to: 'municipality' }],
    statisticalCode: 'XDIS20',
    typeCode: 'XDIS20',
    letterShape: 'advis',
    receiptKind: null,
    variants: [
      { versionCode: 'XD2030C', generation: '2005/08/07', schemaRef: 'XDIS20.json#/$defs/XD2030C', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['admission'],
  },
  {
    code: 'XDIS17',
    rootElement: 'NotificationOfDischarge',
    danishName: 'Udskrivningsadvis',
    englishName: 'Notification of discharge',
    directions: [{ from: 'hospital', to: 'municipality' }],
    statisticalCode: 'XDIS17',
    typeCode: 'XDIS17',
    letterShape: 'advis',
    receiptKind: null,
    variants: [
      { versionCode: 'XD1730C', generation: '2005/08/07', schemaRef: 'XDIS17.json#/$defs/XD1730C', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['discharge'],
  },
  {
    code: 'XDIS14',
    rootElement: 'AnswerOfAdmission',
    danishName: 'Indlæggelsessvar',
    englishName: 'Answer of admission',
    directions: [{ from: 'municipality', to: 'hospital' }],
    statisticalCode: 'XDIS14',
    typeCode: 'XDIS14',
    letterShape: 'advis',
    receiptKind: null,
    variants: [
      { versionCode: 'XD1431C', generation: '2005/08/07', schemaRef: 'XDIS14.json#/$defs/XD1431C', hasXsd: true, source: XSD_2005 },
    ],
    extracts: [],
  },
  {
    code: 'XDIS16',
    rootElement: 'ReportOfAdmission',
    danishName: 'Indlæggelsesrapport',
    englishName: 'Report of admission',
    directions: [{ from: 'municipality', to: 'hospital' }],
    statisticalCode: 'XDIS16',
    typeCode: 'XDIS16',
    letterShape: 'generic',
    receiptKind: null,
    variants: [
      {
        versionCode: 'XD1630C',
        generation: '2007/02/01',
        schemaRef: 'XDIS16.json#/$defs/XD1630C',
        hasXsd: true,
        source: 'MedCom XSD 2007/02/01',
      },
    ],
    extracts: ['ccReceivers'],
  },
  {
    code: 'XDIS18',
    rootElement: 'ReportOfDischarge',
    danishName: 'Udskrivningsrapport',
    englishName: 'Report of discharge',
    directions: [{ from: 'hospital', to: 'municipality' }],
    statisticalCode: 'XDIS18',
    typeCode: 'XDIS18',
    letterShape: 'generic',
    receiptKind: null,
    variants: [
      {
        versionCode: 'XD1830C',
        generation: '2007/02/01',
        schemaRef: 'XDIS18.json#/$defs/XD1830C',
        hasXsd: true,
        source: 'MedCom XSD 2007/02/01',
      },
      {
        versionCode: 'XD1834C',
        generation: 'municipality',
        schemaRef: 'XDIS18.json#/$defs/XD1834C',
        hasXsd: false,
        source: 'medcom.md §2.5: element list of the Region H XD1834C sample',
      },
    ],
    extracts: ['admission', 'endOfTreatment', 'discharge', 'ccReceivers'],
  },
  {
    code: 'XDIS19',
    rootElement: 'WarningOfDischarge',
    danishName: 'Varsling af færdigbehandling',
    englishName: 'Warning of discharge',
    directions: [{ from: 'hospital', to: 'municipality' }],
    statisticalCode: 'XDIS19',
    typeCode: 'XDIS19',
    letterShape: 'generic',
    receiptKind: null,
    variants: [
      { versionCode: 'XD1930C', generation: '2005/08/07', schemaRef: 'XDIS19.json#/$defs/XD1930C', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['admission', 'planConference', 'endOfTreatment', 'plannedDischarge', 'ccReceivers'],
  },
  {
    code: 'XDIS21',
    rootElement: 'ProgressOfCarePlan',
    danishName: 'Plejeforløbsplan',
    englishName: 'Progress of care plan',
    directions: [{ from: 'hospital', to: 'municipality' }],
    statisticalCode: 'XDIS21',
    typeCode: 'XDIS21',
    letterShape: 'municipality',
    receiptKind: null,
    variants: [
      {
        versionCode: 'XD2134C',
        generation: 'municipality',
        schemaRef: 'XDIS21.json#/$defs/XD2134C',
        hasXsd: false,
        source: 'medcom.md §1 "Warning-deadline anchors": element list of the Region H XD2134C sample',
      },
    ],
    extracts: ['admission', 'expectedEndOfTreatment', 'agreedDischarge'],
  },
  {
    code: 'GGOP',
    rootElement: 'RehabilitationPlan',
    danishName: 'Genoptræningsplan',
    englishName: 'Rehabilitation (retraining) plan',
    directions: [
      { from: 'hospital', to: 'municipality' },
      { from: 'hospital', to: 'gp' },
      { from: 'hospital', to: 'hospital' },
    ],
    statisticalCode: 'GGOP',
    typeCode: 'GGOP',
    letterShape: 'municipality',
    receiptKind: null,
    variants: [
      {
        versionCode: 'ggop100',
        generation: 'municipality',
        schemaRef: 'GGOP.json#/$defs/ggop100',
        hasXsd: false,
        source: 'medcom.md §2.5: element names of the GGOP→XDIS91 converter XSLT',
      },
    ],
    extracts: ['rehabilitationType', 'rehabilitationDeadline', 'gpCcReceiver', 'ccReceivers'],
  },
  {
    code: 'XDIS91',
    rootElement: 'ClinicalEmail',
    danishName: 'Korrespondancemeddelelse',
    englishName: 'Correspondence (clinical e-mail)',
    directions: ANY_TO_ANY,
    statisticalCode: 'XDIS91',
    typeCode: 'XDIS91',
    letterShape: 'generic',
    receiptKind: null,
    variants: [
      {
        versionCode: 'XD9134L',
        generation: '2006/07/01',
        schemaRef: 'XDIS91.json#/$defs/XD9134L',
        hasXsd: true,
        source: 'MedCom XSD 2006/07/01',
      },
      { versionCode: 'XD9133L', generation: '2005/08/07', schemaRef: 'XDIS91.json#/$defs/XD9133L', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['subject', 'priority'],
  },
  {
    code: 'XDIS90',
    rootElement: 'AdministrativeEmail',
    danishName: 'Administrativ korrespondance',
    englishName: 'Administrative correspondence',
    directions: ANY_TO_ANY,
    statisticalCode: 'XDIS90',
    typeCode: 'XDIS90',
    letterShape: 'generic',
    receiptKind: null,
    variants: [
      {
        versionCode: 'XD9034L',
        generation: '2009/08/01',
        schemaRef: 'XDIS90.json#/$defs/XD9034L',
        hasXsd: false,
        source: 'medcom-samples/DIS91_3.xml (no XSD of the 2009/08/01 generation is at hand; same body as XDIS91)',
      },
    ],
    extracts: ['subject', 'priority'],
  },
  {
    code: 'XCTL01',
    rootElement: 'NegativeVansReceipt',
    danishName: 'Negativ VANS-kvittering',
    englishName: 'Negative VANS receipt',
    directions: ANY_TO_ANY,
    statisticalCode: 'XCTL01',
    typeCode: null,
    letterShape: 'receipt',
    receiptKind: 'negative-vans',
    variants: [
      { versionCode: 'XC0130Q', generation: '2005/08/07', schemaRef: 'XCTL01.json#/$defs/XC0130Q', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['originalEnvelope', 'refuse'],
  },
  {
    code: 'XCTL02',
    rootElement: 'NegativeReceipt',
    danishName: 'Negativ kvittering',
    englishName: 'Negative receipt',
    directions: ANY_TO_ANY,
    statisticalCode: 'XCTL02',
    typeCode: null,
    letterShape: 'receipt',
    receiptKind: 'negative',
    variants: [
      { versionCode: 'XC0230Q', generation: '2005/08/07', schemaRef: 'XCTL02.json#/$defs/XC0230Q', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['originalEnvelope', 'refuse'],
  },
  {
    code: 'XCTL03',
    rootElement: 'PositiveReceipt',
    danishName: 'Positiv kvittering',
    englishName: 'Positive receipt',
    directions: ANY_TO_ANY,
    statisticalCode: 'XCTL03',
    typeCode: null,
    letterShape: 'receipt',
    receiptKind: 'positive',
    variants: [
      { versionCode: 'XC0330Q', generation: '2005/08/07', schemaRef: 'XCTL03.json#/$defs/XC0330Q', hasXsd: true, source: XSD_2005 },
    ],
    extracts: ['originalEnvelope'],
  },
  {
    code: 'FCTL',
    rootElement: 'Bundle',
    danishName: 'Kvittering (FHIR Acknowledgement)',
    englishName: 'FHIR Acknowledgement (successor of XCTL01–03)',
    directions: ANY_TO_ANY,
    statisticalCode: 'FCTL',
    typeCode: null,
    letterShape: 'fhir',
    receiptKind: 'positive',
    variants: [
      {
        versionCode: '2.0',
        generation: 'fhir',
        schemaRef: 'FCTL.json#/$defs/acknowledgement',
        hasXsd: false,
        source: 'medcom.md §3.2: MedCom Acknowledgement IG (only the elements the gateway correlates on are checked)',
      },
    ],
    extracts: ['originalEnvelope', 'refuse'],
  },
];

const BY_CODE = new Map(MESSAGE_TYPES.map((type) => [type.code, type]));
const BY_ROOT = new Map(MESSAGE_TYPES.map((type) => [type.rootElement, type]));

export function messageType(code: MessageTypeCode): MessageTypeDefinition {
  const found = BY_CODE.get(code);
  if (!found) throw new Error(`unknown message type ${code}`);
  return found;
}

export function isMessageTypeCode(code: string): code is MessageTypeCode {
  return BY_CODE.has(code as MessageTypeCode);
}

/** The type whose letter element is named `rootElement` (e.g. `ClinicalEmail` → XDIS91). */
export function messageTypeByRootElement(rootElement: string): MessageTypeDefinition | undefined {
  return BY_ROOT.get(rootElement);
}

/** The letter root elements allowed in a given generation, for "unexpected element" messages. */
export function rootElementsOfGeneration(generation: GenerationId): string[] {
  return MESSAGE_TYPES.filter((type) => type.variants.some((v) => v.generation === generation)).map(
    (type) => type.rootElement,
  );
}

/** The variant of `type` for a generation and VersionCode, if the gateway accepts that combination. */
export function findVariant(
  type: MessageTypeDefinition,
  generation: GenerationId,
  versionCode: string | undefined,
): MessageVariant | undefined {
  return type.variants.find((v) => v.generation === generation && (versionCode === undefined || v.versionCode === versionCode));
}

export function variantsOfGeneration(type: MessageTypeDefinition, generation: GenerationId): MessageVariant[] {
  return type.variants.filter((v) => v.generation === generation);
}

export function isReceiptType(code: MessageTypeCode): boolean {
  return messageType(code).receiptKind !== null;
}

/**
 * The OIOXML receipt letter the gateway writes for a receipt kind (XCTL01, XCTL02 or XCTL03 of the
 * 2005 generation) and its variant. FCTL, the FHIR Acknowledgement, also has a receipt kind; the
 * gateway reads it but never writes it.
 */
export function oioxmlReceiptOf(kind: ReceiptKind): { readonly type: MessageTypeDefinition; readonly variant: MessageVariant } {
  const type = MESSAGE_TYPES.find((t) => t.receiptKind === kind && t.letterShape === 'receipt');
  const variant = type && variantsOfGeneration(type, '2005/08/07')[0];
  if (!type || !variant) throw new Error(`receipt: unknown receipt kind "${String(kind)}"`);
  return { type, variant };
}

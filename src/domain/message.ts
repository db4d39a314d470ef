/**
 * The typed model a validated MedCom message becomes: the domain's vocabulary, which the codec
 * produces. Plain data: the rest of the gateway (store, routing, deadlines, receipts) works on this and
 * never on XML.
 */
import type { MessageTypeCode, ReceiptKind } from './catalogue.js';
import type { GenerationId } from './namespaces.js';

/** A date and clock time as written in the message: Danish local time, no zone (OIOXML has none). */
export interface LocalDateTime {
  /** `YYYY-MM-DD` */
  readonly date: string;
  /** `hh:mm` or `hh:mm:ss` */
  readonly time: string;
}

export type AcknowledgementCode = 'pluspositivkvitt' | 'minuspositivkvitt';
export type LetterStatusCode = 'nytbrev' | 'rettetbrev' | 'annulleretbrev';
export type RefuseCode =
  | 'ikke_specificeret'
  | 'ukendt_lokationsnummer'
  | 'problem_med_modtagerID'
  | 'problem_med_version'
  | 'syntaksfejl';

export const REFUSE_CODES: readonly RefuseCode[] = [
  'ikke_specificeret',
  'ukendt_lokationsnummer',
  'problem_med_modtagerID',
  'problem_med_version',
  'syntaksfejl',
];

export interface Envelope {
  readonly sent: LocalDateTime;
  /** Kuvertnummer: 1–14 characters (a FHIR Bundle.id for FCTL). */
  readonly identifier: string;
  readonly acknowledgementCode: AcknowledgementCode;
}

/** Sender, receiver or copy receiver of a letter. Receipts carry only the EAN. */
export interface Party {
  /** EAN/GLN location number (`EANIdentifier`). */
  readonly ean: string;
  readonly identifier?: string;
  /** `sygehusafdelingsnummer`, `ydernummer`, `lokationsnummer`, `kommunenummer` or `sorkode`. */
  readonly identifierCode?: string;
  readonly organisation?: string;
  readonly department?: string;
  readonly unit?: string;
}

/**
 * A copy receiver. The 2005–2007 CCReceiver names the party by Identifier and IdentifierCode only (for
 * example a GP's ydernummer), so unlike a Receiver it may lack an EAN.
 */
export type CopyReceiver = Omit<Party, 'ean'> & { readonly ean?: string };

export interface PatientInfo {
  /** CivilRegistrationNumber. Patient data: never logged, never put in queue payloads. */
  readonly cpr?: string;
  /** `AlternativeIdentifier` (erstatnings-CPR). */
  readonly alternativeIdentifier?: string;
  readonly surname?: string;
  readonly givenName?: string;
  readonly episodeOfCareStatus?: string;
}

export interface OriginalLetterReference {
  readonly letterIdentifier: string;
  readonly versionCode?: string;
  readonly refuseCode?: RefuseCode;
  readonly refuseText?: string;
}

/** The body of XCTL01/02/03 (and FCTL): what it answers. */
export interface ReceiptBody {
  readonly kind: ReceiptKind;
  /** The answered envelope's Identifier; absent for FCTL, which quotes only the acknowledged MessageHeader.id. */
  readonly originalEnvelopeIdentifier?: string;
  /** FHIR `response.code` for FCTL: `ok`, `transient-error` (resend later) or `fatal-error` (do not resend). */
  readonly responseCode?: 'ok' | 'transient-error' | 'fatal-error';
  readonly originalSender?: string;
  readonly originalReceiver?: string;
  /** Envelope-level refusal (negative receipts). */
  readonly refuseCode?: RefuseCode;
  readonly refuseText?: string;
  readonly originalLetters: readonly OriginalLetterReference[];
}

export interface RehabilitationInfo {
  /** `TypeOfRehabilitationPlan`: ZZ0175X (ordinary), ZZ0175Y (specialised) or ZZ0175Z (self-training). */
  readonly type?: string;
  readonly deadline?: LocalDateTime | { readonly date: string };
}

export interface CorrespondenceInfo {
  readonly subject?: string;
  readonly priority?: string;
}

/** The body fields the gateway extracts (catalogue `extracts`); absent when the type has none. */
export interface LetterBody {
  readonly admission?: LocalDateTime;
  readonly discharge?: LocalDateTime;
  readonly endOfTreatment?: LocalDateTime;
  readonly plannedDischarge?: LocalDateTime;
  readonly agreedDischarge?: LocalDateTime;
  readonly planConference?: LocalDateTime;
  readonly expectedEndOfTreatment?: LocalDateTime;
  readonly rehabilitation?: RehabilitationInfo;
  readonly correspondence?: CorrespondenceInfo;
  readonly receipt?: ReceiptBody;
}

export type WarningCategory =
  | 'UNCHANGED_SIMPLE_NURSING'
  | 'REDUCED_CARE'
  | 'REDUCED_SPECIAL_AIDS'
  | 'REDUCED_HOUSING';

export const WARNING_CATEGORIES: readonly WarningCategory[] = [
  'UNCHANGED_SIMPLE_NURSING',
  'REDUCED_CARE',
  'REDUCED_SPECIAL_AIDS',
  'REDUCED_HOUSING',
];

export type AdmissionKind = 'PLANNED' | 'ACUTE' | 'OPEN';

/**
 * The gateway's own extension, read from the `Local_Elements` block after a letter (namespace
 * NS_GATEWAY_EXTENSION). It carries what the deadline and routing rules need and OIOXML has no field for.
 */
export interface GatewayExtension {
  readonly warningCategories: readonly WarningCategory[];
  /** The nursing service day (D1), `YYYY-MM-DD`. */
  readonly nursingServiceDay?: string;
  readonly retrainingExpected?: boolean;
  readonly requestForInformation?: boolean;
  readonly admissionKind?: AdmissionKind;
  readonly psychiatric?: boolean;
  /** Child and youth psychiatry (D26: the municipality is told 14 days before a planned course ends). */
  readonly childYouthPsychiatry?: boolean;
  /** The citizen's consent per receiver EAN, the Receiver and each copy ("efter aftale med borgeren"; README "Retraining-plan routing and consent"). */
  readonly consent: readonly { readonly receiverEan: string; readonly given: boolean }[];
}

export interface Letter {
  /** 0-based position in the Emessage. */
  readonly index: number;
  /** XML path of the letter element, e.g. `/Emessage/NotificationOfAdmission[2]`. */
  readonly path: string;
  readonly type: MessageTypeCode;
  readonly rootElement: string;
  readonly versionCode: string;
  readonly statisticalCode: string;
  readonly typeCode?: string;
  /** Brevnummer: 1–14 characters. */
  readonly identifier: string;
  readonly statusCode?: LetterStatusCode;
  readonly episodeOfCareIdentifier?: string;
  readonly notificationIdentifier?: string;
  readonly authorisation?: LocalDateTime;
  readonly sender: Party;
  readonly receiver: Party;
  /** `AnswerTo/EANIdentifier` when the sender names another reply address. */
  readonly answerTo?: string;
  readonly ccReceivers: readonly CopyReceiver[];
  readonly gpCcReceiver?: CopyReceiver;
  readonly patient?: PatientInfo;
  readonly body: LetterBody;
  readonly extension?: GatewayExtension;
}

export interface ParsedMessage {
  readonly generation: GenerationId;
  /** The root element's namespace. */
  readonly namespace: string;
  readonly envelope: Envelope;
  readonly letters: readonly Letter[];
}

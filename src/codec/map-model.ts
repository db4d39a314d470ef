/**
 * Tree → typed model, for letters that passed schema validation (so required elements are present
 * and values have the right shape; this code only reads).
 */
import type { MessageTypeDefinition } from '../domain/catalogue.js';
import type {
  CopyReceiver,
  GatewayExtension,
  Letter,
  LetterBody,
  LetterStatusCode,
  LocalDateTime,
  OriginalLetterReference,
  Party,
  PatientInfo,
  ReceiptBody,
  RefuseCode,
  WarningCategory,
  AdmissionKind,
} from '../domain/message.js';
import { attributeOf, childrenOf, elementOf, isElement, textOf, type XmlElement, type XmlNode } from './xml-tree.js';

/** All text inside a node, markup such as `<Break/>` dropped (for RefuseText and other free text). */
export function plainText(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  const parts: string[] = [];
  const own = node['#text'];
  if (typeof own === 'string') parts.push(own);
  for (const [key, value] of Object.entries(node)) {
    if (key === '#text' || key.startsWith('@') || !Array.isArray(value)) continue;
    for (const child of value) {
      const text = plainText(child);
      if (text) parts.push(text);
    }
  }
  return parts.join(' ');
}

function dateTimeOf(element: XmlElement | undefined, name: string): LocalDateTime | undefined {
  const node = elementOf(element, name);
  const date = textOf(node, 'Date');
  if (!node || date === undefined) return undefined;
  return { date, time: textOf(node, 'Time') ?? textOf(node, 'TimeWithSec') ?? '00:00' };
}

function copyReceiverOf(element: XmlElement | undefined): CopyReceiver | undefined {
  if (!element) return undefined;
  return withoutUndefined({
    ean: textOf(element, 'EANIdentifier'),
    identifier: textOf(element, 'Identifier'),
    identifierCode: textOf(element, 'IdentifierCode'),
    organisation: textOf(element, 'OrganisationName'),
    department: textOf(element, 'DepartmentName'),
    unit: textOf(element, 'UnitName'),
  });
}

/** A sender or receiver: a copy receiver's fields, with the EAN it must have. */
function partyOf(element: XmlElement | undefined): Party | undefined {
  const party = copyReceiverOf(element);
  return party?.ean === undefined ? undefined : (party as Party);
}

function patientOf(element: XmlElement | undefined): PatientInfo | undefined {
  if (!element) return undefined;
  return withoutUndefined({
    cpr: textOf(element, 'CivilRegistrationNumber'),
    alternativeIdentifier: textOf(element, 'AlternativeIdentifier'),
    surname: textOf(element, 'PersonSurnameName'),
    givenName: textOf(element, 'PersonGivenName'),
    episodeOfCareStatus: textOf(element, 'EpisodeOfCareStatusCode'),
  });
}

function receiptOf(type: MessageTypeDefinition, letter: XmlElement): ReceiptBody | undefined {
  const original = elementOf(letter, 'OriginalEmessage');
  if (!type.receiptKind || !original) return undefined;
  const originalLetters: OriginalLetterReference[] = childrenOf(original, 'OriginalLetter')
    .filter(isElement)
    .map((node) =>
      withoutUndefined({
        letterIdentifier: textOf(node, 'OriginalLetterIdentifier') ?? '',
        versionCode: textOf(node, 'OriginalVersionCode'),
        refuseCode: textOf(node, 'RefuseCode') as RefuseCode | undefined,
        refuseText: plainText(childrenOf(node, 'RefuseText')[0]),
      }),
    );
  return withoutUndefined({
    kind: type.receiptKind,
    originalEnvelopeIdentifier: textOf(original, 'OriginalEnvelopeIdentifier'),
    originalSender: textOf(elementOf(original, 'OriginalSender'), 'EANIdentifier'),
    originalReceiver: textOf(elementOf(original, 'OriginalReceiver'), 'EANIdentifier'),
    refuseCode: textOf(original, 'RefuseCode') as RefuseCode | undefined,
    refuseText: plainText(childrenOf(original, 'RefuseText')[0]),
    originalLetters,
  });
}

/** The retraining type may be plain text or wrapped in a code element; take the first ZZ0175… value. */
function rehabilitationTypeOf(node: XmlNode | undefined): string | undefined {
  const text = plainText(node);
  return text?.match(/ZZ0175[XYZ]/)?.[0] ?? text;
}

function bodyOf(type: MessageTypeDefinition, letter: XmlElement): LetterBody {
  const additional = elementOf(letter, 'AdditionalInformation');
  // The deadline is a date, written as text or as <Date> with an optional <Time>.
  const deadlineNode = childrenOf(letter, 'RehabilitationDeadline')[0];
  const deadline =
    typeof deadlineNode === 'string'
      ? { date: deadlineNode }
      : isElement(deadlineNode)
        ? textOf(deadlineNode, 'Time') === undefined
          ? { date: textOf(deadlineNode, 'Date') ?? '' }
          : dateTimeOf(letter, 'RehabilitationDeadline')
        : undefined;
  const typeNode = childrenOf(letter, 'TypeOfRehabilitationPlan')[0];
  return withoutUndefined({
    admission: dateTimeOf(letter, 'Admission'),
    discharge: dateTimeOf(letter, 'Discharge'),
    endOfTreatment: dateTimeOf(letter, 'EndOfTreatment'),
    plannedDischarge: dateTimeOf(letter, 'PlannedDischarge'),
    agreedDischarge: dateTimeOf(letter, 'AgreedDischarge'),
    planConference: dateTimeOf(letter, 'PlanConference'),
    expectedEndOfTreatment: dateTimeOf(letter, 'ExpectedEndOfTreatment'),
    rehabilitation:
      typeNode !== undefined || deadline !== undefined
        ? withoutUndefined({ type: rehabilitationTypeOf(typeNode), deadline })
        : undefined,
    correspondence: additional
      ? withoutUndefined({ subject: textOf(additional, 'Subject'), priority: textOf(additional, 'Priority') })
      : undefined,
    receipt: receiptOf(type, letter),
  });
}

export function mapLetter(
  type: MessageTypeDefinition,
  letter: XmlElement,
  index: number,
  path: string,
  extension: GatewayExtension | undefined,
): Letter {
  const head = elementOf(letter, 'Letter');
  const authorisation = head ? dateTimeOf(head, 'Authorisation') : undefined;
  return withoutUndefined({
    index,
    path,
    type: type.code,
    rootElement: type.rootElement,
    versionCode: textOf(head, 'VersionCode') ?? '',
    statisticalCode: textOf(head, 'StatisticalCode') ?? '',
    typeCode: textOf(head, 'TypeCode'),
    identifier: textOf(head, 'Identifier') ?? '',
    statusCode: textOf(head, 'StatusCode') as LetterStatusCode | undefined,
    episodeOfCareIdentifier: textOf(head, 'EpisodeOfCareIdentifier'),
    notificationIdentifier: textOf(head, 'NotificationIdentifier'),
    authorisation,
    sender: partyOf(elementOf(letter, 'Sender')) ?? { ean: '' },
    receiver: partyOf(elementOf(letter, 'Receiver')) ?? { ean: '' },
    answerTo: textOf(elementOf(elementOf(letter, 'Sender'), 'AnswerTo'), 'EANIdentifier'),
    ccReceivers: childrenOf(letter, 'CCReceiver')
      .filter(isElement)
      .map((node) => copyReceiverOf(node))
      .filter((party): party is CopyReceiver => party !== undefined),
    gpCcReceiver: copyReceiverOf(elementOf(letter, 'GPCCReceiver')),
    patient: patientOf(elementOf(letter, 'Patient')),
    body: bodyOf(type, letter),
    extension,
  });
}

/** Reads the gateway's extension element (already validated against schemas/extension.json). */
export function mapExtension(gateway: XmlElement | string): GatewayExtension {
  if (typeof gateway === 'string') return { warningCategories: [], consent: [] };
  const flag = (name: string): boolean | undefined => {
    const value = textOf(gateway, name);
    return value === undefined ? undefined : value === 'true';
  };
  return withoutUndefined({
    warningCategories: childrenOf(gateway, 'WarningCategory').filter((v): v is string => typeof v === 'string') as WarningCategory[],
    nursingServiceDay: textOf(gateway, 'NursingServiceDay'),
    retrainingExpected: flag('RetrainingExpected'),
    requestForInformation: flag('RequestForInformation'),
    admissionKind: textOf(gateway, 'AdmissionKind') as AdmissionKind | undefined,
    psychiatric: flag('Psychiatric'),
    childYouthPsychiatry: flag('ChildYouthPsychiatry'),
    consent: childrenOf(gateway, 'Consent')
      .filter(isElement)
      .map((node) => ({ receiverEan: attributeOf(node, 'receiver') ?? '', given: node['#text'] === 'true' })),
  });
}

/**
 * Drops undefined properties so models compare and serialise cleanly. Copies rather than deletes: an
 * object that has had a property deleted becomes a slow dictionary for the rest of its life.
 */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const defined: Record<string, unknown> = {};
  for (const key in value) {
    if (value[key] !== undefined) defined[key] = value[key];
  }
  return defined as { [K in keyof T]: Exclude<T[K], undefined> };
}

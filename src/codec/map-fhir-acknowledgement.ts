/**
 * The MedCom FHIR Acknowledgement (successor of XCTL01–03, medcom.md §3.2) mapped onto the same
 * model as an OIOXML receipt, following MedCom's XCTL ↔ Acknowledgement mapping: Bundle.id is the
 * envelope identifier, MessageHeader.id the letter identifier, response.identifier the answered
 * letter, response.code the verdict. Sender and receiver are the GLNs of the referenced Organizations.
 */
import { messageType } from '../domain/catalogue.js';
import { copenhagenLocal } from '../domain/danish-time.js';
import type { Letter, ParsedMessage, Party } from '../domain/message.js';
import { attributeOf, childrenOf, elementOf, isElement, type XmlElement, type XmlNode } from './xml-tree.js';
import { withoutUndefined } from './map-model.js';

const GLN_SYSTEM = 'https://www.gs1.org/gln';

function valueOf(element: XmlElement | undefined, name: string): string | undefined {
  return attributeOf(elementOf(element, name), 'value');
}

function resources(bundle: XmlElement): { type: string; resource: XmlElement; fullUrl?: string }[] {
  return childrenOf(bundle, 'entry')
    .filter(isElement)
    .flatMap((entry) => {
      const holder = elementOf(entry, 'resource');
      if (!holder) return [];
      return Object.entries(holder)
        .filter(([, value]) => Array.isArray(value))
        .flatMap(([type, value]) =>
          (value as XmlNode[]).filter(isElement).map((resource) => ({ type, resource, fullUrl: valueOf(entry, 'fullUrl') })),
        );
    });
}

function organisationGln(all: ReturnType<typeof resources>, reference: string | undefined): Party {
  const id = reference?.split('/').pop();
  const organisation = all.find((r) => r.type === 'Organization' && valueOf(r.resource, 'id') === id)?.resource;
  const gln = childrenOf(organisation ?? ({} as XmlElement), 'identifier')
    .filter(isElement)
    .find((identifier) => valueOf(identifier, 'system') === GLN_SYSTEM);
  return withoutUndefined({ ean: valueOf(gln, 'value') ?? '', organisation: valueOf(organisation, 'name') });
}

/** Danish local date and time (hh:mm) of an ISO instant such as 2023-11-22T12:33:00Z. */
function copenhagenMinutes(instant: string): { date: string; time: string } {
  const parsed = new Date(instant);
  if (Number.isNaN(parsed.getTime())) return { date: instant.slice(0, 10), time: instant.slice(11, 16) };
  const local = copenhagenLocal(parsed);
  return { date: local.date, time: local.time.slice(0, 5) };
}

export function mapFhirAcknowledgement(bundle: XmlElement, namespace: string): ParsedMessage {
  const all = resources(bundle);
  const header = all.find((r) => r.type === 'MessageHeader')?.resource;
  const response = elementOf(header, 'response');
  const code = valueOf(response, 'code') as 'ok' | 'transient-error' | 'fatal-error' | undefined;
  const type = messageType('FCTL');
  const detailsText = all
    .filter((r) => r.type === 'OperationOutcome')
    .flatMap((r) => childrenOf(r.resource, 'issue').filter(isElement))
    .map((issueNode) => valueOf(elementOf(issueNode, 'details'), 'text'))
    .find((text) => text !== undefined);
  const letter: Letter = withoutUndefined({
    index: 0,
    path: '/Bundle',
    type: 'FCTL',
    rootElement: 'Bundle',
    versionCode: type.variants[0]?.versionCode ?? '',
    statisticalCode: type.statisticalCode,
    identifier: valueOf(header, 'id') ?? '',
    sender: organisationGln(all, valueOf(elementOf(header, 'sender'), 'reference')),
    receiver: organisationGln(all, valueOf(elementOf(elementOf(header, 'destination'), 'receiver'), 'reference')),
    ccReceivers: [],
    body: {
      receipt: withoutUndefined({
        kind: code === 'ok' ? ('positive' as const) : ('negative' as const),
        responseCode: code,
        refuseText: detailsText,
        originalLetters: [{ letterIdentifier: valueOf(response, 'identifier') ?? '' }],
      }),
    },
    extension: undefined,
  });
  return {
    generation: 'fhir',
    namespace,
    envelope: {
      identifier: valueOf(bundle, 'id') ?? '',
      sent: copenhagenMinutes(valueOf(bundle, 'timestamp') ?? ''),
      acknowledgementCode: 'minuspositivkvitt',
    },
    letters: [letter],
  };
}

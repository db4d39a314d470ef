/**
 * Routing decisions: who gets each letter, and why a message cannot be accepted. Pure: it works on the
 * parsed message, the endpoint register and the authenticated sender, and returns plain data.
 */
import type { Endpoint, EndpointRegister } from '../config/endpoints.js';
import type { CopyReceiver, Letter, ParsedMessage } from '../codec/model.js';

export type RecipientRole = 'receiver' | 'cc';

export interface Recipient {
  readonly ean: string;
  readonly role: RecipientRole;
  readonly endpoint: Endpoint;
}

export interface LetterRoute {
  readonly letterIndex: number;
  /** Endpoints that get the letter now. */
  readonly deliverTo: readonly Recipient[];
  /** Known endpoints that are disabled: the sender is answered with an XCTL01 for them. */
  readonly disabled: readonly Recipient[];
  /**
   * Copy receivers the gateway cannot serve (not an endpoint here, or not taking this type). The letter
   * still goes to its receiver — holding back a discharge for a copy would harm the citizen — and the
   * sender is warned in the 202.
   */
  readonly skippedCopies: readonly { readonly path: string; readonly message: string }[];
}

export type RoutingProblem =
  | { readonly kind: 'sender-not-owned'; readonly path: string; readonly message: string }
  | { readonly kind: 'unknown-receiver' | 'type-not-accepted'; readonly path: string; readonly message: string };

export type RoutingDecision = { readonly ok: true; readonly routes: readonly LetterRoute[] } | { readonly ok: false; readonly problems: readonly RoutingProblem[] };

/** A copy receiver may be named by EAN, or only by identifier and identifier code (a GP's ydernummer). */
function resolveCopyReceiver(copy: CopyReceiver, register: EndpointRegister): Endpoint | undefined {
  if (copy.ean) return register.find(copy.ean);
  if (!copy.identifier || !copy.identifierCode) return undefined;
  return register.endpoints.find((e) => e.identifier === copy.identifier && e.identifierCode === copy.identifierCode);
}

function describeCopy(copy: CopyReceiver): string {
  return copy.ean ?? `${copy.identifierCode ?? '?'} ${copy.identifier ?? '?'}`;
}

export function routeMessage(message: ParsedMessage, register: EndpointRegister, senderEan: string): RoutingDecision {
  const problems: RoutingProblem[] = [];
  const routes: LetterRoute[] = [];
  for (const letter of message.letters) {
    if (letter.sender.ean !== senderEan) {
      problems.push({
        kind: 'sender-not-owned',
        path: `${letter.path}/Sender/EANIdentifier`,
        message: `the letter is sent from ${letter.sender.ean}, but the API key belongs to ${senderEan}`,
      });
      continue;
    }
    routes.push(routeLetter(letter, register, problems));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes };
}

function routeLetter(letter: Letter, register: EndpointRegister, problems: RoutingProblem[]): LetterRoute {
  const deliverTo: Recipient[] = [];
  const disabled: Recipient[] = [];
  const skippedCopies: { path: string; message: string }[] = [];
  const consider = (endpoint: Endpoint | undefined, role: RecipientRole, path: string, named: string): void => {
    if (role === 'cc' && (!endpoint || !endpoint.accepts.includes(letter.type))) {
      skippedCopies.push({
        path,
        message: endpoint
          ? `the copy receiver ${endpoint.name} (${endpoint.ean}) does not accept ${letter.type}; no copy was delivered`
          : `the copy receiver ${named} is not an endpoint of this gateway; no copy was delivered`,
      });
      return;
    }
    if (!endpoint) {
      problems.push({ kind: 'unknown-receiver', path, message: `the receiver ${named} is not an endpoint of this gateway` });
      return;
    }
    if (!endpoint.accepts.includes(letter.type)) {
      problems.push({
        kind: 'type-not-accepted',
        path,
        message: `${endpoint.name} (${endpoint.ean}) does not accept ${letter.type}; it accepts ${endpoint.accepts.join(', ')}`,
      });
      return;
    }
    if (deliverTo.some((r) => r.ean === endpoint.ean) || disabled.some((r) => r.ean === endpoint.ean)) return;
    (endpoint.enabled ? deliverTo : disabled).push({ ean: endpoint.ean, role, endpoint });
  };
  consider(register.find(letter.receiver.ean), 'receiver', `${letter.path}/Receiver/EANIdentifier`, letter.receiver.ean);
  letter.ccReceivers.forEach((copy, index) =>
    consider(resolveCopyReceiver(copy, register), 'cc', `${letter.path}/CCReceiver${index > 0 ? `[${index + 1}]` : ''}`, describeCopy(copy)),
  );
  if (letter.gpCcReceiver) consider(resolveCopyReceiver(letter.gpCcReceiver, register), 'cc', `${letter.path}/GPCCReceiver`, describeCopy(letter.gpCcReceiver));
  return { letterIndex: letter.index, deliverTo, disabled, skippedCopies };
}

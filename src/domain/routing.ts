/**
 * Routing decisions: who gets each letter, and why a message cannot be accepted. Pure: it works on the
 * parsed message, the endpoint register, the authenticated sender and the retraining-plan routing
 * profile, and returns plain data.
 *
 * Besides resolving receivers it applies two things the health agreements ask for:
 * - the retraining plan's routing table (retraining-routing.ts), each violation rejected or accepted
 *   with a warning as the agreement profile says (retraining-profile.ts);
 * - consent ("efter aftale med borgeren"): a party the citizen has not agreed to is not sent the letter.
 *   A copy without consent is withheld and the sender warned; a Receiver without consent refuses the
 *   message (the letter has nowhere it may go). Consent is read from the gateway extension
 *   (`<gw:Consent receiver="EAN">true|false</gw:Consent>`); for a retraining plan with no statement the
 *   profile's consent mode for the sender decides. A stated refusal is honoured for every letter type.
 */
import type { Endpoint, EndpointRegister } from './endpoint.js';
import type { CopyReceiver, Letter, ParsedMessage } from './message.js';
import { DEFAULT_RETRAINING_ROUTING, actionFor, consentModeFor, type RetrainingRouting, type RoutingParties } from './retraining-profile.js';
import { decideRetrainingRouting, type IssuerKind, type PlanParty, type ProfileRuleId, type RowRuleId, type RuleId } from './retraining-routing.js';

export type RecipientRole = 'receiver' | 'cc';

export interface Recipient {
  readonly ean: string;
  readonly role: RecipientRole;
  readonly endpoint: Endpoint;
}

/** Something the sender is told in the 202 (and the message view): what happened and why; `code` names the rule. */
export interface RoutingWarning {
  readonly path: string;
  readonly message: string;
  readonly code?: RuleId | 'CONSENT-UNMATCHED';
}

export interface LetterRoute {
  readonly letterIndex: number;
  /** Endpoints that get the letter now. */
  readonly deliverTo: readonly Recipient[];
  /** Known endpoints that are disabled: the sender is answered with an XCTL01 for them. */
  readonly disabled: readonly Recipient[];
  /**
   * What the sender is warned about. Copy receivers the gateway cannot serve (not an endpoint here, or
   * not taking this type) and copies withheld for want of consent: the letter still goes to its
   * receiver — holding back a discharge for a copy would harm the citizen. And retraining-plan rule
   * violations the agreement profile accepts with a warning.
   */
  readonly warnings: readonly RoutingWarning[];
  /** For a retraining plan: the row of the routing table that applied and the issuer's kind. */
  readonly retraining?: { readonly row?: RowRuleId; readonly issuerKind: IssuerKind };
}

export type RoutingProblem =
  | { readonly kind: 'sender-not-owned'; readonly path: string; readonly message: string }
  | { readonly kind: 'unknown-receiver' | 'type-not-accepted'; readonly path: string; readonly message: string }
  /** A retraining-plan rule the profile rejects, or a party the citizen has not consented to. */
  | { readonly kind: 'retraining-rule' | 'no-consent'; readonly rule: RuleId; readonly path: string; readonly message: string };

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

function nameOf(endpoint: Endpoint): string {
  return `${endpoint.name} (${endpoint.ean})`;
}

export function routeMessage(message: ParsedMessage, register: EndpointRegister, senderEan: string, retraining: RetrainingRouting = DEFAULT_RETRAINING_ROUTING): RoutingDecision {
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
    routes.push(routeLetter(letter, register, retraining, problems));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes };
}

/** A party the letter names, once resolved: the Receiver, a CCReceiver or the GPCCReceiver. */
interface Named extends PlanParty {
  /** Known and taking this type: it can be delivered to. */
  readonly deliverable: boolean;
}

function routeLetter(letter: Letter, register: EndpointRegister, retraining: RetrainingRouting, problems: RoutingProblem[]): LetterRoute {
  const warnings: RoutingWarning[] = [];
  const named: Named[] = [];
  const before = problems.length;
  const consider = (endpoint: Endpoint | undefined, role: RecipientRole, path: string, description: string, gpElement: boolean): void => {
    const accepts = endpoint?.accepts.includes(letter.type) ?? false;
    named.push({ path, role, gpElement, named: description, deliverable: accepts, ...(endpoint ? { endpoint } : {}) });
    if (role === 'cc' && !accepts) {
      warnings.push({
        path,
        message: endpoint
          ? `the copy receiver ${endpoint.name} (${endpoint.ean}) does not accept ${letter.type}; no copy was delivered`
          : `the copy receiver ${description} is not an endpoint of this gateway; no copy was delivered`,
      });
      return;
    }
    if (!endpoint) {
      problems.push({ kind: 'unknown-receiver', path, message: `the receiver ${description} is not an endpoint of this gateway` });
      return;
    }
    if (!accepts) {
      problems.push({
        kind: 'type-not-accepted',
        path,
        message: `${endpoint.name} (${endpoint.ean}) does not accept ${letter.type}; it accepts ${endpoint.accepts.join(', ')}`,
      });
    }
  };
  consider(register.find(letter.receiver.ean), 'receiver', `${letter.path}/Receiver/EANIdentifier`, letter.receiver.ean, false);
  letter.ccReceivers.forEach((copy, index) =>
    consider(resolveCopyReceiver(copy, register), 'cc', `${letter.path}/CCReceiver${index > 0 ? `[${index + 1}]` : ''}`, describeCopy(copy), false),
  );
  if (letter.gpCcReceiver) consider(resolveCopyReceiver(letter.gpCcReceiver, register), 'cc', `${letter.path}/GPCCReceiver`, describeCopy(letter.gpCcReceiver), true);
  if (problems.length > before) return { letterIndex: letter.index, deliverTo: [], disabled: [], warnings };

  // The retraining plan's routing table.
  const issuer = register.find(letter.sender.ean);
  const isPlan = letter.type === 'GGOP' && issuer !== undefined;
  const decision = isPlan ? decideRetrainingRouting({ letterPath: letter.path, issuer, type: letter.body.rehabilitation?.type, parties: named }, register) : undefined;
  const parties: RoutingParties = {
    hospitalEan: issuer?.kind === 'hospital' ? issuer.ean : undefined,
    municipalityEan: (decision?.municipality ?? (issuer?.kind === 'municipality' ? issuer : undefined))?.ean,
    region: issuer?.region ?? decision?.municipality?.region,
  };
  /** A rule broken: rejected, or accepted with a warning, as the agreement profile says. */
  const breach = (rule: ProfileRuleId, path: string, message: string): void => {
    const { action, profile } = actionFor(retraining, rule, parties);
    if (action === 'reject') problems.push({ kind: 'retraining-rule', rule, path, message });
    else warnings.push({ path, message: profile ? `${message} (accepted with a warning by the agreement profile "${profile}")` : message, code: rule });
  };
  for (const violation of decision?.violations ?? []) breach(violation.rule, violation.path, violation.message);

  // Consent, per party.
  const mode = isPlan ? consentModeFor(retraining, letter.sender.ean) : 'assumed';
  const stated = new Map((letter.extension?.consent ?? []).map((c) => [c.receiverEan, c.given]));
  const withheld = new Set<string>();
  for (const party of named) {
    const endpoint = party.endpoint;
    if (!endpoint || !party.deliverable) continue;
    const given = stated.get(endpoint.ean) ?? (mode === 'assumed' ? true : undefined);
    if (given === true) continue;
    const why =
      given === false
        ? `the citizen has not consented to the letter going to ${nameOf(endpoint)} (<gw:Consent receiver="${endpoint.ean}">false</gw:Consent>)`
        : `the agreement profile asks ${letter.sender.ean} to state consent for every receiver of a retraining plan, and there is no <gw:Consent receiver="${endpoint.ean}">true</gw:Consent> for ${nameOf(endpoint)}`;
    if (party.role === 'receiver') {
      problems.push({
        kind: 'no-consent',
        rule: 'CONSENT-RECEIVER',
        path: party.path,
        message: `${why}; it is the letter's Receiver, so the letter has nowhere it may go and nothing was sent. Send it only with the citizen's consent, to a Receiver the citizen agreed to (hand the plan to the citizen on paper meanwhile)`,
      });
      continue;
    }
    withheld.add(endpoint.ean);
    if (decision && letter.body.rehabilitation?.type === 'ZZ0175Y' && endpoint.kind === 'municipality') {
      breach(
        'CONSENT-SPEC-MUNICIPALITY',
        party.path,
        `${why}; without it specialised retraining cannot start, since the municipality of residence has the authority and pays (004 L9915–9921). The copy was not delivered; get the citizen's consent, or send the plan only when it is given`,
      );
    } else {
      warnings.push({ path: party.path, message: `${why}; the copy was not delivered`, code: 'CONSENT-COPY' });
    }
  }
  const namedEans = new Set(named.map((p) => p.endpoint?.ean ?? p.named));
  for (const [ean] of stated) {
    if (!namedEans.has(ean)) {
      warnings.push({
        path: `${letter.path}/following-sibling::Local_Elements[1]/Gateway/Consent[@receiver='${ean}']`,
        message: `a Consent names ${ean}, which is neither the Receiver nor a copy receiver of this letter; it was ignored: check the number`,
        code: 'CONSENT-UNMATCHED',
      });
    }
  }

  const deliverTo: Recipient[] = [];
  const disabled: Recipient[] = [];
  for (const party of named) {
    const endpoint = party.endpoint;
    if (!endpoint || !party.deliverable || withheld.has(endpoint.ean)) continue;
    if (deliverTo.some((r) => r.ean === endpoint.ean) || disabled.some((r) => r.ean === endpoint.ean)) continue;
    (endpoint.enabled ? deliverTo : disabled).push({ ean: endpoint.ean, role: party.role, endpoint });
  }
  return {
    letterIndex: letter.index,
    deliverTo,
    disabled,
    warnings,
    ...(decision ? { retraining: { ...(decision.row ? { row: decision.row } : {}), issuerKind: decision.issuerKind } } : {}),
  };
}

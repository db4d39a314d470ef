/**
 * "Would this be on time?": a message evaluated against the deadline rules at a given time, nothing
 * stored (`POST /api/v1/deadlines/evaluate?at=…` and `medcom-gateway deadlines explain FILE --at …`).
 * Deadlines that wait for another message or an explicit fulfilment show as pending with their due
 * time; whether an earlier message already fulfilled one is not looked up.
 */
import type { MessageDecoder } from '../codec/decode-message.js';
import type { EndpointRegister } from '../domain/endpoint.js';
import { agreementPartiesOf, evaluateAtAcceptance, fallbackChannelsOf, partyKindsOf, type DeadlineEvaluation, type DeadlineRuleSet, type FallbackChannel } from '../domain/deadlines/index.js';
import { refusalForDecode } from './accept-message.js';

export interface ExplainInput {
  readonly body: Buffer;
  readonly charset?: string;
  /** The arrival time to judge against. */
  readonly at: Date;
}

export interface LetterExplanation {
  readonly letterId: string;
  readonly type: string;
  readonly sender: string;
  readonly receiver: string;
  /** Each with the channels outside MedCom its rule allows, when it allows any. */
  readonly deadlines: readonly (DeadlineEvaluation & { readonly fallbackChannels?: readonly FallbackChannel[] })[];
}

/** The channels outside MedCom a rule allows, when it allows any. */
function withFallbackChannels(ruleSet: DeadlineRuleSet, evaluation: DeadlineEvaluation): LetterExplanation['deadlines'][number] {
  const channels = fallbackChannelsOf(ruleSet, evaluation.ruleId);
  return channels.length > 0 ? { ...evaluation, fallbackChannels: channels } : evaluation;
}

export interface Explanation {
  readonly at: string;
  readonly agreement: string;
  readonly stored: false;
  readonly letters: readonly LetterExplanation[];
}

export interface ExplainDeps {
  readonly codec: MessageDecoder;
  readonly deadlineRules: DeadlineRuleSet;
  /** For the parties' region (agreement profiles by region); optional for the CLI. */
  readonly register?: EndpointRegister;
  readonly maxBytes?: number;
}

/** Decodes and evaluates; an invalid message is refused exactly as `POST /api/v1/messages` would refuse it. */
export async function explainDeadlines(deps: ExplainDeps, input: ExplainInput): Promise<Explanation> {
  const decoded = await deps.codec.decode(input.body, { ...(input.charset ? { charset: input.charset } : {}), ...(deps.maxBytes ? { maxBytes: deps.maxBytes } : {}) });
  if (!decoded.ok) throw refusalForDecode(decoded);
  const letters = decoded.message.letters
    .filter((letter) => !letter.body.receipt)
    .map((letter) => {
      const context = { sentAt: input.at, ...agreementPartiesOf(deps.register, letter.sender.ean, letter.receiver.ean), partyKinds: partyKindsOf(deps.register, letter) };
      return {
        letterId: letter.identifier,
        type: letter.type,
        sender: letter.sender.ean,
        receiver: letter.receiver.ean,
        deadlines: evaluateAtAcceptance(letter, context, deps.deadlineRules).map((evaluation) => withFallbackChannels(deps.deadlineRules, evaluation)),
      };
    });
  return { at: input.at.toISOString(), agreement: deps.deadlineRules.agreement.id, stored: false, letters };
}

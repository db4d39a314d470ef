/**
 * `medcom-gateway inbox --url URL --key KEY`: the other side of an exchange, as a municipal EOJ (or a
 * hospital EPJ) would be. Leases the endpoint's inbox (long-polling with --follow), fetches each
 * message byte for byte and checks its SHA-256 against the ETag, saves it, answers with the chosen
 * receipt, and prints one line per message. Without --follow it drains the inbox and exits.
 *
 * MedCom's receipt rules decide what is answered: a positive receipt only when the sender asked for
 * one (pluspositivkvitt), and never a receipt for a receipt.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InboxItem } from '../../app/inbox.js';
import { GatewayClient, jsonOf, UnreachableError, type GatewayAnswer } from '../gateway-client.js';

export type AnswerChoice = 'positive' | 'negative' | 'none';

export interface InboxOptions {
  readonly url: string;
  readonly key: string;
  readonly follow: boolean;
  readonly answer: AnswerChoice;
  readonly save?: string;
  /** Seconds a lease request may wait for a message (the gateway caps it). */
  readonly wait: number;
  readonly limit: number;
}

export interface InboxIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Ends --follow (SIGINT in the command; tests abort it). */
  readonly signal?: AbortSignal;
}

/** An item of `GET /api/v1/inbox` (as JSON), the fields this command reads. */
type LeasedItem = Pick<InboxItem, 'id' | 'messageId' | 'envelopeId' | 'sender' | 'role' | 'letters' | 'ackRequested'> & {
  readonly deadlines?: readonly { readonly ruleId: string; readonly state: string; readonly effect?: string }[];
};

export interface InboxTally {
  messages: number;
  answered: number;
  errors: number;
}

function failure(what: string, answer: GatewayAnswer): string {
  const document = jsonOf(answer) as { detail?: unknown } | undefined;
  return `${what}: HTTP ${answer.status}${typeof document?.detail === 'string' ? ` ${document.detail}` : ''}`;
}

function etagDigest(answer: GatewayAnswer): string | undefined {
  const etag = answer.headers.get('etag');
  return etag ? etag.replace(/^W\//, '').replace(/"/g, '').toLowerCase() : undefined;
}

/** The receipt this item gets, or why none. */
function receiptFor(item: LeasedItem, choice: AnswerChoice): { send: 'positive' | 'negative' } | { reason: string } {
  if (item.letters.some((letter) => /^[XF]CTL/.test(letter.type))) return { reason: 'a receipt is not answered' };
  if (choice === 'none') return { reason: 'not answered (--answer none)' };
  if (choice === 'positive' && !item.ackRequested) return { reason: 'no positive receipt asked (minuspositivkvitt)' };
  return { send: choice };
}

function describe(item: LeasedItem): string {
  const types = [...new Set(item.letters.map((letter) => letter.type))].join('+');
  const deadlines = (item.deadlines ?? []).map((d) => `${d.ruleId} ${d.effect === 'fulfilled' ? 'fulfilled' : d.state}`);
  return [
    `${types} from ${item.sender}${item.role === 'cc' ? ' (copy)' : ''}`,
    `envelope ${item.envelopeId}`,
    `letters ${item.letters.map((letter) => letter.letterId).join(', ')}`,
    ...(deadlines.length > 0 ? [`deadlines ${deadlines.join(', ')}`] : []),
  ].join('  ');
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

async function handle(client: GatewayClient, item: LeasedItem, options: InboxOptions, io: InboxIo, tally: InboxTally): Promise<void> {
  tally.messages += 1;
  const fetched = await client.send({ method: 'GET', path: `/api/v1/inbox/${encodeURIComponent(item.id)}`, key: options.key });
  if (fetched.status !== 200) {
    tally.errors += 1;
    io.out(`error  ${describe(item)}  ${failure('fetch', fetched)}\n`);
    return;
  }
  const actual = createHash('sha256').update(fetched.body).digest('hex');
  const announced = etagDigest(fetched);
  if (announced !== actual) {
    tally.errors += 1;
    io.out(`error  ${describe(item)}  SHA-256 ${actual} does not match the ETag ${announced ?? '(none)'}: not saved, no receipt\n`);
    return;
  }
  let saved = '';
  if (options.save) {
    const file = join(options.save, `${safeName(item.envelopeId)}_${item.id}.xml`);
    await writeFile(file, fetched.body);
    saved = `  saved ${file}`;
  }
  const receipt = receiptFor(item, options.answer);
  if ('reason' in receipt) {
    io.out(`${describe(item)}  ${receipt.reason}${saved}\n`);
    return;
  }
  const answered = await client.send({
    method: 'POST',
    path: `/api/v1/inbox/${encodeURIComponent(item.id)}/receipt`,
    key: options.key,
    contentType: 'application/json',
    body: JSON.stringify({ status: receipt.send }),
  });
  if (answered.status !== 200) {
    tally.errors += 1;
    io.out(`error  ${describe(item)}  ${failure(`${receipt.send} receipt`, answered)}${saved}\n`);
    return;
  }
  tally.answered += 1;
  io.out(`${describe(item)}  ${receipt.send} receipt sent${saved}\n`);
}

/** Exit code: 0 all fetched (and answered as chosen), 1 a fetch, checksum or answer failed, 2 called wrongly or the gateway refused the key. */
export async function runInbox(options: InboxOptions, io: InboxIo): Promise<number> {
  let client: GatewayClient;
  try {
    client = new GatewayClient(options.url);
    if (options.save) await mkdir(options.save, { recursive: true });
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  const tally: InboxTally = { messages: 0, answered: 0, errors: 0 };
  const wait = options.follow ? options.wait : 0;
  try {
    while (!io.signal?.aborted) {
      let leased: GatewayAnswer;
      try {
        leased = await client.send({ method: 'GET', path: `/api/v1/inbox?limit=${options.limit}&wait=${wait}`, key: options.key, ...(io.signal ? { signal: io.signal } : {}) });
      } catch (error) {
        if ((error as Error).name === 'AbortError') break;
        throw error;
      }
      if (leased.status !== 200) {
        io.err(`${failure('GET /api/v1/inbox', leased)}\n`);
        return leased.status === 401 || leased.status === 403 ? 2 : 1;
      }
      const items = (jsonOf(leased) as { items?: LeasedItem[] } | undefined)?.items ?? [];
      for (const item of items) await handle(client, item, options, io, tally);
      if (items.length === 0 && !options.follow) break;
    }
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    io.err(`${error.message}\n`);
    return 1;
  }
  io.out(`${tally.messages} message${tally.messages === 1 ? '' : 's'}, ${tally.answered} answered, ${tally.errors} error${tally.errors === 1 ? '' : 's'}\n`);
  return tally.errors === 0 ? 0 : 1;
}

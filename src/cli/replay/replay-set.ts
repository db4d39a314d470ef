/**
 * The messages of one replay, ready to send: each file's bytes (with fresh identifiers when asked),
 * the sender it is posted as and with which key, what it is expected to get, and which message of the
 * same set it must wait for (a receipt waits for the message it answers).
 */
import { dirname } from 'node:path';
import { MessageCodec } from '../../codec/decode-message.js';
import { readInputFile } from '../input-files.js';
import { ANY_SUCCESS, expectationFor, type Expectation } from './expectation.js';
import { freshIdMap, rewriteIds, scanIds, scanSenderEan, type IdMap } from './message-ids.js';

export interface KeyChoice {
  /** EAN → API key (`--keys FILE`). */
  readonly byEan: Readonly<Record<string, string>>;
  /** `demo-<sender EAN>` for the demo network (`--demo-keys`). */
  readonly demo: boolean;
  /** The key for every message without one of its own (`--key`). */
  readonly fallback?: string;
}

export interface ReplayItem {
  readonly file: string;
  readonly body: Buffer;
  readonly senderEan?: string;
  /** Undefined when no key fits: the item is reported, not sent. */
  readonly key?: string;
  readonly expected: Expectation;
  /** A problem found before sending (a broken sidecar, no key). */
  readonly localError?: string;
  /** Index in the ordered set of the message this one answers, when that is in the set too. */
  readonly waitsFor?: number;
}

export interface ReplaySetOptions {
  readonly keys: KeyChoice;
  readonly freshIds: boolean;
  readonly expect: boolean;
  /** Source of fresh identifiers of a given length (injected by tests). */
  readonly nextId: (length: number) => string;
}

interface Loaded {
  readonly file: string;
  readonly text: string;
  readonly senderEan?: string;
  /** Whether the codec accepts it: only such a message can be stored, and so be answered by a receipt. */
  readonly decodes: boolean;
  readonly envelopeKey?: string;
  readonly quotesKey?: string;
  readonly ids: ReturnType<typeof scanIds>;
}

const codec = new MessageCodec();

/** The sender as the gateway will read it (the codec), else as written (for messages the codec refuses). */
function senderOf(bytes: Buffer, text: string): { senderEan: string | undefined; decodes: boolean } {
  const decoded = codec.decode(bytes);
  if (decoded.ok) return { senderEan: decoded.message.letters[0]?.sender.ean, decodes: true };
  return { senderEan: scanSenderEan(text), decodes: false };
}

/**
 * The message a receipt answers, among those of the set with the quoted sender and envelope id: one
 * the codec accepts (fixture sets hold invalid copies of valid messages), preferably from the
 * receipt's own folder.
 */
function answeredBy(item: Loaded, candidates: ReadonlyMap<string, readonly Loaded[]>): Loaded | undefined {
  const found = (item.quotesKey ? candidates.get(item.quotesKey) ?? [] : []).filter((c) => c !== item && c.decodes);
  return found.find((c) => dirname(c.file) === dirname(item.file)) ?? found[0];
}

function keyFor(choice: KeyChoice, senderEan: string | undefined): string | undefined {
  if (senderEan !== undefined && choice.byEan[senderEan]) return choice.byEan[senderEan];
  if (senderEan !== undefined && choice.demo) return `demo-${senderEan}`;
  return choice.fallback;
}

/** Orders the files so that each comes after the message it answers (stable otherwise). */
function ordered(loaded: readonly Loaded[], targets: ReadonlyMap<Loaded, Loaded>): Loaded[] {
  const done = new Set<Loaded>();
  const result: Loaded[] = [];
  const visit = (item: Loaded): void => {
    if (done.has(item)) return;
    done.add(item);
    const target = targets.get(item);
    if (target) visit(target);
    result.push(item);
  };
  for (const item of loaded) visit(item);
  return result;
}

export async function buildReplaySet(files: readonly string[], options: ReplaySetOptions): Promise<ReplayItem[]> {
  const loaded: Loaded[] = [];
  for (const file of files) {
    const bytes = await readInputFile(file);
    const text = bytes.toString('latin1');
    const ids = scanIds(text);
    const { senderEan, decodes } = senderOf(bytes, text);
    loaded.push({
      file,
      text,
      ids,
      decodes,
      ...(senderEan !== undefined ? { senderEan } : {}),
      ...(senderEan !== undefined && ids.envelopeId !== undefined ? { envelopeKey: `${senderEan}|${ids.envelopeId}` } : {}),
      ...(ids.quotes ? { quotesKey: `${ids.quotes.senderEan}|${ids.quotes.envelopeId}` } : {}),
    });
  }
  const candidates = new Map<string, Loaded[]>();
  for (const item of loaded) if (item.envelopeKey) candidates.set(item.envelopeKey, [...(candidates.get(item.envelopeKey) ?? []), item]);
  const targets = new Map<Loaded, Loaded>();
  for (const item of loaded) {
    const target = answeredBy(item, candidates);
    if (target) targets.set(item, target);
  }
  const order = ordered(loaded, targets);
  const maps = new Map<Loaded, IdMap>();
  if (options.freshIds) for (const item of order) maps.set(item, freshIdMap(item.ids, options.nextId));
  return order.map((item, index) => {
    const target = targets.get(item);
    // Only a message earlier in the order is waited for: two messages quoting each other must not wait forever.
    const waitsFor = target && order.indexOf(target) < index ? order.indexOf(target) : undefined;
    const own = maps.get(item);
    const body = own ? Buffer.from(rewriteIds(item.text, own, target ? maps.get(target) : undefined), 'latin1') : Buffer.from(item.text, 'latin1');
    const key = keyFor(options.keys, item.senderEan);
    let expected = ANY_SUCCESS;
    let localError: string | undefined;
    try {
      if (options.expect) expected = expectationFor(item.file);
    } catch (error) {
      localError = (error as Error).message;
    }
    if (!key && !localError) {
      localError =
        item.senderEan === undefined
          ? 'no key: the sender EAN cannot be read from the message; give --key for such messages'
          : `no key for the sender ${item.senderEan}: add it to --keys, or give --key or --demo-keys`;
    }
    return {
      file: item.file,
      body,
      expected,
      ...(item.senderEan !== undefined ? { senderEan: item.senderEan } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(localError !== undefined ? { localError } : {}),
      ...(waitsFor !== undefined ? { waitsFor } : {}),
    };
  });
}

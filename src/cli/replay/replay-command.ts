/**
 * `medcom-gateway replay PATH… --url URL`: posts every MedCom message found under PATH to a running
 * gateway (or only asks it to evaluate their deadlines), at a chosen rate and concurrency, and checks
 * each answer against what was expected. Exit code 0 only when nothing unexpected happened, so it
 * fits a CI pipeline; 2 when called wrongly (no such file, a bad keys file, no URL).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAt } from '../deadlines-command.js';
import { GatewayClient, jsonOf, problemSlug, UnreachableError, type GatewayAnswer } from '../gateway-client.js';
import { collectFiles, InputFileError } from '../input-files.js';
import { describeExpectation, surprise, type Verdict } from './expectation.js';
import { freshIdSource } from './message-ids.js';
import { jsonReporter, plainReporter, progressReporter, type ReplayReporter } from './reporter.js';
import { buildReplaySet, type KeyChoice, type ReplayItem } from './replay-set.js';
import { summarise, type ReplayOutcome } from './summary.js';

export interface ReplayOptions {
  readonly paths: readonly string[];
  readonly url: string;
  readonly key?: string;
  /** A JSON file `{ "<EAN>": "<key>", … }`. */
  readonly keysFile?: string;
  readonly demoKeys: boolean;
  /** Messages per second; unlimited when absent. */
  readonly rate?: number;
  readonly concurrency: number;
  readonly freshIds: boolean;
  /** Only with `evaluateOnly`: the arrival time to judge against. */
  readonly at?: string;
  readonly evaluateOnly: boolean;
  readonly expect: boolean;
  readonly json: boolean;
}

export interface ReplayIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** A terminal to draw the progress bar on; none → plain lines. */
  readonly tty?: NodeJS.WritableStream;
  /** Fresh identifiers (tests inject a fixed source). */
  readonly nextId?: () => string;
}

class UsageError extends Error {}

function readKeysFile(file: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : `--keys ${file}: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--keys ${file}: write a JSON object { "<sender EAN>": "<API key>", … }`);
  for (const [ean, key] of Object.entries(raw)) {
    if (!/^[0-9]{13}$/.test(ean)) throw new UsageError(`--keys ${file}#/${ean}: "${ean}" is not a 13-digit EAN`);
    if (typeof key !== 'string' || key.length === 0) throw new UsageError(`--keys ${file}#/${ean}: the key must be a non-empty string`);
  }
  return raw as Record<string, string>;
}

type Deadline = { ruleId: string; state: string; effect?: string };

/** Reads what the gateway answered into an outcome (the expectation is judged by the caller). */
function outcomeOf(item: ReplayItem, answer: GatewayAnswer, evaluateOnly: boolean): Omit<ReplayOutcome, 'expected' | 'surprise'> & { verdict: Verdict } {
  const document = jsonOf(answer) as Record<string, unknown> | undefined;
  const base = { file: item.file, status: answer.status, latencyMs: Math.round(answer.latencyMs * 10) / 10 };
  if (answer.status >= 200 && answer.status < 300) {
    let deadlines: Deadline[];
    let fulfilled = 0;
    if (evaluateOnly) {
      const letters = (document?.letters ?? []) as { deadlines?: Deadline[] }[];
      deadlines = letters.flatMap((letter) => letter.deadlines ?? []);
    } else {
      const all = (document?.deadlines ?? []) as Deadline[];
      deadlines = all.filter((d) => d.effect !== 'fulfilled');
      fulfilled = all.length - deadlines.length;
    }
    const started = deadlines.map((d) => ({ ruleId: d.ruleId, state: d.state }));
    const kind = evaluateOnly ? 'evaluated' : document?.duplicate === true ? 'duplicate' : 'accepted';
    return {
      ...base,
      kind,
      ...(typeof document?.id === 'string' ? { messageId: document.id } : {}),
      deadlines: started,
      fulfilled,
      verdict: { status: answer.status, ...(kind === 'duplicate' ? { label: kind } : {}), errorCodes: [], deadlines: started },
    };
  }
  const problem = problemSlug(document);
  const errors = (Array.isArray(document?.errors) ? document.errors : []) as { code?: unknown; path?: unknown; message?: unknown }[];
  const first = errors[0];
  const detail = [typeof document?.detail === 'string' ? document.detail : undefined, first ? `${String(first.path)}: ${String(first.message)}` : undefined].filter(Boolean).join(' — ');
  return {
    ...base,
    kind: 'rejected',
    ...(problem ? { problem } : {}),
    ...(detail ? { detail } : {}),
    deadlines: [],
    fulfilled: 0,
    verdict: {
      status: answer.status,
      ...(problem ? { problem } : {}),
      errorCodes: errors.flatMap((e) => (typeof e.code === 'string' ? [e.code] : [])),
      deadlines: [],
    },
  };
}

/** Starts at most `rate` sends per second, counted from the first. */
function pacer(rate: number | undefined): () => Promise<void> {
  if (rate === undefined) return async () => undefined;
  const start = Date.now();
  let slot = 0;
  return async () => {
    const at = start + (slot * 1000) / rate;
    slot += 1;
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
  };
}

async function replayOne(client: GatewayClient, item: ReplayItem, options: ReplayOptions, atIso: string | undefined): Promise<ReplayOutcome> {
  const expected = describeExpectation(item.expected);
  if (item.localError !== undefined || item.key === undefined) {
    return { file: item.file, kind: 'failed', detail: item.localError, deadlines: [], fulfilled: 0, expected, surprise: item.localError ?? 'no key' };
  }
  const path = options.evaluateOnly ? `/api/v1/deadlines/evaluate${atIso ? `?at=${encodeURIComponent(atIso)}` : ''}` : '/api/v1/messages';
  let answer: GatewayAnswer;
  try {
    answer = await client.send({ method: 'POST', path, key: item.key, body: item.body, contentType: 'application/xml' });
  } catch (error) {
    const detail = (error as Error).message;
    return { file: item.file, kind: 'failed', detail, deadlines: [], fulfilled: 0, expected, surprise: detail };
  }
  const { verdict, ...outcome } = outcomeOf(item, answer, options.evaluateOnly);
  const unexpected = surprise(item.expected, verdict, options.evaluateOnly);
  return { ...outcome, expected, ...(unexpected ? { surprise: unexpected + (outcome.detail ? ` (${outcome.detail})` : '') } : {}) };
}

export async function runReplay(options: ReplayOptions, io: ReplayIo): Promise<number> {
  let items: ReplayItem[];
  let client: GatewayClient;
  let atIso: string | undefined;
  try {
    if (options.at !== undefined && !options.evaluateOnly) {
      throw new UsageError('--at needs --evaluate-only: a stored message is judged at its real arrival, so only an evaluation can be asked about another time');
    }
    atIso = options.at !== undefined ? parseAt(options.at, new Date()).toISOString() : undefined;
    client = new GatewayClient(options.url);
    const keys: KeyChoice = {
      byEan: options.keysFile ? readKeysFile(options.keysFile) : {},
      demo: options.demoKeys,
      ...(options.key ? { fallback: options.key } : {}),
    };
    if (!options.key && !options.keysFile && !options.demoKeys) throw new UsageError('give the API key with --key KEY, --keys FILE or --demo-keys');
    const files = await collectFiles(options.paths, '.xml');
    if (files.length === 0) throw new UsageError(`no .xml file under ${options.paths.join(', ')}`);
    items = await buildReplaySet(files, { keys, freshIds: options.freshIds, expect: options.expect, nextId: io.nextId ?? freshIdSource() });
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputFileError || error instanceof UnreachableError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const reporter: ReplayReporter = options.json ? jsonReporter(io) : io.tty ? progressReporter({ ...io, tty: io.tty }) : plainReporter(io);
  const outcomes = new Array<ReplayOutcome | undefined>(items.length);
  const finished: Promise<void>[] = [];
  const resolvers: (() => void)[] = [];
  for (let i = 0; i < items.length; i += 1) finished.push(new Promise((resolve) => resolvers.push(resolve)));
  const pace = pacer(options.rate);
  const started = Date.now();
  reporter.start(items.length);
  let next = 0;
  // Items are ordered so a message comes after the one it answers, which is then already under way:
  // waiting for it inside a worker cannot deadlock the pool.
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as ReplayItem;
      if (item.waitsFor !== undefined) await finished[item.waitsFor];
      await pace();
      const outcome = await replayOne(client, item, options, atIso);
      outcomes[index] = outcome;
      reporter.message(outcome);
      (resolvers[index] as () => void)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, worker));
  const summary = summarise(outcomes as ReplayOutcome[], (Date.now() - started) / 1000);
  reporter.finish(summary);
  return summary.surprises.length === 0 ? 0 : 1;
}

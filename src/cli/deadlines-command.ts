/**
 * `medcom-gateway deadlines explain FILE --at TIME [--json]`: the integrator's "would this be on
 * time?" offline — the message evaluated against the deadline rules (MEDCOM_CONFIG_DIR's
 * deadline-rules.json, else the packaged default) as if it arrived at TIME. Nothing is stored; no
 * database or Redis is needed.
 */
import { explainDeadlines, type Explanation, type LetterExplanation } from '../app/deadline-evaluate.js';
import { Refusal } from '../app/refusal.js';
import { MessageCodec } from '../codec/decode-message.js';
import { loadDeadlineConfig } from '../config/deadline-config.js';
import { loadEndpointRegister } from '../config/endpoints.js';
import { atClockTime } from '../domain/calendar.js';
import { copenhagenLocal } from '../domain/danish-time.js';
import { readInputFile } from './input-files.js';

export interface ExplainOptions {
  readonly file: string;
  /** RFC 3339 with an offset, or a Copenhagen local time `YYYY-MM-DDThh:mm`; default now. */
  readonly at?: string;
  readonly json: boolean;
  readonly configDir: string;
  readonly charset?: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2})?)$/;

/** The `--at` value as an instant; a time without offset is Copenhagen local time. */
export function parseAt(text: string | undefined, now: Date): Date {
  if (text === undefined) return now;
  if (RFC3339.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return at;
  }
  const local = LOCAL.exec(text);
  if (local) return atClockTime(local[1] as string, local[2] as string);
  throw new Error(`--at ${JSON.stringify(text)} is not a time: give 2026-03-13T09:00:00+01:00 (with an offset) or 2026-03-13T09:00 (Copenhagen time)`);
}

function local(iso: string | undefined): string {
  if (!iso) return '';
  const { date, time } = copenhagenLocal(new Date(iso));
  return `${date} ${time.slice(0, 5)}`;
}

function describe(d: LetterExplanation['deadlines'][number]): string[] {
  const head = `  ${d.ruleId} ${d.state.toUpperCase()}: ${d.title}`;
  const lines = [head];
  if (d.dueAt) lines.push(`    due ${local(d.dueAt)}${d.lateAfter ? `, late after ${local(d.lateAfter)}` : ''}${d.breachAt ? `, breached after ${local(d.breachAt)}` : ''} (Copenhagen time)`);
  if (d.lateBy) lines.push(`    late by ${d.lateBy.hours} h${d.lateBy.weekdays !== undefined ? ` / ${d.lateBy.weekdays} weekday(s)` : ''}${d.lateBy.calendarDays !== undefined ? ` / ${d.lateBy.calendarDays} day(s)` : ''}`);
  if (d.obligedEan) lines.push(`    obliged: ${d.obligedEan}`);
  if (d.reason) lines.push(`    ${d.reason}`);
  if (d.note) lines.push(`    note: ${d.note}`);
  if (d.supersedes) lines.push(`    (longest lead of its group; also started: ${d.supersedes.join(', ')})`);
  if (d.measuredAt === 'gateway-arrival') lines.push('    judged at: its arrival at the gateway (not the receiver\'s fetch)');
  if (d.fallbackChannels) lines.push(`    outside MedCom: ${d.fallbackChannels.join(', ')}`);
  return lines;
}

export function formatExplanation(file: string, explanation: Explanation): string {
  const lines = [`${file}: evaluated as arriving ${local(explanation.at)} Copenhagen time (${explanation.at}), agreement ${explanation.agreement}; nothing stored`];
  for (const letter of explanation.letters) {
    lines.push(`letter ${letter.letterId} (${letter.type}) ${letter.sender} → ${letter.receiver}`);
    if (letter.deadlines.length === 0) lines.push('  no deadline rule applies');
    for (const d of letter.deadlines) lines.push(...describe(d));
  }
  return `${lines.join('\n')}\n`;
}

/** Exit code: 0 evaluated (whatever the states), 1 the message is invalid, 2 bad arguments or unreadable file. */
export async function runDeadlinesExplain(options: ExplainOptions, write: (text: string) => void, writeError: (text: string) => void, now = new Date()): Promise<number> {
  let at: Date;
  let body: Buffer;
  try {
    at = parseAt(options.at, now);
    body = await readInputFile(options.file);
  } catch (error) {
    writeError(`${(error as Error).message}\n`);
    return 2;
  }
  const config = loadDeadlineConfig(options.configDir);
  let register;
  try {
    register = loadEndpointRegister(options.configDir);
  } catch {
    register = undefined; // the register only adds the parties' region; explaining works without it
  }
  try {
    const explanation = await explainDeadlines(
      { codec: new MessageCodec(), deadlineRules: config.deadlineRules, ...(register ? { register } : {}) },
      { body, at, ...(options.charset ? { charset: options.charset } : {}) },
    );
    write(options.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(options.file, explanation));
    return 0;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const detail = error.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n');
    writeError(`${options.file}: ${error.title}: ${error.detail}\n${detail}${detail ? '\n' : ''}`);
    return 1;
  }
}

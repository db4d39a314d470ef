/**
 * The gateway's logger: pino, one JSON object per line. No CPR number may ever reach a log line
 * (DESIGN.md, quality bars), so every log line passes through `scrubCpr` on several layers:
 *
 * 1. the message (`msg`, also when pino takes it from an error) and every logged field are scrubbed
 *    before they are serialised, strings recursively, including `err.message`, `err.stack` and causes;
 * 2. the request, response and error serialisers return scrubbed plain data (and never headers or bodies);
 * 3. the finished line is checked once more just before it is written: anything that still looks like
 *    a CPR number (a ten-digit integer, or digits hidden behind a JSON escape) is removed there.
 *
 * A CPR number is any run of exactly ten digits, optionally written DDMMYY-SSSS, that is not part of a
 * longer run of digits. 13-digit EAN/GLN location numbers are longer runs and therefore survive.
 * This is deliberately wider than `\b\d{6}-?\d{4}\b` (it also catches `cpr0101901234` or `\n0101901234`)
 * and will also blank out other ten-digit numbers in log text: for logs, safety beats precision.
 */
import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** What replaces a CPR number in logs and scrubbed error texts. */
export const CPR_PLACEHOLDER = '[cpr]';

const CPR_PATTERN = /(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])/g;
const CPR_TEST = /(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])/;
const MAX_DEPTH = 24;

/** `text` with every possible CPR number replaced by `[cpr]`. */
export function scrubCprText(text: string): string {
  return CPR_TEST.test(text) ? text.replace(CPR_PATTERN, CPR_PLACEHOLDER) : text;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function scrubError(error: Error, seen: WeakMap<object, unknown>, depth: number): Error {
  // A copy with the same prototype, so `instanceof`, `name` and `constructor.name` stay what they were.
  const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Error;
  seen.set(error, copy);
  for (const key of Object.getOwnPropertyNames(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (!descriptor) continue;
    if ('value' in descriptor) {
      Object.defineProperty(copy, key, { ...descriptor, value: scrubValue(descriptor.value, seen, depth + 1) });
    } else {
      // Accessors (rare on errors) are read once, so a getter cannot hand out the original text later.
      let value: unknown;
      try {
        value = (error as unknown as Record<string, unknown>)[key];
      } catch {
        value = undefined;
      }
      Object.defineProperty(copy, key, { value: scrubValue(value, seen, depth + 1), enumerable: descriptor.enumerable, configurable: true, writable: true });
    }
  }
  // `message` and `stack` normally live on the instance; a subclass may keep `message` on its prototype.
  if (!Object.prototype.hasOwnProperty.call(error, 'message') && typeof error.message === 'string') {
    Object.defineProperty(copy, 'message', { value: scrubCprText(error.message), enumerable: false, configurable: true, writable: true });
  }
  return copy;
}

function scrubValue(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return scrubCprText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof Error) return scrubError(value, seen, depth);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(scrubValue(item, seen, depth + 1));
    return copy;
  }
  // Bytes carry no text; dates, maps, sets and the like are left to JSON.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof Map || value instanceof Set) return value;
  if (!isPlainObject(value)) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      let json: unknown;
      try {
        json = (toJSON as () => unknown).call(value);
      } catch {
        return '[unserialisable]';
      }
      return scrubValue(json, seen, depth + 1);
    }
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = scrubValue(item, seen, depth + 1);
  return copy;
}

/**
 * `value` with every possible CPR number in every string replaced by `[cpr]`, recursively through
 * arrays, plain objects and errors (message, stack, cause and own properties; the copy keeps the
 * error's class). Never mutates its input; other values are returned as they are.
 */
export function scrubCpr<T>(value: T): T {
  return scrubValue(value, new WeakMap(), 0) as T;
}

/** Ten-digit integers (a CPR number logged as a number) in an already parsed log line. */
function scrubParsedLine(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubCprText(value);
  if (typeof value === 'number') return Number.isInteger(value) && CPR_TEST.test(String(Math.abs(value))) ? CPR_PLACEHOLDER : value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrubParsedLine(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = scrubParsedLine(item, depth + 1);
  return copy;
}

/** Last line of defence, on the finished JSON line. Cheap when nothing looks like a CPR number. */
export function scrubLogLine(line: string): string {
  if (!CPR_TEST.test(line)) return line;
  const newline = line.endsWith('\n') ? '\n' : '';
  try {
    return JSON.stringify(scrubParsedLine(JSON.parse(line))) + newline;
  } catch {
    return line.replace(CPR_PATTERN, CPR_PLACEHOLDER);
  }
}

/** Keys whose serialisers below produce scrubbed output themselves. */
const SERIALISED_KEYS = new Set(['req', 'res', 'err', 'error']);

interface RequestLike {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly hostname?: string;
  readonly ip?: string;
  readonly id?: string;
  readonly routeOptions?: { readonly url?: string };
}

interface ReplyLike {
  readonly statusCode?: number;
}

/**
 * Query parameters whose values never reach a log line: `cpr` (the ops search by patient; a number
 * written with spaces or odd separators would slip past the CPR pattern) and `reason` (free text an
 * operator types to read a body; it belongs in the audit log, not the request log).
 */
const REDACTED_QUERY_PARAMETERS = new Set(['cpr', 'reason']);

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** `url` with the values of the redacted query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  const query = url
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return REDACTED_QUERY_PARAMETERS.has(decodedName(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, mark)}?${query}`;
}

function serialiseError(value: unknown): unknown {
  if (value instanceof Error) return scrubCpr(stdSerializers.err(value));
  return scrubCpr(value);
}

const serializers = {
  // Never headers (Authorization!) and never bodies: method, URL and who asked.
  req: (request: RequestLike) =>
    scrubCpr({
      method: request.method,
      url: request.url === undefined ? undefined : redactUrl(request.url),
      route: request.routeOptions?.url,
      host: request.host ?? request.hostname,
      remoteAddress: request.ip,
    }),
  res: (reply: ReplyLike) => ({ statusCode: reply.statusCode }),
  err: serialiseError,
  error: serialiseError,
  msg: (message: unknown) => (typeof message === 'string' ? scrubCprText(message) : scrubCpr(message)),
};

export interface LoggerSettings {
  /** As in `Settings`. */
  readonly logLevel?: string;
  /** Alternative spelling, e.g. `{ level: 'silent' }` in tests. */
  readonly level?: string;
}

/**
 * The gateway's JSON logger. `destination` defaults to standard output; tests pass a stream to read
 * the lines back. Accepts `Settings` (its `logLevel`) or `{ level }`.
 */
export function createLogger(settings: LoggerSettings = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: 'medcom-gateway',
    level: settings.level ?? settings.logLevel ?? 'info',
    timestamp: stdTimeFunctions.isoTime,
    serializers,
    redact: { paths: ['authorization', 'headers.authorization', 'req.headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => scrubCpr(bindings),
      log: (object) => {
        const scrubbed: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(object)) {
          scrubbed[key] = SERIALISED_KEYS.has(key) ? value : scrubCpr(value);
        }
        return scrubbed;
      },
    },
    hooks: { streamWrite: scrubLogLine },
  };
  return destination ? pino(options, destination) : pino(options);
}

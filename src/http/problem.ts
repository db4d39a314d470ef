/**
 * RFC 9457 problem details: every error the gateway answers is `application/problem+json` with
 * `type`, `title`, `status`, `detail` and, for validation, an `errors` array of
 * `{ path, message, line?, column? }`. Throw a `ProblemError` (usually through one of the helpers
 * below) anywhere in a route or hook; the error handler turns it into the response.
 *
 * `type` is `https://medcom-gateway.local/problems/<slug>`; the slugs are listed in `PROBLEM_TYPES`,
 * which the OpenAPI document (`/docs`) also publishes.
 */
import type { ValidationIssue } from '../codec/issues.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_TYPE_BASE = 'https://medcom-gateway.local/problems/';

/** The problem types the gateway itself uses, by slug. Routes may use others (give them a title). */
export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'Bad request', description: 'The request is malformed.' },
  'invalid-json': { status: 400, title: 'Malformed JSON', description: 'The JSON body could not be parsed.' },
  'invalid-request': { status: 400, title: 'Invalid request', description: 'Parameters, query or JSON body do not match the operation\'s schema; see `errors`.' },
  'not-well-formed': { status: 400, title: 'XML not well-formed', description: 'The XML message cannot be parsed; `errors` gives line and column.' },
  'limit-exceeded': {
    status: 400,
    title: 'The message exceeds a limit of the gateway',
    description: 'Well-formed or not, the XML breaks one of the limits that keep the gateway responsive: elements, nesting depth, attributes per element, namespace declarations or character references. `detail` names the limit; `errors` gives line and column.',
  },
  unauthorized: { status: 401, title: 'Unauthorized', description: 'No API key, or one the gateway does not accept. Send `Authorization: Bearer <api key>`.' },
  forbidden: { status: 403, title: 'Forbidden', description: 'The API key is valid but may not do this.' },
  csrf: {
    status: 403,
    title: 'CSRF token missing or wrong',
    description: 'A POST, PUT or DELETE authenticated by the operations session cookie must carry the session\'s token (`csrfToken` of POST/GET /api/v1/ops/session) in the `x-csrf-token` header. Requests with a Bearer key need none.',
  },
  'reason-required': { status: 400, title: 'State your reason', description: 'Reading a message body and every ops action need a `reason` of at least three words; it is written to the audit log.' },
  'not-found': { status: 404, title: 'Not found', description: 'No such resource (or not one the key may see).' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', description: 'The resource does not support this method.' },
  conflict: { status: 409, title: 'Conflict', description: 'The request conflicts with what is stored, e.g. an envelope identifier reused with other content.' },
  'body-pruned': {
    status: 410,
    title: 'The message body was pruned',
    description: 'The retention policy removed the message\'s bytes after the configured number of days; its status, receipts, deadlines and timeline are kept and GET /api/v1/messages/{id} says when (`bodyPrunedAt`).',
  },
  'payload-too-large': { status: 413, title: 'Payload too large', description: 'The body is larger than the gateway accepts.' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', description: 'The body\'s Content-Type is not one the operation accepts.' },
  unprocessable: { status: 422, title: 'Unprocessable message', description: 'Well-formed, but invalid against the schema or the gateway\'s rules; see `errors`.' },
  'unknown-original': {
    status: 422,
    title: 'Receipt for an unknown message',
    description: 'The receipt quotes a message the gateway has not carried to the one answering: unknown, or sent to someone else (the two are answered alike, so nobody learns which messages exist).',
  },
  'receipt-misaddressed': { status: 422, title: 'The receipt is not addressed to the original sender', description: 'A receipt goes back to the sender of the message it answers; `detail` names that endpoint.' },
  unroutable: { status: 422, title: 'A receiver cannot take this message', description: 'A Receiver is not an endpoint of this gateway, or does not accept the message type; `errors` names the path.' },
  misaddressed: {
    status: 422,
    title: 'Not addressed as the health agreement and the citizen\'s consent allow',
    description: 'A retraining plan misses a receiver the health agreement obliges, goes where it must not, or comes from an issuer that may not send one; or a Receiver lacks the citizen\'s consent. Each entry of `errors` names the rule in `code` (e.g. `R-SPEC-OWN`, `CONSENT-RECEIVER`); nothing was stored.',
  },
  'not-obliged': { status: 403, title: 'Only the obliged endpoint can fulfil this deadline', description: 'The deadline is yours to see (you sent or received its message) but another endpoint must act on it.' },
  'not-explicit': { status: 409, title: 'This deadline is fulfilled by a message', description: 'Only deadlines fulfilled explicitly (D7: first contact) take POST /api/v1/deadlines/{id}/fulfil; the others close when the correlated message arrives.' },
  'already-fulfilled': { status: 409, title: 'The deadline is fulfilled already', description: 'A fulfilment is recorded once; the same one again is answered 200.' },
  'fulfilment-before-start': { status: 422, title: 'The fulfilment time is before the deadline started', description: '`at` may not precede the start of the deadline: an action done before the message that asked for it does not fulfil it.' },
  'fulfilment-in-the-future': { status: 422, title: 'The fulfilment time is in the future', description: '`at` must be the time the obliged action was done, not later than now.' },
  'bad-period': { status: 422, title: 'The period is empty', description: '`from` must be before `to`.' },
  'bad-cursor': { status: 400, title: 'Unknown cursor', description: 'The `cursor` is not one this API gave out as `nextCursor`.' },
  'too-many-streams': { status: 429, title: 'Too many open event streams', description: 'Each key (or ops session) may hold a few `GET /api/v1/ops/events` streams per gateway process; close one first.' },
  'too-many-requests': { status: 429, title: 'Too many requests', description: 'The API key (or address) sent more requests than allowed per minute; retry after `Retry-After` seconds.' },
  'internal-error': { status: 500, title: 'Internal error', description: 'Something went wrong in the gateway. The request id identifies it in the gateway\'s logs.' },
  'service-unavailable': { status: 503, title: 'Service unavailable', description: 'A dependency (store, queue) is not available; retry after `Retry-After` seconds.' },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

/** One reason in a problem's `errors`: an XML path (or JSON pointer for JSON input) and what is wrong. */
export interface ProblemFieldError {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** Machine-readable reason, e.g. the codec's issue code. */
  readonly code?: string;
}

/** The JSON body of a problem response. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [member: string]: unknown;
}

export interface ProblemInit {
  readonly status: number;
  /** A slug (`not-found`) or a full URI. */
  readonly type: string;
  readonly title?: string;
  readonly detail: string;
  readonly errors?: readonly ProblemFieldError[];
  /** Further members of the problem document (e.g. `envelopeId`, `checks`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Response headers, e.g. `Retry-After`, `WWW-Authenticate`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** The optional part of every helper. */
export type ProblemOptions = Partial<Omit<ProblemInit, 'status' | 'detail'>>;

function typeUri(type: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(type) ? type : `${PROBLEM_TYPE_BASE}${type}`;
}

function defaultTitle(type: string, status: number): string {
  const known = (PROBLEM_TYPES as Record<string, { title: string }>)[type];
  if (known) return known.title;
  const fallback = Object.values(PROBLEM_TYPES).find((entry) => entry.status === status);
  return fallback?.title ?? 'Error';
}

/** Reserved members a caller's `extra` may not override. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'errors']);

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  /** HTTP status; also read by Fastify as `statusCode`. */
  readonly status: number;
  readonly statusCode: number;
  /** Full type URI. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly ProblemFieldError[] | undefined;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: ProblemInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    if (!Number.isInteger(init.status) || init.status < 400 || init.status > 599) {
      throw new RangeError(`a problem needs a 4xx or 5xx status, not ${init.status}`);
    }
    this.status = init.status;
    this.statusCode = init.status;
    this.type = typeUri(init.type);
    this.title = init.title ?? defaultTitle(init.type, init.status);
    this.detail = init.detail;
    this.errors = init.errors;
    this.extra = init.extra ?? {};
    this.headers = init.headers ?? {};
  }

  /** The response body; `requestId` is added so a caller can quote it to operations staff. */
  toDocument(requestId?: string): ProblemDocument {
    const document: Record<string, unknown> = { type: this.type, title: this.title, status: this.status, detail: this.detail };
    if (this.errors !== undefined) document.errors = this.errors;
    for (const [key, value] of Object.entries(this.extra)) {
      if (!RESERVED.has(key) && value !== undefined) document[key] = value;
    }
    if (requestId !== undefined && document.requestId === undefined) document.requestId = requestId;
    return document as ProblemDocument;
  }

  toJSON(): ProblemDocument {
    return this.toDocument();
  }
}

/** A problem of any status and type. */
export function problem(status: number, type: string, detail: string, options: ProblemOptions = {}): ProblemError {
  return new ProblemError({ ...options, status, type: options.type ?? type, detail });
}

export function badRequest(detail: string, options: ProblemOptions = {}): ProblemError {
  return problem(400, 'bad-request', detail, options);
}

export function unauthorized(detail = 'send the API key as Authorization: Bearer <api key>', options: ProblemOptions = {}): ProblemError {
  const headers = { 'WWW-Authenticate': 'Bearer realm="medcom-gateway"', ...options.headers };
  return problem(401, 'unauthorized', detail, { ...options, headers });
}

export function forbidden(detail: string, options: ProblemOptions = {}): ProblemError {
  return problem(403, 'forbidden', detail, options);
}

export function notFound(detail: string, options: ProblemOptions = {}): ProblemError {
  return problem(404, 'not-found', detail, options);
}

export function conflict(detail: string, options: ProblemOptions = {}): ProblemError {
  return problem(409, 'conflict', detail, options);
}

export function payloadTooLarge(limitBytes: number, options: ProblemOptions = {}): ProblemError {
  return problem(413, 'payload-too-large', `the body is larger than ${limitBytes} bytes, the most the gateway accepts`, {
    ...options,
    extra: { limitBytes, ...options.extra },
  });
}

export function unsupportedMediaType(detail: string, options: ProblemOptions = {}): ProblemError {
  return problem(415, 'unsupported-media-type', detail, options);
}

export function unprocessable(detail: string, errors: readonly ProblemFieldError[] = [], options: ProblemOptions = {}): ProblemError {
  return problem(422, 'unprocessable', detail, { ...options, errors });
}

export function tooManyRequests(retryAfterSeconds: number, options: ProblemOptions = {}): ProblemError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return problem(429, 'too-many-requests', `too many requests; retry after ${seconds} s`, {
    ...options,
    headers: { 'Retry-After': String(seconds), ...options.headers },
    extra: { retryAfterSeconds: seconds, ...options.extra },
  });
}

export function internalError(requestId?: string, options: ProblemOptions = {}): ProblemError {
  const detail = requestId
    ? `the gateway could not handle the request; operations staff can find it in the logs under request id ${requestId}`
    : 'the gateway could not handle the request';
  return problem(500, 'internal-error', detail, options);
}

export function serviceUnavailable(detail: string, retryAfterSeconds: number, options: ProblemOptions = {}): ProblemError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return problem(503, 'service-unavailable', detail, { ...options, headers: { 'Retry-After': String(seconds), ...options.headers } });
}

/** The codec's issues as a problem's `errors` (errors only unless `includeWarnings`). */
export function issuesToProblemErrors(issues: readonly ValidationIssue[], includeWarnings = false): ProblemFieldError[] {
  return issues
    .filter((issue) => includeWarnings || issue.severity === 'error')
    .map((issue) => {
      const entry: { path: string; message: string; code: string; line?: number; column?: number } = { path: issue.path, message: issue.message, code: issue.code };
      if (issue.line !== undefined) entry.line = issue.line;
      if (issue.column !== undefined) entry.column = issue.column;
      return entry;
    });
}

/** JSON Schema of a problem document, shared as `Problem` (refer to it as `{ $ref: 'Problem#' }`). */
export const problemSchema = {
  $id: 'Problem',
  title: 'Problem',
  type: 'object',
  description:
    'RFC 9457 problem details, sent as application/problem+json. `type` is ' +
    `${PROBLEM_TYPE_BASE}<slug>; the gateway's slugs:\n\n` +
    Object.entries(PROBLEM_TYPES)
      .map(([slug, entry]) => `- \`${slug}\` (${entry.status}): ${entry.description}`)
      .join('\n'),
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', examples: [`${PROBLEM_TYPE_BASE}unprocessable`] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    requestId: { type: 'string', description: 'The request id (also in the x-request-id response header).' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'XML path such as /Emessage/NotificationOfDischarge/Patient/CivilRegistrationNumber, or a JSON pointer for JSON input' },
          message: { type: 'string' },
          line: { type: 'integer' },
          column: { type: 'integer' },
          code: { type: 'string', description: 'Machine-readable reason: the codec\'s issue code, or the routing rule broken (R-…, CONSENT-…)' },
        },
      },
    },
  },
  additionalProperties: true,
} as const;

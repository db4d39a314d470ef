/**
 * Everything that goes wrong becomes `application/problem+json` (RFC 9457): a thrown `ProblemError`
 * as it is; a use case's `Refusal` with its status, slug and words; a store that cannot be reached a
 * 503 with Retry-After (nothing was stored: the sender sends again); Fastify's own errors (validation, body too large, media type, malformed JSON, bad URL)
 * mapped to their 4xx problem; unknown routes a 404 problem; anything unexpected a 500 problem with a
 * generic detail naming the request id, while the error itself goes to the (CPR-scrubbed) log.
 * Nothing a client sends can make the gateway answer 500 or stop the process.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Refusal } from '../../app/refusal.js';
import { isPoolExhausted, isUnavailable } from '../../store/database.js';
import { CodecBusy } from '../../codec/off-thread-codec.js';
import {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  ProblemError,
  badRequest,
  internalError,
  notFound,
  payloadTooLarge,
  problem,
  serviceUnavailable,
  unsupportedMediaType,
  type ProblemFieldError,
} from '../problem.js';
import { mediaTypeOf } from './content-types.js';
import { REQUEST_ID_HEADER } from './request-context.js';

interface AjvLikeError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly keyword?: string;
  readonly params?: Record<string, unknown>;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Fastify (ajv) validation errors as problem `errors`, each with a JSON pointer such as `/querystring/limit`. */
export function validationErrors(validation: readonly AjvLikeError[], context: string | undefined): ProblemFieldError[] {
  return validation.map((entry) => {
    let path = `/${context ?? 'request'}${entry.instancePath ?? ''}`;
    const params = entry.params ?? {};
    if (typeof params.missingProperty === 'string') path += `/${escapePointer(params.missingProperty)}`;
    else if (typeof params.additionalProperty === 'string') path += `/${escapePointer(params.additionalProperty)}`;
    let message = entry.message ?? 'is not valid';
    if (Array.isArray(params.allowedValues)) message += `: ${params.allowedValues.map(String).join(', ')}`;
    if (typeof params.additionalProperty === 'string') message = `unknown property ${params.additionalProperty}`;
    return { path, message, ...(entry.keyword ? { code: entry.keyword } : {}) };
  });
}

function slugForStatus(status: number): string {
  const match = Object.entries(PROBLEM_TYPES).find(([, entry]) => entry.status === status);
  return match ? match[0] : status >= 500 ? 'internal-error' : 'bad-request';
}

interface ErrorLike {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly validation?: unknown;
  readonly validationContext?: unknown;
}

/**
 * What the client is told about `error`. `unexpected` is true for everything the gateway did not
 * mean to answer (5xx other than a deliberate ProblemError): those are logged as errors.
 */
export function toProblem(error: unknown, request: FastifyRequest, bodyLimit: number): { problem: ProblemError; unexpected: boolean } {
  if (error instanceof ProblemError) return { problem: error, unexpected: false };
  if (error instanceof Refusal) {
    const errors = error.errors.length > 0 ? { errors: error.errors } : {};
    return { problem: problem(error.status, error.slug, error.detail, { title: error.title, ...errors }), unexpected: false };
  }
  if (isPoolExhausted(error)) {
    return { problem: serviceUnavailable('the message store is busy with other requests; nothing was stored, send the request again', 1, { cause: error }), unexpected: false };
  }
  if (isUnavailable(error)) {
    return { problem: serviceUnavailable('the message store is not reachable; nothing was stored, send the message again', 5, { cause: error }), unexpected: false };
  }
  if (error instanceof CodecBusy) {
    return { problem: serviceUnavailable('the gateway is busy decoding other large messages; nothing was stored, send the message again', 1), unexpected: false };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.statusCode === 'number' && Number.isInteger(e.statusCode) ? e.statusCode : 500;

  if (Array.isArray(e.validation)) {
    const context = typeof e.validationContext === 'string' ? e.validationContext : undefined;
    const errors = validationErrors(e.validation as AjvLikeError[], context);
    const first = errors[0];
    const detail = first ? `${first.path} ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : 'the request is not valid';
    return { problem: badRequest(detail, { type: 'invalid-request', errors }), unexpected: false };
  }
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: payloadTooLarge(request.routeOptions.bodyLimit ?? bodyLimit), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const sent = mediaTypeOf(request.headers['content-type']);
      return { problem: unsupportedMediaType(sent ? `Content-Type ${sent} is not accepted here` : 'the request has a body but no Content-Type'), unexpected: false };
    }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { problem: badRequest('the body is not valid JSON', { type: 'invalid-json' }), unexpected: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: badRequest('the body is empty but Content-Type says it is JSON', { type: 'invalid-json' }), unexpected: false };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { problem: badRequest('the body length does not match Content-Length'), unexpected: false };
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { problem: badRequest('the URL is malformed'), unexpected: false };
    default:
      break;
  }
  if (error instanceof SyntaxError && status === 400) {
    return { problem: badRequest('the body is not valid JSON', { type: 'invalid-json' }), unexpected: false };
  }
  if (status >= 400 && status < 500) {
    // Fastify and its plugins describe client errors in words fit for the client.
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : (PROBLEM_TYPES[slugForStatus(status) as keyof typeof PROBLEM_TYPES]?.title ?? 'client error');
    if (status === 404) return { problem: notFound(message), unexpected: false };
    return { problem: problem(status, slugForStatus(status), message), unexpected: false };
  }
  return { problem: internalError(request.id), unexpected: true };
}

/** Sends `problem` as the response (headers included) and marks it for the request log. */
export function sendProblem(reply: FastifyReply, problemError: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problemError.headers)) reply.header(name, value);
  reply.header(REQUEST_ID_HEADER, reply.request.id);
  return reply
    .code(problemError.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemError.toDocument(reply.request.id)));
}

function handle(error: unknown, request: FastifyRequest, reply: FastifyReply, bodyLimit: number): FastifyReply {
  try {
    const { problem: answer, unexpected } = toProblem(error, request, bodyLimit);
    if (unexpected) {
      request.log.error({ err: error }, 'unexpected error');
    } else if (answer.status >= 500) {
      request.log.warn({ problem: answer.type, status: answer.status, err: answer.cause }, answer.detail);
    } else {
      request.log.info({ problem: answer.type, status: answer.status }, answer.detail);
    }
    return sendProblem(reply, answer);
  } catch (failure) {
    // The error handler itself must never fail.
    request.log.error({ err: failure }, 'the error handler failed');
    return reply.code(500).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(internalError(request.id).toDocument(request.id)));
  }
}

/** For Fastify's `frameworkErrors` option (malformed URLs and the like, before any route runs). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  handle(error, request, reply, 0);
}

export interface ErrorsPluginOptions {
  readonly bodyLimit: number;
}

async function errors(app: FastifyInstance, options: ErrorsPluginOptions): Promise<void> {
  app.setErrorHandler((error, request, reply) => handle(error, request, reply, options.bodyLimit));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    request.log.info({ problem: 'not-found' }, 'no such route');
    return sendProblem(reply, notFound(`there is no ${request.method} ${path}`));
  });
}

export default fp(errors, { name: 'errors', fastify: '5.x' });

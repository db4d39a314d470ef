/**
 * Request bodies. MedCom XML (`application/xml`, `text/xml`, `application/*+xml`) reaches the handler
 * as the raw `Buffer` exactly as sent (the bytes are sacred: nothing here decodes them), with the
 * Content-Type's `charset` parameter in `request.xmlCharset` for the codec. `application/json` is
 * parsed as usual. Nothing else is accepted (Fastify's text/plain parser is removed), so any other
 * content type is a 415 problem. The body limit is the instance's (`settings.maxBodyBytes`) → 413.
 *
 * A route narrows what it takes with `config: { contentTypes: ['xml'] }` (or `['json']`, or both):
 * a request with a body of another kind is refused with 415 before the body is read.
 */
import type { FastifyInstance, FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { unsupportedMediaType } from '../problem.js';

export type BodyKind = 'xml' | 'json';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `charset` parameter of an XML body's Content-Type, as sent (unquoted), if any. */
    xmlCharset: string | undefined;
  }
  interface FastifyContextConfig {
    /** Body kinds the route accepts; others are refused with 415. */
    contentTypes?: readonly BodyKind[];
  }
}

export const XML_MEDIA_TYPES = ['application/xml', 'text/xml'] as const;
const XML_SUFFIX = /^application\/[a-z0-9!#$&^_.+-]+\+xml$/;
/** For Fastify's parser lookup, which tests the whole Content-Type including parameters. */
const XML_SUFFIX_WITH_PARAMETERS = /^application\/[a-z0-9!#$&^_.+-]+\+xml(?:\s*;|$)/i;

/** The media type of a Content-Type header, lower-cased without parameters. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const essence = contentType.split(';')[0]?.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

/** The `charset` parameter of a Content-Type header (unquoted, as sent), if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const parameter of contentType.split(';').slice(1)) {
    const separator = parameter.indexOf('=');
    if (separator === -1) continue;
    if (parameter.slice(0, separator).trim().toLowerCase() !== 'charset') continue;
    let value = parameter.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value === '' ? undefined : value;
  }
  return undefined;
}

export function bodyKindOf(contentType: string | undefined): BodyKind | undefined {
  const media = mediaTypeOf(contentType);
  if (media === undefined) return undefined;
  if ((XML_MEDIA_TYPES as readonly string[]).includes(media) || XML_SUFFIX.test(media)) return 'xml';
  if (media === 'application/json' || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(media)) return 'json';
  return undefined;
}

export interface XmlBody {
  readonly body: Buffer;
  readonly contentType: string;
  readonly charset?: string;
}

/** The raw XML body exactly as sent, with its Content-Type and charset; anything else is a 415. */
export function xmlBodyOf(request: FastifyRequest): XmlBody {
  const contentType = request.headers['content-type'] ?? '';
  if (bodyKindOf(contentType) !== 'xml' || !Buffer.isBuffer(request.body)) {
    throw unsupportedMediaType(`send the MedCom message as application/xml or text/xml, not ${mediaTypeOf(contentType) ?? 'no Content-Type'}`);
  }
  const charset = request.xmlCharset;
  return { body: request.body, contentType, ...(charset ? { charset } : {}) };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const KIND_NAMES: Record<BodyKind, string> = { xml: 'application/xml or text/xml', json: 'application/json' };

function guard(kinds: readonly BodyKind[]): preParsingAsyncHookHandler {
  const expected = kinds.map((kind) => KIND_NAMES[kind]).join(' or ');
  return async (request, _reply, payload) => {
    if (!hasBody(request)) return payload;
    const sent = request.headers['content-type'];
    const kind = bodyKindOf(sent);
    if (kind === undefined || !kinds.includes(kind)) {
      const media = mediaTypeOf(sent);
      throw unsupportedMediaType(media ? `Content-Type ${media} is not accepted here; send ${expected}` : `the body has no Content-Type; send ${expected}`);
    }
    return payload;
  };
}

async function contentTypes(app: FastifyInstance): Promise<void> {
  app.decorateRequest('xmlCharset', undefined);
  app.removeContentTypeParser('text/plain');
  const keepBytes = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void => {
    request.xmlCharset = charsetOf(request.headers['content-type']);
    done(null, body);
  };
  app.addContentTypeParser([...XML_MEDIA_TYPES], { parseAs: 'buffer' }, keepBytes);
  app.addContentTypeParser(XML_SUFFIX_WITH_PARAMETERS, { parseAs: 'buffer' }, keepBytes);

  app.addHook('onRoute', (route) => {
    const kinds = route.config?.contentTypes;
    if (!kinds || kinds.length === 0) return;
    const hook = guard(kinds);
    const existing = route.preParsing;
    route.preParsing = existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing];
  });
}

export default fp(contentTypes, { name: 'content-types', fastify: '5.x' });

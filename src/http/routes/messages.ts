/**
 * `POST /api/v1/messages` (an endpoint sends a MedCom message) and `GET /api/v1/messages/{id}` (its
 * status, receipts and timeline).
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { acceptMessage } from '../../app/accept-message.js';
import type { GatewayContext } from '../../app/context.js';
import { viewMessage } from '../../app/message-view.js';
import { requireEndpoint, requirePrincipal } from '../plugins/authentication.js';
import { unsupportedMediaType } from '../problem.js';
import { deadlineSummarySchema } from './deadline-schemas.js';
import { guarded } from './gateway-errors.js';

const XML_TYPES = /^(application|text)\/([a-z0-9.+-]+\+)?xml$/i;

export interface XmlBody {
  readonly body: Buffer;
  readonly contentType: string;
  readonly charset?: string;
}

/** The raw XML body exactly as sent, with its Content-Type and charset; anything else is a 415. */
export function xmlBodyOf(request: FastifyRequest): XmlBody {
  const contentType = request.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim() ?? '';
  if (!XML_TYPES.test(mediaType) || !Buffer.isBuffer(request.body)) {
    throw unsupportedMediaType(`send the MedCom message as application/xml or text/xml, not ${mediaType || 'no Content-Type'}`);
  }
  const charset = request.xmlCharset;
  return { body: request.body, contentType, ...(charset ? { charset } : {}) };
}

export function endpointEanOf(request: FastifyRequest): string {
  return requireEndpoint(request).ean;
}

const acceptedSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    envelopeId: { type: 'string' },
    status: { enum: ['accepted', 'duplicate'] },
    duplicate: { type: 'boolean' },
    resendId: { type: 'string' },
    letters: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          letterId: { type: 'string' },
          type: { type: 'string' },
          receiver: { type: 'string' },
          copies: { type: 'array', items: { type: 'string' } },
          duplicateOf: { type: 'string' },
        },
      },
    },
    deadlines: { type: 'array', items: deadlineSummarySchema },
    warnings: {
      type: 'array',
      description: 'What the sender should know: copies not delivered (no such endpoint, type not taken, no consent) and rules of the health agreement broken but accepted by the agreement profile; `code` names the rule (README "Retraining-plan routing").',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } },
    },
  },
} as const;

export function registerMessageRoutes(app: FastifyInstance, context: () => GatewayContext): void {
  app.post(
    '/api/v1/messages',
    {
      config: { auth: 'endpoint', contentTypes: ['xml'] },
      schema: {
        summary: 'Send a MedCom message',
        description:
          'Body: the MedCom OIOXML message as application/xml or text/xml in UTF-8, ISO-8859-1 or windows-1252. 202 once the bytes are committed; 200 with duplicate=true for a repeat; receipts (XCTL02/03) posted here are correlated with the message they answer.',
        tags: ['messages'],
        response: { 200: acceptedSchema, 202: acceptedSchema },
      },
    },
    async (request, reply) => {
      const sender = endpointEanOf(request);
      const input = xmlBodyOf(request);
      const result = await guarded(() => acceptMessage(context(), sender, input));
      reply.code(result.kind === 'accepted' ? 202 : 200);
      if (result.kind === 'accepted') reply.header('location', `/api/v1/messages/${result.response.id}`);
      return result.response;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/messages/:id',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'Status, receipts and timeline of a message',
        description: 'Visible to the message\'s sender, its receivers (copies included) and operations.',
        tags: ['messages'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (request) => guarded(() => viewMessage(context(), requirePrincipal(request), request.params.id)),
  );
}

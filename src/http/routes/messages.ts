/**
 * `POST /api/v1/messages` (an endpoint sends a MedCom message) and `GET /api/v1/messages/{id}` (its
 * status, receipts and timeline).
 */
import type {} from '@fastify/swagger'; // the OpenAPI fields (summary, tags) on route schemas
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { acceptMessage } from '../../app/accept-message.js';
import { viewMessage } from '../../app/message-view.js';
import { requireEndpoint, requirePrincipal } from '../plugins/authentication.js';
import { xmlBodyOf } from '../plugins/content-types.js';
import { IdParams, problems, UNAVAILABLE } from '../schemas/common.js';
import { Accepted, MessageView, MessageViewQuery } from '../schemas/messages.js';

const messages: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/messages',
    {
      config: { auth: 'endpoint', contentTypes: ['xml'] },
      schema: {
        summary: 'Send a MedCom message',
        description:
          'Body: the MedCom OIOXML message as application/xml or text/xml in UTF-8, ISO-8859-1 or windows-1252. 202 once the bytes are committed; 200 with duplicate=true for a repeat; receipts (XCTL02/03) posted here are correlated with the message they answer.',
        tags: ['messages'],
        response: {
          200: Accepted,
          202: Accepted,
          ...problems({
            400: 'Not well-formed XML, or a character or encoding the message may not hold',
            409: 'The envelope identifier was used before for other content',
            413: 'The body is larger than the gateway accepts',
            415: 'Not XML, or an encoding the gateway does not read',
            422: 'Invalid against the MedCom schema or the gateway\'s rules, unroutable or misaddressed; `errors` says where',
            ...UNAVAILABLE,
          }),
        },
      },
    },
    async (request, reply) => {
      const sender = requireEndpoint(request).ean;
      const result = await acceptMessage(app.gateway, sender, xmlBodyOf(request));
      reply.code(result.kind === 'accepted' ? 202 : 200);
      if (result.kind === 'accepted') reply.header('location', `/api/v1/messages/${result.response.id}`);
      return result.response;
    },
  );

  app.get(
    '/api/v1/messages/:id',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'Status, receipts and timeline of a message',
        description:
          'Visible to the message\'s sender, its receivers (copies included) and operations. The timeline comes in pages of `timelineLimit` entries; `timelineNext` gives the `timelineAfter` of the next page. An event repeated identically (the same fetch or receipt again) is one entry with its `count` and `lastAt`.',
        tags: ['messages'],
        params: IdParams,
        querystring: MessageViewQuery,
        response: { 200: MessageView, ...problems({ 400: 'The id is not a UUID, or the timeline page is out of range', 404: 'No such message visible to you', ...UNAVAILABLE }) },
      },
    },
    async (request) =>
      viewMessage(app.gateway, requirePrincipal(request), request.params.id, {
        limit: request.query.timelineLimit,
        ...(request.query.timelineAfter === undefined ? {} : { after: request.query.timelineAfter }),
      }),
  );
};

export default messages;

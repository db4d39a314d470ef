/**
 * The OpenAPI 3 document (`/docs/json`, `/docs/yaml`) and Swagger UI (`/docs`). Routes contribute
 * their own schemas (tags, summary, body, responses). This plugin adds what every operation shares:
 * the `bearerAuth` scheme, put on each route that has `config.auth`, with its 401/403 answers; the
 * `Problem` schema (shared as `Problem`, referable from route schemas as `{ $ref: 'Problem#' }`)
 * listing the gateway's problem types; and 4XX/5XX problem answers on every documented operation.
 */
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { problemSchema } from '../problem.js';

export interface OpenApiOptions {
  readonly version: string;
  /** Where Swagger UI lives; the JSON document is `${routePrefix}/json`. */
  readonly routePrefix?: string;
}

export const BEARER_SCHEME = 'bearerAuth';

/**
 * A route's problem answer for its response schema, e.g. `response: { 422: problemResponse('Invalid message') }`.
 * (A bare `{ $ref: 'Problem#' }` works too, but is documented as application/json.)
 */
export function problemResponse(description: string): { description: string; content: { 'application/problem+json': { schema: { $ref: string } } } } {
  return { description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } };
}

async function openApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  app.addSchema(problemSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'medcom-gateway',
        version: options.version,
        description:
          'HTTP gateway for Danish MedCom OIOXML messages between hospitals and municipalities. ' +
          'Endpoints authenticate with `Authorization: Bearer <api key>`; operations staff with an operations key. ' +
          'Every error is RFC 9457 `application/problem+json` (schema `Problem`). ' +
          'Every response carries `x-request-id` (a sane `x-request-id` sent by the client is kept).',
      },
      tags: [
        { name: 'messages', description: 'Sending MedCom messages' },
        { name: 'inbox', description: 'Fetching and acknowledging received messages' },
        { name: 'deadlines', description: 'The health agreements\' deadlines: one deadline, explicit fulfilment, "would this be on time?"' },
        { name: 'operations', description: 'Health, metrics and operations' },
      ],
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description: 'API key: mgw_<id>_<secret>; on the demo network demo-<EAN> and demo-ops (refused in production).',
          },
        },
      },
    },
    refResolver: {
      // Shared schemas appear under their $id (`Problem`), not `def-0`.
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
    transform: ({ schema, url, route }) => {
      if (schema?.hide) return { schema, url };
      const auth = route.config?.auth;
      const documented: FastifySchema = { ...schema };
      const response: Record<string, unknown> = { ...(schema?.response as Record<string, unknown> | undefined) };
      if (auth !== undefined) {
        documented.security ??= [{ [BEARER_SCHEME]: [] }];
        response['401'] ??= problemResponse('No API key, or one the gateway does not accept (with WWW-Authenticate: Bearer)');
        if (auth !== 'any') response['403'] ??= problemResponse(auth === 'ops' ? 'Not an operations key' : 'Not an endpoint key');
      }
      if (route.config?.rateLimit !== false) response['429'] ??= problemResponse('Too many requests (with Retry-After)');
      if (!Object.keys(response).some((status) => status.startsWith('4'))) response['4XX'] = problemResponse('Client error');
      if (!Object.keys(response).some((status) => status.startsWith('5'))) response['5XX'] = problemResponse('Server error');
      if (!Object.keys(response).some((status) => status.startsWith('2') || status === 'default')) response['2xx'] = { description: 'Success' };
      documented.response = response;
      return { schema: documented, url };
    },
  });

  await app.register(swaggerUi, {
    routePrefix: options.routePrefix ?? '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
}

export default fp(openApi, { name: 'openapi', fastify: '5.x' });

/**
 * `GET /api/v1/ops/alerts` (operations keys): the alerts the rules of config/alerts.json raised and
 * that still hold, newest first, and the most recently cleared ones.
 */
import type { FastifyInstance } from 'fastify';
import { alertsView } from '../../app/alerts.js';
import type { GatewayContext } from '../../app/context.js';
import { guarded } from './gateway-errors.js';

const ALERT = {
  type: 'object',
  required: ['id', 'rule', 'kind', 'subject', 'message', 'value', 'raisedAt', 'clearedAt'],
  properties: {
    id: { type: 'integer' },
    rule: { type: 'string', description: 'The rule id in config/alerts.json' },
    kind: { type: 'string' },
    subject: { type: 'string', description: "The endpoint's EAN, or the deadline rule's id" },
    message: { type: 'string' },
    value: { type: 'number', description: 'What the rule measured (seconds, a count)' },
    raisedAt: { type: 'string', format: 'date-time' },
    clearedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export function registerAlertRoutes(app: FastifyInstance, context: () => GatewayContext): void {
  app.get<{ Querystring: { cleared?: number } }>(
    '/api/v1/ops/alerts',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Alerts: open ones and the latest cleared',
        tags: ['operations'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { cleared: { type: 'integer', minimum: 0, maximum: 500, default: 50, description: 'How many cleared alerts to list' } },
        },
        response: {
          200: { type: 'object', required: ['open', 'cleared'], properties: { open: { type: 'array', items: ALERT }, cleared: { type: 'array', items: ALERT } } },
        },
      },
    },
    async (request) => guarded(() => alertsView(context(), request.query.cleared ?? 50)),
  );
}

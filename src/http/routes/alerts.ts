/**
 * `GET /api/v1/ops/alerts` (operations keys): the alerts the rules of config/alerts.json raised and
 * that still hold, newest first, and the most recently cleared ones.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { alertsView } from '../../app/alerts.js';
import { Open, problems, UNAVAILABLE } from '../schemas/common.js';

const Alert = Open({
  id: Type.Integer(),
  rule: Type.String({ description: 'The rule id in config/alerts.json' }),
  kind: Type.String(),
  subject: Type.String({ description: "The endpoint's EAN, or the deadline rule's id" }),
  message: Type.String(),
  value: Type.Number({ description: 'What the rule measured (seconds, a count)' }),
  raisedAt: Type.String({ format: 'date-time' }),
  clearedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const alerts: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/ops/alerts',
    {
      config: { auth: 'ops' },
      schema: {
        summary: 'Alerts: open ones and the latest cleared',
        tags: ['operations'],
        querystring: Type.Object(
          { cleared: Type.Optional(Type.Integer({ minimum: 0, maximum: 500, default: 50, description: 'How many cleared alerts to list' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Open({ open: Type.Array(Alert), cleared: Type.Array(Alert) }, { description: 'Open alerts, newest first, and the latest cleared ones' }),
          ...problems({ ...UNAVAILABLE }),
        },
      },
    },
    async (request) => alertsView(app.gateway, request.query.cleared ?? 50),
  );
};

export default alerts;

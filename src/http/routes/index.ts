/**
 * The gateway's routes. Each file in this folder is one Fastify plugin (like fastify/demo's
 * `routes/`): it declares its routes with TypeBox schemas for the request and every answer, reads the
 * use cases' context as `app.gateway` (decorated by plugins/gateway.ts) and calls the use cases in
 * src/app; refusals and outages become problem+json in the one error handler (plugins/errors.ts).
 *
 * Registered here in one explicit list rather than with @fastify/autoload: the list is short, the
 * compiler checks every import (autoload finds files at run time, so a misnamed or mis-exported file is
 * silently skipped), it reads the same from src/ under tsx and from dist/, and the order is visible.
 * A new route file is one line below.
 */
import type { FastifyInstance } from 'fastify';
import alerts from './alerts.js';
import deadlines from './deadlines.js';
import inbox from './inbox.js';
import messages from './messages.js';
import ops from './ops.js';
import opsEvents from './ops-events.js';
import opsPage from './ops-page.js';

export default async function gatewayRoutes(app: FastifyInstance): Promise<void> {
  await app.register(messages);
  await app.register(inbox);
  await app.register(deadlines);
  await app.register(alerts);
  await app.register(ops);
  await app.register(opsEvents);
  await app.register(opsPage);
}

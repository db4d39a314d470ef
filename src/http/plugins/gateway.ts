/**
 * The gateway's use cases reach the routes through decorators, not through closures handed to each
 * route file: `fastify.gateway` is the use cases' context, `fastify.inboxWaiter` wakes long-polls.
 * `fastify.inboxWork` runs a receiver's inbox transaction in its turn (see `MEDCOM_INBOX_CONCURRENCY`).
 * `fastify.gateway` is a getter: while the gateway is starting it throws the 503 problem (with
 * Retry-After), so a route simply reads it inside its handler and never checks readiness itself.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pLimit, { type LimitFunction } from 'p-limit';
import { Gauge } from 'prom-client';
import type { GatewayContext } from '../../app/context.js';
import type { OpsEventSource } from '../../domain/ops-event.js';

export interface InboxWaiter {
  /** A counter of the receiver's inbox changes seen by this process. */
  inboxVersion(ean: string): number;
  /**
   * Resolves when the receiver's inbox changed after `sinceVersion` (in any process), the time is up,
   * or the client left. Passing the version read before the empty lease closes the gap in which a
   * message arriving between "empty" and "waiting" would wake nobody.
   */
  waitForInbox(ean: string, timeoutMs: number, signal: AbortSignal, sinceVersion: number): Promise<'notified' | 'timeout' | 'aborted'>;
}

export interface GatewayAccess {
  /** The use cases' context; throws the 503 problem while the gateway is starting. */
  context(): GatewayContext;
  readonly inboxWaiter: InboxWaiter;
  /** Ops events of every process; throws the 503 problem while the gateway is starting. */
  opsEvents(): OpsEventSource;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The use cases' context. Read it in handlers: while starting, reading it throws a 503 problem. */
    readonly gateway: GatewayContext;
    readonly inboxWaiter: InboxWaiter;
    /**
     * Runs one inbox transaction (a lease, a fetch, an answer) when its turn comes: at most
     * `settings.inboxConcurrency` at once in this process, the rest first come, first served. A post
     * waits behind whatever the event loop and the store are busy with; under load, receivers' leases
     * wait instead and come back larger, which costs less per message. Never nest two.
     */
    readonly inboxWork: LimitFunction;
    /** Ops events of every process. Read it in handlers: while starting, reading it throws a 503 problem. */
    readonly opsEvents: OpsEventSource;
  }
}

async function gateway(app: FastifyInstance, access: GatewayAccess): Promise<void> {
  app.decorate('gateway', { getter: () => access.context() });
  app.decorate('inboxWaiter', access.inboxWaiter);
  const inboxWork = pLimit(app.settings.inboxConcurrency);
  app.decorate('inboxWork', inboxWork);
  // Receivers queuing for their turn is the first sign that this process's inbox work is the bottleneck.
  new Gauge({
    name: 'medcom_inbox_work_running',
    help: 'Inbox transactions (leases, fetches, answers) this process runs now (at most MEDCOM_INBOX_CONCURRENCY)',
    registers: [app.metrics.registry],
    collect() {
      this.set(inboxWork.activeCount);
    },
  });
  new Gauge({
    name: 'medcom_inbox_work_queued',
    help: 'Inbox transactions waiting for their turn in this process',
    registers: [app.metrics.registry],
    collect() {
      this.set(inboxWork.pendingCount);
    },
  });
  app.decorate('opsEvents', { getter: () => access.opsEvents() });
}

export default fp(gateway, { name: 'gateway', fastify: '5.x' });

/**
 * Ops events across gateway processes: published on the Redis channel `<prefix>:ops-events` and heard
 * by every process on one subscriber connection, which hands each event to this process's listeners
 * (the open `GET /api/v1/ops/events` streams). Publishing never fails the work that announced it: an
 * event that cannot be published is lost, and the page's next read shows the change all the same.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { OPS_EVENT_TYPES, type OpsEvent, type OpsEventMessage, type OpsEventSource } from '../domain/ops-event.js';
import type { Logger } from '../logging.js';
import { withTimeout } from '../with-timeout.js';
import { TurnBatch } from './turn-batch.js';

export type OpsEventListener = (event: OpsEventMessage) => void;

export const opsEventChannel = (prefix: string): string => `${prefix}:ops-events`;

const PUBLISH_TIMEOUT_MS = 2_000;

export class OpsEventBus implements OpsEventSource {
  private readonly listeners = new Set<OpsEventListener>();
  private started: Promise<void> | undefined;
  private closed = false;
  private readonly channel: string;
  private readonly unpublished = new TurnBatch<string>((messages) => this.publishAll(messages));
  private readonly onMessage = (channel: string, text: string): void => {
    if (channel !== this.channel) return;
    let event: OpsEventMessage;
    try {
      event = JSON.parse(text) as OpsEventMessage;
    } catch {
      return;
    }
    if (typeof event.id !== 'string' || !OPS_EVENT_TYPES.includes(event.type)) return;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: error }, 'an ops event listener failed');
      }
    }
  };

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = opsEventChannel(prefix);
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      this.subscriber.on('message', this.onMessage);
      await this.subscriber.subscribe(this.channel);
    })();
    return this.started;
  }

  /**
   * DeliverySignals.opsEvent: never rejects. The events of one turn of the event loop (the accepts of
   * one group-committed insert, say) go to Redis in one pipeline, one write instead of one each, in the
   * order they were announced; resolves once that pipeline is answered.
   */
  readonly publish = async (event: OpsEvent): Promise<void> => {
    if (this.closed) return;
    return this.unpublished.add(JSON.stringify({ id: randomUUID(), ...event }));
  };

  private async publishAll(messages: readonly string[]): Promise<void> {
    try {
      const pipeline = this.publisher.pipeline();
      for (const message of messages) pipeline.publish(this.channel, message);
      const results = await withTimeout(pipeline.exec(), PUBLISH_TIMEOUT_MS, 'publishing ops events');
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      this.logger.warn({ events: messages.length, err: error }, 'could not publish ops events');
    }
  }

  /** Hears every event from now on, from any process; call the returned function to stop. */
  subscribe(listener: OpsEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many listeners (open streams) this process has. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.subscriber.off('message', this.onMessage);
    if (this.started && this.subscriber.status === 'ready') {
      await withTimeout(this.subscriber.unsubscribe(this.channel), PUBLISH_TIMEOUT_MS, 'unsubscribing').catch(() => undefined);
    }
  }
}

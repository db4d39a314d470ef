/**
 * The ops event bus on real Redis: events announced in one turn of the event loop reach the other
 * processes in the order they were announced, sent in one pipeline.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logging.js';
import type { OpsEventMessage } from '../../src/domain/ops-event.js';
import { OpsEventBus } from '../../src/pipeline/ops-event-bus.js';
import { RedisConnections } from '../../src/pipeline/redis-connections.js';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';

const logger = createLogger({ level: 'silent' });
const { prefix, cleanup } = testQueuePrefix('ops-event-bus');
const connections = new RedisConnections(TEST_REDIS_URL, prefix, logger);

afterAll(async () => {
  await connections.closeAll();
  await cleanup();
});

describe('ops event bus', () => {
  it('sends the events of one turn in one pipeline, heard elsewhere in the order they were announced', async () => {
    const publisher = connections.create('events-publisher');
    const a = new OpsEventBus(publisher, connections.create('events-subscriber'), prefix, logger);
    const b = new OpsEventBus(connections.create('publisher'), connections.create('events-subscriber'), prefix, logger);
    await Promise.all([a.start(), b.start()]);
    const heard: OpsEventMessage[] = [];
    b.subscribe((event) => heard.push(event));
    const pipelines = vi.spyOn(publisher, 'pipeline');
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => a.publish({ type: 'message-accepted', at: new Date(0).toISOString(), data: { messageId: `m${i}` } })),
      );
      expect(pipelines).toHaveBeenCalledTimes(1);
      await vi.waitUntil(() => heard.length >= 30, { timeout: 5_000 });
      expect(heard.map((e) => e.data.messageId)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
      expect(new Set(heard.map((e) => e.id)).size).toBe(30);
      // The next turn's event is a publish of its own.
      await a.publish({ type: 'message-accepted', at: new Date(0).toISOString(), data: { messageId: 'later' } });
      expect(pipelines).toHaveBeenCalledTimes(2);
      await vi.waitUntil(() => heard.length === 31, { timeout: 5_000 });
    } finally {
      pipelines.mockRestore();
      await a.close();
      await b.close();
    }
  });
});

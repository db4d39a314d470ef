/**
 * The inbox notifier on real Redis: a waiter in one process (its own connections) is woken by a
 * notification from another, each waiter resolves exactly once, and nothing is left behind.
 */
import { getEventListeners } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { InboxNotifier } from '../../src/pipeline/inbox-notifier.js';
import { checkRedis } from '../../src/pipeline/pipeline.js';
import { RedisConnections } from '../../src/pipeline/redis-connections.js';
import { TEST_REDIS_URL, testQueuePrefix } from '../support/redis.js';

const logger = createLogger({ level: 'silent' });
const { prefix, cleanup } = testQueuePrefix('inbox-notifier');
const MUNICIPALITY = '5790000000036';
const OTHER = '5790000000043';

interface Process {
  readonly notifier: InboxNotifier;
  readonly connections: RedisConnections;
  readonly subscriber: Redis;
}

const processes: Process[] = [];

async function startProcess(processPrefix = prefix): Promise<Process> {
  const connections = new RedisConnections(TEST_REDIS_URL, processPrefix, logger);
  const subscriber = connections.create('subscriber');
  const notifier = new InboxNotifier(connections.create('publisher'), subscriber, processPrefix, logger);
  await notifier.start();
  const started = { notifier, connections, subscriber };
  processes.push(started);
  return started;
}

let a: Process;
let b: Process;

beforeAll(async () => {
  a = await startProcess();
  b = await startProcess();
});

afterEach(() => {
  // Every test leaves no waiter behind.
  expect(a.notifier.waiterCount()).toBe(0);
  expect(b.notifier.waiterCount()).toBe(0);
});

afterAll(async () => {
  for (const p of processes) {
    await p.notifier.close();
    await p.connections.closeAll();
  }
  await cleanup();
});

describe('inbox notifier', () => {
  it('wakes a waiter in another process', async () => {
    const waiting = a.notifier.waitForInbox(MUNICIPALITY, 10_000);
    expect(a.notifier.waiterCount(MUNICIPALITY)).toBe(1);
    const started = Date.now();
    await b.notifier.inboxChanged([MUNICIPALITY]);
    await expect(waiting).resolves.toBe('notified');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('wakes every waiter of that EAN once, and no other EAN', async () => {
    const settled: string[] = [];
    const waits = Array.from({ length: 25 }, (_, i) =>
      a.notifier.waitForInbox(MUNICIPALITY, 10_000).then((outcome) => {
        settled.push(`${i}:${outcome}`);
        return outcome;
      }),
    );
    const other = a.notifier.waitForInbox(OTHER, 300);
    await b.notifier.inboxChanged([MUNICIPALITY, MUNICIPALITY]);
    expect(await Promise.all(waits)).toEqual(Array(25).fill('notified'));
    expect(settled).toHaveLength(25);
    await expect(other).resolves.toBe('timeout');
  });

  it('tells the other processes once per inbox for all the changes of one turn of the event loop', async () => {
    const heard: string[] = [];
    const listener = (_pattern: string, channel: string): void => void heard.push(channel);
    b.subscriber.on('pmessage', listener);
    try {
      const waiting = b.notifier.waitForInbox(OTHER, 5_000);
      await Promise.all([
        ...Array.from({ length: 20 }, () => a.notifier.inboxChanged([MUNICIPALITY])),
        a.notifier.inboxChanged([OTHER, MUNICIPALITY]),
      ]);
      expect(await waiting).toBe('notified');
      // The publishes have resolved; the messages reach b's subscriber a moment later (and any extra one with them).
      await vi.waitUntil(() => heard.length >= 2, { timeout: 5_000 });
      await b.notifier.waitForInbox('5790000000999', 100);
      expect(heard.sort()).toEqual([`${prefix}:inbox:${MUNICIPALITY}`, `${prefix}:inbox:${OTHER}`]);
      // A change after that publish is published again.
      await a.notifier.inboxChanged([MUNICIPALITY]);
      await vi.waitUntil(() => heard.length >= 3, { timeout: 5_000 });
      expect(heard).toHaveLength(3);
    } finally {
      b.subscriber.off('pmessage', listener);
    }
  });

  it('wakes waiters of the publishing process too, at once', async () => {
    const waiting = a.notifier.waitForInbox(MUNICIPALITY, 10_000);
    await a.notifier.inboxChanged([MUNICIPALITY]);
    await expect(waiting).resolves.toBe('notified');
  });

  it('times out, and an abort ends the wait early', async () => {
    const started = Date.now();
    await expect(a.notifier.waitForInbox(MUNICIPALITY, 150)).resolves.toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const controller = new AbortController();
    const waiting = a.notifier.waitForInbox(MUNICIPALITY, 10_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBe('aborted');
    await expect(a.notifier.waitForInbox(MUNICIPALITY, 10_000, controller.signal)).resolves.toBe('aborted');
    await expect(a.notifier.waitForInbox(MUNICIPALITY, 0)).resolves.toBe('timeout');
  });

  it('a wait resolves once: a later notification or abort changes nothing', async () => {
    const controller = new AbortController();
    const waiting = a.notifier.waitForInbox(MUNICIPALITY, 10_000, controller.signal);
    await b.notifier.inboxChanged([MUNICIPALITY]);
    await expect(waiting).resolves.toBe('notified');
    controller.abort();
    await b.notifier.inboxChanged([MUNICIPALITY]);
    await expect(waiting).resolves.toBe('notified');
  });

  it('does not miss a notification that came between looking at the inbox and waiting', async () => {
    const version = a.notifier.inboxVersion(OTHER);
    // (the route found the inbox empty here) … a message arrives before it starts waiting:
    await b.notifier.inboxChanged([OTHER]);
    await waitUntil(() => a.notifier.inboxVersion(OTHER) > version);
    await expect(a.notifier.waitForInbox(OTHER, 10_000, undefined, version)).resolves.toBe('notified');
  });

  it('leaves no timers or abort listeners behind', async () => {
    const controller = new AbortController();
    for (let round = 0; round < 50; round += 1) {
      const waiting = a.notifier.waitForInbox(MUNICIPALITY, 10_000, controller.signal);
      await b.notifier.inboxChanged([MUNICIPALITY]);
      await waiting;
    }
    expect(a.notifier.waiterCount()).toBe(0);
    // A signal that stayed registered 50 times would warn (MaxListenersExceeded) and keep the waiters alive.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('keeps gateways with different prefixes apart', async () => {
    const stranger = await startProcess(`${prefix}-other`);
    const waiting = stranger.notifier.waitForInbox(MUNICIPALITY, 300);
    await b.notifier.inboxChanged([MUNICIPALITY]);
    await expect(waiting).resolves.toBe('timeout');
  });

  it('close() releases every waiter', async () => {
    const p = await startProcess();
    const waits = [p.notifier.waitForInbox(MUNICIPALITY, 10_000), p.notifier.waitForInbox(OTHER, 10_000)];
    await p.notifier.close();
    expect(await Promise.all(waits)).toEqual(['aborted', 'aborted']);
    await expect(p.notifier.waitForInbox(MUNICIPALITY, 10_000)).resolves.toBe('aborted');
  });
});

describe('checkRedis', () => {
  it('answers for a reachable Redis and refuses an unreachable one without leaking the password', async () => {
    await expect(checkRedis(TEST_REDIS_URL)).resolves.toEqual({ latencyMs: expect.any(Number) });
    await expect(checkRedis('redis://:s3cret@127.0.0.1:1', 500)).rejects.toThrow(/127\.0\.0\.1:1/);
    await expect(checkRedis('redis://:s3cret@127.0.0.1:1', 500)).rejects.not.toThrow(/s3cret/);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

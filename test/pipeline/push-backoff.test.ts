/** The push retry schedule: exponential, jittered both ways, capped. */
import { describe, expect, it } from 'vitest';
import { PUSH_BACKOFF_CAP_MS, PUSH_BACKOFF_JITTER, pushBackoffDelay, pushBackoffStrategy } from '../../src/pipeline/push-backoff.js';
import { inboxChannel, inboxChannelPattern, eanOfInboxChannel, jobIdOf, outboxIdOf, queueNameOf } from '../../src/pipeline/queue-names.js';

describe('push backoff', () => {
  it('doubles from pushBackoffMs without jitter at the midpoint', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => pushBackoffDelay(n, 2000, mid))).toEqual([2000, 4000, 8000, 16000, 32000]);
  });

  it('jitters by ±20 % and stays inside the band', () => {
    expect(pushBackoffDelay(3, 1000, () => 0)).toBe(4000 * (1 - PUSH_BACKOFF_JITTER));
    expect(pushBackoffDelay(3, 1000, () => 0.999999)).toBeCloseTo(4000 * (1 + PUSH_BACKOFF_JITTER), -1);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const delay = pushBackoffDelay(2, 1000);
      expect(delay).toBeGreaterThanOrEqual(1600);
      expect(delay).toBeLessThanOrEqual(2400);
      seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(20); // really random, so retries of many deliveries spread out
  });

  it('never waits longer than an hour, even after many attempts', () => {
    expect(pushBackoffDelay(40, 2000, () => 0.999)).toBe(PUSH_BACKOFF_CAP_MS);
    expect(pushBackoffDelay(2000, 2000, () => 0.5)).toBe(PUSH_BACKOFF_CAP_MS);
    expect(pushBackoffDelay(40, 2000, () => 0)).toBe(PUSH_BACKOFF_CAP_MS * (1 - PUSH_BACKOFF_JITTER));
  });

  it('is what the BullMQ strategy returns', async () => {
    const strategy = pushBackoffStrategy(500, () => 0.5);
    expect(await strategy(1)).toBe(500);
    expect(await strategy(3)).toBe(2000);
  });
});

describe('queue names', () => {
  it('derives job ids from outbox ids and back', () => {
    expect(jobIdOf(42)).toBe('outbox-42');
    expect(outboxIdOf('outbox-42')).toBe(42);
    expect(outboxIdOf('repeat:x')).toBeUndefined();
    expect(outboxIdOf('outbox-x')).toBeUndefined();
    expect(queueNameOf('push')).toBe('push');
    expect(queueNameOf('receipt-watchdog')).toBe('timers');
  });

  it('names inbox channels under the prefix', () => {
    expect(inboxChannel('medcom', '5790000000036')).toBe('medcom:inbox:5790000000036');
    expect(eanOfInboxChannel('medcom', 'medcom:inbox:5790000000036')).toBe('5790000000036');
    expect(eanOfInboxChannel('medcom', 'medcom2:inbox:5790000000036')).toBeUndefined();
    expect(inboxChannelPattern('a*b')).toBe('a\\*b:inbox:*');
  });
});

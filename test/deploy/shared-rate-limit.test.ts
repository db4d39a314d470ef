/**
 * Several API processes behind one load balancer share their rate-limit counters in Redis: a key's
 * budget is the same whichever process its requests reach. While Redis is away, requests still pass.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../support/redis.js';
import { HOSPITAL, startTestGateway, type TestGateway } from '../support/gateway.js';

const opened: TestGateway[] = [];
afterAll(async () => {
  for (const gw of opened.reverse()) await gw.close();
});

describe('rate limits across API processes', () => {
  it('count one budget per key in Redis, and let requests through while Redis is away', async () => {
    const redis = await startPrivateRedis();
    try {
      const env = { MEDCOM_RATE_LIMIT_PER_MINUTE: '3', REDIS_URL: redis.url };
      const first = await startTestGateway({ env, workers: false });
      opened.push(first);
      const second = await startTestGateway({ env, workers: false, sharedWith: first });
      opened.push(second);
      const statuses: number[] = [];
      for (const gw of [first, second, first, second]) statuses.push((await gw.get(HOSPITAL, '/api/v1/inbox')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);

      await redis.stop();
      const other = await second.get('5790000000036', '/api/v1/inbox');
      expect(other.statusCode, 'a Redis outage does not refuse requests').not.toBe(429);
      expect(other.statusCode).toBeLessThan(500);
    } finally {
      for (const gw of opened.splice(0).reverse()) await gw.close();
      await redis.stop();
    }
  });
});

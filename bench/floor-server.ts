/**
 * The floor the gateway is compared with: a bare Fastify server whose one route does what accepting a
 * message cannot do without: one durable PostgreSQL INSERT of the body (its own commit, synchronous
 * commit as configured on the server) and one BullMQ `queue.add` with an id-only payload. No
 * validation, no routing, no auth, no logging. Started by gateway-bench.ts as a child process.
 *
 * Env: PORT, HOST (127.0.0.1), DATABASE_URL, REDIS_URL, FLOOR_QUEUE_PREFIX, FLOOR_PG_POOL (10, the
 * gateway's pool size), MAX_BODY_BYTES.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? '127.0.0.1';
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.FLOOR_QUEUE_PREFIX ?? 'medcom-bench-floor';
const poolSize = Number(process.env.FLOOR_PG_POOL ?? 10);
const maxBodyBytes = Number(process.env.MAX_BODY_BYTES ?? 10 * 1024 * 1024);

async function main(): Promise<void> {
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE TABLE IF NOT EXISTS floor_messages (
    id uuid PRIMARY KEY, sender text NOT NULL, body bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);

  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  connection.on('error', () => undefined);
  const queue = new Queue<{ id: string }>('floor', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  await queue.waitUntilReady();

  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes });
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.post('/api/v1/messages', async (request, reply) => {
    const id = randomUUID();
    const sender = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    await pool.query('INSERT INTO floor_messages (id, sender, body) VALUES ($1, $2, $3)', [id, sender, request.body as Buffer]);
    await queue.add('message', { id });
    reply.code(202);
    return { id };
  });
  await app.listen({ port, host });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await app.close();
      await queue.close();
      connection.disconnect();
      await pool.end();
    })().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`floor server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});

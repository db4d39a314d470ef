/**
 * A BullMQ worker whose graceful close ends in bounded time. BullMQ's `close()` stops taking jobs,
 * waits for the ones in flight and their bookkeeping in Redis, aborts the blocked read (BZPOPMIN, on
 * the connection BullMQ duplicates from ours) and closes that connection. After Redis went away, it
 * could wait forever, whether Redis came back or not:
 * - BullMQ aborts the blocked read with a disconnect, which ioredis cannot carry out while that
 *   connection waits between reconnect attempts (see endRedis): the read then never returns. Nothing
 *   but that read uses the blocking connection, so it is ended here at once, in every state.
 * - A worker's own connection waits for Redis without limit (BullMQ requires
 *   `maxRetriesPerRequest: null`), so a job's completion, or a timer job's re-delay, waits as long
 *   as Redis is away.
 * So the jobs in flight are waited for (up to `inFlightLimitMs`, as long as any of them may take),
 * then BullMQ gets `graceMs` to finish with Redis. After that the worker is cut loose, with a warning:
 * it sends no more job bookkeeping, and what it still waited for fails as a lost connection. Nothing
 * accepted is lost by that: the store is the record, and a job whose end did not reach Redis runs
 * again (as a stalled job, or through the reconciler) and finds its work done.
 */
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging.js';
import { QuietWhenClosedConnection } from './quiet-connection.js';
import { copiesOf, endRedis } from './redis-connections.js';

/** How long a worker may take with Redis once its jobs have ended: BullMQ needs milliseconds when Redis answers. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;

export interface BoundedCloseOptions {
  readonly logger: Logger;
  /** How long a job in flight may still run at close: the longest a job can take by its own time limits. */
  readonly inFlightLimitMs: number;
  readonly graceMs?: number;
}

/**
 * Whether `promise` settles within `ms`. The timer keeps the process alive (unlike withTimeout's): a
 * shutdown waiting here must not be cut short by the process ending before the store is closed.
 */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class BoundedWorker<DataType, ResultType, NameType extends string> extends Worker<DataType, ResultType, NameType> {
  /** The processor's runs in flight. */
  private readonly jobsInFlight: Set<Promise<ResultType>>;

  private readonly connectionGiven: Redis;

  private readonly bounds: BoundedCloseOptions;

  private bounded: Promise<void> | undefined;

  /** `opts.connection` should be made by a RedisConnections, which knows the copy BullMQ makes of it. */
  constructor(
    name: string,
    processor: (job: Job<DataType, ResultType, NameType>, token?: string, signal?: AbortSignal) => Promise<ResultType>,
    opts: WorkerOptions & { readonly connection: Redis },
    bounds: BoundedCloseOptions,
  ) {
    const jobsInFlight = new Set<Promise<ResultType>>();
    const counted = (run: Promise<ResultType>): Promise<ResultType> => {
      jobsInFlight.add(run);
      const forget = (): void => {
        jobsInFlight.delete(run);
      };
      run.then(forget, forget);
      return run;
    };
    // BullMQ hands a job an AbortSignal only when the processor takes a third parameter: keep its arity.
    super(
      name,
      processor.length >= 3 ? (job, token, signal) => counted(processor(job, token, signal)) : (job, token) => counted(processor(job, token)),
      opts,
      QuietWhenClosedConnection,
    );
    this.jobsInFlight = jobsInFlight;
    this.connectionGiven = opts.connection;
    this.bounds = bounds;
  }

  /** Until no job is in flight (one may start as another ends: it was fetched before the close took hold). */
  private async jobsEnded(): Promise<void> {
    while (this.jobsInFlight.size > 0) await Promise.allSettled([...this.jobsInFlight]);
  }

  /** Stops taking jobs, waits for the ones in flight, and returns in bounded time whatever Redis does. `force` is BullMQ's: no waiting for jobs. */
  override close(force = false): Promise<void> {
    if (force) return super.close(true);
    this.bounded ??= this.closeBounded();
    return this.bounded;
  }

  private async closeBounded(): Promise<void> {
    for (const copy of copiesOf(this.connectionGiven)) endRedis(copy);
    // What waited on the blocking connection fails now; BullMQ's own wrapper of that connection (not
    // a QuietWhenClosedConnection) must still be listening when its unfinished start fails, so BullMQ
    // closes it only after that has run its course. A blocked read that fails before the close takes
    // hold only makes the worker wait its short retry delay.
    await new Promise((resolve) => setImmediate(resolve));
    const closing = super.close();
    const graceMs = this.bounds.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
    const limit = Date.now() + this.bounds.inFlightLimitMs;
    for (;;) {
      await settlesWithin(Promise.race([closing, this.jobsEnded()]), limit - Date.now());
      if (await settlesWithin(closing, graceMs)) return closing;
      if (this.jobsInFlight.size === 0 || Date.now() >= limit) break;
    }
    this.bounds.logger.warn(
      { queue: this.name, jobsInFlight: this.jobsInFlight.size, graceMs, redisStatus: this.connectionGiven.status },
      'the worker did not stop in time (is Redis away?): it is cut loose from Redis; a job whose end did not reach Redis runs again later and finds its work recorded',
    );
    // BullMQ's own switch for "send no more job bookkeeping", which its close turns on only after
    // that bookkeeping is done. Without it, a completion failing on the ended connection below would
    // be retried at once, again and again, for as long as the worker is closing.
    this.connection.closing = true;
    endRedis(this.connectionGiven);
    if (await settlesWithin(closing, graceMs)) return closing;
    this.bounds.logger.error({ queue: this.name }, 'the worker has still not stopped; the shutdown goes on without it');
  }
}

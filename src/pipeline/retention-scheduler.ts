/**
 * Prunes message bodies past the retention policy (src/app/retention.ts) in worker processes: once
 * at start, then every `settings.retentionIntervalMs`, like the outbox reconciler. Several workers
 * may run it at once: each prune skips the rows another is removing.
 */
import { pruneExpiredBodies } from '../app/retention.js';
import { describeRetentionPolicy, type RetentionPolicy } from '../domain/retention.js';
import type { Logger } from '../logging.js';
import type { Database } from '../store/database.js';
import type { PruneResult } from '../store/retention-store.js';
import { PeriodicTask } from './periodic-task.js';

export class RetentionScheduler {
  private readonly task: PeriodicTask<PruneResult>;

  constructor(
    db: Database,
    private readonly policy: RetentionPolicy,
    clock: () => Date,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {
    this.task = new PeriodicTask(
      () => pruneExpiredBodies(db, policy, clock()),
      intervalMs,
      (error) => logger.warn({ err: error }, 'pruning message bodies failed; trying again at the next interval'),
      (result) => {
        if (result.messages > 0) logger.info({ messages: result.messages, bytes: result.bytes }, 'pruned message bodies past the retention policy');
      },
    );
  }

  /** One prune now (passes in one process never overlap). */
  pruneOnce(): Promise<PruneResult> {
    return this.task.runOnce();
  }

  start(): void {
    this.logger.info({ retention: describeRetentionPolicy(this.policy), intervalMs: this.intervalMs }, 'message body retention is on');
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}

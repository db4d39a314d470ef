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

export class RetentionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly policy: RetentionPolicy,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  /** One prune now (passes in one process never overlap). */
  pruneOnce(): Promise<PruneResult> {
    const pass = this.chain.then(() => pruneExpiredBodies(this.db, this.policy, this.clock()));
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.logger.info({ retention: describeRetentionPolicy(this.policy), intervalMs: this.intervalMs }, 'message body retention is on');
    void this.tick();
  }

  private async tick(): Promise<void> {
    try {
      const result = await this.pruneOnce();
      if (result.messages > 0) this.logger.info({ messages: result.messages, bytes: result.bytes }, 'pruned message bodies past the retention policy');
    } catch (error) {
      this.logger.warn({ err: error }, 'pruning message bodies failed; trying again at the next interval');
    }
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }
}

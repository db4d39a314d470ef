/**
 * The `outbox(entries)` half of DeliverySignals: after a transaction commits, its outbox entries
 * become jobs (push entries on `push` now, receipt watchdogs on `timers` at their due time).
 *
 * Dispatching is an optimisation, not the record: the entries are committed already, and the outbox
 * reconciler re-creates any job that never made it. So when Redis is slow or away this logs and
 * returns instead of failing (or holding up) the request whose commit produced the entries.
 */
import type { DeliverySignals } from '../app/context.js';
import type { Logger } from '../logging.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { PipelineQueues } from './queues.js';
import { withTimeout } from '../with-timeout.js';
import { TurnBatch } from './turn-batch.js';

export const DEFAULT_DISPATCH_TIMEOUT_MS = 2_000;

export class OutboxDispatcher implements Pick<DeliverySignals, 'outbox'> {
  constructor(
    private readonly queues: PipelineQueues,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly timeoutMs = DEFAULT_DISPATCH_TIMEOUT_MS,
  ) {}

  /** Adds the entries' jobs; rejects when Redis does not take them. */
  async dispatch(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await withTimeout(this.queues.add(entries, this.clock()), this.timeoutMs, 'adding queue jobs');
  }

  /** DeliverySignals.outbox: never rejects (see above). The entries of one turn of the event loop are added together. */
  readonly outbox = async (entries: readonly OutboxEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    return this.committed.add(...entries);
  };

  private readonly committed = new TurnBatch<OutboxEntry>((entries) => this.dispatchOrLog(entries));

  private async dispatchOrLog(entries: readonly OutboxEntry[]): Promise<void> {
    try {
      await this.dispatch(entries);
    } catch (error) {
      this.logger.warn(
        { outboxIds: entries.map((e) => e.id), err: error },
        'could not queue committed outbox entries now; the outbox reconciler will',
      );
    }
  }
}

/**
 * What a queue job carries: ids, never patient data (DESIGN.md, principle 1). Everything else is
 * read from the store when the job runs, so a job is only ever a pointer to an outbox row.
 */
export interface OutboxJobData {
  /** The outbox row the job was derived from; its job id is `outbox-<outboxId>`. */
  readonly outboxId: number;
  /** Push and receipt-watchdog jobs. */
  readonly deliveryId?: string;
  /** Deadline breach timers. */
  readonly deadlineId?: string;
}

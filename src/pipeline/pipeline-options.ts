/**
 * How a process runs the pipeline. An API-only process (`workers: false`) dispatches jobs and
 * publishes inbox notifications; a worker process also processes jobs and reconciles the outbox.
 */
export interface PipelineOptions {
  /** Run the push and timer workers and the periodic outbox reconciler in this process. */
  readonly workers: boolean;
  /** Pushes in flight at once in this process (default 8). */
  readonly pushConcurrency?: number;
  /** Timer jobs in flight at once in this process (default 4). */
  readonly timerConcurrency?: number;
  /**
   * How long the dispatcher waits for Redis before giving up on adding a job (default 2000 ms).
   * Giving up loses nothing: the committed outbox row is picked up by the reconciler.
   */
  readonly dispatchTimeoutMs?: number;
}

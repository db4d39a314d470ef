/**
 * Maintenance work a process repeats on a timer (the outbox reconciler, the retention job): once at
 * start, then every interval after the previous pass ended, never two passes at once in one process.
 * The timer is unref'd, so it never keeps a process alive on its own; `stop()` waits for a pass in
 * progress.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<T>,
    private readonly intervalMs: number,
    /** A failed scheduled pass: report it; the next interval tries again. */
    private readonly onError: (error: unknown) => void,
    private readonly onResult: (result: T) => void = () => undefined,
  ) {}

  /** One pass now, after any pass in progress. */
  runOnce(): Promise<T> {
    const pass = this.chain.then(() => this.work());
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  private async tick(): Promise<void> {
    try {
      this.onResult(await this.runOnce());
    } catch (error) {
      this.onError(error);
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

/**
 * Collects what the code running in one turn of the event loop hands over, and sends it all at once
 * at the end of that turn (setImmediate): the accepts of one group-committed insert finish in the same
 * turn, and their Redis notifications, events and jobs then cost one round trip, not one each.
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private flushing: Promise<void> | undefined;

  /** @param send sends one turn's items, in the order they were added; must not reject */
  constructor(private readonly send: (items: T[]) => Promise<void>) {}

  /** Adds items to this turn's batch; resolves once the batch has been sent. */
  add(...items: T[]): Promise<void> {
    this.items.push(...items);
    this.flushing ??= new Promise((resolve) => setImmediate(resolve)).then(() => {
      // What is added from here on goes with the next turn's batch.
      const batch = this.items;
      this.items = [];
      this.flushing = undefined;
      return this.send(batch);
    });
    return this.flushing;
  }
}

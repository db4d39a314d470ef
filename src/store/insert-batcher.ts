/**
 * Group commit for accepted messages. Concurrent accepts that arrive while earlier inserts are on
 * their way to PostgreSQL are written together in one statement and one durable commit, instead of
 * one commit each; a lone message is written at once, so nothing waits for company. If a shared
 * statement fails (one message reused an envelope identifier), each message is written alone so each
 * gets its own answer.
 */
import type { Queryable } from './database.js';
import { insertMessages, type InsertOutcome, type MessageInsert } from './message-store.js';

interface Pending {
  readonly insert: MessageInsert;
  readonly at: Date;
  resolve(outcome: InsertOutcome): void;
  reject(error: unknown): void;
}

export class InsertBatcher {
  private readonly waiting: Pending[] = [];
  private inFlight = 0;

  /**
   * @param maxBatch most messages in one statement
   * @param maxInFlight statements under way at once; more arrivals wait and form the next batch
   */
  constructor(
    private readonly db: Queryable,
    private readonly maxBatch = 64,
    private readonly maxInFlight = 2,
  ) {}

  insert(insert: MessageInsert, at: Date): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ insert, at, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    // The batch's time is its newest member's: every member was accepted by then.
    const at = batch.reduce((latest, p) => (p.at > latest ? p.at : latest), batch[0]?.at as Date);
    try {
      const outcomes = await insertMessages(this.db, batch.map((p) => p.insert), at);
      batch.forEach((pending, index) => pending.resolve(outcomes[index] as InsertOutcome));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          const [outcome] = await insertMessages(this.db, [pending.insert], pending.at);
          pending.resolve(outcome as InsertOutcome);
        } catch (single) {
          pending.reject(single);
        }
      }
    }
  }
}

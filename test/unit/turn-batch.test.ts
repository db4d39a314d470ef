import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../src/pipeline/turn-batch.js';

describe('TurnBatch', () => {
  it('sends what one turn of the event loop added at once, in order, and resolves every adder after the send', async () => {
    const sent: number[][] = [];
    let sending = 0;
    const batch = new TurnBatch<number>(async (items) => {
      sending += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      sent.push(items);
      sending -= 1;
    });
    const first = Promise.all([batch.add(1), batch.add(2, 3), Promise.resolve().then(() => batch.add(4))]);
    expect(sent).toEqual([]);
    await first;
    expect(sent).toEqual([[1, 2, 3, 4]]);
    expect(sending).toBe(0);
    // A later turn is a send of its own; adding while a send is under way starts the next batch.
    const second = batch.add(5);
    await new Promise((resolve) => setImmediate(resolve));
    const third = batch.add(6);
    await Promise.all([second, third]);
    expect(sent).toEqual([[1, 2, 3, 4], [5], [6]]);
  });
});

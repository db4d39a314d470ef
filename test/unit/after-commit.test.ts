/**
 * Ops events of a transaction's changes are told only after it commits: a live view never hears of an
 * answer, a dead letter or a breach that then rolled back.
 */
import { describe, expect, it } from 'vitest';
import { inTransaction, type GatewayContext } from '../../src/app/context.js';
import type { OpsEvent } from '../../src/domain/ops-event.js';

function contextTelling(heard: OpsEvent[], outcome: 'commit' | 'rollback'): GatewayContext {
  const db = {
    async transaction<T>(work: (tx: unknown) => Promise<T>): Promise<T> {
      const result = await work({});
      if (outcome === 'rollback') throw new Error('serialization failure');
      return result;
    },
  };
  const signals = {
    outbox: async () => undefined,
    inboxChanged: async () => undefined,
    opsEvent: async (event: OpsEvent) => {
      heard.push(event);
    },
  };
  return { db, signals, clock: () => new Date('2026-12-01T10:00:00Z') } as unknown as GatewayContext;
}

describe('ops events after commit', () => {
  it('tells nothing while the transaction runs and everything once it has committed', async () => {
    const heard: OpsEvent[] = [];
    await inTransaction(contextTelling(heard, 'commit'), async (_tx, effects) => {
      effects.announce({ clock: () => new Date('2026-12-01T10:00:00Z') }, 'acknowledged', { deliveryId: 'd1' });
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual([{ type: 'acknowledged', at: '2026-12-01T10:00:00.000Z', data: { deliveryId: 'd1' } }]);
  });

  it('tells nothing of a transaction that rolled back', async () => {
    const heard: OpsEvent[] = [];
    await expect(
      inTransaction(contextTelling(heard, 'rollback'), async (_tx, effects) => {
        effects.announce({ clock: () => new Date() }, 'dead-lettered', { deliveryId: 'd2' });
      }),
    ).rejects.toThrow('serialization failure');
    expect(heard).toEqual([]);
  });
});

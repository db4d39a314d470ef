/**
 * Applying the retention policy: remove the bodies it lets go, a batch at a time (short statements,
 * so the accept path never waits long behind a prune), then vacuum so the space is reused.
 */
import { retentionCutoffs, type RetentionPolicy } from '../domain/retention.js';
import type { Database } from '../store/database.js';
import { findPrunable, pruneBodies, vacuumBodies, type PrunableByType, type PruneResult } from '../store/retention-store.js';

export const PRUNE_BATCH_SIZE = 500;

/** What `pruneExpiredBodies` would remove at `now`, per message type. */
export async function previewRetention(db: Database, policy: RetentionPolicy, now: Date): Promise<PrunableByType[]> {
  return findPrunable(db, retentionCutoffs(policy, now));
}

export async function pruneExpiredBodies(db: Database, policy: RetentionPolicy, now: Date, batchSize = PRUNE_BATCH_SIZE): Promise<PruneResult> {
  const cutoffs = retentionCutoffs(policy, now);
  let messages = 0;
  let bytes = 0;
  for (;;) {
    const batch = await pruneBodies(db, cutoffs, now, batchSize);
    messages += batch.messages;
    bytes += batch.bytes;
    if (batch.messages < batchSize) break;
  }
  if (messages > 0) await vacuumBodies(db);
  return { messages, bytes };
}

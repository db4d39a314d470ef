/**
 * Dead letters: push deliveries that failed every attempt. Ops list them and put chosen ones (by id,
 * or all matching a filter, at most a bounded number at a time) back in the queue; each retried
 * delivery gets a timeline event and an audit row naming the operator and the reason.
 */
import { listDeadLetters, type DeadLetter, type DeadLetterFilter, type Requeued } from '../store/ops-queries.js';
import { retryDeadLettered } from './delivery-lifecycle.js';
import { inTransaction, type GatewayContext } from './context.js';
import { UUID_KEY, decodeCursor, encodeCursor } from './keyset-cursor.js';
import { recordAudit } from './ops-audit.js';
import { EAN, InputProblems, UUID, checkPeriod, requireReason, type Operator } from './ops-input.js';
import { Refusal } from './refusal.js';

export const MAX_RETRY_BATCH = 1000;
export const DEFAULT_RETRY_BATCH = 100;

/** The dead-letter list's query string: the filter's fields as text, and the page. */
export type DeadLetterQuery = { readonly [K in keyof DeadLetterFilter | 'cursor']?: string } & { readonly limit?: string | number };

/** A dead letter as the API shows it: the store's row with its instants as ISO strings. */
export type DeadLetterItem = Omit<DeadLetter, 'deadKey' | 'receivedAt' | 'deadAt'> & { readonly receivedAt: string; readonly deadAt: string };

function filterOf(query: Omit<DeadLetterQuery, 'cursor' | 'limit'>, input: InputProblems): DeadLetterFilter {
  const receiver = input.matching('receiver', query.receiver, EAN, 'a 13-digit location number (EAN)');
  const type = input.text(query.type)?.toUpperCase();
  const from = input.instant('from', query.from);
  const to = input.instant('to', query.to);
  return { ...(receiver ? { receiver } : {}), ...(type ? { type } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** `GET /api/v1/ops/dead-letters`: the most recently dead first. */
export async function listDeadLettersView(ctx: GatewayContext, query: DeadLetterQuery): Promise<{ items: DeadLetterItem[]; nextCursor?: string }> {
  const input = new InputProblems();
  const filter = filterOf(query, input);
  const limit = input.limit(query.limit);
  input.check('Invalid dead-letter query');
  checkPeriod(filter.from, filter.to);
  const cursor = input.text(query.cursor);
  const before = cursor ? decodeCursor(cursor, UUID_KEY) : undefined;
  const rows = await listDeadLetters(ctx.db, filter, { limit: limit + 1, ...(before ? { before: { at: before.at, id: before.key } } : {}) });
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(({ deadKey: _key, receivedAt, deadAt, ...rest }) => ({ ...rest, receivedAt: receivedAt.toISOString(), deadAt: deadAt.toISOString() })),
    ...(rows.length > limit && last ? { nextCursor: encodeCursor({ at: last.deadKey, key: last.deliveryId }) } : {}),
  };
}

export interface RetryRequest {
  /** The dead deliveries to retry… */
  readonly ids?: readonly string[];
  /** …or those matching this filter (an empty filter: every dead letter), oldest dead first. */
  readonly filter?: Omit<DeadLetterQuery, 'cursor' | 'limit'>;
  /** At most this many (default 100, at most 1000). */
  readonly max?: number;
  readonly reason: unknown;
}

export interface RetryResult {
  readonly requeued: readonly Requeued[];
}

/** `POST /api/v1/ops/dead-letters/retry`. Ids that are not (or no longer) dead are skipped. */
export async function retryDeadLetters(ctx: GatewayContext, operator: Operator, request: RetryRequest): Promise<RetryResult> {
  const reason = requireReason(request.reason);
  const input = new InputProblems();
  if ((request.ids === undefined) === (request.filter === undefined)) input.add('ids', 'give either ids or a filter');
  if (request.ids && (request.ids.length === 0 || request.ids.length > MAX_RETRY_BATCH || request.ids.some((id) => !UUID.test(id)))) {
    input.add('ids', `must be 1 to ${MAX_RETRY_BATCH} delivery ids (uuid)`);
  }
  const max = request.max ?? DEFAULT_RETRY_BATCH;
  if (!Number.isInteger(max) || max < 1 || max > MAX_RETRY_BATCH) input.add('max', `must be a whole number from 1 to ${MAX_RETRY_BATCH}`);
  const filter = request.filter ? filterOf(request.filter, input) : undefined;
  if (input.errors.length > 0) {
    throw new Refusal(400, 'invalid-retry', 'Invalid retry', input.errors.map((e) => e.message).join('; '), input.errors.map((e) => ({ ...e, path: e.path.replace('/querystring/', '/body/') })));
  }
  if (filter) checkPeriod(filter.from, filter.to);
  return inTransaction(ctx, async (tx, effects) => {
    const now = ctx.clock();
    const requeued = await retryDeadLettered(tx, request.ids ? { ids: request.ids } : { filter: filter ?? {} }, max, now, { operator: operator.name, reason });
    for (const r of requeued) {
      await recordAudit(tx, operator, { action: 'dead-letter-retry', messageId: r.messageId, reason, details: { deliveryId: r.deliveryId, receiver: r.receiver } }, now);
      if (r.outboxId !== null) effects.outbox.push({ id: r.outboxId, kind: 'push', deliveryId: r.deliveryId, dueAt: now });
      else effects.inboxes.add(r.receiver);
    }
    return { requeued };
  });
}

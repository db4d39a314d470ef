/**
 * The inbox API as the bench's readers speak it, in one place so that the full flow (load.ts) and the
 * backlog (backlog.ts) send the same requests and check the answers the same way:
 *
 * - one by one: a lease without bodies, then per item `GET {href}` and `POST {href}/receipt`;
 * - in batches, as a high-volume EOJ system reads: `GET /api/v1/inbox?include=body` leases and fetches
 *   (each item carries its bytes in base64 and their sha256), and `POST /api/v1/inbox/receipts`
 *   answers a whole lease in one transaction, with a result per answer.
 */
import { createHash } from 'node:crypto';
import { jsonOf, type Reply, type RequestSpec } from './http-client.js';

export interface InboxItem {
  readonly id: string;
  readonly sender: string;
  readonly href: string;
}

/** An item of a lease; `body` only with `include=body`, and missing then if retention pruned the bytes. */
export interface LeasedItem extends InboxItem {
  readonly sha256: string;
  readonly body?: string;
}

/** One answer's outcome in `POST /api/v1/inbox/receipts`; `code` names the problem of a refused one. */
export interface BatchAnswer {
  readonly ok: boolean;
  readonly code?: string;
}

export function leaseRequest(key: string, limit: number, waitSeconds: number, withBodies: boolean, timeoutMs: number): RequestSpec {
  return { method: 'GET', path: `/api/v1/inbox?limit=${limit}${withBodies ? '&include=body' : ''}&wait=${waitSeconds}`, key, timeoutMs };
}

/** The items of a lease's 200 answer (none when the body is not the expected JSON). */
export function leasedItems(reply: Reply): LeasedItem[] {
  return jsonOf<{ items: LeasedItem[] }>(reply)?.items ?? [];
}

export function fetchRequest(item: InboxItem, key: string, timeoutMs: number): RequestSpec {
  return { method: 'GET', path: item.href, key, timeoutMs };
}

/** A positive JSON receipt for one item. */
export function positiveReceiptRequest(item: InboxItem, key: string, timeoutMs: number): RequestSpec {
  return { method: 'POST', path: `${item.href}/receipt`, key, body: '{"status":"positive"}', contentType: 'application/json', timeoutMs };
}

/** Positive answers for all the items, in one request (at most 100, as the API allows). */
export function positiveAnswersRequest(items: readonly InboxItem[], key: string, timeoutMs: number): RequestSpec {
  return {
    method: 'POST',
    path: '/api/v1/inbox/receipts',
    key,
    body: JSON.stringify({ answers: items.map((item) => ({ id: item.id, status: 'positive' })) }),
    contentType: 'application/json',
    timeoutMs,
  };
}

/** The per-answer results of a 200 from `POST /api/v1/inbox/receipts`, in the order sent. */
export function batchResults(reply: Reply): BatchAnswer[] {
  return jsonOf<{ results: BatchAnswer[] }>(reply)?.results ?? [];
}

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The bytes a lease with bodies carried for the item, decoded; undefined when it carried none. */
export function leasedBytes(item: LeasedItem): Buffer | undefined {
  return item.body === undefined ? undefined : Buffer.from(item.body, 'base64');
}

/**
 * What a careful receiver does with the bytes of a lease: decode them and check them against the
 * sha256. The bytes, or what is wrong with them (to be counted as an error).
 */
export function checkedBytes(item: LeasedItem): Buffer | 'no body' | 'sha256 mismatch' {
  const bytes = leasedBytes(item);
  if (bytes === undefined) return 'no body';
  return sha256Hex(bytes) === item.sha256 ? bytes : 'sha256 mismatch';
}

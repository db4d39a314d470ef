/**
 * `GET /api/v1/ops/messages`: find messages by patient, identifiers, endpoints, type, status and time,
 * newest first, a page at a time. A CPR number is turned into the store's keyed patient reference at
 * once; it is neither stored, logged nor echoed in an error.
 */
import { classifyCpr } from '../domain/cpr.js';
import { isMessageTypeCode } from '../domain/catalogue.js';
import { overallStatus, type OverallStatus } from '../domain/message-status.js';
import { searchMessages, type MessageHit, type MessageSearch } from '../store/ops-queries.js';
import type { GatewayContext } from './context.js';
import { UUID_KEY, decodeCursor, encodeCursor } from './keyset-cursor.js';
import { EAN, InputProblems, UUID, checkPeriod } from './ops-input.js';

export const SEARCH_STATUSES = ['waiting', 'leased', 'delivered', 'acknowledged', 'rejected', 'unacknowledged', 'dead', 'duplicate'] as const;

/** The search as the query string gives it: every filter as text (a CPR number instead of the patient reference). */
export type MessageSearchQuery = {
  readonly [K in Exclude<keyof MessageSearch, 'patientRef'> | 'cpr' | 'cursor']?: string;
} & { readonly limit?: string | number };

/** A hit as the API shows it: its instant as an ISO string, the overall status, where its detail is. */
export type MessageSearchItem = Omit<MessageHit, 'receivedAt' | 'receivedKey' | 'status'> & {
  readonly receivedAt: string;
  readonly status: OverallStatus;
  readonly href: string;
};

export interface MessageSearchPage {
  readonly items: readonly MessageSearchItem[];
  readonly nextCursor?: string;
}

/** The search as the store runs it; every problem with the query is reported at once as a 400. */
function searchOf(ctx: GatewayContext, query: MessageSearchQuery): { search: MessageSearch; limit: number } {
  const input = new InputProblems();
  const cprText = input.text(query.cpr)?.replace(/[\s-]/g, '');
  if (cprText !== undefined && classifyCpr(cprText).kind === 'invalid') input.add('cpr', 'must be a CPR number: 10 digits, DDMMYY and four more');
  const id = input.matching('id', query.id, UUID, 'a message id (uuid)');
  const sender = input.matching('sender', query.sender, EAN, 'a 13-digit location number (EAN)');
  const receiver = input.matching('receiver', query.receiver, EAN, 'a 13-digit location number (EAN)');
  const type = input.text(query.type)?.toUpperCase();
  if (type !== undefined && !isMessageTypeCode(type)) input.add('type', 'must be a MedCom message type such as XDIS17 or XCTL03');
  const status = input.text(query.status);
  if (status !== undefined && !(SEARCH_STATUSES as readonly string[]).includes(status)) input.add('status', `must be one of ${SEARCH_STATUSES.join(', ')}`);
  const envelopeId = input.text(query.envelopeId);
  const letterId = input.text(query.letterId);
  const from = input.instant('from', query.from);
  const to = input.instant('to', query.to);
  const limit = input.limit(query.limit);
  input.check('Invalid search');
  checkPeriod(from, to);
  return {
    limit,
    search: {
      ...(cprText !== undefined ? { patientRef: ctx.patientRef(cprText) } : {}),
      ...(id ? { id } : {}),
      ...(envelopeId ? { envelopeId } : {}),
      ...(letterId ? { letterId } : {}),
      ...(sender ? { sender } : {}),
      ...(receiver ? { receiver } : {}),
      ...(type ? { type } : {}),
      ...(status ? { status: status as MessageSearch['status'] } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
  };
}

/**
 * Newest first. Without any filter it lists the newest messages. `status` is a delivery state (some
 * receiver's delivery is in it) or `duplicate`; each item's `status` is the overall one.
 */
export async function searchMessagesView(ctx: GatewayContext, query: MessageSearchQuery): Promise<MessageSearchPage> {
  const { search, limit } = searchOf(ctx, query);
  const cursor = query.cursor?.trim();
  const before = cursor ? decodeCursor(cursor, UUID_KEY) : undefined;
  const hits = await searchMessages(ctx.db, search, { limit: limit + 1, ...(before ? { before: { at: before.at, id: before.key } } : {}) });
  const shown = hits.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((hit) => ({
      id: hit.id,
      envelopeId: hit.envelopeId,
      sender: hit.sender,
      origin: hit.origin,
      receivedAt: hit.receivedAt.toISOString(),
      status: overallStatus(hit.status, hit.deliveries.map((d) => d.state)),
      letters: hit.letters,
      deliveries: hit.deliveries,
      href: `/api/v1/ops/messages/${hit.id}`,
    })),
    ...(hits.length > limit && last ? { nextCursor: encodeCursor({ at: last.receivedKey, key: last.id }) } : {}),
  };
}

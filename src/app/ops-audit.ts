/**
 * The audit log as ops see it: append (every body read and action calls this in the transaction that
 * does the work), the list newest first with a cursor, and its CSV export.
 */
import { csvDocument } from '../domain/csv.js';
import { appendAudit, listAudit, type AuditRecord } from '../store/audit-store.js';
import type { Queryable } from '../store/database.js';
import type { GatewayContext } from './context.js';
import { SERIAL_KEY, decodeCursor, encodeCursor } from './keyset-cursor.js';
import { InputProblems, checkPeriod, type Operator } from './ops-input.js';

export interface AuditAction {
  readonly action: string;
  readonly messageId?: string | null;
  readonly patientRef?: string | null;
  readonly reason?: string | null;
  readonly details?: Record<string, unknown>;
}

/** Writes one audit row for `operator` (in the caller's transaction when `db` is one). */
export async function recordAudit(db: Queryable, operator: Operator, action: AuditAction, at: Date): Promise<number> {
  return appendAudit(db, { operator: operator.name, keyId: operator.keyId ?? null, ...action }, at);
}

export interface AuditItem {
  readonly id: number;
  readonly at: string;
  readonly operator: string;
  readonly keyId: string | null;
  readonly action: string;
  readonly messageId: string | null;
  readonly patientRef: string | null;
  readonly reason: string | null;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  readonly from?: string;
  readonly to?: string;
  readonly operator?: string;
  readonly cursor?: string;
  readonly limit?: string | number;
}

export interface AuditPage {
  readonly items: readonly AuditItem[];
  readonly nextCursor?: string;
}

function itemOf(record: AuditRecord): AuditItem {
  return {
    id: record.id,
    at: record.at.toISOString(),
    operator: record.operator,
    keyId: record.keyId,
    action: record.action,
    messageId: record.messageId,
    patientRef: record.patientRef,
    reason: record.reason,
    details: record.details,
  };
}

/** `GET /api/v1/ops/audit`: newest first, a page at a time. */
export async function listAuditLog(ctx: GatewayContext, query: AuditQuery): Promise<AuditPage> {
  const input = new InputProblems();
  const from = input.instant('from', query.from);
  const to = input.instant('to', query.to);
  const operator = input.text(query.operator);
  const limit = input.limit(query.limit);
  input.check('Invalid audit query');
  checkPeriod(from, to);
  const cursor = input.text(query.cursor);
  const before = cursor ? decodeCursor(cursor, SERIAL_KEY) : undefined;
  const records = await listAudit(
    ctx.db,
    { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(operator ? { operator } : {}) },
    { limit: limit + 1, ...(before ? { before: { at: before.at, id: Number(before.key) } } : {}) },
  );
  const shown = records.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(itemOf),
    ...(records.length > limit && last ? { nextCursor: encodeCursor({ at: last.atKey, key: String(last.id) }) } : {}),
  };
}

const AUDIT_CSV_COLUMNS = ['id', 'at', 'operator', 'keyId', 'action', 'messageId', 'patientRef', 'reason', 'details'] as const;

/** The audit rows as CSV (RFC 4180), details as JSON in one column. */
export function auditCsv(items: readonly AuditItem[]): string {
  return csvDocument(
    AUDIT_CSV_COLUMNS,
    items.map((item) => ({ ...item, details: JSON.stringify(item.details) })),
  );
}

/** The whole period's audit rows as CSV, read a page at a time (`?format=csv`). */
export async function exportAuditLog(ctx: GatewayContext, query: Omit<AuditQuery, 'cursor' | 'limit'>): Promise<string> {
  const items: AuditItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAuditLog(ctx, { ...query, limit: 200, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return auditCsv(items);
}

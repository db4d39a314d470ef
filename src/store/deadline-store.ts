/**
 * Deadlines in the store: the rows a message's letters start (written with the message, see
 * message-store.ts), the open ones a later message or an explicit fulfilment closes, the breach
 * timer's update, and the queries behind the ops list and the compliance report.
 * The patient reference is used to correlate and to filter; it never leaves this module.
 */
import type { ComplianceInputRow } from '../domain/deadlines/compliance.js';
import type { DeadlineEvaluation, EpisodeDischarge, EvaluationState, FallbackChannel } from '../domain/deadlines/types.js';
import type { Queryable } from './database.js';

/** What a deadline row holds from the start, written or read. */
interface DeadlineFields {
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: string;
  readonly state: EvaluationState;
  readonly letterIndex: number;
  readonly letterId: string;
  readonly letterType: string;
  readonly senderEan: string;
  readonly receiverEan: string;
  readonly obligedEan: string;
  readonly episodeId: string | null;
  readonly fulfilKind: string;
  readonly fulfilTypes: readonly string[];
  /** Correlated rules that look back (D10): how many days before the start a fulfilling message may have come. */
  readonly lookbackDays: number | null;
  readonly dueAt: Date | null;
  readonly lateAfter: Date | null;
  readonly lateUnit: string | null;
  readonly lateDay: string | null;
  /** Pending deadlines only: when the timer marks it breached. */
  readonly breachAt: Date | null;
  /** Set on a new deadline when an earlier message already fulfilled it (D10 looking back). */
  readonly fulfilledAt: Date | null;
  readonly fulfilledByMessageId: string | null;
  readonly lateBy: DeadlineEvaluation['lateBy'] | null;
  readonly evaluation: DeadlineEvaluation;
}

/** A deadline about to be written with its message. */
export interface NewDeadline extends DeadlineFields {
  readonly patientRef: string | null;
}

/** A deadline row as the API shows it (no patient reference). */
export interface DeadlineRecord extends Omit<DeadlineFields, 'letterIndex' | 'letterId' | 'letterType'> {
  /** The message whose letter started it; null for a warning given outside MedCom that no message stands for. */
  readonly messageId: string | null;
  readonly letterIndex: number | null;
  readonly letterId: string | null;
  readonly letterType: string | null;
  /** How a warning given outside MedCom reached the party (phone, fax, …); null when a message or an explicit report fulfilled it. */
  readonly channel: FallbackChannel | null;
  readonly startedAt: Date;
  readonly fulfilmentNote: string | null;
  /** When the fulfilment was recorded (not the time it claims: that is fulfilledAt). */
  readonly fulfilmentRecordedAt: Date | null;
  /** The endpoint that recorded it: the caller of an explicit fulfilment, else the fulfilling message's sender. */
  readonly fulfilmentRecordedBy: string | null;
  readonly breachedAt: Date | null;
  readonly updatedAt: Date;
}

/**
 * A deadline a message's letter started: every open or waiting deadline is one (a warning given
 * outside MedCom with no message behind it is fulfilled as it is recorded).
 */
export type MessageDeadlineRecord = DeadlineRecord & { readonly messageId: string; readonly letterIndex: number; readonly letterId: string; readonly letterType: string };

export function isMessageDeadline(record: DeadlineRecord): record is MessageDeadlineRecord {
  return record.messageId !== null;
}

/** Rows of a query that only finds deadlines started by a message (see MessageDeadlineRecord). */
function fromMessageRows(rows: readonly DeadlineRow[]): MessageDeadlineRecord[] {
  return rows.map((row) => fromRow(row)).filter(isMessageDeadline);
}

interface DeadlineRow {
  id: string;
  rule_id: string;
  title: string;
  severity: string;
  state: EvaluationState;
  message_id: string | null;
  letter_index: number | null;
  letter_id: string | null;
  letter_type: string | null;
  sender_ean: string;
  receiver_ean: string;
  obliged_ean: string;
  episode_id: string | null;
  fulfil_kind: string;
  fulfil_types: string[];
  lookback_days: number | null;
  due_at: Date | null;
  late_after: Date | null;
  late_unit: string | null;
  late_day: string | null;
  breach_at: Date | null;
  started_at: Date;
  fulfilled_at: Date | null;
  fulfilled_by_message_id: string | null;
  fulfilment_note: string | null;
  fulfilment_recorded_at: Date | null;
  fulfilment_recorded_by: string | null;
  fulfilment_channel: FallbackChannel | null;
  breached_at: Date | null;
  late_by: DeadlineEvaluation['lateBy'] | null;
  evaluation: DeadlineEvaluation;
  updated_at: Date;
}

const COLUMNS = `id, rule_id, title, severity, state, message_id, letter_index, letter_id, letter_type, sender_ean, receiver_ean,
  obliged_ean, episode_id, fulfil_kind, fulfil_types, lookback_days, due_at, late_after, late_unit, late_day, breach_at, started_at, fulfilled_at,
  fulfilled_by_message_id, fulfilment_note, fulfilment_recorded_at, fulfilment_recorded_by, fulfilment_channel, breached_at, late_by, evaluation, updated_at`;

const date = (value: Date | null): Date | null => (value === null ? null : new Date(value));

function fromRow(row: DeadlineRow): DeadlineRecord {
  return {
    id: row.id,
    ruleId: row.rule_id,
    title: row.title,
    severity: row.severity,
    state: row.state,
    messageId: row.message_id,
    letterIndex: row.letter_index,
    letterId: row.letter_id,
    letterType: row.letter_type,
    senderEan: row.sender_ean,
    receiverEan: row.receiver_ean,
    obligedEan: row.obliged_ean,
    episodeId: row.episode_id,
    fulfilKind: row.fulfil_kind,
    fulfilTypes: row.fulfil_types,
    lookbackDays: row.lookback_days === null ? null : Number(row.lookback_days),
    dueAt: date(row.due_at),
    lateAfter: date(row.late_after),
    lateUnit: row.late_unit,
    lateDay: row.late_day,
    breachAt: date(row.breach_at),
    startedAt: new Date(row.started_at),
    fulfilledAt: date(row.fulfilled_at),
    fulfilledByMessageId: row.fulfilled_by_message_id,
    fulfilmentNote: row.fulfilment_note,
    // A deadline that started fulfilled (D10: the plan came first) was recorded with its message, by its sender.
    fulfilmentRecordedAt: date(row.fulfilment_recorded_at) ?? (row.fulfilled_at ? new Date(row.started_at) : null),
    fulfilmentRecordedBy: row.fulfilment_recorded_by ?? (row.fulfilled_at ? row.obliged_ean : null),
    channel: row.fulfilment_channel,
    breachedAt: date(row.breached_at),
    lateBy: row.late_by,
    evaluation: row.evaluation,
    updatedAt: new Date(row.updated_at),
  };
}

/** The JSON one deadline travels as inside the message insert statement (see message-store.ts). */
export function deadlineInsertJson(d: NewDeadline): Record<string, unknown> {
  return {
    id: d.id,
    rule_id: d.ruleId,
    title: d.title,
    severity: d.severity,
    state: d.state,
    letter_index: d.letterIndex,
    letter_id: d.letterId,
    letter_type: d.letterType,
    sender_ean: d.senderEan,
    receiver_ean: d.receiverEan,
    obliged_ean: d.obligedEan,
    patient_ref: d.patientRef,
    episode_id: d.episodeId,
    fulfil_kind: d.fulfilKind,
    fulfil_types: d.fulfilTypes,
    lookback_days: d.lookbackDays,
    due_at: d.dueAt?.toISOString() ?? null,
    late_after: d.lateAfter?.toISOString() ?? null,
    late_unit: d.lateUnit,
    late_day: d.lateDay,
    breach_at: d.breachAt?.toISOString() ?? null,
    fulfilled_at: d.fulfilledAt?.toISOString() ?? null,
    fulfilled_by_message_id: d.fulfilledByMessageId,
    late_by: d.lateBy,
    evaluation: d.evaluation,
  };
}

/** The columns of `jsonb_to_recordset` for deadlineInsertJson, and the INSERT … SELECT list. */
export const DEADLINE_RECORDSET = `y(id uuid, rule_id text, title text, severity text, state text, letter_index int, letter_id text,
  letter_type text, sender_ean text, receiver_ean text, obliged_ean text, patient_ref text, episode_id text, fulfil_kind text,
  fulfil_types text[], lookback_days int, due_at timestamptz, late_after timestamptz, late_unit text, late_day text, breach_at timestamptz,
  fulfilled_at timestamptz, fulfilled_by_message_id uuid, late_by jsonb, evaluation jsonb)`;

/**
 * A deadline started and fulfilled at once by a warning given outside MedCom, with no message behind it
 * (`POST /api/v1/deadlines/fallback-warnings`): judged, never pending, so it has no breach timer.
 */
export async function insertFallbackDeadline(
  tx: Queryable,
  d: Omit<NewDeadline, 'letterIndex' | 'letterId' | 'letterType' | 'fulfilledAt'> & { readonly fulfilledAt: Date; readonly channel: FallbackChannel; readonly note: string | null; readonly recordedBy: string },
  now: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO deadlines (id, rule_id, title, severity, state, message_id, letter_index, letter_id, letter_type, sender_ean, receiver_ean, obliged_ean,
       patient_ref, episode_id, fulfil_kind, fulfil_types, lookback_days, due_at, late_after, late_unit, late_day, breach_at, started_at, fulfilled_at,
       fulfilled_by_message_id, fulfilment_note, fulfilment_recorded_at, fulfilment_recorded_by, fulfilment_channel, late_by, evaluation, updated_at)
     VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, $18, $19, NULL, $20, $18, $21, $22, $23, $24, $18)`,
    [
      d.id,
      d.ruleId,
      d.title,
      d.severity,
      d.state,
      d.senderEan,
      d.receiverEan,
      d.obligedEan,
      d.patientRef,
      d.episodeId,
      d.fulfilKind,
      d.fulfilTypes,
      d.lookbackDays,
      d.dueAt,
      d.lateAfter,
      d.lateUnit,
      d.lateDay,
      now,
      d.fulfilledAt,
      d.note,
      d.recordedBy,
      d.channel,
      d.lateBy === null ? null : JSON.stringify(d.lateBy),
      JSON.stringify(d.evaluation),
    ],
  );
}

/** The keyed patient reference of a deadline, for the audit log of an operator's action on it. */
export async function patientRefOfDeadline(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ patient_ref: string | null }>('SELECT patient_ref FROM deadlines WHERE id = $1', [id]);
  return rows[0]?.patient_ref ?? null;
}

export async function getDeadline(db: Queryable, id: string, forUpdate = false): Promise<DeadlineRecord | undefined> {
  const { rows } = await db.query<DeadlineRow>(`SELECT ${COLUMNS} FROM deadlines WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function deadlinesOfMessage(db: Queryable, messageId: string): Promise<MessageDeadlineRecord[]> {
  const { rows } = await db.query<DeadlineRow>(`SELECT ${COLUMNS} FROM deadlines WHERE message_id = $1 ORDER BY letter_index, started_at, rule_id`, [messageId]);
  return fromMessageRows(rows);
}

/**
 * Open deadlines a letter of `type` from `senderEan` to `receiverEan` about this patient (and episode)
 * fulfils, oldest first, locked. When the obliged party is the starting message's receiver (an answer,
 * D17), the answer must go back to the starting message's sender.
 */
export async function openDeadlinesFulfilledBy(
  tx: Queryable,
  query: {
    readonly patientRef: string;
    readonly senderEan: string;
    readonly receiverEan: string;
    readonly type: string;
    readonly episodeId: string | null;
    readonly excludeMessageId: string;
  },
): Promise<MessageDeadlineRecord[]> {
  const { rows } = await tx.query<DeadlineRow>(
    `SELECT ${COLUMNS} FROM deadlines
     WHERE patient_ref = $1 AND obliged_ean = $2 AND fulfilled_at IS NULL AND fulfil_kind = 'correlated-message'
       AND $3 = ANY(fulfil_types) AND message_id <> $5
       AND (episode_id IS NULL OR $4::text IS NULL OR episode_id = $4)
       AND (obliged_ean <> receiver_ean OR sender_ean = $6)
     ORDER BY started_at, id FOR UPDATE`,
    [query.patientRef, query.senderEan, query.type, query.episodeId, query.excludeMessageId, query.receiverEan],
  );
  return fromMessageRows(rows);
}

/** The open deadlines of a message that the receiver's receipt fulfils, locked. */
export async function openReceiptDeadlines(tx: Queryable, messageId: string, receiverEan: string): Promise<MessageDeadlineRecord[]> {
  const { rows } = await tx.query<DeadlineRow>(
    `SELECT ${COLUMNS} FROM deadlines WHERE message_id = $1 AND receiver_ean = $2 AND fulfil_kind = 'receipt' AND fulfilled_at IS NULL ORDER BY id FOR UPDATE`,
    [messageId, receiverEan],
  );
  return fromMessageRows(rows);
}

/**
 * The first message, arrived in [since, until], that fulfils the deadline `deadlineId`: a letter of one of
 * its types from the obliged endpoint about the same patient (and episode), sent back to the deadline's
 * sender when the obliged party is its receiver. The breach timer's last look: a fulfilling message
 * accepted at the same moment as the deadline's start could not see it.
 */
export async function findLetterFulfilling(tx: Queryable, deadlineId: string, since: Date, until: Date): Promise<{ messageId: string; receivedAt: Date } | undefined> {
  const { rows } = await tx.query<{ message_id: string; received_at: Date }>(
    `SELECT l.message_id, m.received_at
     FROM deadlines dl
     JOIN letters l ON l.patient_ref = dl.patient_ref AND l.sender_ean = dl.obliged_ean AND l.type = ANY(dl.fulfil_types) AND l.duplicate_of IS NULL
       AND (l.episode_id IS NULL OR dl.episode_id IS NULL OR l.episode_id = dl.episode_id)
     JOIN messages m ON m.id = l.message_id
     WHERE dl.id = $1 AND dl.fulfil_kind = 'correlated-message' AND l.message_id <> dl.message_id
       AND m.received_at >= $2 AND m.received_at <= $3
       AND (dl.obliged_ean <> dl.receiver_ean OR EXISTS (
         SELECT 1 FROM deliveries d WHERE d.message_id = l.message_id AND d.receiver_ean = dl.sender_ean AND l.letter_index = ANY(d.letter_indexes)))
     ORDER BY m.received_at, l.message_id LIMIT 1`,
    [deadlineId, since, until],
  );
  const row = rows[0];
  return row ? { messageId: row.message_id, receivedAt: new Date(row.received_at) } : undefined;
}

/** The earliest message since `since` from `senderEan` with a letter of one of `types` about this patient (and episode). */
export async function findEarlierLetter(
  tx: Queryable,
  query: { readonly patientRef: string; readonly senderEan: string; readonly types: readonly string[]; readonly since: Date; readonly episodeId: string | null },
): Promise<{ messageId: string; receivedAt: Date } | undefined> {
  const { rows } = await tx.query<{ message_id: string; received_at: Date }>(
    `SELECT l.message_id, m.received_at FROM letters l JOIN messages m ON m.id = l.message_id
     WHERE l.patient_ref = $1 AND l.sender_ean = $2 AND l.type = ANY($3::text[]) AND l.duplicate_of IS NULL
       AND m.received_at >= $4 AND (l.episode_id IS NULL OR $5::text IS NULL OR l.episode_id = $5)
     ORDER BY m.received_at, l.message_id LIMIT 1`,
    [query.patientRef, query.senderEan, query.types, query.since, query.episodeId],
  );
  const row = rows[0];
  return row ? { messageId: row.message_id, receivedAt: new Date(row.received_at) } : undefined;
}

export interface Fulfilment {
  /** `awaiting-start`: reported before the deadline could start (D7 before the discharge is known); judged when it starts. */
  readonly state: 'on-time' | 'late' | 'awaiting-start';
  readonly lateBy: DeadlineEvaluation['lateBy'] | null;
  readonly fulfilledAt: Date;
  readonly byMessageId: string | null;
  readonly note: string | null;
  /** Who records it; by default the obliged endpoint (whose message fulfils it). */
  readonly recordedBy?: string;
  /** A warning given outside MedCom: how. */
  readonly channel?: FallbackChannel;
}

/** Closes an open deadline and its breach timer. False when it was closed already. */
export async function recordFulfilment(tx: Queryable, id: string, fulfilment: Fulfilment, now: Date): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE deadlines SET state = $2, late_by = $3, fulfilled_at = $4, fulfilled_by_message_id = $5, fulfilment_note = $6, updated_at = $7,
       fulfilment_recorded_at = $7, fulfilment_recorded_by = COALESCE($8, obliged_ean), fulfilment_channel = $9
     WHERE id = $1 AND fulfilled_at IS NULL RETURNING id`,
    [
      id,
      fulfilment.state,
      fulfilment.lateBy === null ? null : JSON.stringify(fulfilment.lateBy),
      fulfilment.fulfilledAt,
      fulfilment.byMessageId,
      fulfilment.note,
      now,
      fulfilment.recordedBy ?? null,
      fulfilment.channel ?? null,
    ],
  );
  if (rows.length === 0) return false;
  await tx.query('UPDATE outbox SET done_at = $2 WHERE deadline_id = $1 AND done_at IS NULL', [id, now]);
  return true;
}

/** Marks a still-pending deadline breached. False when it was fulfilled (or breached) meanwhile. */
export async function recordBreach(tx: Queryable, id: string, now: Date): Promise<boolean> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE deadlines SET state = 'breached', breached_at = $2, updated_at = $2 WHERE id = $1 AND state = 'pending' RETURNING id`,
    [id, now],
  );
  return rows.length > 0;
}

export interface DeadlineFilter {
  readonly states?: readonly string[];
  readonly ruleIds?: readonly string[];
  /** Deadlines where this endpoint is the obliged party, the sender or the receiver. */
  readonly endpointEan?: string;
  readonly patientRef?: string;
  /** Started at or after. */
  readonly from?: Date;
  /** Started before. */
  readonly to?: Date;
}

function whereOf(filter: DeadlineFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (n: string) => string, value: unknown): void => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (filter.states?.length) add((n) => `state = ANY(${n}::text[])`, filter.states);
  if (filter.ruleIds?.length) add((n) => `rule_id = ANY(${n}::text[])`, filter.ruleIds);
  if (filter.endpointEan) add((n) => `(obliged_ean = ${n} OR sender_ean = ${n} OR receiver_ean = ${n})`, filter.endpointEan);
  if (filter.patientRef) add((n) => `patient_ref = ${n}`, filter.patientRef);
  if (filter.from) add((n) => `started_at >= ${n}`, filter.from);
  if (filter.to) add((n) => `started_at < ${n}`, filter.to);
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** A page of deadlines, newest first; `before` is the cursor (started_at, id) of the last row seen. */
export async function listDeadlines(
  db: Queryable,
  filter: DeadlineFilter,
  page: { readonly limit: number; readonly before?: { readonly startedAt: Date; readonly id: string } },
): Promise<DeadlineRecord[]> {
  const { sql, params } = whereOf(filter);
  let where = sql;
  if (page.before) {
    params.push(page.before.startedAt, page.before.id);
    const cursor = `(started_at, id) < ($${params.length - 1}, $${params.length}::uuid)`;
    where = where ? `${where} AND ${cursor}` : `WHERE ${cursor}`;
  }
  params.push(page.limit);
  const { rows } = await db.query<DeadlineRow>(`SELECT ${COLUMNS} FROM deadlines ${where} ORDER BY started_at DESC, id DESC LIMIT $${params.length}`, params);
  return rows.map(fromRow);
}

/** What the compliance report aggregates: one row per deadline, no patient data. */
export async function complianceRows(db: Queryable, filter: DeadlineFilter): Promise<ComplianceInputRow[]> {
  const { sql, params } = whereOf(filter);
  const { rows } = await db.query<{
    rule_id: string;
    title: string;
    obliged_ean: string;
    state: EvaluationState;
    late_hours: number | null;
    late_after: Date | null;
    fulfilled_via: ComplianceInputRow['fulfilledVia'];
  }>(
    `SELECT rule_id, title, obliged_ean, state, (late_by->>'hours')::int AS late_hours, late_after,
       CASE WHEN state NOT IN ('on-time', 'late') THEN NULL
            WHEN fulfilment_channel IS NOT NULL THEN 'fallback'
            WHEN fulfil_kind = 'explicit' THEN 'report'
            ELSE 'message' END AS fulfilled_via
     FROM deadlines ${sql} ORDER BY obliged_ean, rule_id`,
    params,
  );
  return rows.map((row) => ({
    ruleId: row.rule_id,
    title: row.title,
    obligedEan: row.obliged_ean,
    state: row.state,
    lateByHours: row.late_hours === null ? null : Number(row.late_hours),
    lateAfter: date(row.late_after),
    fulfilledVia: row.fulfilled_via,
  }));
}

/** A discharge stated by a letter about a patient's episode (episode_discharges). */
export interface NewDischarge {
  readonly messageId: string;
  readonly letterIndex: number;
  readonly patientRef: string;
  readonly senderEan: string;
  readonly episodeId: string | null;
  readonly discharge: EpisodeDischarge;
}

/** Advances the patients' versions (migration 013), in the order given; each row stays locked until the transaction ends. */
export async function advancePatientVersions(tx: Queryable, sortedRefs: readonly string[]): Promise<void> {
  await tx.query(
    `INSERT INTO patient_versions AS pv (patient_ref, version)
     SELECT r.ref, 1 FROM unnest($1::text[]) WITH ORDINALITY AS r(ref, n) ORDER BY r.n
     ON CONFLICT (patient_ref) DO UPDATE SET version = pv.version + 1`,
    [sortedRefs],
    'medcom-advance-patient-versions',
  );
}

export async function recordDischarges(tx: Queryable, discharges: readonly NewDischarge[], receivedAt: Date): Promise<void> {
  for (const d of discharges) {
    await tx.query(
      `INSERT INTO episode_discharges (message_id, letter_index, patient_ref, sender_ean, episode_id, kind, discharge_day, discharge_at, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [d.messageId, d.letterIndex, d.patientRef, d.senderEan, d.episodeId, d.discharge.kind, d.discharge.date, d.discharge.instant ?? null, receivedAt],
    );
  }
}

/** Which discharges of one episode belong together: same patient, same hospital, and the same episode when both name one. */
export interface EpisodeKey {
  readonly patientRef: string;
  readonly senderEan: string;
  readonly episodeId: string | null;
}

const DISCHARGE_LABELS: Record<EpisodeDischarge['kind'], string> = {
  discharge: 'the XDIS17 Discharge',
  agreed: 'the XDIS21 AgreedDischarge',
  planned: 'the XDIS19 PlannedDischarge',
};

/** The discharge of an episode as seen: a done one before an agreed before a planned one, the latest of a kind. */
export async function knownDischarge(db: Queryable, key: EpisodeKey): Promise<EpisodeDischarge | undefined> {
  const { rows } = await db.query<{ kind: EpisodeDischarge['kind']; discharge_day: string; discharge_at: Date | null }>(
    `SELECT kind, discharge_day, discharge_at FROM episode_discharges
     WHERE patient_ref = $1 AND sender_ean = $2 AND (episode_id IS NULL OR $3::text IS NULL OR episode_id = $3)
     ORDER BY CASE kind WHEN 'discharge' THEN 0 WHEN 'agreed' THEN 1 ELSE 2 END, received_at DESC, message_id LIMIT 1`,
    [key.patientRef, key.senderEan, key.episodeId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { kind: row.kind, date: row.discharge_day, ...(row.discharge_at ? { instant: new Date(row.discharge_at) } : {}), label: DISCHARGE_LABELS[row.kind] };
}

/** Deadlines of the episode waiting for its discharge (D7 of a plan sent before it), locked. */
export async function awaitingDeadlines(tx: Queryable, key: EpisodeKey): Promise<MessageDeadlineRecord[]> {
  const { rows } = await tx.query<DeadlineRow>(
    `SELECT ${COLUMNS} FROM deadlines
     WHERE patient_ref = $1 AND sender_ean = $2 AND state = 'awaiting-start' AND (episode_id IS NULL OR $3::text IS NULL OR episode_id = $3)
     ORDER BY started_at, id FOR UPDATE`,
    [key.patientRef, key.senderEan, key.episodeId],
  );
  return fromMessageRows(rows);
}

/** What a waiting deadline becomes when its start is known: its limits, and its state (pending, or judged when fulfilled meanwhile). */
export interface AwaitedStart {
  readonly state: EvaluationState;
  readonly dueAt: Date | null;
  readonly lateAfter: Date | null;
  readonly lateUnit: string | null;
  readonly lateDay: string | null;
  readonly breachAt: Date | null;
  readonly lateBy: DeadlineEvaluation['lateBy'] | null;
  readonly evaluation: DeadlineEvaluation;
}

/** Starts a waiting deadline; a pending one gets its breach timer, returned for the scheduler. */
export async function startAwaited(tx: Queryable, id: string, start: AwaitedStart, now: Date): Promise<{ id: number; dueAt: Date } | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE deadlines SET state = $2, due_at = $3, late_after = $4, late_unit = $5, late_day = $6, breach_at = $7, late_by = $8, evaluation = $9, updated_at = $10
     WHERE id = $1 AND state = 'awaiting-start' RETURNING id`,
    [id, start.state, start.dueAt, start.lateAfter, start.lateUnit, start.lateDay, start.breachAt, start.lateBy === null ? null : JSON.stringify(start.lateBy), JSON.stringify(start.evaluation), now],
  );
  if (rows.length === 0 || start.state !== 'pending' || start.breachAt === null) return undefined;
  const timer = await tx.query<{ id: number }>(`INSERT INTO outbox (kind, deadline_id, due_at, created_at) VALUES ('deadline-breach', $1, $2, $3) RETURNING id`, [id, start.breachAt, now]);
  return { id: Number(timer.rows[0]?.id), dueAt: start.breachAt };
}

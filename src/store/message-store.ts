/**
 * Messages, letters, deliveries, timeline events and outbox rows: written together, in the caller's
 * transaction, so that a committed message always has everything needed to deliver it.
 */
import type { Queryable } from './database.js';
import { DEADLINE_RECORDSET, deadlineInsertJson, type NewDeadline, type NewDischarge } from './deadline-store.js';
import type { OutboxEntry } from './outbox.js';
import {
  DELIVERY_COLUMNS,
  MESSAGE_COLUMNS,
  deliveryFromRow,
  messageFromRow,
  type DeliveryRecord,
  type DeliveryRow,
  type EventKind,
  type EventRecord,
  type MessageOrigin,
  type MessageRecord,
  type MessageRow,
  type MessageStatus,
  type MessageSummary,
} from './records.js';

export interface NewMessage {
  readonly id: string;
  readonly senderEan: string;
  readonly envelopeId: string;
  readonly sha256: string;
  readonly contentType: string;
  readonly body: Buffer;
  readonly encoding: string;
  readonly generation: string;
  readonly ackRequested: boolean;
  readonly origin: MessageOrigin;
  readonly status: MessageStatus;
  readonly summary: MessageSummary;
}

export interface NewLetter {
  readonly letterIndex: number;
  readonly letterId: string;
  readonly type: string;
  readonly versionCode: string;
  readonly patientRef: string | null;
  readonly duplicateOf: string | null;
  /** EpisodeOfCareIdentifier, so deadlines can be correlated within an episode. */
  readonly episodeId?: string | null;
}

export interface NewDelivery {
  readonly id: string;
  readonly letterIndexes: readonly number[];
  readonly receiverEan: string;
  readonly role: 'receiver' | 'cc';
  readonly mode: 'pull' | 'push';
  readonly patientRefs: readonly string[];
}

export interface NewEvent {
  readonly messageId: string;
  readonly deliveryId?: string | null;
  readonly kind: EventKind;
  readonly detail?: Record<string, unknown>;
}

export interface MessageInsert {
  readonly message: NewMessage;
  readonly letters: readonly NewLetter[];
  readonly deliveries: readonly NewDelivery[];
  readonly events: readonly NewEvent[];
  /** Deadlines the letters start; a pending one gets its breach timer in the outbox. */
  readonly deadlines?: readonly NewDeadline[];
  /** Write nothing when one of the letters was seen before from this sender (the accept path's optimistic insert). */
  readonly onlyIfLettersAreNew: boolean;
  /**
   * Write nothing when the sender has an open deadline, for one of these patients, that a letter of the
   * given type fulfils: the message must be correlated in a transaction (the accept path's careful way).
   */
  readonly unlessFulfilling?: readonly { readonly patientRef: string; readonly type: string }[];
  /** A message that correlates deadlines, inserted in one statement: what it must find unchanged, and the discharges it records. */
  readonly correlation?: CorrelationGuard;
}

/** A patient as one hospital knows them: the key of an episode's discharges and of the deadlines waiting for one. */
export interface PatientOfSender {
  readonly patientRef: string;
  readonly senderEan: string;
}

/**
 * What the one-statement insert of a message that correlates deadlines reads in its snapshot, and
 * writes nothing on: anything the careful way would act on. The patients' versions (migration 013)
 * make the snapshot's answer safe: the insert writes only when no other accept about these patients
 * committed after the snapshot was taken, and every later one waits for it and sees what it wrote.
 */
export interface CorrelationGuard {
  /** The patients whose correlation state the message reads; their versions advance with it. */
  readonly patientRefs: readonly string[];
  /** The message states a discharge: write nothing when the hospital has a deadline of the patient waiting for one. */
  readonly discharging: readonly PatientOfSender[];
  /** The message starts a deadline waiting for the discharge: write nothing when one by the hospital is known. */
  readonly awaiting: readonly PatientOfSender[];
  /** The message starts a deadline that looks back: write nothing when the obliged sender sent a letter of these types since then. */
  readonly lookbacks: readonly (PatientOfSender & { readonly types: readonly string[]; readonly since: Date })[];
  /** The discharges the message states, recorded with it. */
  readonly discharges: readonly NewDischarge[];
}

const NO_CORRELATION: CorrelationGuard = { patientRefs: [], discharging: [], awaiting: [], lookbacks: [], discharges: [] };

/** `not-inserted`: an optimistic insert wrote nothing (a letter seen before, or a deadline to fulfil). */
export type InsertOutcome = OutboxEntry[] | 'not-inserted';

const INSERT_MESSAGES = `WITH input AS (
       -- The bodies come as one binary parameter, each message's bytes at its offset: an array of bytea
       -- would travel as text (every byte as two hex digits) for PostgreSQL to parse back.
       SELECT x.*, substring($2::bytea FROM x.body_offset + 1 FOR x.body_length) AS body FROM jsonb_to_recordset($1::jsonb) AS x(
           n int, id uuid, sender_ean text, envelope_id text, sha256 text, content_type text, encoding text, generation text,
           ack_requested boolean, origin text, status text, summary jsonb, letters jsonb, letter_ids text[], deliveries jsonb, events jsonb, deadlines jsonb, only_new boolean,
           fulfil_refs text[], fulfil_types text[], watch_refs text[], discharging jsonb, awaiting jsonb, lookbacks jsonb, discharges jsonb,
           body_offset int, body_length int)),
     -- The correlating messages' patients. Two messages about one patient in one statement cannot see
     -- each other: neither is written here (their patient is left out of v), both go the careful way.
     watch AS (
       SELECT r.ref AS patient_ref, count(*) AS messages FROM input i, unnest(i.watch_refs) AS r(ref) GROUP BY r.ref),
     -- Advance each patient's version from the one this statement's snapshot saw. A version moved since
     -- (a concurrent accept about the patient committed) fails the WHERE and leaves the patient out;
     -- rows are locked in patient order, as the careful way locks them, so the two cannot deadlock.
     v AS (
       INSERT INTO patient_versions AS pv (patient_ref, version)
       SELECT w.patient_ref, COALESCE(seen.version, 0) + 1
       FROM watch w LEFT JOIN patient_versions seen ON seen.patient_ref = w.patient_ref
       WHERE w.messages = 1 ORDER BY w.patient_ref
       ON CONFLICT (patient_ref) DO UPDATE SET version = EXCLUDED.version WHERE pv.version = EXCLUDED.version - 1
       RETURNING patient_ref),
     m AS (
       INSERT INTO messages (id, sender_ean, envelope_id, sha256, content_type, encoding, generation, ack_requested, origin, status, summary, received_at)
       SELECT i.id, i.sender_ean, i.envelope_id, i.sha256, i.content_type, i.encoding, i.generation, i.ack_requested, i.origin, i.status, i.summary, $3
       FROM input i
       -- Each look-up below probes an index per key (LATERAL … LIMIT 1 on equalities). Left to join as it
       -- likes, PostgreSQL scanned a sender's every letter, or every waiting deadline, and the insert
       -- slowed down as the tables grew; with '= ANY' a plan made while the tables were small did the same
       -- (4 ms per message at 11 000 letters, seen with auto_explain). See insertMessages on its generic plan.
       WHERE NOT (i.only_new AND EXISTS (
         SELECT 1 FROM unnest(i.letter_ids) AS u(letter_id)
           CROSS JOIN LATERAL (SELECT 1 FROM letters l
             WHERE l.sender_ean = i.sender_ean AND l.letter_id = u.letter_id AND l.duplicate_of IS NULL LIMIT 1) AS seen))
       AND NOT (cardinality(i.fulfil_refs) > 0 AND EXISTS (
         -- Patients and types as two arrays (a pair may match across letters: then the careful path finds
         -- nothing to fulfil, harmless); a probe of deadlines_open_by_patient per patient. With
         -- 'dl.patient_ref = ANY(i.fulfil_refs)' a quarter of the prepared insert's generic plans in a
         -- bench scanned every deadline (seen with auto_explain).
         SELECT 1 FROM unnest(i.fulfil_refs) AS f(patient_ref)
           CROSS JOIN LATERAL (SELECT 1 FROM deadlines dl
             WHERE dl.patient_ref = f.patient_ref AND dl.obliged_ean = i.sender_ean AND dl.fulfilled_at IS NULL
               AND dl.fulfil_kind = 'correlated-message' AND dl.fulfil_types && i.fulfil_types LIMIT 1) AS open))
       -- Correlation (see CorrelationGuard): a patient whose version moved, a discharge that starts a
       -- waiting deadline, a known discharge for a deadline that waits for one, an earlier letter that
       -- fulfils a deadline looking back. Coarser than the careful way (episodes are not compared):
       -- a message it holds back is correlated there.
       AND NOT EXISTS (SELECT 1 FROM unnest(i.watch_refs) AS r(ref) WHERE r.ref NOT IN (SELECT v.patient_ref FROM v))
       AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset(i.discharging) AS k(patient_ref text, sender_ean text)
           CROSS JOIN LATERAL (SELECT 1 FROM deadlines aw
             WHERE aw.patient_ref = k.patient_ref AND aw.sender_ean = k.sender_ean AND aw.state = 'awaiting-start' LIMIT 1) AS waiting)
       AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset(i.awaiting) AS k(patient_ref text, sender_ean text)
           CROSS JOIN LATERAL (SELECT 1 FROM episode_discharges ed
             WHERE ed.patient_ref = k.patient_ref AND ed.sender_ean = k.sender_ean LIMIT 1) AS known)
       AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset(i.lookbacks) AS k(patient_ref text, sender_ean text, types text[], since timestamptz)
           CROSS JOIN LATERAL (SELECT 1 FROM letters el JOIN messages em ON em.id = el.message_id
             WHERE el.patient_ref = k.patient_ref AND el.sender_ean = k.sender_ean AND el.type = ANY(k.types) AND el.duplicate_of IS NULL
               AND em.received_at >= k.since LIMIT 1) AS earlier)
       RETURNING id),
     -- the bytes in their own narrow table (retention deletes from it), still in this one statement
     b AS (
       INSERT INTO message_bodies (message_id, body)
       SELECT i.id, i.body FROM input i JOIN m ON m.id = i.id),
     l AS (
       INSERT INTO letters (message_id, letter_index, letter_id, type, version_code, sender_ean, patient_ref, duplicate_of, episode_id)
       SELECT i.id, y.letter_index, y.letter_id, y.type, y.version_code, i.sender_ean, y.patient_ref, y.duplicate_of, y.episode_id
       FROM input i JOIN m ON m.id = i.id,
         jsonb_to_recordset(i.letters) AS y(letter_index int, letter_id text, type text, version_code text, patient_ref text, duplicate_of uuid, episode_id text)),
     d AS (
       INSERT INTO deliveries (id, message_id, letter_indexes, receiver_ean, role, mode, patient_refs, state, updated_at)
       SELECT y.id, i.id, y.letter_indexes, y.receiver_ean, y.role, y.mode, y.patient_refs, 'waiting', $3
       FROM input i JOIN m ON m.id = i.id,
         jsonb_to_recordset(i.deliveries) AS y(id uuid, letter_indexes int[], receiver_ean text, role text, mode text, patient_refs text[])
       ORDER BY i.n
       RETURNING id, mode),
     e AS (
       INSERT INTO events (message_id, delivery_id, kind, at, detail)
       SELECT y.message_id, y.delivery_id, y.kind, $3, COALESCE(y.detail, '{}'::jsonb)
       FROM input i JOIN m ON m.id = i.id,
         jsonb_to_recordset(i.events) AS y(message_id uuid, delivery_id uuid, kind text, detail jsonb)),
     ed AS (
       INSERT INTO episode_discharges (message_id, letter_index, patient_ref, sender_ean, episode_id, kind, discharge_day, discharge_at, received_at)
       SELECT i.id, y.letter_index, y.patient_ref, y.sender_ean, y.episode_id, y.kind, y.discharge_day, y.discharge_at, $3
       FROM input i JOIN m ON m.id = i.id,
         jsonb_to_recordset(i.discharges) AS y(letter_index int, patient_ref text, sender_ean text, episode_id text, kind text, discharge_day text, discharge_at timestamptz)
       ON CONFLICT DO NOTHING),
     o AS (
       INSERT INTO outbox (kind, delivery_id, due_at, created_at)
       SELECT 'push', d.id, $3, $3 FROM d WHERE d.mode = 'push' RETURNING id, delivery_id),
     dl AS (
       INSERT INTO deadlines (id, rule_id, title, severity, state, message_id, letter_index, letter_id, letter_type, sender_ean, receiver_ean,
         obliged_ean, patient_ref, episode_id, fulfil_kind, fulfil_types, lookback_days, due_at, late_after, late_unit, late_day, breach_at, started_at,
         fulfilled_at, fulfilled_by_message_id, late_by, evaluation, updated_at)
       SELECT y.id, y.rule_id, y.title, y.severity, y.state, i.id, y.letter_index, y.letter_id, y.letter_type, y.sender_ean, y.receiver_ean,
         y.obliged_ean, y.patient_ref, y.episode_id, y.fulfil_kind, y.fulfil_types, y.lookback_days, y.due_at, y.late_after, y.late_unit, y.late_day, y.breach_at, $3,
         y.fulfilled_at, y.fulfilled_by_message_id, y.late_by, y.evaluation, $3
       FROM input i JOIN m ON m.id = i.id, jsonb_to_recordset(COALESCE(i.deadlines, '[]'::jsonb)) AS ${DEADLINE_RECORDSET}
       RETURNING id, state, breach_at),
     od AS (
       INSERT INTO outbox (kind, deadline_id, due_at, created_at)
       SELECT 'deadline-breach', dl.id, dl.breach_at, $3 FROM dl WHERE dl.state = 'pending' AND dl.breach_at IS NOT NULL
       RETURNING id, deadline_id, due_at)
     SELECT (SELECT json_agg(id) FROM m) AS inserted,
            (SELECT json_agg(json_build_object('id', o.id, 'delivery_id', o.delivery_id)) FROM o) AS outbox,
            (SELECT json_agg(json_build_object('id', od.id, 'deadline_id', od.deadline_id, 'due_at', od.due_at)) FROM od) AS timers`;

/**
 * Inserts messages with their letters, deliveries and timeline events, and an outbox row for each push
 * delivery, in ONE statement: atomic on its own (no explicit transaction needed) and one round trip —
 * what the accept path's throughput rests on. Several messages can share the statement and its commit
 * (see insert-batcher.ts); if one of them fails (a reused envelope identifier), the whole statement does.
 */
export async function insertMessages(db: Queryable, inserts: readonly MessageInsert[], at: Date): Promise<InsertOutcome[]> {
  let offset = 0;
  const bodyOffsets = inserts.map((insert) => {
    const start = offset;
    offset += insert.message.body.length;
    return start;
  });
  const { rows } = await db.query<{
    inserted: string[] | null;
    outbox: { id: number; delivery_id: string }[] | null;
    timers: { id: number; deadline_id: string; due_at: string }[] | null;
  }>(
    INSERT_MESSAGES,
    [
      JSON.stringify(
        inserts.map(({ message, letters, deliveries, events, deadlines, onlyIfLettersAreNew, unlessFulfilling, correlation = NO_CORRELATION }, index) => ({
          n: index + 1,
          body_offset: bodyOffsets[index],
          body_length: message.body.length,
          id: message.id,
          sender_ean: message.senderEan,
          envelope_id: message.envelopeId,
          sha256: message.sha256,
          content_type: message.contentType,
          encoding: message.encoding,
          generation: message.generation,
          ack_requested: message.ackRequested,
          origin: message.origin,
          status: message.status,
          summary: message.summary,
          only_new: onlyIfLettersAreNew,
          letter_ids: letters.map((l) => l.letterId),
          fulfil_refs: [...new Set((unlessFulfilling ?? []).map((c) => c.patientRef))],
          fulfil_types: [...new Set((unlessFulfilling ?? []).map((c) => c.type))],
          ...correlationJson(correlation),
          letters: letters.map((l) => ({
            letter_index: l.letterIndex,
            letter_id: l.letterId,
            type: l.type,
            version_code: l.versionCode,
            patient_ref: l.patientRef,
            duplicate_of: l.duplicateOf,
            episode_id: l.episodeId ?? null,
          })),
          deliveries: deliveries.map((d) => ({
            id: d.id,
            letter_indexes: d.letterIndexes,
            receiver_ean: d.receiverEan,
            role: d.role,
            mode: d.mode,
            patient_refs: d.patientRefs,
          })),
          events: events.map((e) => ({ message_id: e.messageId, delivery_id: e.deliveryId ?? null, kind: e.kind, detail: e.detail ?? {} })),
          deadlines: (deadlines ?? []).map(deadlineInsertJson),
        })),
      ),
      Buffer.concat(inserts.map((insert) => insert.message.body)),
      at,
    ],
    // Prepared, as the other hot statements: planning it takes 1 to 1.5 ms, more than executing it for a
    // few messages. Its generic plan is only as good as the tables were when it was made: one made while
    // they were nearly empty (a new gateway) scanned all of a sender's letters and every open deadline
    // per message (seen with auto_explain: 4 ms per message at 11 000 letters), so the store renews a
    // connection's plans as the work grows (PostgresDatabase.release). Accept only, two cores: PostgreSQL
    // 0.74 ms of CPU per message planned on every execution, 0.61 prepared and renewed, 1.22 prepared
    // and never renewed in the bench's first minute.
    'medcom-insert-messages',
  );
  const inserted = new Set(rows[0]?.inserted ?? []);
  const outboxByDelivery = new Map((rows[0]?.outbox ?? []).map((o) => [o.delivery_id, Number(o.id)]));
  const timerByDeadline = new Map((rows[0]?.timers ?? []).map((t) => [t.deadline_id, t]));
  return inserts.map((insert) => {
    if (!inserted.has(insert.message.id)) return 'not-inserted';
    const pushes: OutboxEntry[] = insert.deliveries
      .filter((d) => outboxByDelivery.has(d.id))
      .map((d) => ({ id: outboxByDelivery.get(d.id) as number, kind: 'push' as const, deliveryId: d.id, dueAt: at }));
    const timers: OutboxEntry[] = (insert.deadlines ?? []).flatMap((d) => {
      const timer = timerByDeadline.get(d.id);
      return timer ? [{ id: Number(timer.id), kind: 'deadline-breach' as const, deadlineId: d.id, dueAt: new Date(timer.due_at) }] : [];
    });
    return [...pushes, ...timers];
  });
}

const keyJson = (key: PatientOfSender) => ({ patient_ref: key.patientRef, sender_ean: key.senderEan });

function correlationJson(guard: CorrelationGuard): Record<string, unknown> {
  return {
    watch_refs: [...new Set(guard.patientRefs)],
    discharging: guard.discharging.map(keyJson),
    awaiting: guard.awaiting.map(keyJson),
    lookbacks: guard.lookbacks.map((k) => ({ ...keyJson(k), types: k.types, since: k.since.toISOString() })),
    discharges: guard.discharges.map((d) => ({
      letter_index: d.letterIndex,
      patient_ref: d.patientRef,
      sender_ean: d.senderEan,
      episode_id: d.episodeId,
      kind: d.discharge.kind,
      discharge_day: d.discharge.date,
      discharge_at: d.discharge.instant?.toISOString() ?? null,
    })),
  };
}

/** One message; see insertMessages. */
export async function insertMessage(
  db: Queryable,
  message: NewMessage,
  letters: readonly NewLetter[],
  deliveries: readonly NewDelivery[],
  at: Date,
  events: readonly NewEvent[] = [],
  options: { onlyIfLettersAreNew?: boolean } = {},
): Promise<InsertOutcome> {
  const [outcome] = await insertMessages(db, [{ message, letters, deliveries, events, onlyIfLettersAreNew: options.onlyIfLettersAreNew ?? false }], at);
  return outcome as InsertOutcome;
}

/** The outbox entries of an insert that cannot have been refused (no `onlyIfLettersAreNew`). */
export function insertedOutbox(result: InsertOutcome): OutboxEntry[] {
  if (result === 'not-inserted') throw new Error('insertMessage refused a message it was told to insert unconditionally');
  return result;
}

export async function insertEvents(tx: Queryable, events: readonly NewEvent[], at: Date): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO events (message_id, delivery_id, kind, at, detail)
     SELECT x.message_id, x.delivery_id, x.kind, $2, COALESCE(x.detail, '{}'::jsonb)
     FROM jsonb_to_recordset($1::jsonb) AS x(message_id uuid, delivery_id uuid, kind text, detail jsonb)`,
    [JSON.stringify(events.map((e) => ({ message_id: e.messageId, delivery_id: e.deliveryId ?? null, kind: e.kind, detail: e.detail ?? {} }))), at],
    'medcom-insert-events',
  );
}

/** The message a sender already sent with this envelope identifier, if any. */
export async function findByEnvelope(db: Queryable, senderEan: string, envelopeId: string): Promise<MessageRecord | undefined> {
  const { rows } = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_ean = $1 AND envelope_id = $2`,
    [senderEan, envelopeId],
    'medcom-find-envelope',
  );
  return rows[0] ? messageFromRow(rows[0]) : undefined;
}

/** For each letter identifier this sender used before: the first message that carried it. */
export async function findFirstLetters(
  db: Queryable,
  senderEan: string,
  letterIds: readonly string[],
): Promise<Map<string, { messageId: string; letterIndex: number }>> {
  if (letterIds.length === 0) return new Map();
  const { rows } = await db.query<{ letter_id: string; message_id: string; letter_index: number }>(
    // A probe per id, not '= ANY': see INSERT_MESSAGES for the plan that scanned every letter of the sender.
    `SELECT u.letter_id, l.message_id, l.letter_index FROM unnest($2::text[]) AS u(letter_id)
     CROSS JOIN LATERAL (SELECT message_id, letter_index FROM letters
       WHERE sender_ean = $1 AND letter_id = u.letter_id AND duplicate_of IS NULL LIMIT 1) AS l`,
    [senderEan, letterIds],
  );
  return new Map(rows.map((row) => [row.letter_id, { messageId: row.message_id, letterIndex: row.letter_index }]));
}

export async function getMessage(db: Queryable, id: string): Promise<MessageRecord | undefined> {
  const { rows } = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [id]);
  return rows[0] ? messageFromRow(rows[0]) : undefined;
}

/** The original bytes; undefined when there is no such message or the retention policy pruned its body. */
export async function getMessageBody(db: Queryable, id: string): Promise<Buffer | undefined> {
  const { rows } = await db.query<{ body: Uint8Array }>('SELECT body FROM message_bodies WHERE message_id = $1', [id]);
  const body = rows[0]?.body;
  return body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined;
}

export async function deliveriesOfMessage(db: Queryable, messageId: string): Promise<DeliveryRecord[]> {
  const { rows } = await db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE message_id = $1 ORDER BY seq`, [messageId]);
  return rows.map(deliveryFromRow);
}

/**
 * A page of a message's timeline in the order it happened: up to `limit` events after the event
 * `afterId` (0: from the start), and whether more follow.
 */
export async function timelineOf(
  db: Queryable,
  messageId: string,
  page: { readonly afterId?: number; readonly limit?: number } = {},
): Promise<{ events: EventRecord[]; more: boolean }> {
  const limit = page.limit ?? 10_000;
  const { rows } = await db.query<{
    id: number; message_id: string; delivery_id: string | null; kind: EventKind; at: Date; detail: Record<string, unknown>; repeat_count: number; last_at: Date | null;
  }>(
    'SELECT id, message_id, delivery_id, kind, at, detail, repeat_count, last_at FROM events WHERE message_id = $1 AND id > $2 ORDER BY id LIMIT $3',
    [messageId, page.afterId ?? 0, limit + 1],
  );
  return {
    events: rows.slice(0, limit).map((row) => ({
      id: Number(row.id),
      messageId: row.message_id,
      deliveryId: row.delivery_id,
      kind: row.kind,
      at: new Date(row.at),
      detail: row.detail,
      repeatCount: Number(row.repeat_count),
      lastAt: row.last_at ? new Date(row.last_at) : null,
    })),
    more: rows.length > limit,
  };
}

/** The patient-reference key made at migration; see migrate.ts. */
export async function patientRefKey(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ value: string }>("SELECT value FROM gateway_settings WHERE name = 'patient_ref_key'");
  const value = rows[0]?.value;
  if (!value) throw new Error('gateway_settings has no patient_ref_key: run the migrations');
  return value;
}

/** The letters a delivery carries, as a receipt quotes them (identifier and VersionCode), in order. */
export async function lettersOfDelivery(
  db: Queryable,
  messageId: string,
  letterIndexes: readonly number[],
): Promise<{ letterId: string; versionCode: string }[]> {
  const { rows } = await db.query<{ letter_id: string; version_code: string }>(
    'SELECT letter_id, version_code FROM letters WHERE message_id = $1 AND letter_index = ANY($2::int[]) ORDER BY letter_index',
    [messageId, letterIndexes],
  );
  return rows.map((row) => ({ letterId: row.letter_id, versionCode: row.version_code }));
}

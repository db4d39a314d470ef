/**
 * `npm run seed:ops -- --messages 1000000 [--database-url URL] [--days 90]`: fills an empty PostgreSQL
 * database (migrated here) straight with SQL — generate_series, one statement per chunk — with a
 * realistic store for the operations queries: hospitals and municipalities exchanging letters about
 * patients over the last 90 days, each answered by a receipt message; deliveries in every state
 * (recent ones waiting, leased or delivered; older ones acknowledged, a few rejected, unacknowledged
 * or dead-lettered; one municipality that stopped polling two days ago), their timeline events,
 * deadlines (on time, late, breached, pending), endpoint activity and rejection counters.
 *
 * Bodies are short: a real body of several kilobytes is stored out of line (TOAST), so the rows the
 * queries read are as wide as here. Ends with VACUUM ANALYZE, as autovacuum would have done.
 */
import { patientRefFunction } from '../src/app/context.js';
import { DEADLINE_RULES_FILE, loadDeadlineRules } from '../src/config/deadline-config.js';
import type { DeadlineRule } from '../src/domain/deadlines/index.js';
import { fromPackageRoot } from '../src/package-root.js';
import { PostgresDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { patientRefKey } from '../src/store/message-store.js';
import {
  DEFAULT_OPS_DATABASE_URL,
  MESSAGES_PER_ORIGINAL,
  PUSH_MUNICIPALITIES,
  STUCK_MUNICIPALITY,
  STUCK_SINCE_SECONDS,
  hospitalEans,
  municipalityEans,
  patientsFor,
  seedCpr,
} from './lib/ops-dataset.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  return value ?? fallback;
}

const CHUNK = 20_000;

/**
 * One chunk of original messages g in [$1, $2] with everything that hangs off them. Random draws are
 * made once per message in `base` (MATERIALIZED, so every insert below sees the same draw).
 */
const SEED_CHUNK = `
WITH base AS MATERIALIZED (
  SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS delivery_id, gen_random_uuid() AS receipt_id, gen_random_uuid() AS receipt_delivery_id,
    -- In arrival order, as a live store is written: message g arrives in the g-th slot of the period
    -- (at a random moment within it), so a day's messages lie together on disk as they would.
    $3::timestamptz - ($4 * 86400 * (1 - (g - random()) / $10::float8)) * interval '1 second' AS at,
    random() AS r_type, random() AS r_state, random() AS r_misc,
    (floor(random() * cardinality($7::text[])) + 1)::int AS p,
    (floor(random() * cardinality($5::text[])) + 1)::int AS h,
    (floor(random() * cardinality($6::text[])) + 1)::int AS k
  FROM generate_series($1::int, $2::int) AS g),
typed AS MATERIALIZED (
  SELECT b.*,
    CASE WHEN r_type < 0.20 THEN 'XDIS20' WHEN r_type < 0.35 THEN 'XDIS17' WHEN r_type < 0.50 THEN 'XDIS18'
         WHEN r_type < 0.60 THEN 'XDIS19' WHEN r_type < 0.70 THEN 'XDIS16' WHEN r_type < 0.90 THEN 'XDIS91'
         WHEN r_type < 0.95 THEN 'GGOP' ELSE 'XDIS21' END AS type,
    extract(epoch FROM $3::timestamptz - at) AS age,
    k <= $8 AS push,
    k = $9 AS stuck
  FROM base b),
routed AS MATERIALIZED (
  SELECT t.*,
    -- admission reports and half the correspondence go from the municipality to the hospital
    CASE WHEN t.type = 'XDIS16' OR (t.type = 'XDIS91' AND t.r_misc < 0.5) THEN ($6::text[])[k] ELSE ($5::text[])[h] END AS sender,
    CASE WHEN t.type = 'XDIS16' OR (t.type = 'XDIS91' AND t.r_misc < 0.5) THEN ($5::text[])[h] ELSE ($6::text[])[k] END AS receiver,
    (t.type = 'XDIS16' OR (t.type = 'XDIS91' AND t.r_misc < 0.5)) AS to_hospital,
    ($7::text[])[p] AS patient_ref
  FROM typed t),
stated AS MATERIALIZED (
  SELECT r.*,
    CASE
      WHEN r.stuck AND NOT r.to_hospital AND r.age < ${STUCK_SINCE_SECONDS} THEN 'waiting'
      WHEN r.age < 1800 THEN CASE WHEN r_state < 0.5 THEN 'waiting' WHEN r_state < 0.6 AND NOT (r.push AND NOT r.to_hospital) THEN 'leased'
                                  WHEN r_state < 0.9 THEN 'delivered' ELSE 'acknowledged' END
      WHEN r.age < 86400 THEN CASE WHEN r_state < 0.85 THEN 'acknowledged' WHEN r_state < 0.93 THEN 'delivered' WHEN r_state < 0.96 THEN 'waiting'
                                   WHEN r_state < 0.98 THEN 'rejected' WHEN r_state < 0.99 AND r.push AND NOT r.to_hospital THEN 'dead' ELSE 'unacknowledged' END
      ELSE CASE WHEN r_state < 0.95 THEN 'acknowledged' WHEN r_state < 0.975 THEN 'rejected' WHEN r_state < 0.99 THEN 'unacknowledged'
                WHEN r.push AND NOT r.to_hospital THEN 'dead' ELSE 'acknowledged' END
    END AS state,
    r.at + (30 + r_misc * 600) * interval '1 second' AS delivered_at,
    r.at + (600 + r_misc * 5400) * interval '1 second' AS answered_at
  FROM routed r),
m AS (
  INSERT INTO messages (id, sender_ean, envelope_id, sha256, content_type, encoding, generation, ack_requested, origin, status, summary, received_at)
  SELECT id, sender, 'E' || g, md5(g::text) || md5(id::text), 'application/xml; charset=utf-8',
    'utf-8', 'XD2034L', true, 'endpoint', 'accepted',
    jsonb_build_object('generation', '2007', 'acknowledgementCode', 'pluspositivkvitt', 'sent', jsonb_build_object('date', to_char(at, 'YYYY-MM-DD'), 'time', to_char(at, 'HH24:MI')),
      'letters', jsonb_build_array(jsonb_build_object('index', 0, 'letterId', 'L' || g, 'type', type, 'versionCode', 'XD2034L', 'receiverEan', receiver, 'copies', '[]'::jsonb)),
      'warnings', '[]'::jsonb),
    at
  FROM stated),
mb AS (
  INSERT INTO message_bodies (message_id, body)
  SELECT id, convert_to('<?xml version="1.0" encoding="UTF-8"?><Emessage><Envelope><Identifier>E' || g || '</Identifier></Envelope><!-- ' || type || ' -->' || repeat('Borgeren udskrives til eget hjem. ', 6) || '</Emessage>', 'UTF8')
  FROM stated),
l AS (
  INSERT INTO letters (message_id, letter_index, letter_id, type, version_code, sender_ean, patient_ref)
  SELECT id, 0, 'L' || g, type, 'XD2034L', sender, patient_ref FROM stated),
d AS (
  INSERT INTO deliveries (id, message_id, letter_indexes, receiver_ean, role, mode, patient_refs, state, lease_until, offers, push_attempts,
    delivered_at, receipt_due_at, receipt_kind, receipt_message_id, receipt_content, updated_at)
  SELECT delivery_id, id, '{0}', receiver, 'receiver', CASE WHEN push AND NOT to_hospital THEN 'push' ELSE 'pull' END, ARRAY[patient_ref], state,
    CASE WHEN state = 'leased' THEN $3::timestamptz + interval '60 seconds' END,
    CASE WHEN state = 'waiting' THEN 0 ELSE 1 END,
    CASE WHEN push AND NOT to_hospital THEN CASE WHEN state = 'dead' THEN 8 WHEN state = 'waiting' THEN 0 ELSE 1 END ELSE 0 END,
    CASE WHEN state IN ('delivered', 'acknowledged', 'rejected', 'unacknowledged') THEN delivered_at END,
    CASE WHEN state = 'delivered' THEN delivered_at + interval '30 minutes' END,
    CASE state WHEN 'acknowledged' THEN 'positive' WHEN 'rejected' THEN 'negative' END,
    CASE WHEN state IN ('acknowledged', 'rejected') THEN receipt_id END,
    CASE state WHEN 'acknowledged' THEN '{"kind":"positive"}'::jsonb WHEN 'rejected' THEN '{"kind":"negative","refuseCode":"ikke_specificeret"}'::jsonb END,
    CASE WHEN state IN ('acknowledged', 'rejected') THEN answered_at WHEN state = 'dead' THEN at + interval '3 hours'
         WHEN state = 'unacknowledged' THEN at + interval '95 minutes' ELSE delivered_at END
  FROM stated ORDER BY at),
-- The receipts answering the acknowledged and rejected deliveries, each in the original sender's inbox.
rm AS (
  INSERT INTO messages (id, sender_ean, envelope_id, sha256, content_type, encoding, generation, ack_requested, origin, status, summary, received_at)
  SELECT receipt_id, receiver, 'R' || g, md5('r' || g) || md5(receipt_id::text), 'application/xml; charset=utf-8',
    'utf-8', 'XCTL03', false, CASE WHEN r_misc < 0.5 THEN 'gateway' ELSE 'endpoint' END, 'accepted',
    jsonb_build_object('generation', '2007', 'acknowledgementCode', 'minuspositivkvitt', 'sent', jsonb_build_object('date', to_char(answered_at, 'YYYY-MM-DD'), 'time', to_char(answered_at, 'HH24:MI')),
      'letters', jsonb_build_array(jsonb_build_object('index', 0, 'letterId', 'RL' || g, 'type', CASE WHEN state = 'acknowledged' THEN 'XCTL03' ELSE 'XCTL02' END,
        'versionCode', 'XCTL03', 'receiverEan', sender, 'copies', '[]'::jsonb, 'answers', jsonb_build_object('originalEnvelopeId', 'E' || g, 'kind', CASE WHEN state = 'acknowledged' THEN 'positive' ELSE 'negative' END))),
      'warnings', '[]'::jsonb),
    answered_at
  FROM stated WHERE state IN ('acknowledged', 'rejected')),
rmb AS (
  INSERT INTO message_bodies (message_id, body)
  SELECT receipt_id, convert_to('<?xml version="1.0" encoding="UTF-8"?><Emessage><Envelope><Identifier>R' || g || '</Identifier></Envelope></Emessage>', 'UTF8')
  FROM stated WHERE state IN ('acknowledged', 'rejected')),
rl AS (
  INSERT INTO letters (message_id, letter_index, letter_id, type, version_code, sender_ean, patient_ref)
  SELECT receipt_id, 0, 'RL' || g, CASE WHEN state = 'acknowledged' THEN 'XCTL03' ELSE 'XCTL02' END, 'XCTL03', receiver, NULL
  FROM stated WHERE state IN ('acknowledged', 'rejected')),
rd AS (
  INSERT INTO deliveries (id, message_id, letter_indexes, receiver_ean, role, mode, patient_refs, state, offers, delivered_at, updated_at)
  SELECT receipt_delivery_id, receipt_id, '{0}', sender, 'receiver', 'pull', '{}', CASE WHEN age < 1800 THEN 'waiting' ELSE 'delivered' END,
    CASE WHEN age < 1800 THEN 0 ELSE 1 END, CASE WHEN age >= 1800 THEN answered_at + interval '2 minutes' END, answered_at
  FROM stated WHERE state IN ('acknowledged', 'rejected') ORDER BY answered_at),
e AS (
  INSERT INTO events (message_id, delivery_id, kind, at, detail)
  SELECT x.message_id, x.delivery_id, x.kind, x.at, x.detail
  FROM stated s CROSS JOIN LATERAL (VALUES
    (s.id, NULL::uuid, 'accepted', s.at, jsonb_build_object('letters', 1, 'deliveries', 1), true),
    (s.id, s.delivery_id, 'leased', s.delivered_at - interval '5 seconds', '{}'::jsonb, s.state NOT IN ('waiting', 'dead') AND NOT (s.push AND NOT s.to_hospital)),
    (s.id, s.delivery_id, CASE WHEN s.push AND NOT s.to_hospital THEN 'pushed' ELSE 'fetched' END, s.delivered_at, '{}'::jsonb,
       s.state IN ('delivered', 'acknowledged', 'rejected', 'unacknowledged')),
    (s.id, s.delivery_id, 'push-failed', s.at + interval '1 hour', jsonb_build_object('attempt', 8, 'final', true, 'reason', 'HTTP 503'), s.state = 'dead'),
    (s.id, s.delivery_id, 'dead-lettered', s.at + interval '3 hours', jsonb_build_object('attempts', 8, 'reason', 'HTTP 503'), s.state = 'dead'),
    (s.id, s.delivery_id, 'unacknowledged', s.at + interval '95 minutes', '{}'::jsonb, s.state = 'unacknowledged'),
    (s.id, s.delivery_id, 'receipted', s.answered_at, jsonb_build_object('kind', CASE WHEN s.state = 'acknowledged' THEN 'positive' ELSE 'negative' END, 'receiptMessageId', s.receipt_id),
       s.state IN ('acknowledged', 'rejected')),
    (s.id, NULL, 'receipt-sent', s.answered_at, jsonb_build_object('receiptMessageId', s.receipt_id), s.state IN ('acknowledged', 'rejected')),
    (s.receipt_id, NULL, 'accepted', s.answered_at, jsonb_build_object('letters', 1, 'deliveries', 1), s.state IN ('acknowledged', 'rejected')),
    (s.receipt_id, s.receipt_delivery_id, 'fetched', s.answered_at + interval '2 minutes', '{}'::jsonb, s.state IN ('acknowledged', 'rejected') AND s.age >= 1800)
  ) AS x(message_id, delivery_id, kind, at, detail, keep)
  WHERE x.keep
  ORDER BY x.at),
dl AS (
  -- The deadlines the packaged rule set starts on these messages ($11: each rule's title and severity,
  -- read from it). An admission advice starts D19 and a warning of discharge D1: both are fulfilled by
  -- the message itself, so they are judged on arrival, on time or late, and never wait. A hospital's
  -- correspondence to a municipality starts D17, an answer from the receiver within 24 hours: it waits
  -- (pending with its breach timer), or was answered on time or late, or breached.
  INSERT INTO deadlines (id, rule_id, title, severity, state, message_id, letter_index, letter_id, letter_type, sender_ean, receiver_ean, obliged_ean,
    patient_ref, fulfil_kind, fulfil_types, due_at, late_after, breach_at, started_at, fulfilled_at, breached_at, evaluation, updated_at)
  SELECT gen_random_uuid(), rule, $11::jsonb -> rule ->> 'title', $11::jsonb -> rule ->> 'severity', st, id, 0, 'L' || g, type, sender, receiver,
    CASE WHEN correlated THEN receiver ELSE sender END, patient_ref,
    CASE WHEN correlated THEN 'correlated-message' ELSE 'starting-message' END,
    CASE WHEN correlated THEN '{XDIS91,XDIS90}'::text[] ELSE '{}'::text[] END,
    due, due, CASE WHEN st = 'pending' THEN due END, at,
    CASE WHEN correlated AND st IN ('on-time', 'late') THEN LEAST($3::timestamptz, at + (CASE WHEN st = 'late' THEN 30 ELSE 10 END) * interval '1 hour') END,
    CASE WHEN st = 'breached' THEN due END,
    jsonb_build_object('ruleId', rule, 'state', st), at
  FROM (SELECT y.*,
          -- judged on arrival: a late one's limit (the end of the admission or service day) had passed
          CASE WHEN y.correlated THEN y.at + interval '24 hours'
               WHEN y.st = 'late' THEN date_trunc('day', y.at) ELSE date_trunc('day', y.at) + interval '1 day' END AS due
        FROM (SELECT s.*, s.type = 'XDIS91' AS correlated,
                CASE s.type WHEN 'XDIS20' THEN 'D19' WHEN 'XDIS19' THEN 'D1' ELSE 'D17' END AS rule,
                CASE WHEN s.type <> 'XDIS91' THEN CASE WHEN s.r_misc < 0.94 THEN 'on-time' ELSE 'late' END
                     WHEN s.age < 86400 THEN CASE WHEN s.r_misc < 0.7 THEN 'pending' ELSE 'on-time' END
                     WHEN s.r_misc < 0.88 THEN 'on-time' WHEN s.r_misc < 0.94 THEN 'late' ELSE 'breached' END AS st
              FROM stated s WHERE s.type IN ('XDIS20', 'XDIS19') OR (s.type = 'XDIS91' AND NOT s.to_hospital)) y) x)
SELECT (SELECT count(*) FROM stated)::int AS originals, (SELECT count(*) FROM stated WHERE state IN ('acknowledged', 'rejected'))::int AS receipts`;

async function main(): Promise<void> {
  const target = Number(option('messages', '1000000'));
  const days = Number(option('days', '90'));
  const url = option('database-url', process.env.MEDCOM_OPS_DATABASE_URL ?? DEFAULT_OPS_DATABASE_URL);
  if (!Number.isInteger(target) || target < 100 || !(days >= 1 && days <= 3650)) {
    console.error('usage: npm run seed:ops -- --messages N (at least 100) [--days 1..3650] [--database-url URL]');
    process.exit(2);
  }
  const db = new PostgresDatabase(url, { max: 2 });
  try {
    await migrate(db);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages');
    if ((rows[0]?.n ?? 0) > 0) {
      console.error(`${new URL(url).pathname.slice(1)} already holds ${rows[0]?.n} messages: seed an empty database (dropdb/createdb)`);
      process.exit(2);
    }
    const key = await patientRefKey(db);
    const patientRef = patientRefFunction(key);
    const patients = patientsFor(target);
    const refs = Array.from({ length: patients }, (_, i) => patientRef(seedCpr(i)));
    const hospitals = hospitalEans();
    const municipalities = municipalityEans();
    const now = new Date();
    const originals = Math.round(target / MESSAGES_PER_ORIGINAL);
    const seededRules = JSON.stringify(rulesSeeded());
    const started = Date.now();
    let inserted = 0;
    for (let lo = 1; lo <= originals; lo += CHUNK) {
      const hi = Math.min(originals, lo + CHUNK - 1);
      const result = await db.query<{ originals: number; receipts: number }>(SEED_CHUNK, [
        lo, hi, now, days, hospitals, municipalities, refs, PUSH_MUNICIPALITIES, STUCK_MUNICIPALITY, originals, seededRules,
      ]);
      inserted += (result.rows[0]?.originals ?? 0) + (result.rows[0]?.receipts ?? 0);
      process.stdout.write(`\r${inserted} messages (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    process.stdout.write('\n');
    await seedSideTables(db, hospitals, municipalities, now);
    console.log('VACUUM ANALYZE …');
    for (const table of ['messages', 'letters', 'deliveries', 'events', 'deadlines', 'endpoint_activity', 'rejections', 'audit_log']) {
      await db.query(`VACUUM ANALYZE ${table}`);
    }
    const sizes = await db.query<{ relation: string; size: string }>(
      `SELECT relname AS relation, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
       WHERE relname IN ('messages', 'letters', 'deliveries', 'events', 'deadlines') ORDER BY relname`,
    );
    console.log(`seeded ${inserted} messages (${originals} letters and their receipts), ${patients} patients, ${hospitals.length + municipalities.length} endpoints, ${days} days in ${Math.round((Date.now() - started) / 1000)} s`);
    for (const row of sizes.rows) console.log(`  ${row.relation}: ${row.size}`);
  } finally {
    await db.close();
  }
}

/**
 * The rules the seed writes deadlines for, as the packaged rule set defines them: each must be an
 * enabled deadline there, fulfilled the way the seed's rows are, or the seed stops rather than write
 * deadlines the gateway would never start.
 */
function rulesSeeded(): Record<string, { title: string; severity: string }> {
  const file = fromPackageRoot('config', DEADLINE_RULES_FILE);
  const rules = loadDeadlineRules(file).rules;
  const expected: Record<string, (rule: DeadlineRule) => boolean> = {
    D19: (rule) => rule.fulfilledBy.kind === 'starting-message' && rule.startedBy.types.includes('XDIS20'),
    D1: (rule) => rule.fulfilledBy.kind === 'starting-message' && rule.startedBy.types.includes('XDIS19'),
    D17: (rule) =>
      rule.fulfilledBy.kind === 'correlated-message' && rule.fulfilledBy.from === 'receiver' && rule.startedBy.types.includes('XDIS91') && rule.fulfilledBy.types.join() === 'XDIS91,XDIS90',
  };
  const seeded: Record<string, { title: string; severity: string }> = {};
  for (const [id, fits] of Object.entries(expected)) {
    const rule = rules.find((r) => r.id === id);
    if (!rule || rule.kind !== 'deadline' || rule.enabled === false || !fits(rule)) {
      throw new Error(`${file}: the seed writes ${id} deadlines, but the default rule set does not start ${id} as the seed assumes; update bench/ops-seed.ts`);
    }
    seeded[id] = { title: rule.title, severity: rule.severity };
  }
  return seeded;
}

/** Endpoint activity (the stuck municipality last polled when it stopped), rejection counters and a few audit rows. */
async function seedSideTables(db: PostgresDatabase, hospitals: string[], municipalities: string[], now: Date): Promise<void> {
  const stuck = municipalities[STUCK_MUNICIPALITY - 1];
  await db.query(
    `INSERT INTO endpoint_activity (endpoint_ean, last_polled_at, last_pushed_at)
     SELECT ean, CASE WHEN ean = $3 THEN $2::timestamptz - interval '${STUCK_SINCE_SECONDS} seconds' ELSE $2::timestamptz - random() * interval '20 seconds' END, NULL
     FROM unnest($1::text[]) AS ean`,
    [[...hospitals, ...municipalities], now, stuck],
  );
  await db.query(
    `INSERT INTO rejections (minute, type, reason, count)
     SELECT date_trunc('minute', $1::timestamptz - m * interval '1 minute'), t, r, 1 + floor(random() * 3)::int
     FROM generate_series(0, 1439, 7) AS m, unnest('{XDIS17,XDIS20,XDIS91,unknown}'::text[]) AS t, unnest('{invalid-message,unroutable}'::text[]) AS r
     WHERE random() < 0.3
     ON CONFLICT DO NOTHING`,
    [now],
  );
  await db.query(
    `INSERT INTO audit_log (at, operator, key_id, action, message_id, reason, details)
     SELECT $1::timestamptz - g * interval '17 minutes', 'Demo operator', 'demo-ops', 'body-read', m.id, 'checking the discharge report arrived', '{}'::jsonb
     FROM generate_series(1, 2000) AS g JOIN LATERAL (SELECT id FROM messages OFFSET g LIMIT 1) m ON true`,
    [now],
  );
}

await main();

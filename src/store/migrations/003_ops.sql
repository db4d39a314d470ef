-- Operations: what the ops overview, search, message view, audit log, pause/resume and dead-letter
-- handling read and write. Every index below is named for the query it serves; they were chosen for a
-- store of 1,000,000 messages (docs/operations-scale.md has the plans and the measured times).

-- Who read or did what, when and why. Health data: every body read and every action is written here.
CREATE TABLE audit_log (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL,
  -- the operator's name and the id of the key they logged in with
  operator      text NOT NULL,
  key_id        text,
  action        text NOT NULL,
  message_id    uuid,
  -- keyed hash of the patient's CPR number, as in letters.patient_ref (never the number itself)
  patient_ref   text,
  reason        text,
  details       jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- The audit list reads newest first over a period, keyset-paginated on (at, id).
CREATE INDEX audit_log_by_time ON audit_log (at, id);

-- The audit list filtered by operator over a period.
CREATE INDEX audit_log_by_operator ON audit_log (operator, at, id);

-- A message's timeline shows the ops actions taken on it.
CREATE INDEX audit_log_by_message ON audit_log (message_id) WHERE message_id IS NOT NULL;

-- When each endpoint last polled its inbox or last accepted a push. Written at most once every few
-- seconds per endpoint (see endpoint-state-store.ts), so polling does not turn into a write per poll.
CREATE TABLE endpoint_activity (
  endpoint_ean    text PRIMARY KEY,
  last_polled_at  timestamptz,
  last_pushed_at  timestamptz
);

-- Paused receivers: their deliveries wait (nothing is lost) until they are resumed.
CREATE TABLE endpoint_pauses (
  endpoint_ean  text PRIMARY KEY,
  paused_at     timestamptz NOT NULL,
  operator      text NOT NULL,
  reason        text NOT NULL
);

-- Messages refused at the door are not stored, so they are counted here: one row per minute, type and
-- reason (the problem type's slug), bumped by the accept path.
CREATE TABLE rejections (
  minute  timestamptz NOT NULL,
  type    text NOT NULL,
  reason  text NOT NULL,
  count   integer NOT NULL,
  PRIMARY KEY (minute, type, reason)
);

-- Search newest first (keyset on received_at, id) with no other filter or a time range only, and the
-- overview's accepted-per-type counts over the last hour and day.
CREATE INDEX messages_by_time ON messages (received_at, id);

-- Search by sender (with or without a time range), newest first: the common "what did X send" question.
CREATE INDEX messages_by_sender_time ON messages (sender_ean, received_at, id);

-- Search by envelope identifier alone; the unique constraint leads with the sender and cannot serve it.
CREATE INDEX messages_by_envelope ON messages (envelope_id);

-- Search by letter identifier alone; letters_by_sender_letter leads with the sender.
CREATE INDEX letters_by_letter_id ON letters (letter_id);

-- The message view's duplicates: the resends that point at this message. Few letters are resends.
CREATE INDEX letters_resends ON letters (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Deliveries still in play: not yet delivered, delivered and awaiting the receipt asked for, or
-- stopped (unacknowledged, dead-lettered). Almost every delivery ends acknowledged, rejected, or
-- delivered with no receipt asked for (receipts themselves, minuspositivkvitt), so this partial index
-- stays a small fraction of the table and serves, index-only: the overview's counts per receiver and
-- state, receipts overdue (receipt_due_at passed), search by such a state (leading state), and the
-- dead-letter list.
CREATE INDEX deliveries_unsettled ON deliveries (state, receiver_ean, receipt_due_at, message_id)
  WHERE state IN ('waiting', 'leased', 'unacknowledged', 'dead') OR (state = 'delivered' AND receipt_due_at IS NOT NULL);

-- Deadline breaches today and this week.
CREATE INDEX deadlines_breached ON deadlines (breached_at) WHERE breached_at IS NOT NULL;

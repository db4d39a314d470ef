-- Deadlines of the health agreements (issue 4): one row per rule a letter started, judged at acceptance
-- (on-time, late, not-evaluable, validation-warning) or tracked until a fulfilment or its breach time
-- (pending → on-time | late | breached; breached → late when the fulfilment comes after all).

CREATE TABLE deadlines (
  id                       uuid PRIMARY KEY,
  rule_id                  text NOT NULL,
  title                    text NOT NULL,
  severity                 text NOT NULL,
  state                    text NOT NULL,
  message_id               uuid NOT NULL REFERENCES messages (id),
  letter_index             integer NOT NULL,
  letter_id                text NOT NULL,
  letter_type              text NOT NULL,
  sender_ean               text NOT NULL,
  receiver_ean             text NOT NULL,
  -- the endpoint that must act (send the warning, the plan, the answer, report the first contact)
  obliged_ean              text NOT NULL,
  -- keyed hash of the CPR number, as in letters.patient_ref
  patient_ref              text,
  episode_id               text,
  -- 'starting-message', 'correlated-message', 'explicit' or 'receipt'; what fulfils it
  fulfil_kind              text NOT NULL,
  fulfil_types             text[] NOT NULL,
  -- a fulfilling message up to this many days before the start also counts (D10)
  lookback_days            integer,
  due_at                   timestamptz,
  -- the late limit: arrival after it is late (equals due_at when the rule has no earlier due mark)
  late_after               timestamptz,
  late_unit                text,
  late_day                 text,
  breach_at                timestamptz,
  started_at               timestamptz NOT NULL,
  fulfilled_at             timestamptz,
  fulfilled_by_message_id  uuid REFERENCES messages (id),
  fulfilment_note          text,
  breached_at              timestamptz,
  late_by                  jsonb,
  -- the evaluation as reported when the deadline started
  evaluation               jsonb NOT NULL,
  updated_at               timestamptz NOT NULL
);

CREATE INDEX deadlines_open_by_patient ON deadlines (patient_ref, obliged_ean) WHERE fulfilled_at IS NULL;

CREATE INDEX deadlines_by_message ON deadlines (message_id);

CREATE INDEX deadlines_by_start ON deadlines (started_at);

-- Plans sent before the discharge advice are found by sender, type and patient (D10 looks back).
ALTER TABLE letters ADD COLUMN episode_id text;

CREATE INDEX letters_by_patient ON letters (patient_ref, sender_ean, type) WHERE patient_ref IS NOT NULL;

-- Outbox rows now also carry deadline breach timers.
ALTER TABLE outbox ALTER COLUMN delivery_id DROP NOT NULL;

ALTER TABLE outbox ADD COLUMN deadline_id uuid REFERENCES deadlines (id);

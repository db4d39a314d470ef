-- Discharges of an episode as the gateway has seen them (an XDIS17 discharge advice, an XDIS21 agreed
-- or an XDIS19 planned discharge): a retraining plan carries no Discharge, and its first-contact
-- deadline (D7) counts from the later of the plan's arrival and the discharge. A deadline waiting for
-- the discharge is 'awaiting-start' until one is recorded here.

CREATE TABLE episode_discharges (
  message_id     uuid NOT NULL REFERENCES messages (id),
  letter_index   integer NOT NULL,
  -- keyed hash of the CPR number, as in letters.patient_ref
  patient_ref    text NOT NULL,
  -- the hospital that states the discharge
  sender_ean     text NOT NULL,
  episode_id     text,
  -- 'discharge' (done), 'agreed' or 'planned'
  kind           text NOT NULL,
  -- Copenhagen calendar date, and the instant when the message gives a time of day
  discharge_day  text NOT NULL,
  discharge_at   timestamptz,
  received_at    timestamptz NOT NULL,
  PRIMARY KEY (message_id, letter_index)
);

CREATE INDEX episode_discharges_by_patient ON episode_discharges (patient_ref, sender_ean);

CREATE INDEX deadlines_awaiting_start ON deadlines (patient_ref, sender_ean) WHERE state = 'awaiting-start';

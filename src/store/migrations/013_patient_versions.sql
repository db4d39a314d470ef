-- A version per patient (keyed reference, as in letters.patient_ref) whose messages correlate
-- deadlines: every accept that reads or changes a patient's deadlines, discharges or fulfilling letters
-- advances it. The group-committed insert makes those reads in its statement's snapshot and writes only
-- when the version it saw there is still the latest. INSERT … ON CONFLICT, unlike a snapshot read,
-- waits for a concurrent writer of the row and then sees its committed version; so a message accepted
-- while another one about the same patient commits writes nothing, and goes the careful way under the
-- patient lock instead. Nothing but the keyed reference is stored.
CREATE TABLE patient_versions (
  patient_ref text PRIMARY KEY,
  version     bigint NOT NULL
);

-- Who recorded a deadline's fulfilment and when, beside the time the fulfilment claims (fulfilled_at):
-- an explicit fulfilment says when the obliged action was done, and that claim is only as good as
-- knowing who made it and when. A fulfilment by a message is recorded by the gateway as it arrives.

ALTER TABLE deadlines ADD COLUMN fulfilment_recorded_at timestamptz;

ALTER TABLE deadlines ADD COLUMN fulfilment_recorded_by text;

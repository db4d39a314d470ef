-- Warnings given outside MedCom. The agreements allow a discharge warning by "telefonisk besked, sikker
-- e-mail eller FAX" and an admission advice "på anden vis": a deadline may be fulfilled through such a
-- channel, recorded by the obliged hospital or an operator, and the compliance report counts these
-- apart from fulfilments by a MedCom message.
ALTER TABLE deadlines ADD COLUMN fulfilment_channel text
  CHECK (fulfilment_channel IN ('phone', 'secure-email', 'fax', 'letter', 'in-person'));

-- A warning given outside MedCom for which no message exists starts its deadline and fulfils it at
-- once: that deadline has no starting message or letter, only its channel.
ALTER TABLE deadlines ALTER COLUMN message_id DROP NOT NULL;
ALTER TABLE deadlines ALTER COLUMN letter_index DROP NOT NULL;
ALTER TABLE deadlines ALTER COLUMN letter_id DROP NOT NULL;
ALTER TABLE deadlines ALTER COLUMN letter_type DROP NOT NULL;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_started_by_message_or_channel
  CHECK (message_id IS NOT NULL OR (fulfilment_channel IS NOT NULL AND fulfilled_at IS NOT NULL));

-- An operator's redelivery: a new delivery of a message to one of its receivers, made from an earlier
-- one. The new row points at the delivery it was made from, so the message detail shows the lineage.
ALTER TABLE deliveries ADD COLUMN redelivery_of uuid REFERENCES deliveries (id);

-- The message detail reads the lineage of a message's deliveries (few rows have a parent).
CREATE INDEX deliveries_redelivery_of ON deliveries (redelivery_of) WHERE redelivery_of IS NOT NULL;

-- The inbox lease takes a receiver's oldest open pull deliveries in order. The deliveries already
-- answered (most of a receiver's rows, and all of them after a backlog is drained) are not in this
-- index, so a lease reads only what it may hand out, however long the receiver's history is.
CREATE INDEX deliveries_open_inbox ON deliveries (receiver_ean, seq) WHERE mode = 'pull' AND state IN ('waiting', 'leased');

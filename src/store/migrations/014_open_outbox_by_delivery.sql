-- A delivery's open outbox rows (its receipt watchdog, its push), found by the delivery. Fetching a
-- batch retires the watchdogs it supersedes and recording a receipt retires the delivery's watchdog;
-- without this index each of them scanned every open outbox row, and a receiver draining a backlog
-- has one open watchdog per fetched message (0.2 s per batch of 100 at 10 000 of them).
CREATE INDEX outbox_open_by_delivery ON outbox (delivery_id) WHERE done_at IS NULL AND delivery_id IS NOT NULL;

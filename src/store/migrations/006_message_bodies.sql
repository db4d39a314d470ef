-- Message bodies move to a narrow table of their own, so the retention policy can remove old bodies
-- with a DELETE that (auto)vacuum turns into reusable space, without rewriting the wide messages
-- table. Everything else about a message (metadata, letters, deliveries, receipts, deadlines, events)
-- stays where it was. Forward-only: a gateway older than this migration cannot read this store.

CREATE TABLE message_bodies (
  message_id  uuid PRIMARY KEY REFERENCES messages (id),
  body        bytea NOT NULL
);

INSERT INTO message_bodies (message_id, body) SELECT id, body FROM messages;

ALTER TABLE messages DROP COLUMN body;

-- When the retention policy removed the body; NULL while it is kept.
ALTER TABLE messages ADD COLUMN body_pruned_at timestamptz;

-- Retention looks for old messages whose body is still there.
CREATE INDEX messages_retention ON messages (received_at) WHERE body_pruned_at IS NULL;

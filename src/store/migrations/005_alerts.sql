-- Alerts raised by the rules of config/alerts.json. At most one open alert per rule and subject
-- (an endpoint or a deadline rule): the partial unique index lets exactly one of several worker
-- processes raise it, and exactly one clear it.
CREATE TABLE alerts (
  id          bigserial PRIMARY KEY,
  rule_id     text NOT NULL,
  kind        text NOT NULL,
  subject     text NOT NULL,
  message     text NOT NULL,
  value       double precision NOT NULL,
  raised_at   timestamptz NOT NULL,
  cleared_at  timestamptz
);

CREATE UNIQUE INDEX alerts_open ON alerts (rule_id, subject) WHERE cleared_at IS NULL;

CREATE INDEX alerts_by_time ON alerts (raised_at DESC);

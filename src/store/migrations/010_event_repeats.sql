-- A receiver that fetches the same message 200 times, or repeats the same receipt, must not grow the
-- timeline by 200 rows: a receiver's event (leased, lease-expired, fetched, receipt-repeated) or a failed
-- push identical (same message, delivery, kind and detail) to one of the last
-- two on the delivery's timeline is counted on that row instead of stored again. The timeline then reads
-- "fetched x200, last at ...". Two, not one, so fetching and answering in turn is counted too; not any
-- earlier one, so the fetch after a re-offer still shows after the re-offer. A trigger does it, so every
-- statement that records an event (many are CTEs) counts repeats the same way, on PostgreSQL and PGlite.

ALTER TABLE events ADD COLUMN repeat_count integer NOT NULL DEFAULT 1;

-- When the last repeat happened (NULL while the event happened once).
ALTER TABLE events ADD COLUMN last_at timestamptz;

CREATE FUNCTION events_count_repeats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  earlier bigint;
BEGIN
  -- Only what a receiver (or a failing push endpoint) can repeat at will is counted. The gateway's own
  -- steps are never folded: the push after a re-offer is a new push, and must show as one.
  IF NEW.kind NOT IN ('leased', 'lease-expired', 'fetched', 'receipt-repeated', 'push-failed') THEN
    RETURN NEW;
  END IF;
  SELECT latest.id INTO earlier FROM (
    SELECT id, kind, detail FROM events
    WHERE message_id = NEW.message_id AND delivery_id IS NOT DISTINCT FROM NEW.delivery_id
    ORDER BY id DESC LIMIT 2) latest
  WHERE latest.kind = NEW.kind AND latest.detail = NEW.detail
  ORDER BY latest.id DESC LIMIT 1;
  IF earlier IS NULL THEN
    RETURN NEW;
  END IF;
  UPDATE events SET repeat_count = repeat_count + 1, last_at = GREATEST(COALESCE(last_at, at), NEW.at) WHERE id = earlier;
  RETURN NULL;
END
$$;

CREATE TRIGGER events_count_repeats BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_count_repeats();

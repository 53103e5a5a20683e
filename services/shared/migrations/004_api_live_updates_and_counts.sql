-- For the API (issue 4): live alert changes over LISTEN/NOTIFY, and a stored-readings count that stays
-- cheap at any table size.

-- Every alert insert or update (opened, escalated, acknowledged, resolved) is announced on commit. Alerts
-- change a few times per device per hour, so a row-level trigger costs nothing that matters; the payload
-- carries only the id (NOTIFY payloads are limited to 8000 bytes), listeners read the row.
CREATE FUNCTION notify_alert_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('telemetry_alerts', json_build_object('alert_id', NEW.alert_id, 'op', lower(TG_OP))::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER alerts_notify AFTER INSERT OR UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION notify_alert_change();

-- Readings stored, per Kafka partition. count(*) over raw_events grows with history (minutes at a billion
-- rows); this is kept by statement-level triggers instead: one upsert per batch statement, never per row.
-- One row per partition, and a batch transaction only ever writes one partition, which it already holds
-- locked in consumer_offsets, so the counter adds no contention between processors.
CREATE TABLE raw_event_counts (
  kafka_partition integer PRIMARY KEY,
  events          bigint NOT NULL
);

CREATE FUNCTION count_raw_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO raw_event_counts AS c (kafka_partition, events)
  SELECT kafka_partition, count(*) FROM inserted_rows GROUP BY kafka_partition ORDER BY kafka_partition
  ON CONFLICT (kafka_partition) DO UPDATE SET events = c.events + EXCLUDED.events;
  RETURN NULL;
END
$$;

CREATE FUNCTION count_raw_events_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE raw_event_counts c SET events = c.events - d.n
    FROM (SELECT kafka_partition, count(*) AS n FROM deleted_rows GROUP BY kafka_partition) d
   WHERE c.kafka_partition = d.kafka_partition;
  RETURN NULL;
END
$$;

CREATE FUNCTION count_raw_events_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM raw_event_counts;
  RETURN NULL;
END
$$;

-- Counting and attaching the triggers happen under one lock, so no insert falls between the two.
LOCK TABLE raw_events IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO raw_event_counts (kafka_partition, events)
SELECT kafka_partition, count(*) FROM raw_events GROUP BY kafka_partition;

CREATE TRIGGER raw_events_count_insert AFTER INSERT ON raw_events
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_inserted();
CREATE TRIGGER raw_events_count_delete AFTER DELETE ON raw_events
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_deleted();
CREATE TRIGGER raw_events_count_truncate AFTER TRUNCATE ON raw_events
  FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_truncated();

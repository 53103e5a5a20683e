-- Raw readings partitioned by event time (issue 19). One table grew without bound; now each day (or the
-- configured width) is a partition the processor creates ahead and drops when it leaves the raw retention:
-- a DROP TABLE instead of a long DELETE, no bloat, and indexes as small as one partition.
--
-- Idempotency: a partitioned table's unique key must contain the partition key, so the key is
-- (ts_event, event_id). A reading's event time travels inside the same immutable record value as its id:
-- a Kafka redelivery or a replay from the earliest offset re-reads those bytes, the ingest API mints the id
-- together with the record it publishes, and a dead-letter replay republishes the stored bytes. So every
-- repeat of an event id carries the same ts_event, lands in the same partition and hits this key. The
-- horizon of that guarantee is the raw retention: a reading older than storage_horizons' raw boundary is
-- counted as expired and not stored (see docs/storage.md).
--
-- Migration of an existing database: the old table is kept, with its rows, as the partition for
-- everything before the day after its newest reading (MINVALUE .. D); it is dropped as a whole once D
-- leaves the raw retention. A new database drops the empty old table instead.

ALTER TABLE raw_events RENAME TO raw_events_legacy;
ALTER INDEX raw_events_pkey RENAME TO raw_events_legacy_pkey;
ALTER INDEX raw_events_zone_sensor_ts RENAME TO raw_events_legacy_zone_sensor_ts;
ALTER INDEX raw_events_device_ts RENAME TO raw_events_legacy_device_ts;
ALTER INDEX raw_events_ingested_brin RENAME TO raw_events_legacy_ingested_brin;
ALTER INDEX raw_events_lateness RENAME TO raw_events_legacy_lateness;
DROP TRIGGER raw_events_count_insert ON raw_events_legacy;
DROP TRIGGER raw_events_count_delete ON raw_events_legacy;
DROP TRIGGER raw_events_count_truncate ON raw_events_legacy;

CREATE TABLE raw_events (
  event_id        uuid NOT NULL,
  device_id       text NOT NULL,
  site_id         text NOT NULL,
  zone_id         text NOT NULL,
  sensor_type     text NOT NULL CONSTRAINT raw_events_sensor_type_check CHECK (sensor_type IN ('co2', 'temperature', 'humidity', 'occupancy')),
  value           double precision NOT NULL,
  unit            text,
  ts_event        timestamptz NOT NULL,
  ingested_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  -- (constraints named as on the old table: attaching it matches them by name)
  lateness        text NOT NULL DEFAULT 'on_time' CONSTRAINT raw_events_lateness_check CHECK (lateness IN ('on_time', 'late', 'too_late')),
  -- Event time first: inside a partition new keys append at the right edge instead of landing anywhere.
  PRIMARY KEY (ts_event, event_id)
) PARTITION BY RANGE (ts_event);
-- Latest reading per device, and the device route's last hour (the API's only raw lookups by series).
CREATE INDEX raw_events_device_ts ON raw_events (device_id, sensor_type, ts_event DESC);
-- Pipeline status ("ingested in the last N minutes") without a B-tree on an append-only column.
CREATE INDEX raw_events_ingested_brin ON raw_events USING brin (ingested_at);
-- Late and too-late readings, counted for the pipeline status without scanning every row.
CREATE INDEX raw_events_lateness ON raw_events (lateness, ingested_at) WHERE lateness <> 'on_time';
-- (site, zone, sensor, ts) is gone: no query reads raw readings by zone; windows serve every zone view.

-- Catch-all: a reading no day partition covers is stored here rather than failing its batch. The processor
-- never sends it one on purpose (partitions exist ahead, expired readings are filtered), so it stays
-- empty but for a reading racing a partition drop; the retention pass deletes what falls out of it.
CREATE TABLE raw_events_default PARTITION OF raw_events DEFAULT;

-- Counts per (Kafka partition, event day), so dropping a partition subtracts exactly its days' rows
-- without counting them (the pipeline's "stored" figure stays true after retention).
ALTER TABLE raw_event_counts ADD COLUMN day date NOT NULL DEFAULT 'epoch';
ALTER TABLE raw_event_counts DROP CONSTRAINT raw_event_counts_pkey;
DELETE FROM raw_event_counts;
INSERT INTO raw_event_counts (kafka_partition, day, events)
SELECT kafka_partition, (ts_event AT TIME ZONE 'UTC')::date, count(*) FROM raw_events_legacy GROUP BY 1, 2;
ALTER TABLE raw_event_counts ADD PRIMARY KEY (kafka_partition, day);
ALTER TABLE raw_event_counts ALTER COLUMN day DROP DEFAULT;

CREATE OR REPLACE FUNCTION count_raw_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO raw_event_counts AS c (kafka_partition, day, events)
  SELECT kafka_partition, (ts_event AT TIME ZONE 'UTC')::date, count(*) FROM inserted_rows
   GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (kafka_partition, day) DO UPDATE SET events = c.events + EXCLUDED.events;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION count_raw_events_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE raw_event_counts c SET events = c.events - d.n
    FROM (SELECT kafka_partition, (ts_event AT TIME ZONE 'UTC')::date AS day, count(*) AS n
            FROM deleted_rows GROUP BY 1, 2) d
   WHERE c.kafka_partition = d.kafka_partition AND c.day = d.day;
  RETURN NULL;
END
$$;

CREATE TRIGGER raw_events_count_insert AFTER INSERT ON raw_events
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_inserted();
CREATE TRIGGER raw_events_count_delete AFTER DELETE ON raw_events
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_deleted();
CREATE TRIGGER raw_events_count_truncate AFTER TRUNCATE ON raw_events
  FOR EACH STATEMENT EXECUTE FUNCTION count_raw_events_truncated();

-- What each tier still holds: readings (or windows) before kept_from are gone. Written by the processor's
-- retention pass before it drops anything; read by the processor (expired readings) and the API (which
-- tier answers a range). '-infinity': nothing removed yet.
CREATE TABLE storage_horizons (
  tier       text PRIMARY KEY, -- 'raw', or a window width in seconds ('300', '900', '3600', '86400')
  kept_from  timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO storage_horizons (tier, kept_from) VALUES ('raw', '-infinity');

-- Creates the partition [from_ts, to_ts) of raw_events, named raw_events_pYYYYMMDD after its start, unless
-- one already starts there. Rows the default partition holds for the range move into it first, so creating
-- a partition for a day that already received a stray reading never fails. Returns true when created.
-- Bounds are taken as parameters (the processor's values are never spliced into SQL text).
CREATE FUNCTION create_raw_events_partition(from_ts timestamptz, to_ts timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  name text := 'raw_events_p' || to_char(from_ts AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE raw_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
  EXECUTE format('ALTER TABLE %I ADD CHECK (ts_event >= %L AND ts_event < %L)', name, from_ts, to_ts);
  EXECUTE format(
    'WITH moved AS (DELETE FROM raw_events_default WHERE ts_event >= $1 AND ts_event < $2 RETURNING *)
     INSERT INTO %I SELECT * FROM moved', name) USING from_ts, to_ts;
  -- ATTACH takes SHARE UPDATE EXCLUSIVE on raw_events: batches keep inserting meanwhile.
  EXECUTE format('ALTER TABLE raw_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, from_ts, to_ts);
  RETURN true;
END
$$;

-- Drops one partition of raw_events (never the default) and the counts of its days, in the caller's
-- transaction. DROP TABLE takes ACCESS EXCLUSIVE on raw_events, so the caller sets a short lock_timeout and
-- retries: waiting behind a long batch would otherwise hold every new batch behind it.
CREATE FUNCTION drop_raw_events_partition(partition_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  upper_ts timestamptz;
BEGIN
  SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
    INTO upper_ts
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = 'raw_events'::regclass AND c.relname = partition_name;
  IF upper_ts IS NULL THEN
    RAISE EXCEPTION '% is not a ranged partition of raw_events', partition_name;
  END IF;
  EXECUTE format('DROP TABLE %I', partition_name);
  DELETE FROM raw_event_counts WHERE day < (upper_ts AT TIME ZONE 'UTC')::date;
END
$$;

-- Keep the old rows: the old table becomes the partition below the day after its newest reading.
DO $$
DECLARE
  upper_ts timestamptz;
BEGIN
  SELECT date_trunc('day', max(ts_event) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day'
    INTO upper_ts FROM raw_events_legacy;
  IF upper_ts IS NULL THEN
    DROP TABLE raw_events_legacy;
  ELSE
    -- The unique key must hold the partition key; event_id alone stays unique on these rows as well.
    ALTER TABLE raw_events_legacy ADD CONSTRAINT raw_events_legacy_ts_event_id UNIQUE (ts_event, event_id);
    ALTER TABLE raw_events_legacy DROP CONSTRAINT raw_events_legacy_pkey;
    DROP INDEX raw_events_legacy_zone_sensor_ts;
    EXECUTE format('ALTER TABLE raw_events ATTACH PARTITION raw_events_legacy FOR VALUES FROM (MINVALUE) TO (%L)',
                   upper_ts);
  END IF;
END
$$;

-- Which partition last carried a device's readings: the silent-device rule is checked by the processor
-- that owns that partition, against that partition's event-time clock.
ALTER TABLE devices ADD COLUMN kafka_partition integer NOT NULL DEFAULT 0;
CREATE INDEX devices_partition_last_seen ON devices (kafka_partition, last_seen_at);

-- Windows still open, found quickly by the finaliser.
CREATE INDEX window_aggregates_open ON window_aggregates (window_start) WHERE NOT is_final;

-- Late and too-late readings, counted for the pipeline status without scanning every row.
CREATE INDEX raw_events_lateness ON raw_events (lateness, ingested_at) WHERE lateness <> 'on_time';

-- Poison messages, recorded in the batch transaction so each is published to the dead-letter topic once:
-- a redelivered batch finds the row and publishes only what is not yet marked published.
CREATE TABLE dead_letters (
  consumer_group    text NOT NULL,
  topic             text NOT NULL,
  partition         integer NOT NULL,
  "offset"          bigint NOT NULL,
  error_code        text NOT NULL,
  error_message     text NOT NULL,
  message_key       bytea,
  message_value     bytea,
  message_timestamp timestamptz,
  attempts          integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  published_at      timestamptz,
  PRIMARY KEY (consumer_group, topic, partition, "offset")
);
CREATE INDEX dead_letters_unpublished ON dead_letters (consumer_group, topic, partition) WHERE published_at IS NULL;
CREATE INDEX dead_letters_created ON dead_letters (created_at DESC);

-- The partition clock is restored from here after a restart or rebalance.
ALTER TABLE consumer_offsets ADD COLUMN max_event_ms bigint;

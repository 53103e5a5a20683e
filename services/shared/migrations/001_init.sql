-- Raw readings, exactly as accepted; the primary key makes redelivery harmless.
CREATE TABLE raw_events (
  event_id        uuid PRIMARY KEY,
  device_id       text NOT NULL,
  site_id         text NOT NULL,
  zone_id         text NOT NULL,
  sensor_type     text NOT NULL CHECK (sensor_type IN ('co2', 'temperature', 'humidity', 'occupancy')),
  value           double precision NOT NULL,
  unit            text,
  ts_event        timestamptz NOT NULL,
  ingested_at     timestamptz NOT NULL DEFAULT now(),
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  -- on_time; late (window revised after it was final); too_late (older than the horizon: stored, not aggregated)
  lateness        text NOT NULL DEFAULT 'on_time' CHECK (lateness IN ('on_time', 'late', 'too_late'))
);
-- Trends and recomputation per zone and sensor over event time.
CREATE INDEX raw_events_zone_sensor_ts ON raw_events (site_id, zone_id, sensor_type, ts_event DESC);
-- Latest reading per device.
CREATE INDEX raw_events_device_ts ON raw_events (device_id, sensor_type, ts_event DESC);
-- Pipeline status ("ingested in the last N minutes") without a B-tree on an append-only column.
CREATE INDEX raw_events_ingested_brin ON raw_events USING brin (ingested_at);

-- Event-time tumbling windows of any configured width (300 s and 900 s by default).
CREATE TABLE window_aggregates (
  window_seconds  integer NOT NULL CHECK (window_seconds > 0),
  site_id         text NOT NULL,
  zone_id         text NOT NULL,
  sensor_type     text NOT NULL,
  window_start    timestamptz NOT NULL,
  sample_count    bigint NOT NULL CHECK (sample_count > 0),
  value_sum       double precision NOT NULL,
  value_sum_sq    double precision NOT NULL, -- for variance: (sum_sq - sum^2/n) / (n - 1)
  value_min       double precision NOT NULL,
  value_max       double precision NOT NULL,
  value_avg       double precision GENERATED ALWAYS AS (value_sum / sample_count) STORED,
  is_final        boolean NOT NULL DEFAULT false,
  revisions       integer NOT NULL DEFAULT 0, -- changes made after the window was final (late events)
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_seconds, site_id, zone_id, sensor_type, window_start)
);
-- Live KPIs: newest windows of one width across all zones.
CREATE INDEX window_aggregates_recent ON window_aggregates (window_seconds, window_start DESC);

-- Every device ever seen, for listings, last-seen status and the silent-device rule.
CREATE TABLE devices (
  device_id     text PRIMARY KEY,
  site_id       text NOT NULL,
  zone_id       text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL -- newest event time seen
);
CREATE INDEX devices_site_zone ON devices (site_id, zone_id);

-- Alert lifecycle: open -> acknowledged -> resolved. At most one unresolved alert per (device, rule).
CREATE TABLE alerts (
  alert_id        bigserial PRIMARY KEY,
  rule_id         text NOT NULL,
  device_id       text NOT NULL,
  site_id         text NOT NULL,
  zone_id         text NOT NULL,
  sensor_type     text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status          text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  message         text NOT NULL,
  trigger_value   double precision,
  peak_value      double precision,
  last_value      double precision,
  opened_at       timestamptz NOT NULL, -- event time the condition had held for the rule's duration
  escalated_at    timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at     timestamptz,
  resolved_by     text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (device_id, rule_id) WHERE status <> 'resolved';
CREATE INDEX alerts_status_opened ON alerts (status, opened_at DESC);
CREATE INDEX alerts_opened ON alerts (opened_at DESC, alert_id DESC);
CREATE INDEX alerts_site_zone_opened ON alerts (site_id, zone_id, opened_at DESC);

-- Per (device, rule) evaluation state, written in the same transaction as the effects it explains.
CREATE TABLE alert_rule_state (
  device_id  text NOT NULL,
  rule_id    text NOT NULL,
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, rule_id)
);

-- Consumer progress stored with the effects: the processor seeks here on assignment, so a crash between
-- the database commit and the Kafka offset commit re-reads nothing it already applied.
CREATE TABLE consumer_offsets (
  consumer_group text NOT NULL,
  topic          text NOT NULL,
  partition      integer NOT NULL,
  next_offset    bigint NOT NULL,
  watermark_ms   bigint, -- max event time seen minus allowed lateness
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, partition)
);

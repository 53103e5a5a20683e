-- Dead letters of a log that no longer exists. When a topic is recreated or truncated under a database
-- that kept its state, the new log reuses offsets 0, 1, 2, ...: a poison message at an offset an old dead
-- letter holds would hit that row's key and be dropped (and an old unpublished row would be published as
-- if it were the new message). The processor moves the partition's old rows here, in the transaction
-- that starts applying the new log, so both are kept.
CREATE TABLE dead_letters_superseded (
  LIKE dead_letters INCLUDING DEFAULTS,
  superseded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_superseded_partition ON dead_letters_superseded (consumer_group, topic, partition, "offset");

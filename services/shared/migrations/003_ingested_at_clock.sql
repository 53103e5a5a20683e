-- now() is the transaction's start; clock_timestamp() is when the row was written, which is what
-- "ingested at" should mean for latency figures (produce -> stored).
ALTER TABLE raw_events ALTER COLUMN ingested_at SET DEFAULT clock_timestamp();

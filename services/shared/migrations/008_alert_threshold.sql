-- The trigger an alert's value crossed (updated on escalation to the new level's trigger). The rules live
-- in the processor's configuration, so without this column nothing else can say which limit was broken;
-- the original's alert routes answer it as `threshold`. NULL for silent-device alerts and older rows.
ALTER TABLE alerts ADD COLUMN threshold double precision;

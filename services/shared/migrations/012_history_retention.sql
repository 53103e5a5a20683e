-- History retention (issue 19): the storage pass deletes settled alert transitions with their deliveries
-- (ON DELETE CASCADE) once they are older than PROCESSOR_NOTIFICATION_RETENTION. The cascade finds a
-- transition's deliveries by transition_id, which the (channel, transition_id) key cannot serve: without
-- this index every cascaded row would scan notification_deliveries.
CREATE INDEX notification_deliveries_transition ON notification_deliveries (transition_id);
-- Superseded dead letters (an abandoned log's) are deleted by age too.
CREATE INDEX dead_letters_superseded_created ON dead_letters_superseded (created_at);

-- Every alert of a (device, rule), resolved ones included, found without a scan: the processor asks for
-- the newest silence alert a person resolved for a silent device, so that it does not reopen the silence
-- that person dismissed.
CREATE INDEX alerts_device_rule_opened ON alerts (device_id, rule_id, opened_at DESC);

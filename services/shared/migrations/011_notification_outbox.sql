-- Notifications (issue 21): an outbox written in the transaction of every alert transition, and one
-- delivery row per (transition, channel) that the processor's dispatcher works through.

-- One row per transition (opened, escalated, acknowledged, resolved), written by a trigger on alerts: the
-- processor's batch transaction and the API's acknowledge/resolve both change alerts, so the trigger puts the
-- row in whichever transaction made the change, and no writer can forget it. A rollback takes the row with
-- it; a commit keeps both. The alert is copied as it was at the transition: what is sent says what happened
-- then, not what the alert looks like when the dispatcher gets to it.
CREATE TABLE notification_transitions (
  transition_id     bigserial PRIMARY KEY,
  alert_id          bigint NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('opened', 'escalated', 'acknowledged', 'resolved')),
  previous_severity text, -- escalations only: Alertmanager identifies an alert by its labels, severity included
  alert             jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now() -- the transition's transaction time
);
-- The dispatcher routes transitions younger than its max age that its channel has no delivery for yet.
CREATE INDEX notification_transitions_created ON notification_transitions (created_at, transition_id);

CREATE FUNCTION record_alert_transition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    kind := 'opened';
  ELSIF NEW.status = 'resolved' AND OLD.status <> 'resolved' THEN
    kind := 'resolved';
  ELSIF NEW.status = 'acknowledged' AND OLD.status = 'open' THEN
    kind := 'acknowledged';
  ELSIF NEW.status <> 'resolved' AND NEW.severity IS DISTINCT FROM OLD.severity THEN
    kind := 'escalated';
  ELSE
    RETURN NULL; -- a value update that changes nothing a person is told about
  END IF;
  INSERT INTO notification_transitions (alert_id, kind, previous_severity, alert)
  VALUES (NEW.alert_id, kind, CASE WHEN kind = 'escalated' THEN OLD.severity END, to_jsonb(NEW));
  RETURN NULL;
END
$$;
CREATE TRIGGER alerts_record_transition AFTER INSERT OR UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION record_alert_transition();

-- One row per (channel, transition) once the channel's dispatcher has routed it: pending until delivered,
-- dead after the channel's last attempt, skipped when no route of the channel matched. The idempotency key
-- is stable per transition and channel, so a receiver that keeps the keys it has seen gets each exactly once.
CREATE TABLE notification_deliveries (
  channel          text NOT NULL,
  transition_id    bigint NOT NULL REFERENCES notification_transitions ON DELETE CASCADE,
  idempotency_key  text NOT NULL UNIQUE,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  digest_key       text, -- set when the delivery went out inside a digest: that message's key
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  PRIMARY KEY (channel, transition_id)
);
-- Due rows of one channel, oldest due first.
CREATE INDEX notification_deliveries_due ON notification_deliveries (channel, next_attempt_at)
  WHERE status = 'pending';
-- The API's listing by status, newest first.
CREATE INDEX notification_deliveries_status ON notification_deliveries (status, transition_id DESC);
-- Alertmanager's resend loop: the unresolved alerts a channel has delivered a transition of.
CREATE INDEX notification_transitions_alert ON notification_transitions (alert_id);

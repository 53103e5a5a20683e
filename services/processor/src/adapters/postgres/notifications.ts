import type { AlertSeverity, PoolClient } from '@telemetry-pulse/shared';
import type { AlertSnapshot, Delivery, Transition, TransitionKind } from '../../domain/notifications';

/**
 * The notification outbox (migration 011) as the dispatcher of one channel reads and writes it. Every query
 * runs on the connection that holds the channel's advisory lock: if that connection is lost, so is the
 * lock, and no write of a former leader can land after another dispatcher took over.
 */

interface TransitionRow {
  transition_id: string;
  kind: TransitionKind;
  previous_severity: AlertSeverity | null;
  created_ms: string;
  alert: AlertSnapshot;
}

const toTransition = (r: TransitionRow): Transition => ({
  transitionId: r.transition_id,
  kind: r.kind,
  previousSeverity: r.previous_severity,
  createdAtMs: Number(r.created_ms),
  alert: r.alert,
});

const TRANSITION_COLUMNS = `t.transition_id::text AS transition_id, t.kind, t.previous_severity,
  round(extract(epoch FROM t.created_at) * 1000)::bigint AS created_ms, t.alert`;

/** Transitions younger than `maxAgeMs` that the channel has no delivery row for yet, oldest first. */
export async function unroutedTransitions(
  client: PoolClient,
  channel: string,
  maxAgeMs: number,
  limit: number,
): Promise<Transition[]> {
  const { rows } = await client.query<TransitionRow>(
    `SELECT ${TRANSITION_COLUMNS} FROM notification_transitions t
      WHERE t.created_at > now() - make_interval(secs => $2::float8 / 1000)
        AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                         WHERE d.channel = $1 AND d.transition_id = t.transition_id)
      ORDER BY t.transition_id
      LIMIT $3`,
    [channel, maxAgeMs, limit],
  );
  return rows.map(toTransition);
}

/** Records the routing decision per transition: pending (to send) or skipped (no route matched). */
export async function insertDeliveries(
  client: PoolClient,
  channel: string,
  rows: readonly { transitionId: string; key: string; routed: boolean }[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO notification_deliveries (channel, transition_id, idempotency_key, status)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
     ON CONFLICT DO NOTHING`,
    [
      channel,
      rows.map((r) => r.transitionId),
      rows.map((r) => r.key),
      rows.map((r) => (r.routed ? 'pending' : 'skipped')),
    ],
  );
}

/** Pending deliveries of the channel due now, soonest due first. */
export async function dueDeliveries(client: PoolClient, channel: string, limit: number): Promise<Delivery[]> {
  const { rows } = await client.query<TransitionRow & { idempotency_key: string; attempts: number }>(
    `SELECT d.idempotency_key, d.attempts, ${TRANSITION_COLUMNS}
       FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
      WHERE d.channel = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()
      ORDER BY d.next_attempt_at, d.transition_id
      LIMIT $2`,
    [channel, limit],
  );
  return rows.map((r) => ({
    channel,
    idempotencyKey: r.idempotency_key,
    attempts: r.attempts,
    transition: toTransition(r),
  }));
}

/** Marks deliveries sent; `digestKey` when they went out together in one digest. */
export async function markDelivered(
  client: PoolClient,
  channel: string,
  transitionIds: readonly string[],
  digestKey: string | null,
): Promise<void> {
  await client.query(
    `UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), digest_key = $3,
                                        last_error = NULL
      WHERE channel = $1 AND transition_id = ANY($2::bigint[])`,
    [channel, transitionIds, digestKey],
  );
}

/** A failed attempt: attempts counted, and either the next attempt scheduled or the delivery dead. */
export async function markFailed(
  client: PoolClient,
  channel: string,
  rows: readonly { transitionId: string; attempts: number; dead: boolean; delayMs: number; error: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE notification_deliveries d
        SET attempts = u.attempts, status = CASE WHEN u.dead THEN 'dead' ELSE 'pending' END,
            next_attempt_at = now() + make_interval(secs => u.delay_ms / 1000), last_error = u.error
       FROM unnest($2::bigint[], $3::int[], $4::bool[], $5::float8[], $6::text[])
            AS u(transition_id, attempts, dead, delay_ms, error)
      WHERE d.channel = $1 AND d.transition_id = u.transition_id`,
    [
      channel,
      rows.map((r) => r.transitionId),
      rows.map((r) => r.attempts),
      rows.map((r) => r.dead),
      rows.map((r) => r.delayMs),
      rows.map((r) => r.error.slice(0, 1000)),
    ],
  );
}

/** Holds deliveries (quiet hours, rate limit) until the given instant; no attempt is counted. */
export async function holdDeliveries(
  client: PoolClient,
  channel: string,
  rows: readonly { transitionId: string; untilMs: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE notification_deliveries d SET next_attempt_at = to_timestamp(u.until_ms / 1000.0)
       FROM unnest($2::bigint[], $3::float8[]) AS u(transition_id, until_ms)
      WHERE d.channel = $1 AND d.transition_id = u.transition_id`,
    [channel, rows.map((r) => r.transitionId), rows.map((r) => r.untilMs)],
  );
}

/** Pending deliveries of the channel (due or held) and the age of the oldest, in seconds. */
export async function channelBacklog(
  client: PoolClient,
  channel: string,
): Promise<{ pending: number; oldestAgeS: number }> {
  const { rows } = await client.query<{ pending: string; oldest_s: number | null }>(
    `SELECT count(*) AS pending, extract(epoch FROM now() - min(t.created_at))::float8 AS oldest_s
       FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
      WHERE d.channel = $1 AND d.status = 'pending'`,
    [channel],
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldestAgeS: rows[0]?.oldest_s ?? 0 };
}

/**
 * Unresolved alerts of which the channel has delivered a transition: the ones Alertmanager holds as
 * firing, posted again so they stay so.
 */
export async function firingAlerts(client: PoolClient, channel: string): Promise<AlertSnapshot[]> {
  const { rows } = await client.query<{ alert: AlertSnapshot }>(
    `SELECT to_jsonb(a) AS alert FROM alerts a
      WHERE a.status <> 'resolved'
        AND EXISTS (SELECT 1 FROM notification_transitions t
                      JOIN notification_deliveries d ON d.transition_id = t.transition_id
                     WHERE t.alert_id = a.alert_id AND d.channel = $1 AND d.status = 'delivered')
      ORDER BY a.alert_id`,
    [channel],
  );
  return rows.map((r) => r.alert);
}

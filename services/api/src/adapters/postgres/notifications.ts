import type { Pool } from '@telemetry-pulse/shared';
import type { Notification } from '../../contract/notifications';
import type { NotificationStore } from '../../domain/stores';
import { iso, isoOrNull, orNull } from './rows';

interface NotificationRow {
  channel: string;
  idempotency_key: string;
  status: Notification['status'];
  alert_id: string;
  kind: Notification['transition'];
  transition_id: string;
  created_at: Date;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  digest_key: string | null;
  delivered_at: Date | null;
}

/** The notification outbox (migration 011) as the API lists it; the processor's dispatcher writes it. */
export function createNotificationStore(pool: Pool): NotificationStore {
  return {
    async list(f, after, take) {
      const { rows } = await pool.query<NotificationRow>(
        `SELECT d.channel, d.idempotency_key, d.status, t.alert_id, t.kind, d.transition_id, t.created_at,
                d.attempts, d.next_attempt_at, d.last_error, d.digest_key, d.delivered_at
           FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
          WHERE ($1::text[] IS NULL OR d.status = ANY($1::text[]))
            AND ($2::text IS NULL OR d.channel = $2)
            AND ($3::bigint IS NULL OR (d.transition_id, d.channel) < ($3::bigint, $4::text))
          ORDER BY d.transition_id DESC, d.channel DESC
          LIMIT $5`,
        [
          f.statuses ? [...f.statuses] : null,
          orNull(f.channel),
          after?.[0] ?? null,
          after?.[1] ?? null,
          take,
        ],
      );
      return rows.map((r) => ({
        channel: r.channel,
        idempotency_key: r.idempotency_key,
        status: r.status,
        alert_id: Number(r.alert_id),
        transition: r.kind,
        transition_id: Number(r.transition_id),
        occurred_at: iso(r.created_at),
        attempts: r.attempts,
        next_attempt_at: iso(r.next_attempt_at),
        last_error: r.last_error,
        digest_key: r.digest_key,
        delivered_at: isoOrNull(r.delivered_at),
      }));
    },
  };
}

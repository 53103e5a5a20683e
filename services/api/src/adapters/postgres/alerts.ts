import type { Pool } from '@telemetry-pulse/shared';
import type { Alert } from '../../contract/alerts';
import type { AlertAction, AlertStore } from '../../domain/stores';
import { iso, isoOrNull, orNull } from './rows';

interface AlertDbRow {
  alert_id: number;
  rule_id: string;
  device_id: string;
  site_id: string;
  zone_id: string;
  sensor_type: string;
  severity: Alert['severity'];
  status: Alert['status'];
  message: string;
  opened_at: Date;
  escalated_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  trigger_value: number | null;
  last_value: number | null;
  peak_value: number | null;
  updated_at: Date;
  opened_us: number;
}

// extract(epoch) is numeric since PostgreSQL 14, so the microseconds are exact: the keyset never drifts.
const COLUMNS = `alert_id, rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
  opened_at, escalated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, trigger_value,
  last_value, peak_value, updated_at, (extract(epoch FROM opened_at) * 1000000)::bigint AS opened_us`;

function toAlert(r: AlertDbRow): Alert {
  return {
    alert_id: r.alert_id,
    rule_id: r.rule_id,
    device_id: r.device_id,
    site_id: r.site_id,
    zone_id: r.zone_id,
    sensor_type: r.sensor_type,
    severity: r.severity,
    status: r.status,
    message: r.message,
    opened_at: iso(r.opened_at),
    escalated_at: isoOrNull(r.escalated_at),
    acknowledged_at: isoOrNull(r.acknowledged_at),
    acknowledged_by: r.acknowledged_by,
    resolved_at: isoOrNull(r.resolved_at),
    resolved_by: r.resolved_by,
    trigger_value: r.trigger_value,
    last_value: r.last_value,
    peak_value: r.peak_value,
    updated_at: iso(r.updated_at),
  };
}

/** The alerts table as the API sees it: filtered keyset listing and the operators' two actions. */
export function createAlertStore(pool: Pool): AlertStore {
  async function get(alertId: number): Promise<Alert | undefined> {
    const { rows } = await pool.query<AlertDbRow>(`SELECT ${COLUMNS} FROM alerts WHERE alert_id = $1`, [
      alertId,
    ]);
    return rows[0] && toAlert(rows[0]);
  }

  /** Runs a guarded UPDATE; when it matched nothing, tells apart a missing alert from one in the wrong state. */
  async function act(
    alertId: number,
    sql: string,
    params: unknown[],
    unchanged: (a: Alert) => boolean,
  ): Promise<AlertAction> {
    const { rows } = await pool.query<AlertDbRow>(sql, params);
    if (rows[0]) return { outcome: 'updated', alert: toAlert(rows[0]) };
    const current = await get(alertId);
    if (!current) return { outcome: 'not-found' };
    return unchanged(current)
      ? { outcome: 'unchanged', alert: current }
      : { outcome: 'conflict', alert: current };
  }

  return {
    get,
    async newest(take) {
      const { rows } = await pool.query<{
        alert_id: number;
        rule_id: string;
        site_id: string;
        zone_id: string;
        sensor_type: string;
        trigger_value: number | null;
        threshold: number | null;
        opened_at: Date;
      }>(
        `SELECT alert_id, rule_id, site_id, zone_id, sensor_type, trigger_value, threshold, opened_at
           FROM alerts ORDER BY opened_at DESC, alert_id DESC LIMIT $1`,
        [take],
      );
      return rows.map((r) => ({ ...r, opened_at: iso(r.opened_at) }));
    },
    async list(f, after, take) {
      const { rows } = await pool.query<AlertDbRow>(
        `SELECT ${COLUMNS} FROM alerts
          WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
            AND ($2::text[] IS NULL OR severity = ANY($2::text[]))
            AND ($3::text IS NULL OR site_id = $3)
            AND ($4::text IS NULL OR zone_id = $4)
            AND ($5::text IS NULL OR device_id = $5)
            AND ($6::text IS NULL OR rule_id = $6)
            AND ($7::float8 IS NULL OR opened_at >= to_timestamp($7::float8 / 1000))
            AND ($8::float8 IS NULL OR opened_at < to_timestamp($8::float8 / 1000))
            AND ($9::bigint IS NULL
                 OR (opened_at, alert_id) < (timestamptz 'epoch' + $9::bigint * interval '1 microsecond', $10::bigint))
          ORDER BY opened_at DESC, alert_id DESC
          LIMIT $11`,
        [
          f.statuses ? [...f.statuses] : null,
          f.severities ? [...f.severities] : null,
          orNull(f.siteId),
          orNull(f.zoneId),
          orNull(f.deviceId),
          orNull(f.ruleId),
          orNull(f.fromMs),
          orNull(f.toMs),
          after?.[0] ?? null,
          after?.[1] ?? null,
          take,
        ],
      );
      return rows.map((r) => ({ alert: toAlert(r), openedUs: r.opened_us }));
    },

    acknowledge: (alertId, by) =>
      act(
        alertId,
        `UPDATE alerts SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, updated_at = now()
          WHERE alert_id = $1 AND status = 'open'
          RETURNING ${COLUMNS}`,
        [alertId, by],
        (a) => a.status === 'acknowledged',
      ),

    resolve: (alertId, by) =>
      act(
        alertId,
        `UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = $2, updated_at = now()
          WHERE alert_id = $1 AND status <> 'resolved'
          RETURNING ${COLUMNS}`,
        [alertId, by],
        () => false,
      ),
  };
}

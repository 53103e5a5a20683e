import type { Pool } from '@telemetry-pulse/shared';
import type { AlertStats } from '../../contract/alert-stats';
import { durationStats } from '../../domain/alert-stats';
import type { AlertStatsStore } from '../../domain/stores';
import { orNull } from './rows';

/** The figures of one group as PostgreSQL's json_agg writes them: counts, and seconds or null. */
interface GroupJson {
  alerts: number;
  acknowledged: number;
  resolved: number;
  flaps: number;
  tta_p50: number | null;
  tta_p90: number | null;
  tta_max: number | null;
  ttr_p50: number | null;
  ttr_p90: number | null;
  ttr_max: number | null;
}

interface StatsRow {
  totals: GroupJson & { devices: number };
  by_site_rule: (GroupJson & { site_id: string; rule_id: string })[];
  devices: AlertStats['devices'];
}

// Percentiles ignore NULLs, so each time covers only the alerts that have it (acknowledged, resolved).
const GROUP_FIGURES = `count(*)::int AS alerts,
  count(*) FILTER (WHERE acknowledged)::int AS acknowledged,
  count(*) FILTER (WHERE resolved)::int AS resolved,
  count(*) FILTER (WHERE flap)::int AS flaps,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY tta) AS tta_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY tta) AS tta_p90,
  max(tta) AS tta_max,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ttr) AS ttr_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ttr) AS ttr_p90,
  max(ttr) AS ttr_max`;

/**
 * One statement: the period's alerts are read once (alerts_opened or alerts_site_zone_opened) and the three
 * answers are aggregated from that set. A flap needs each alert's previous alert of the same device and
 * rule: within the period it is the row before in (device, rule, opened_at) order (lag), exact when no
 * site, zone or severity filter could have hidden one in between ($9); otherwise, and for the first alert
 * of each (device, rule) in the period, one probe of alerts_device_rule_opened finds it (a year of 300,000
 * alerts: 5,000 probes instead of 300,000; docs/api.md has the plans). opened_at is event time while
 * acknowledged_at (and a person's resolved_at) are wall clock, so a skewed device can give a negative
 * time: counted as 0. CASE, not greatest(): greatest(NULL, 0) is 0, and an alert not acknowledged has no
 * time to acknowledge.
 */
const STATS_SQL = `
WITH matching AS (
  SELECT a.device_id, a.site_id, a.zone_id, a.rule_id, a.opened_at, a.acknowledged_at, a.resolved_at,
         a.status,
         lag(a.resolved_at) OVER w AS lag_resolved_at,
         $9::boolean AND row_number() OVER w > 1 AS lag_is_previous
    FROM alerts a
   WHERE a.opened_at >= to_timestamp($1::float8 / 1000) AND a.opened_at < to_timestamp($2::float8 / 1000)
     AND ($3::text IS NULL OR a.site_id = $3)
     AND ($4::text IS NULL OR a.zone_id = $4)
     AND ($5::text IS NULL OR a.rule_id = $5)
     AND ($6::text[] IS NULL OR a.severity = ANY($6::text[]))
  WINDOW w AS (PARTITION BY a.device_id, a.rule_id ORDER BY a.opened_at)
),
period AS MATERIALIZED (
  SELECT m.device_id, m.site_id, m.zone_id, m.rule_id, m.opened_at,
         m.acknowledged_at IS NOT NULL AS acknowledged,
         m.status = 'resolved' AS resolved,
         CASE WHEN m.acknowledged_at IS NOT NULL
              THEN greatest(extract(epoch FROM m.acknowledged_at - m.opened_at), 0)::float8 END AS tta,
         CASE WHEN m.status = 'resolved'
              THEN greatest(extract(epoch FROM m.resolved_at - m.opened_at), 0)::float8 END AS ttr,
         coalesce(m.opened_at - CASE WHEN m.lag_is_previous THEN m.lag_resolved_at ELSE prev.resolved_at END
                  <= $7::int * interval '1 minute', false) AS flap
    FROM matching m
    LEFT JOIN LATERAL (
      SELECT p.resolved_at FROM alerts p
       WHERE NOT m.lag_is_previous
         AND p.device_id = m.device_id AND p.rule_id = m.rule_id AND p.opened_at < m.opened_at
       ORDER BY p.opened_at DESC
       LIMIT 1
    ) prev ON true
)
SELECT
  (SELECT row_to_json(t) FROM (
     SELECT ${GROUP_FIGURES}, count(DISTINCT device_id)::int AS devices FROM period) t) AS totals,
  (SELECT coalesce(json_agg(t ORDER BY t.site_id COLLATE "C", t.rule_id COLLATE "C"), '[]'::json) FROM (
     SELECT site_id, rule_id, ${GROUP_FIGURES} FROM period GROUP BY site_id, rule_id) t) AS by_site_rule,
  (SELECT coalesce(json_agg(t ORDER BY t.alerts DESC, t.flaps DESC, t.device_id COLLATE "C"), '[]'::json) FROM (
     SELECT device_id,
            (array_agg(site_id ORDER BY opened_at DESC))[1] AS site_id,
            (array_agg(zone_id ORDER BY opened_at DESC))[1] AS zone_id,
            count(*)::int AS alerts,
            count(*) FILTER (WHERE flap)::int AS flaps
       FROM period GROUP BY device_id
      ORDER BY alerts DESC, flaps DESC, device_id COLLATE "C"
      LIMIT $8) t) AS devices`;

/** The counts and times of one group, in the contract's shape. */
function figures(g: GroupJson) {
  return {
    alerts: g.alerts,
    acknowledged: g.acknowledged,
    resolved: g.resolved,
    flaps: g.flaps,
    time_to_acknowledge: durationStats(g.tta_p50, g.tta_p90, g.tta_max),
    time_to_resolve: durationStats(g.ttr_p50, g.ttr_p90, g.ttr_max),
  };
}

/** Alert analytics in SQL (percentile_cont), one statement per request. */
export function createAlertStatsStore(pool: Pool): AlertStatsStore {
  return {
    async stats(f) {
      const { rows } = await pool.query<StatsRow>(STATS_SQL, [
        f.fromMs,
        f.toMs,
        orNull(f.siteId),
        orNull(f.zoneId),
        orNull(f.ruleId),
        f.severities ? [...f.severities] : null,
        f.flapMinutes,
        f.top,
        // Only these filters can hide, between two alerts of a device and rule in the period, a third one.
        f.siteId === undefined && f.zoneId === undefined && f.severities === undefined,
      ]);
      const row = rows[0];
      if (!row) throw new Error('alert statistics query returned no row');
      return {
        totals: { ...figures(row.totals), devices: row.totals.devices },
        by_site_rule: row.by_site_rule.map((g) => ({
          site_id: g.site_id,
          rule_id: g.rule_id,
          ...figures(g),
        })),
        devices: row.devices,
      };
    },
  };
}

import { SENSOR_TYPES, type SensorType } from '@telemetry-pulse/shared/core';
import {
  alertsV2Query,
  alertsV2Response,
  deviceParams,
  deviceStatsSchema,
  healthSchema,
  heatmapQuery,
  heatmapResponse,
  kpisQuery,
  kpisResponse,
  livenessSchema,
  PYTHON_FLOATS,
  readinessSchema,
  recentAlertsQuery,
  recentAlertsResponse,
  trendsQuery,
  trendsResponse,
} from '../../../contract/compat';
import { legacyAlertType } from '../../../domain/legacy-alerts';
import { pythonJson, pythonTime, type PythonTimeStyle } from '../../../domain/python-json';
import type { AggregatesStore, AlertStore, CatalogStore, ReadingsStore } from '../../../domain/stores';
import { FastApiError } from '../fastapi';
import { jsonRoute, type Route } from '../route';

const HOUR_MS = 3600_000;
const KPI_WINDOW_MS = 300_000;
// The original answered with every series at once; a bound keeps one request from reading without end.
const MAX_KPI_SERIES = 10_000;

/** Writes a response as the original's FastAPI did: Python floats, instants in the generation's style. */
const asPython = (body: unknown): string => pythonJson(body, { floats: PYTHON_FLOATS });
const at = (iso: string, style: PythonTimeStyle) => pythonTime(iso, style);

const isSensor = (s: string): s is SensorType => (SENSOR_TYPES as readonly string[]).includes(s);

/**
 * The Python original's routes, both generations, with its field names, row order, defaults, numbers,
 * instants and `{"detail": ...}` errors, so its clients keep working unchanged. What differs on purpose
 * is listed in docs/compatibility.md.
 */
export function compatRoutes(deps: {
  readings: ReadingsStore;
  aggregates: AggregatesStore;
  alerts: AlertStore;
  catalog: CatalogStore;
  version: string;
  ready: () => Promise<boolean>;
  now: () => number;
}): Route[] {
  const common = { tag: 'compatibility', errors: 'fastapi', serialize: asPython } as const;
  return [
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/health',
      operationId: 'legacyHealth',
      summary: 'Liveness and version, as the original answered it',
      auth: 'none',
      unlimited: true,
      response: healthSchema,
      responseDescription: 'Always ok while the process serves requests.',
      handler: async () => ({ status: 'ok' as const, version: deps.version }),
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/health/live',
      operationId: 'legacyLiveness',
      summary: 'Liveness (second generation)',
      auth: 'none',
      unlimited: true,
      response: livenessSchema,
      responseDescription: 'Always alive while the process serves requests.',
      handler: async () => ({ status: 'alive' as const }),
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/health/ready',
      operationId: 'legacyReadiness',
      summary: 'Readiness (second generation): the database answers',
      description: 'A 503 `{"detail": "Service not ready"}` when it does not.',
      auth: 'none',
      unlimited: true,
      problems: [503],
      response: readinessSchema,
      responseDescription: 'Ready.',
      async handler() {
        if (!(await deps.ready())) throw new FastApiError(503, 'Service not ready');
        return { status: 'ready' as const };
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/kpis/live',
      operationId: 'legacyKpisLive',
      summary: 'Newest 5 m window per site, zone and sensor',
      auth: 'read',
      query: kpisQuery,
      response: kpisResponse,
      responseDescription: 'One entry per (site, zone, sensor), ordered by them.',
      async handler({ query }) {
        const rows = await deps.readings.zonesLatest({
          siteId: query.site_id,
          sensorTypes: SENSOR_TYPES,
          take: MAX_KPI_SERIES,
        });
        return rows.map((r) => ({
          site_id: r.site_id,
          zone_id: r.zone_id,
          sensor_type: r.sensor_type,
          current_avg: r.value,
          current_max: r.max,
          sample_count: r.count,
          last_updated: at(new Date(Date.parse(r.window_start) + KPI_WINDOW_MS).toISOString(), 'isoformat'),
        }));
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/trends',
      operationId: 'legacyTrends',
      summary: 'Windows of one sensor kind, newest first',
      description:
        '`window=5m` reads 5 m windows, any other value 15 m ones, as the original did. Several zones (no zone_id) are combined exactly from their sums into one row per window.',
      auth: 'read',
      query: trendsQuery,
      response: trendsResponse,
      responseDescription: 'Newest window first.',
      async handler({ query }) {
        if (!isSensor(query.sensor_type)) return [];
        const rows = await deps.aggregates.trends({
          sensorType: query.sensor_type,
          zoneId: query.zone_id,
          siteId: query.site_id,
          windowSeconds: query.window === '5m' ? 300 : 900,
          take: query.limit,
        });
        return rows.map((r) => ({ timestamp: at(r.ts, 'isoformat'), avg: r.avg, min: r.min, max: r.max }));
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/alerts/recent',
      operationId: 'legacyRecentAlerts',
      summary: 'Most recently opened alerts (first generation)',
      auth: 'read',
      query: recentAlertsQuery,
      response: recentAlertsResponse,
      responseDescription: 'Newest first.',
      async handler({ query }) {
        const rows = query.limit === 0 ? [] : await deps.alerts.newest(query.limit);
        return rows.map((r) => ({
          alert_id: String(r.alert_id),
          site: r.site_id,
          zone: r.zone_id,
          type: legacyAlertType(r),
          value: r.trigger_value,
          threshold: r.threshold,
          time: at(r.opened_at, 'isoformat'),
        }));
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/utilization/heatmap',
      operationId: 'legacyUtilizationHeatmap',
      summary: 'Occupancy per zone over the last hour',
      description:
        "The mean of each zone's 15 m occupancy window averages for windows starting within the last hour of wall-clock time, as the original computed it.",
      auth: 'read',
      query: heatmapQuery,
      response: heatmapResponse,
      responseDescription: 'One entry per zone with occupancy windows in the last hour, by site and zone.',
      async handler({ query }) {
        const rows = await deps.aggregates.occupancyRates({
          siteId: query.site_id,
          sinceMs: deps.now() - HOUR_MS,
        });
        return rows.map((r) => ({ site_id: r.site_id, zone_id: r.zone_id, occupancy_rate: r.rate }));
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/devices/{device_id}',
      operationId: 'legacyDeviceStats',
      summary: 'One device: mean temperature and highest CO2 of its last hour, last seen',
      description:
        'Real figures over the hour up to the newest reading (the original answered fixed placeholders). 404 `{"detail": "Device not found"}` for a device that never sent a reading.',
      auth: 'read',
      problems: [404],
      params: deviceParams,
      response: deviceStatsSchema,
      responseDescription: 'The device.',
      async handler({ params }) {
        const stats = await deps.catalog.deviceStats(params.device_id);
        if (!stats) throw new FastApiError(404, 'Device not found');
        return {
          device_id: params.device_id,
          avg_temp: stats.avg_temp,
          max_co2: stats.max_co2,
          last_seen: at(stats.last_seen_at, 'pydantic'),
        };
      },
    }),
    jsonRoute({
      ...common,
      method: 'GET',
      path: '/alerts',
      operationId: 'legacyAlerts',
      summary: 'Most recently opened alerts (second generation)',
      auth: 'read',
      query: alertsV2Query,
      response: alertsV2Response,
      responseDescription: 'Newest first.',
      async handler({ query }) {
        const rows = query.limit === 0 ? [] : await deps.alerts.newest(query.limit);
        return rows.map((r) => ({
          alert_id: String(r.alert_id),
          alert_type: legacyAlertType(r),
          value: r.trigger_value,
          threshold: r.threshold,
          triggered_at: at(r.opened_at, 'pydantic'),
          site_id: r.site_id,
          zone_id: r.zone_id,
        }));
      },
    }),
  ];
}

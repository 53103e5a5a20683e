import { SENSOR_TYPES } from '@telemetry-pulse/shared/core';
import { z } from 'zod';
import { alertSchema } from '../../../contract/alerts';
import {
  healthSchema,
  heatmapQuery,
  heatmapResponse,
  kpisQuery,
  kpisResponse,
  recentAlertsQuery,
  trendsQuery,
  trendsResponse,
} from '../../../contract/compat';
import { BUCKETS } from '../../../domain/buckets';
import type { AggregatesStore, AlertStore, ReadingsStore } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';

const HOUR_MS = 3600_000;
// The original answered with every series at once; a bound keeps one request from reading without end.
const MAX_KPI_SERIES = 10_000;

/** The Python original's routes with its response shapes, so existing dashboards keep working. */
export function compatRoutes(deps: {
  readings: ReadingsStore;
  aggregates: AggregatesStore;
  alerts: AlertStore;
  now: () => number;
}): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/health',
      operationId: 'legacyHealth',
      summary: 'Liveness, as the original answered it',
      tag: 'compatibility',
      auth: 'none',
      unlimited: true,
      response: healthSchema,
      responseDescription: 'Always ok while the process serves requests.',
      handler: async () => ({ status: 'ok' as const }),
    }),
    jsonRoute({
      method: 'GET',
      path: '/kpis/live',
      operationId: 'legacyKpisLive',
      summary: 'Newest 5 m window per site, zone and sensor',
      tag: 'compatibility',
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
          window_start: r.window_start,
          avg: r.value,
          max: r.max,
          count: r.count,
          last_updated: r.updated_at,
        }));
      },
    }),
    jsonRoute({
      method: 'GET',
      path: '/trends',
      operationId: 'legacyTrends',
      summary: 'Windows of one sensor kind, newest first',
      description:
        'Several zones (no zone_id) are combined exactly from their sums, not by averaging averages.',
      tag: 'compatibility',
      auth: 'read',
      query: trendsQuery,
      response: trendsResponse,
      responseDescription: 'Newest window first.',
      handler: ({ query }) =>
        deps.aggregates.trends({
          sensorType: query.sensor_type,
          zoneId: query.zone_id,
          siteId: query.site_id,
          windowSeconds: BUCKETS[query.window].seconds,
          take: query.limit,
        }),
    }),
    jsonRoute({
      method: 'GET',
      path: '/alerts/recent',
      operationId: 'legacyRecentAlerts',
      summary: 'Most recently opened alerts',
      tag: 'compatibility',
      auth: 'read',
      query: recentAlertsQuery,
      response: z.array(alertSchema),
      responseDescription: 'Newest first.',
      async handler({ query }) {
        const rows = await deps.alerts.list({}, undefined, query.limit);
        return rows.map((r) => r.alert);
      },
    }),
    jsonRoute({
      method: 'GET',
      path: '/utilization/heatmap',
      operationId: 'legacyUtilizationHeatmap',
      summary: 'Average occupancy per zone over the last hour',
      description: 'From the 5 m occupancy windows that start within the last hour of wall-clock time.',
      tag: 'compatibility',
      auth: 'read',
      query: heatmapQuery,
      response: heatmapResponse,
      responseDescription: 'One entry per zone with occupancy readings in the last hour.',
      handler: ({ query }) =>
        deps.aggregates.occupancy({ siteId: query.site_id, sinceMs: deps.now() - HOUR_MS }),
    }),
  ];
}

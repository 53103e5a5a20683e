/**
 * What the API benchmark measures: each dashboard route as a rotation of request paths, and what each
 * route does with its query string minus koa, zod and the middleware (the same store call with the same
 * arguments and defaults as the route handler, and the same page shape). The bare server answers with
 * those calls, and EXPLAIN reads the SQL they send.
 */
import path from 'node:path';
import type pg from 'pg';
import type * as Buckets from '../../../services/api/dist/domain/buckets.js';
import type * as Cursor from '../../../services/api/dist/domain/cursor.js';
import type {
  AggregatesStore,
  AlertFilter,
  AlertStore,
  ReadingsStore,
} from '../../../services/api/dist/domain/stores.js';
import { load } from '../common.ts';
import { ZONES } from './dataset.ts';
import { API_DIST } from './servers.ts';

export interface Route {
  readonly name: string;
  readonly paths: readonly string[];
}

/** Each measured route, as a rotation of request paths (the load cycles through them). */
export function routes(nowMs: number): Route[] {
  const to = new Date(nowMs).toISOString();
  const from = new Date(nowMs - 24 * 3600_000).toISOString();
  return [
    {
      name: 'latest per zone',
      paths: ['site-01', 'site-02', 'site-03'].map((s) => `/api/v1/zones/latest?site_id=${s}`),
    },
    {
      name: 'latest per device',
      paths: ['site-01', 'site-02', 'site-03'].map((s) => `/api/v1/devices/latest?site_id=${s}`),
    },
    {
      name: '24 h trend (15m buckets)',
      paths: ZONES.map(
        (z) =>
          `/api/v1/aggregates?site_id=${z.site}&zone_id=${z.zone}&sensor_type=co2&bucket=15m` +
          `&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      ),
    },
    { name: 'open alerts', paths: ['/api/v1/alerts?status=open,acknowledged&limit=50'] },
  ];
}

/** The stores the measured routes read. */
export interface BenchStores {
  readonly readings: ReadingsStore;
  readonly aggregates: AggregatesStore;
  readonly alerts: AlertStore;
}

/** The smallest pool the stores need: the real one, or one that records the SQL (EXPLAIN). */
export type Queryable = Pick<pg.Pool, 'query'>;

/** A route's page, as the bare server sends it. */
export type StoreCall = (
  stores: BenchStores,
  q: URLSearchParams,
) => Promise<{ items: unknown[]; next_cursor: string | null }>;

type SensorType = Parameters<ReadingsStore['zonesLatest']>[0]['sensorTypes'][number];
type AlertStatus = NonNullable<AlertFilter['statuses']>[number];

/** The store call of each route, by path. */
export function storeCalls(): Record<string, StoreCall> {
  const { SENSOR_TYPES } = load('@telemetry-pulse/shared/core') as { SENSOR_TYPES: readonly SensorType[] };
  const { paginate, encodeCursor } = load(path.join(API_DIST, 'domain/cursor')) as typeof Cursor;
  const { alignDownMs, BUCKETS } = load(path.join(API_DIST, 'domain/buckets')) as typeof Buckets;
  const opt = (q: URLSearchParams, k: string): string | undefined => q.get(k) ?? undefined;
  const limitOf = (q: URLSearchParams): number => Number(q.get('limit') ?? 100);
  return {
    '/api/v1/zones/latest': async (stores, q) => {
      const rows = await stores.readings.zonesLatest({
        ...(q.has('site_id') && { siteId: opt(q, 'site_id') }),
        ...(q.has('zone_id') && { zoneId: opt(q, 'zone_id') }),
        sensorTypes: SENSOR_TYPES,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [r.site_id, r.zone_id, r.sensor_type]);
    },
    '/api/v1/devices/latest': async (stores, q) => {
      const rows = await stores.readings.devicesLatest({
        ...(q.has('site_id') && { siteId: opt(q, 'site_id') }),
        ...(q.has('zone_id') && { zoneId: opt(q, 'zone_id') }),
        ...(q.has('device_id') && { deviceId: opt(q, 'device_id') }),
        sensorTypes: SENSOR_TYPES,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [r.device_id, r.sensor_type]);
    },
    '/api/v1/aggregates': async (stores, q) => {
      const bucket = BUCKETS[(q.get('bucket') ?? '15m') as keyof typeof BUCKETS];
      const toMs = Date.parse(q.get('to') ?? '');
      const rows = await stores.aggregates.buckets({
        sensorType: q.get('sensor_type') as SensorType,
        ...(q.has('site_id') && { siteId: opt(q, 'site_id') }),
        ...(q.has('zone_id') && { zoneId: opt(q, 'zone_id') }),
        bucketSeconds: bucket.seconds,
        // The tier the route picks for a 24 h range (domain/tiers.ts planTiers): the bucket's own width.
        // (api.js read bucket.sourceWindowSeconds, which BUCKETS no longer has: window_seconds = NULL.)
        sourceWindowSeconds: bucket.seconds,
        fromMs: alignDownMs(Date.parse(q.get('from') ?? ''), bucket.seconds),
        toMs,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [Date.parse(r.bucket_start)]);
    },
    '/api/v1/alerts': async (stores, q) => {
      const limit = limitOf(q);
      const statuses = q.get('status')?.split(',') as AlertStatus[] | undefined;
      const rows = await stores.alerts.list(statuses ? { statuses } : {}, undefined, limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map((r) => r.alert),
        next_cursor: rows.length > limit && last ? encodeCursor([last.openedUs, last.alert.alert_id]) : null,
      };
    },
  };
}

/** The API's postgres stores over `pool` (the real one, or a fake that records the SQL). */
export function createStores(pool: Queryable): BenchStores {
  const adapter = <T>(name: string): T => load(path.join(API_DIST, 'adapters/postgres', name)) as T;
  return {
    readings: adapter<{ createReadingsStore(p: Queryable): ReadingsStore }>('readings').createReadingsStore(
      pool,
    ),
    aggregates: adapter<{ createAggregatesStore(p: Queryable): AggregatesStore }>(
      'window-aggregates',
    ).createAggregatesStore(pool),
    alerts: adapter<{ createAlertStore(p: Queryable): AlertStore }>('alerts').createAlertStore(pool),
  };
}

import { aggregatesPage, aggregatesQuery } from '../../../contract/aggregates';
import { alignDownMs, BUCKETS } from '../../../domain/buckets';
import { paginate } from '../../../domain/cursor';
import type { AggregatesStore } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';
import { cursorKey } from './paging';

const DEFAULT_SPAN_MS = 24 * 3600_000;

/** Aggregates over time for a site, zone or everything, at stored or rolled-up bucket widths. */
export function aggregatesRoutes(deps: { aggregates: AggregatesStore; now: () => number }): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/aggregates',
      operationId: 'aggregates',
      summary: 'Count, average, min, max and standard deviation per time bucket',
      description:
        'Buckets are aligned to the epoch (UTC). 5m and 15m come straight from the stored windows; 1h and 1d are rolled up in SQL from the 15 m windows: counts and sums add, min/max fold, the standard deviation comes from the sums of squares, so every figure equals the one computed from the raw readings (too-late readings excluded, as everywhere). Oldest first.',
      tag: 'aggregates',
      auth: 'read',
      query: aggregatesQuery,
      response: aggregatesPage,
      responseDescription: 'One page of buckets, oldest first.',
      async handler({ query }) {
        const bucket = BUCKETS[query.bucket];
        const toMs = query.to ?? deps.now();
        const fromMs = alignDownMs(query.from ?? toMs - DEFAULT_SPAN_MS, bucket.seconds);
        const after = cursorKey(query.cursor, ['number']);
        const rows = await deps.aggregates.buckets({
          sensorType: query.sensor_type,
          siteId: query.site_id,
          zoneId: query.zone_id,
          bucketSeconds: bucket.seconds,
          sourceWindowSeconds: bucket.sourceWindowSeconds,
          // The next page starts at the bucket after the cursor's: buckets never overlap.
          fromMs: after ? Math.max(fromMs, after[0] + bucket.seconds * 1000) : fromMs,
          toMs,
          take: query.limit + 1,
        });
        return paginate(rows, query.limit, (r) => [Date.parse(r.bucket_start)]);
      },
    }),
  ];
}

import { aggregatesPage, aggregatesQuery, type AggregateBucket } from '../../../contract/aggregates';
import { alignDownMs, BUCKETS } from '../../../domain/buckets';
import { paginate } from '../../../domain/cursor';
import type { AggregatesStore } from '../../../domain/stores';
import { planTiers, tierName } from '../../../domain/tiers';
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
        'Buckets are aligned to the epoch (UTC). Each range is read from the finest stored tier still holding it: 5m and 15m windows, and the 1h and 1d tiers the processor materialises from the 15 m windows (counts and sums add, min/max fold, the standard deviation comes from the sums of squares), so every figure equals the one computed from the raw readings (too-late readings excluded, as everywhere). Where the tier asked for has passed its retention, a coarser one answers in its own buckets; `tier` on each bucket names it. Oldest first.',
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
        const plan = planTiers(bucket.seconds, fromMs, toMs, await deps.aggregates.tierHorizons());
        // The next page starts at the bucket after the cursor's (as wide as its tier's buckets).
        const resume = after && plan.find((s) => after[0] >= s.fromMs && after[0] < s.toMs);
        const startMs = after ? after[0] + (resume?.bucketSeconds ?? bucket.seconds) * 1000 : fromMs;
        const take = query.limit + 1;
        const rows: AggregateBucket[] = [];
        for (const segment of plan) {
          if (rows.length >= take || segment.toMs <= startMs) continue;
          const part = await deps.aggregates.buckets({
            sensorType: query.sensor_type,
            siteId: query.site_id,
            zoneId: query.zone_id,
            bucketSeconds: segment.bucketSeconds,
            sourceWindowSeconds: segment.tierSeconds,
            fromMs: Math.max(segment.fromMs, startMs),
            toMs: segment.toMs,
            take: take - rows.length,
          });
          const tier = tierName(segment.tierSeconds);
          rows.push(...part.map((r) => ({ ...r, tier })));
        }
        return paginate(rows, query.limit, (r) => [Date.parse(r.bucket_start)]);
      },
    }),
  ];
}

import type { AggregateBucket } from '../contract/aggregates';
import type { Alert } from '../contract/alerts';
import type { Site, Zone } from '../contract/catalog';
import type { HeatmapCell, TrendPoint } from '../contract/compat';
import type { PipelineCounts } from '../contract/pipeline';
import type { DeviceReading, ZoneLatest } from '../contract/readings';
import type { SensorType } from '@telemetry-pulse/shared/core';

/**
 * What the routes need from storage; one PostgreSQL implementation each (adapters/postgres). List
 * methods take `take` rows after the keyset position `after`: routes ask for one more than a page to
 * know whether another follows.
 */

/** A device row before its status is derived (see deviceStatus). */
export interface DeviceRow {
  readonly device_id: string;
  readonly site_id: string;
  readonly zone_id: string;
  readonly first_seen_at: string;
  readonly last_seen_at: string;
  /** Newest last_seen_at of any device of the same site. */
  readonly site_last_seen_at: string;
}

export interface CatalogStore {
  sites(q: { after?: string; take: number }): Promise<Site[]>;
  zones(q: { siteId?: string; after?: readonly [string, string]; take: number }): Promise<Zone[]>;
  devices(q: { siteId?: string; zoneId?: string; after?: string; take: number }): Promise<DeviceRow[]>;
}

export interface ReadingsStore {
  /** The newest 5 m window per (site, zone, sensor), keyed and ordered by that triple. */
  zonesLatest(q: {
    siteId?: string;
    zoneId?: string;
    sensorTypes: readonly SensorType[];
    after?: readonly [string, string, string];
    /** Only windows the processor changed after this instant (epoch ms), for the live stream. */
    updatedAfterMs?: number;
    take: number;
  }): Promise<ZoneLatest[]>;
  /** The newest reading per (device, sensor), ordered by that pair. */
  devicesLatest(q: {
    siteId?: string;
    zoneId?: string;
    deviceId?: string;
    sensorTypes: readonly SensorType[];
    after?: readonly [string, string];
    take: number;
  }): Promise<DeviceReading[]>;
}

export interface AggregatesStore {
  /** Buckets of `bucketSeconds` rolled up from windows of `sourceWindowSeconds` in [fromMs, toMs), oldest first. */
  buckets(q: {
    sensorType: SensorType;
    siteId?: string;
    zoneId?: string;
    bucketSeconds: number;
    sourceWindowSeconds: number;
    fromMs: number;
    toMs: number;
    take: number;
  }): Promise<AggregateBucket[]>;
  /** Windows of one width, newest first, rolled up over the zones that match. */
  trends(q: {
    sensorType: SensorType;
    zoneId?: string;
    siteId?: string;
    windowSeconds: number;
    take: number;
  }): Promise<TrendPoint[]>;
  /** Average occupancy per zone over 5 m windows starting at or after `sinceMs`. */
  occupancy(q: { siteId?: string; sinceMs: number }): Promise<HeatmapCell[]>;
}

export interface AlertFilter {
  readonly statuses?: readonly Alert['status'][];
  readonly severities?: readonly Alert['severity'][];
  readonly siteId?: string;
  readonly zoneId?: string;
  readonly deviceId?: string;
  readonly ruleId?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
}

/** An alert and its keyset position: opened_at in epoch microseconds (exact), then alert_id. */
export interface AlertRow {
  readonly alert: Alert;
  readonly openedUs: number;
}

export type AlertAction =
  | { readonly outcome: 'updated' | 'unchanged'; readonly alert: Alert }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'conflict'; readonly alert: Alert };

export interface AlertStore {
  /** Newest first by (opened_at, alert_id). */
  list(filter: AlertFilter, after: readonly [number, number] | undefined, take: number): Promise<AlertRow[]>;
  get(alertId: number): Promise<Alert | undefined>;
  /** Open → acknowledged; an acknowledged alert is left as it is; a resolved one is a conflict. */
  acknowledge(alertId: number, by: string): Promise<AlertAction>;
  /** Open or acknowledged → resolved; a resolved one is a conflict. */
  resolve(alertId: number, by: string): Promise<AlertAction>;
}

export interface PartitionProgress {
  readonly partition: number;
  /** Next offset to apply. */
  readonly nextOffset: number;
  /** When the last batch was applied (ISO-8601), and how long ago by the database's clock. */
  readonly appliedAt: string;
  readonly idleMs: number;
}

export interface PipelineStore {
  counts(): Promise<PipelineCounts>;
  /** Per partition the group has applied: progress as stored by the processor with its effects. */
  progress(group: string, topic: string): Promise<PartitionProgress[]>;
}

/** Newest offsets of a topic's partitions, from the broker. */
export interface TopicOffsets {
  highWatermarks(topic: string): Promise<{ partition: number; high: number; low: number }[]>;
}

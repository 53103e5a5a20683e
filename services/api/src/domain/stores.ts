import type { AggregateBucket } from '../contract/aggregates';
import type { AlertStats } from '../contract/alert-stats';
import type { Alert } from '../contract/alerts';
import type { Site, Zone } from '../contract/catalog';
import type { Notification } from '../contract/notifications';
import type { PipelineCounts } from '../contract/pipeline';
import type { DeviceReading, ZoneLatest } from '../contract/readings';
import type { SensorType } from '@telemetry-pulse/shared/core';
import type { AlertStatsFilter } from './alert-stats';
import type { TierHorizons } from './tiers';

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

/** What the original's device route shows of one device; times are ISO-8601. */
export interface DeviceStatsRow {
  readonly last_seen_at: string;
  /** Mean temperature and highest CO2 over the hour up to last_seen_at (event time); null without any. */
  readonly avg_temp: number | null;
  readonly max_co2: number | null;
}

export interface CatalogStore {
  sites(q: { after?: string; take: number }): Promise<Site[]>;
  zones(q: { siteId?: string; after?: readonly [string, string]; take: number }): Promise<Zone[]>;
  devices(q: { siteId?: string; zoneId?: string; after?: string; take: number }): Promise<DeviceRow[]>;
  deviceStats(deviceId: string): Promise<DeviceStatsRow | undefined>;
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

/** One window rolled up over zones: its start and the combined average, minimum and maximum. */
export interface WindowPoint {
  readonly ts: string;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
}

export interface ZoneRate {
  readonly site_id: string;
  readonly zone_id: string;
  readonly rate: number;
}

export interface AggregatesStore {
  /** Where each stored window width is kept from (storage_horizons); DEFAULT_TIERS when none is recorded. */
  tierHorizons(): Promise<TierHorizons>;
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
  }): Promise<Omit<AggregateBucket, 'tier'>[]>;
  /** Windows of one width, newest first, rolled up over the zones that match. */
  trends(q: {
    sensorType: SensorType;
    zoneId?: string;
    siteId?: string;
    windowSeconds: number;
    take: number;
  }): Promise<WindowPoint[]>;
  /**
   * Per zone, the mean of the averages of its 15 m occupancy windows starting after `sinceMs`: the
   * original's heatmap figure (a mean of means, kept for its clients), ordered by site and zone.
   */
  occupancyRates(q: { siteId?: string; sinceMs: number }): Promise<ZoneRate[]>;
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

/** An alert as the original's routes show it: what opened it and which limit it crossed. */
export interface LegacyAlertRow {
  readonly alert_id: number;
  readonly rule_id: string;
  readonly site_id: string;
  readonly zone_id: string;
  readonly sensor_type: string;
  readonly trigger_value: number | null;
  readonly threshold: number | null;
  readonly opened_at: string;
}

export interface AlertStore {
  /** The newest `take` alerts by (opened_at, alert_id), for the original's routes. */
  newest(take: number): Promise<LegacyAlertRow[]>;
  /** Newest first by (opened_at, alert_id). */
  list(filter: AlertFilter, after: readonly [number, number] | undefined, take: number): Promise<AlertRow[]>;
  get(alertId: number): Promise<Alert | undefined>;
  /** Open → acknowledged; an acknowledged alert is left as it is; a resolved one is a conflict. */
  acknowledge(alertId: number, by: string): Promise<AlertAction>;
  /** Open or acknowledged → resolved; a resolved one is a conflict. */
  resolve(alertId: number, by: string): Promise<AlertAction>;
}

export interface AlertStatsStore {
  /** Alert analytics over the alerts opened in the filter's period (definitions: docs/api.md). */
  stats(filter: AlertStatsFilter): Promise<Omit<AlertStats, 'from' | 'to' | 'flap_minutes'>>;
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
/** Notifications the processor's dispatcher routed, by status, newest transition first. */
export interface NotificationStore {
  list(
    filter: { statuses?: readonly string[]; channel?: string },
    after: readonly [number, string] | undefined,
    take: number,
  ): Promise<Notification[]>;
}

/** Every store the routes read and write through; adapters/postgres has the one implementation. */
export interface ApiStores {
  readonly catalog: CatalogStore;
  readonly readings: ReadingsStore;
  readonly aggregates: AggregatesStore;
  readonly alerts: AlertStore;
  readonly alertStats: AlertStatsStore;
  readonly pipeline: PipelineStore;
  readonly notifications: NotificationStore;
}

export interface TopicOffsets {
  highWatermarks(topic: string): Promise<{ partition: number; high: number; low: number }[]>;
}

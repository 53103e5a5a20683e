import { SENSOR_TYPES } from '@telemetry-pulse/shared/core';
import type { Logger } from '@telemetry-pulse/shared';
import { createLiveHub, type LiveHub } from './domain/live-events';
import type { AlertStore, ReadingsStore } from './domain/stores';
import { zoneChanges, type SentZones } from './domain/zone-changes';

export interface LiveFeed {
  readonly hub: LiveHub;
  /** Starts polling zone windows; alert changes arrive through {@link LiveFeed.alertChanged}. */
  start(): void;
  /** Reads the alert and publishes it, in notification order. */
  alertChanged(alertId: number): void;
  stop(): Promise<void>;
}

// Transactions stamp updated_at when they start and become visible when they commit, so each poll re-reads
// this much before the newest stamp seen; zoneChanges drops what was already sent.
const COMMIT_MARGIN_MS = 30_000;
const MAX_SERIES = 10_000;

/**
 * Feeds the live stream from PostgreSQL: zone windows by polling with a watermark on updated_at (a
 * NOTIFY per window upsert would cost the processor on its hottest path), alerts from LISTEN/NOTIFY.
 * Polls only while someone listens.
 */
export function createLiveFeed(opts: {
  readings: ReadingsStore;
  alerts: AlertStore;
  logger: Logger;
  pollIntervalMs: number;
}): LiveFeed {
  const log = opts.logger.child({ component: 'live-feed' });
  const hub = createLiveHub((err) => log.warn({ err }, 'live listener failed; dropped'));
  let sent: SentZones | undefined; // undefined until the first poll has seen the current state
  let watermarkMs: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined; // the poll in flight; a slow database skips ticks, never stacks them
  let alertChain: Promise<void> = Promise.resolve();
  let stopped = false;

  async function poll(): Promise<void> {
    if (hub.listeners() === 0) return;
    const rows = await opts.readings.zonesLatest({
      sensorTypes: SENSOR_TYPES,
      ...(watermarkMs !== undefined ? { updatedAfterMs: watermarkMs - COMMIT_MARGIN_MS } : {}),
      take: MAX_SERIES,
    });
    for (const r of rows) watermarkMs = Math.max(watermarkMs ?? 0, Date.parse(r.updated_at));
    const diff = zoneChanges(sent ?? new Map(), rows);
    const first = sent === undefined;
    sent = diff.sent;
    // The first poll only learns the current state: clients load it over REST when they connect.
    if (!first && diff.changed.length > 0) hub.publish({ event: 'zones', data: diff.changed });
  }

  return {
    hub,
    start() {
      timer = setInterval(() => {
        polling ??= poll()
          .catch((err: unknown) => log.warn({ err }, 'zone poll failed; will retry'))
          .finally(() => {
            polling = undefined;
          });
      }, opts.pollIntervalMs);
      timer.unref();
    },
    alertChanged(alertId) {
      alertChain = alertChain
        .then(async () => {
          if (stopped || hub.listeners() === 0) return;
          const alert = await opts.alerts.get(alertId);
          if (alert) hub.publish({ event: 'alert', data: alert });
        })
        .catch((err: unknown) => log.warn({ err, alertId }, 'could not read changed alert'));
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await polling;
      await alertChain;
    },
  };
}

import { SENSOR_TYPES } from '@telemetry-pulse/shared/core';
import type { Logger } from '@telemetry-pulse/shared';
import { createLiveHub, type LiveHub } from './domain/live-events';
import type { AlertStore, ReadingsStore } from './domain/stores';
import { zoneChanges, type SentZones } from './domain/zone-changes';

export interface LiveFeed {
  readonly hub: LiveHub;
  /** Starts polling zone windows; alert changes arrive through {@link LiveFeed.alertChanged}. */
  start(): void;
  /**
   * Takes the zones' baseline now unless there is one, so that a stream opened after it misses no change
   * made after the client's own snapshot (which it loads once the stream is open). Without it the
   * baseline waited for the first poll after the first listener, and a change in that gap was never sent.
   */
  ready(): Promise<void>;
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

  async function poll(force: boolean): Promise<void> {
    if (hub.listeners() === 0 && !force) return;
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

  /** One poll at a time: a tick while one is in flight shares it. */
  function tick(force: boolean): Promise<void> {
    polling ??= poll(force)
      .catch((err: unknown) => log.warn({ err }, 'zone poll failed; will retry'))
      .finally(() => {
        polling = undefined;
      });
    return polling;
  }

  return {
    hub,
    start() {
      timer = setInterval(() => void tick(false), opts.pollIntervalMs);
      timer.unref();
    },
    async ready() {
      // The poll in flight may be one that skipped (no listener yet): then one more, forced. A database
      // that fails both leaves the stream as before, with its baseline at the next poll.
      for (let attempt = 0; attempt < 2 && sent === undefined && !stopped; attempt += 1) await tick(true);
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

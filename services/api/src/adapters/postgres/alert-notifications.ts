import type { Logger, Pool, PoolClient } from '@telemetry-pulse/shared';

/** The channel migration 004's trigger notifies on every alert insert or update. */
export const ALERT_CHANNEL = 'telemetry_alerts';

export interface AlertNotifications {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * LISTENs for alert changes on one dedicated connection (from a pool of one, so LISTEN never lands on a
 * connection that queries share) and reconnects with backoff when it drops. Changes made while the
 * connection was down are not replayed: the stream is a live view, and clients reload lists over REST.
 */
export function createAlertNotifications(opts: {
  pool: Pool;
  logger: Logger;
  onAlert: (alertId: number) => void;
  retryMaxMs?: number;
}): AlertNotifications {
  const log = opts.logger.child({ component: 'alert-notifications' });
  const retryMaxMs = opts.retryMaxMs ?? 30_000;
  let client: PoolClient | undefined;
  let stopped = false;
  let retryMs = 500;
  let timer: NodeJS.Timeout | undefined;

  const onNotification = (msg: { channel: string; payload?: string }): void => {
    if (msg.channel !== ALERT_CHANNEL || !msg.payload) return;
    try {
      const { alert_id } = JSON.parse(msg.payload) as { alert_id?: unknown };
      if (typeof alert_id === 'number') opts.onAlert(alert_id);
    } catch (err) {
      log.warn({ err, payload: msg.payload }, 'unreadable alert notification');
    }
  };

  const onError = (err: Error): void => {
    log.warn({ err }, 'listen connection failed; reconnecting');
    drop(true);
    schedule();
  };

  function drop(broken: boolean): void {
    if (!client) return;
    client.off('notification', onNotification);
    client.off('error', onError);
    client.release(broken);
    client = undefined;
  }

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch(() => undefined);
    }, retryMs);
    retryMs = Math.min(retryMs * 2, retryMaxMs);
  }

  async function connect(): Promise<void> {
    try {
      const c = await opts.pool.connect();
      client = c;
      c.on('notification', onNotification);
      c.on('error', onError);
      await c.query(`LISTEN ${ALERT_CHANNEL}`);
      retryMs = 500;
      log.debug('listening for alert changes');
    } catch (err) {
      log.warn({ err }, 'could not listen for alert changes; retrying');
      drop(true);
      schedule();
      throw err;
    }
  }

  return {
    start: () => connect().catch(() => undefined),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      if (!c) return;
      await c.query(`UNLISTEN ${ALERT_CHANNEL}`).catch(() => undefined);
      drop(false);
    },
  };
}

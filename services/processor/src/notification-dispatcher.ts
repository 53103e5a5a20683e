import { once, type Logger, type Pool, type PoolClient } from '@telemetry-pulse/shared';
import {
  channelBacklog,
  dueDeliveries,
  firingAlerts,
  holdDeliveries,
  insertDeliveries,
  markDelivered,
  markFailed,
  unroutedTransitions,
} from './adapters/postgres/notifications';
import {
  createChannelSender,
  type ChannelResources,
  type ChannelSender,
} from './adapters/notifications/channels';
import { DeliveryError } from './adapters/notifications/http';
import {
  afterFailure,
  emptyBuckets,
  idempotencyKey,
  isRouted,
  maxInFlight,
  planChannel,
  waves,
  type Channel,
  type Delivery,
  type NotificationsConfig,
} from './domain/notifications';
import type { ProcessorMetrics } from './metrics';

// Advisory lock class of the channel dispatchers; the channel name's hash is the second key.
const CHANNEL_LOCK_CLASS = 0x7e1e_0021;

export interface NotificationDispatcherDeps {
  readonly pool: Pool;
  readonly config: NotificationsConfig;
  /** Per channel name: webhook secret, SMTP credentials and CA, resolved at start. */
  readonly resources: ReadonlyMap<string, ChannelResources>;
  readonly metrics: ProcessorMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** How often a standby instance tries to take a channel over. */
  readonly standbyMs?: number;
  /** Aborts the posts in flight (set by stop()); internal. */
  readonly stopSignal?: AbortSignal;
}

export interface NotificationDispatcher {
  start(): void;
  /**
   * Abandons the posts in flight (their rows stay pending), lets the pass record what it has, then unlocks.
   */
  stop(): Promise<void>;
}

/**
 * Delivers the outbox: one loop per channel; the instance holding the channel's advisory lock (on a
 * dedicated connection) routes new transitions, sends what is due and records the outcome, the others
 * stand by and try the lock again. Delivery is at least once: a post accepted just before a crash is sent
 * again by the next leader, under the same idempotency key.
 */
export function createNotificationDispatcher(deps: NotificationDispatcherDeps): NotificationDispatcher {
  const log = deps.logger.child({ component: 'notifications' });
  let stopping = false;
  const wakers = new Set<() => void>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });
  const abort = new AbortController();
  const workerDeps = { ...deps, stopSignal: abort.signal };
  const workers = deps.config.channels.map((channel) =>
    channelWorker(channel, createChannelSender(channel, deps.resources.get(channel.name)), workerDeps, log),
  );
  let loops: Promise<void>[] = [];

  async function run(worker: ChannelWorker): Promise<void> {
    while (!stopping) {
      let next = { leader: false, busy: false };
      try {
        next = await worker.pass();
      } catch (err) {
        log.warn({ err, channel: worker.name }, 'notification pass failed; will retry');
      }
      if (!next.busy && !stopping)
        await sleep(next.leader ? deps.config.poll_interval : (deps.standbyMs ?? 5000));
    }
    await worker.release();
  }

  return {
    start() {
      loops = workers.map(run);
      log.info({ channels: workers.map((w) => w.name) }, 'notification dispatcher started');
    },
    stop: once(async () => {
      stopping = true;
      abort.abort(); // a post in flight is abandoned, still pending: the next leader sends it
      for (const wake of [...wakers]) wake();
      await Promise.all(loops);
    }),
  };
}

interface ChannelWorker {
  readonly name: string;
  /** One pass if this instance leads the channel: `busy` when a full batch was found (go again at once). */
  pass(): Promise<{ leader: boolean; busy: boolean }>;
  release(): Promise<void>;
}

function channelWorker(
  channel: Channel,
  sender: ChannelSender,
  deps: NotificationDispatcherDeps,
  parent: Logger,
): ChannelWorker {
  const log = parent.child({ channel: channel.name });
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { metrics } = deps;
  const batch = deps.config.batch_size;
  const label = { channel: channel.name };
  // Every channel's counters exist from the start, at 0: increase() and rate() need a sample before the
  // first increment, or the first dead notification would never show in TelemetryNotificationsDead.
  for (const counter of [metrics.notificationsSent, metrics.notificationsFailed, metrics.notificationsDead]) {
    counter.inc(label, 0);
  }
  let client: PoolClient | undefined;
  let buckets = emptyBuckets();
  let lastResendMs = Number.NEGATIVE_INFINITY;

  const onError = (err: Error): void => {
    log.warn({ err }, 'dispatcher connection lost; standing by');
    drop(true);
  };

  function drop(broken: boolean): void {
    if (!client) return;
    client.off('error', onError);
    client.release(broken);
    client = undefined;
    metrics.notificationBacklog.remove(label);
    metrics.notificationOldestAge.remove(label);
  }

  async function lead(): Promise<PoolClient | undefined> {
    if (client) return client;
    const c = await deps.pool.connect();
    let locked = false;
    try {
      const { rows } = await c.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
        [CHANNEL_LOCK_CLASS, channel.name],
      );
      locked = rows[0]?.locked === true;
    } catch (err) {
      c.release(true);
      throw err;
    }
    if (!locked) {
      c.release();
      return undefined;
    }
    c.on('error', onError);
    client = c;
    buckets = emptyBuckets(); // the previous leader's limits are not known here: start full
    lastResendMs = Number.NEGATIVE_INFINITY;
    log.info('dispatching this channel');
    return c;
  }

  async function route(c: PoolClient): Promise<number> {
    const fresh = await unroutedTransitions(c, channel.name, deps.config.max_age, batch);
    await insertDeliveries(
      c,
      channel.name,
      fresh.map((t) => ({
        transitionId: t.transitionId,
        key: idempotencyKey(channel.name, t),
        routed: isRouted(channel.routes, t),
      })),
    );
    return fresh.length;
  }

  /** Due deliveries found, and whether a send failed (then the pass ends and the loop waits). */
  async function deliver(c: PoolClient): Promise<{ due: number; failing: boolean }> {
    const due = await dueDeliveries(c, channel.name, batch);
    const plan = planChannel(channel, due, buckets, now());
    await holdDeliveries(
      c,
      channel.name,
      plan.held.map((h) => ({ transitionId: h.item.transition.transitionId, untilMs: h.untilMs })),
    );
    for (const wave of waves(plan.messages, maxInFlight(channel))) {
      // The receiver is failing: the rest waits for the next pass instead of each timing out now.
      if (!(await sendWave(c, wave))) return { due: due.length, failing: true };
    }
    return { due: due.length, failing: false };
  }

  /**
   * Sends a wave of messages at once and records the outcomes, the delivered ones in one statement; false
   * after a failure that may pass, or when the dispatcher is stopping (a post cut short is left unmarked:
   * still pending, sent again by the next leader under the same key).
   */
  async function sendWave(c: PoolClient, wave: readonly (readonly Delivery[])[]): Promise<boolean> {
    const results = await Promise.all(
      wave.map(async (message) => {
        try {
          return { message, digest: await sender.send(message, now(), deps.stopSignal) };
        } catch (err) {
          return { message, err };
        }
      }),
    );
    const sentMs = now();
    const delivered = results.filter((r) => !('err' in r));
    // One statement per digest key (plain messages share null). A failure here leaves the rows pending.
    const byDigest = new Map<string | null, string[]>();
    for (const r of delivered) {
      const digest = 'digest' in r ? (r.digest ?? null) : null;
      const ids = byDigest.get(digest) ?? [];
      ids.push(...r.message.map((d) => d.transition.transitionId));
      byDigest.set(digest, ids);
    }
    for (const [digest, ids] of byDigest) await markDelivered(c, channel.name, ids, digest);
    for (const { message } of delivered) {
      metrics.notificationsSent.inc(label, message.length);
      for (const d of message) {
        metrics.notificationLatency.observe(label, (sentMs - d.transition.createdAtMs) / 1000);
      }
    }
    if (deps.stopSignal?.aborted) return false; // what failed was cut short by the stop, not the receiver
    let passing = true;
    for (const r of results) {
      if (!('err' in r)) continue;
      await recordFailure(c, r.message, r.err);
      if (!(r.err instanceof DeliveryError && r.err.permanent)) passing = false;
    }
    return passing;
  }

  /** A failed attempt: backoff or dead per delivery (dead at once when the request itself was refused). */
  async function recordFailure(c: PoolClient, message: readonly Delivery[], err: unknown): Promise<void> {
    const permanent = err instanceof DeliveryError && err.permanent;
    const error = err instanceof Error ? err.message : String(err);
    const outcomes = message.map((d) => {
      const attempts = d.attempts + 1;
      const next = permanent ? ({ dead: true } as const) : afterFailure(channel.retry, attempts, random);
      return {
        transitionId: d.transition.transitionId,
        attempts,
        dead: next.dead,
        delayMs: next.dead ? 0 : next.delayMs,
        error,
      };
    });
    await markFailed(c, channel.name, outcomes);
    const dead = outcomes.filter((o) => o.dead).length;
    metrics.notificationsFailed.inc(label, message.length);
    if (dead > 0) {
      metrics.notificationsDead.inc(label, dead);
      log.error({ err, keys: message.map((d) => d.idempotencyKey) }, 'notification dead: no more attempts');
    } else log.warn({ err, notifications: message.length }, 'notification failed; will retry');
  }

  async function resend(c: PoolClient): Promise<void> {
    if (channel.type !== 'alertmanager' || !sender.resend) return;
    if (now() - lastResendMs < channel.resend_interval) return;
    try {
      await sender.resend(await firingAlerts(c, channel.name), now(), deps.stopSignal);
      lastResendMs = now();
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      if (!deps.stopSignal?.aborted) log.warn({ err }, 'resending firing alerts failed; next pass');
    }
  }

  return {
    name: channel.name,
    async pass() {
      const c = await lead();
      if (!c) return { leader: false, busy: false };
      try {
        const routed = await route(c);
        const sent = await deliver(c);
        await resend(c);
        const backlog = await channelBacklog(c, channel.name);
        metrics.notificationBacklog.set(label, backlog.pending);
        metrics.notificationOldestAge.set(label, backlog.oldestAgeS);
        return { leader: true, busy: routed === batch || (sent.due === batch && !sent.failing) };
      } catch (err) {
        drop(true);
        throw err;
      }
    },
    async release() {
      if (!client) return;
      const c = client;
      try {
        await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CHANNEL_LOCK_CLASS, channel.name]);
        drop(false);
      } catch {
        drop(true);
      }
    },
  };
}

import type { OutboundMessage } from '@telemetry-pulse/shared';
import type { Clock } from './adapters/clock';
import type { ProducerConfig, RunConfig } from './config';
import { paceFor, refill, spend, startBucket, msUntil } from './domain/pacing';
import { formatProgress, runFraction, type RunPosition } from './domain/progress';
import type { MessageStream, SimMessage, StreamCounts } from './domain/stream';
import { backfillReports, type Timeline } from './domain/timeline';
import type { SimulatorMetrics } from './metrics';
import { createSendWindow } from './send-window';

/**
 * Batches at the producer at once. One: kafkajs' idempotent producer numbers each partition's batches as it
 * sends them, and when a request with several partitions fails on one (a leader moving, a topic just
 * created) it rewinds the numbers of all; a second request already queued then reuses them and the broker
 * refuses it with OUT_OF_ORDER_SEQUENCE_NUMBER, which is fatal. Measured on a fresh topic with two batches
 * outstanding. The run loop still builds the next batch while this one is on the wire.
 */
export const BATCHES_IN_FLIGHT = 1;

/** How often the progress line is written. */
export const PROGRESS_EVERY_MS = 2_000;

/** What a finished (or stopped) run did. */
export interface RunSummary {
  /** Messages acknowledged by the broker. */
  readonly sent: number;
  /** Messages generated, by kind, plus readings withheld by silent devices. */
  readonly counts: StreamCounts;
  readonly elapsedMs: number;
  readonly eventsPerSec: number;
  /** Why the run ended. */
  readonly reason: 'count' | 'duration' | 'backfill' | 'stopped';
}

export interface RunLoopDeps {
  readonly stream: MessageStream;
  /** The stream's timeline, for a backfill's progress. */
  readonly timeline: Timeline;
  readonly run: RunConfig;
  readonly producer: ProducerConfig;
  readonly send: (messages: readonly OutboundMessage[]) => Promise<void>;
  readonly clock: Clock;
  /** Aborted by `stop()`: the loop sends what it holds and returns. */
  readonly signal: AbortSignal;
  readonly progress: ((line: string) => void) | undefined;
  /** Counts acknowledged messages by sensor and kind and times each produce request. */
  readonly metrics?: SimulatorMetrics;
}

const withKindHeader = (m: SimMessage): OutboundMessage => ({
  key: m.key,
  value: m.value,
  headers: { 'sim-kind': m.kind },
});

/**
 * Pulls messages from the stream in batches, paces them to `--rate` with a token bucket (none at rate 0),
 * hands them to the producer one batch at a time, and stops at the first bound reached or when `signal`
 * aborts.
 */
export async function runLoop(deps: RunLoopDeps): Promise<RunSummary> {
  const { stream, run, producer, clock, signal } = deps;
  const window = createSendWindow<SimMessage>(
    measuredSend(deps.send, producer.tagKind, deps.metrics),
    BATCHES_IN_FLIGHT,
  );
  const startedMs = clock.now();
  const deadlineMs = run.durationMs === undefined ? Infinity : startedMs + run.durationMs;
  const limit = run.count ?? Infinity;
  const totalReports = backfillReports(deps.timeline, stream.devices.length);
  const pace =
    run.ratePerSec > 0 ? paceFor(run.ratePerSec, producer.lingerMs, producer.batchSize) : undefined;
  let bucket = startBucket(startedMs, pace?.batch ?? 0);
  let taken = 0;
  let reason: RunSummary['reason'] = 'stopped';
  let lastProgress = { atMs: startedMs, acked: 0 };

  const position = (nowMs: number): RunPosition => ({
    sent: window.acked(),
    elapsedMs: nowMs - startedMs,
    count: run.count,
    durationMs: run.durationMs,
    backfillDone: totalReports === undefined ? undefined : stream.reports() / totalReports,
  });
  const reportProgress = (nowMs: number): void => {
    if (!deps.progress || nowMs - lastProgress.atMs < PROGRESS_EVERY_MS) return;
    const p = position(nowMs);
    if (runFraction(p) === undefined) return; // open-ended live runs log no progress
    const rate = ((p.sent - lastProgress.acked) * 1000) / (nowMs - lastProgress.atMs);
    deps.progress(formatProgress(p, rate));
    lastProgress = { atMs: nowMs, acked: p.sent };
  };

  while (!signal.aborted) {
    const nowMs = clock.now();
    reportProgress(nowMs);
    if (nowMs >= deadlineMs) {
      reason = 'duration';
      break;
    }
    if (taken >= limit) {
      reason = 'count';
      break;
    }
    let n = Math.min(producer.batchSize, limit - taken);
    if (pace) {
      bucket = refill(bucket, nowMs, pace);
      const waitMs = msUntil(bucket, Math.min(pace.batch, n), pace);
      if (waitMs > 0) {
        await clock.sleep(Math.min(waitMs, deadlineMs - nowMs), signal);
        continue;
      }
      n = Math.min(n, Math.floor(bucket.tokens));
      bucket = spend(bucket, n);
    }
    const batch: SimMessage[] = [];
    for (let i = 0; i < n; i++) {
      const message = stream.next();
      if (!message) break;
      batch.push(message);
    }
    taken += batch.length;
    if (batch.length > 0) await window.push(batch);
    if (batch.length < n) {
      reason = 'backfill';
      break;
    }
  }
  await window.drain();
  const endMs = clock.now();
  const elapsedMs = endMs - startedMs;
  const sent = window.acked();
  const final = position(endMs);
  if (deps.progress && runFraction(final) !== undefined) {
    deps.progress(formatProgress(final, elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0));
  }
  return {
    sent,
    counts: stream.counts(),
    elapsedMs,
    eventsPerSec: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : 0,
    reason,
  };
}

/** The producer's send with the kind header added when asked, and each acknowledged batch recorded. */
function measuredSend(
  send: RunLoopDeps['send'],
  tagKind: boolean,
  metrics: SimulatorMetrics | undefined,
): (batch: readonly SimMessage[]) => Promise<void> {
  return async (batch) => {
    const startedMs = performance.now(); // real time even under a test clock
    try {
      await send(tagKind ? batch.map(withKindHeader) : batch);
    } catch (err) {
      metrics?.sendFailures.inc();
      throw err;
    }
    if (!metrics) return;
    metrics.produceDuration.observe((performance.now() - startedMs) / 1000);
    metrics.batchSize.observe(batch.length);
    // Counted per (sensor, kind) pair first: one inc per label set, not per message.
    const counts = new Map<string, number>();
    for (const m of batch) {
      const key = `${m.sensorType}|${m.kind}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [sensor_type, outcome] = key.split('|') as [string, string];
      metrics.produced.inc({ sensor_type, outcome }, n);
    }
  };
}

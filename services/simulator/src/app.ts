import { randomInt } from 'node:crypto';
import {
  createOpsServer,
  once,
  type Logger,
  type MessageProducer,
  type ReadinessReport,
  type TopicSpec,
} from '@telemetry-pulse/shared';
import { systemClock, type Clock } from './adapters/clock';
import type { SimulatorConfig } from './config';
import { createMessageStream } from './domain/stream';
import { backfillTimeline, type Timeline } from './domain/timeline';
import { createSimulatorMetrics, type SimulatorMetrics } from './metrics';
import { runLoop, type RunSummary } from './run-loop';

export interface SimulatorDeps {
  readonly config: SimulatorConfig;
  readonly producer: MessageProducer;
  readonly logger: Logger;
  /** Creates the topics that are missing (bound to a Kafka admin by `main.ts`). */
  readonly ensureTopics: (topics: readonly TopicSpec[]) => Promise<void>;
  readonly clock?: Clock;
  /** Receives a progress line every ~2 s of a bounded run; `main.ts` writes it to stderr. */
  readonly progress?: (line: string) => void;
  /** Served on /metrics; a fresh registry when not given. */
  readonly metrics?: SimulatorMetrics;
}

export interface Simulator {
  /** Connects, creates missing topics and starts sending; resolves once sending has begun. */
  start(): Promise<void>;
  /** Idempotent: sends what is already batched, waits for acknowledgements, disconnects. */
  stop(): Promise<void>;
  /**
   * Resolves with the summary when a bounded run ends or `stop()` ends it; rejects if start-up or sending
   * fails. Settles only once `start()` has been called.
   */
  readonly done: Promise<RunSummary>;
  /** The seed in use (the configured one, or the one drawn for this run). */
  readonly seed: number;
  /** The port of /healthz, /readyz and /metrics once `start()` has resolved (useful with port 0). */
  opsPort(): number | undefined;
  readonly metrics: SimulatorMetrics;
}

function timelineFor(config: SimulatorConfig, clock: Clock): Timeline {
  const { run } = config;
  if (run.backfillMs === undefined) return { mode: 'live', now: () => clock.now() };
  return backfillTimeline(run.backfillEndMs ?? clock.now(), run.backfillMs, run.intervalMs);
}

/**
 * The simulator service: a message stream from the pure domain, paced and batched into the producer.
 * Collaborators come in as `deps`, so tests run it in-process against the real broker.
 */
export function createSimulator(deps: SimulatorDeps): Simulator {
  const { config, producer } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger.child({ component: 'simulator' });
  const seed = config.seed ?? randomInt(0, 2 ** 32 - 1);
  const abort = new AbortController();
  let settle: { resolve: (s: RunSummary) => void; reject: (err: unknown) => void } | undefined;
  const done = new Promise<RunSummary>((resolve, reject) => (settle = { resolve, reject }));
  // Callers may never await `done` (the failure is logged below too); an unobserved rejection must not
  // crash the process.
  done.catch(() => undefined);
  let started: Promise<void> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const metrics = deps.metrics ?? createSimulatorMetrics();
  let sending = false;
  let opsPort: number | undefined;
  const ops = createOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    logger: deps.logger,
    readiness: async (): Promise<ReadinessReport> => ({
      ready: sending,
      checks: { sending: sending ? { ok: true } : { ok: false, detail: 'not sending' } },
    }),
    metrics: metrics.registry,
  });

  async function begin(): Promise<void> {
    try {
      opsPort = await ops.listen();
      await connect();
    } catch (err) {
      settle?.reject(err);
      throw err;
    }
    sending = true;
    launch();
  }

  async function connect(): Promise<void> {
    const { topics } = config;
    await producer.connect();
    if (topics.create) {
      const replicationFactor = topics.replicationFactor;
      await deps.ensureTopics(
        [topics.events, topics.dlq].map((topic) => ({
          topic,
          partitions: topics.partitions,
          ...(replicationFactor === undefined ? {} : { replicationFactor }),
        })),
      );
    }
  }

  function launch(): void {
    const { topics, run, fleet, faults } = config;
    const timeline = timelineFor(config, clock);
    const stream = createMessageStream({ seed, fleet, faults, timeline });
    logger.info(
      {
        seed,
        mode: run.mode,
        devices: stream.devices.length,
        topic: topics.events,
        ratePerSec: run.ratePerSec,
        count: run.count,
        durationMs: run.durationMs,
        ...(timeline.mode === 'backfill'
          ? { from: new Date(timeline.fromMs).toISOString(), to: new Date(timeline.toMs).toISOString() }
          : {}),
        faults,
      },
      'simulation started',
    );
    running = runLoop({
      stream,
      timeline,
      run,
      producer: config.producer,
      send: (messages) => producer.send(topics.events, messages),
      clock,
      signal: abort.signal,
      progress: deps.progress,
      metrics,
    }).then(
      (summary) => {
        logger.info(
          { seed, ...summary },
          summary.reason === 'stopped' ? 'simulation stopped' : 'simulation finished',
        );
        sending = false;
        settle?.resolve(summary);
      },
      (err: unknown) => {
        sending = false;
        logger.error({ err, seed }, 'simulation failed: a batch could not be sent');
        settle?.reject(err);
      },
    );
  }

  const stop = once(async () => {
    abort.abort();
    try {
      await started;
      await running;
    } catch {
      // start() failed; its caller has the error. There is still a producer to close.
    } finally {
      await producer.disconnect();
      await ops.close();
    }
  });

  return {
    start: () => (started ??= begin()),
    stop,
    done,
    seed,
    opsPort: () => opsPort,
    metrics,
  };
}

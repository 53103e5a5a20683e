import { ConfigError } from '../config';
import type { KafkaFatalError } from '../kafka/fatal';
import type { Logger } from '../log';

/** What a composition root hands back: something that runs until asked to stop. */
export interface Service {
  /** Idempotent; overlapping calls share one promise. */
  stop(): Promise<void>;
  /** Resolves when the service ends on its own (bounded run finished); undefined for servers. */
  readonly done?: Promise<void>;
}

/**
 * Runs a service under signals: the first SIGINT/SIGTERM stops it gracefully within `deadlineMs`, a second
 * one (or the deadline) exits at once. Unhandled errors are logged and end the process with code 1.
 */
export async function runUntilSignalled(
  service: Service,
  logger: Logger,
  deadlineMs = 15_000,
): Promise<void> {
  let stopping = false;
  const stop = (reason: string, code: number): void => {
    if (stopping) {
      logger.warn({ reason }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    stopping = true;
    logger.info({ reason }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'graceful stop overran its deadline; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exitCode = code;
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    stop('unhandledRejection', 1);
  });
  if (service.done) {
    await service.done;
    if (!stopping) stop('finished', 0);
  }
}

/** Shared `main()` wrapper: configuration errors print plainly and exit 2; anything else exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nRun with --help to see every option.\n`);
      process.exit(2);
    }
    // Failures that say all in their message (a database TLS setup that cannot work) need no stack.
    const oneLine = err instanceof Error && (err as { code?: unknown }).code === 'DATABASE_TLS';
    const text = err instanceof Error ? (oneLine ? err.message : (err.stack ?? err.message)) : String(err);
    process.stderr.write(`fatal: ${text}\n`);
    process.exit(1);
  });
}

/** Wraps an async stop so overlapping callers share one run (kafkajs' "one shared stop promise"). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/**
 * A service's answer to a Kafka failure no retry can cure (bad credentials, an untrusted certificate): one
 * log line `kafka <broker>: <cause>`, then exit 1, instead of kafkajs retrying it for minutes. The
 * orchestrator's restart backoff and the line in the pod's log are what an operator needs.
 */
export function exitOnKafkaFatal(logger: Logger): (err: KafkaFatalError) => void {
  return (err) => {
    logger.fatal({ broker: err.broker, kind: err.reason.kind }, err.message);
    logger.flush();
    process.exit(1);
  };
}

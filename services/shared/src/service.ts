/**
 * `runService`: the one `main` of every long-running service (`@telemetry-pulse/shared/service`). It starts
 * tracing first, then loads the service's definition, so `pg`, `http` and `koa` are patched when they are
 * first required; parses the options (`--help` prints them), builds the root logger, starts the service and
 * runs it until a signal or its own end; the stop runs the service's `stop()` and then the tracing SDK's
 * shutdown, last, after the pools. This entry imports nothing that loads kafkajs, pg or http.
 */
import { formatHelp, parseOptions, type ConfigOf, type OptionSpecs } from './config';
import { createLogger, type Logger, type LogLevel } from './log';
import { runMain, runUntilSignalled, type Service } from './process/lifecycle';
import { startTracing } from './telemetry/tracing';

/** What a service tells {@link runService}: its command line, and how to start it from its config. */
export interface ServiceDefinition<C extends ServiceConfig> {
  /** The logger's `service` field, e.g. `processor`. */
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly specs: OptionSpecs;
  /** Flags and environment to config; throws ConfigError listing every problem. */
  parse(
    argv: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
  ): { readonly help: true } | { readonly help: false; readonly config: C };
  /** Builds and starts the service; what it returns is stopped on a signal (or awaited, with `done`). */
  start(config: C, logger: Logger): Promise<Service>;
}

/** The usual `parse`: the specs' flags and environment, then the service's own `toConfig`. */
export function parseWith<S extends OptionSpecs, C extends ServiceConfig>(
  specs: S,
  toConfig: (options: ConfigOf<S>) => C,
): ServiceDefinition<C>['parse'] {
  return (argv, env) => {
    const parsed = parseOptions(specs, argv, env);
    return parsed.help ? parsed : { help: false, config: toConfig(parsed.config) };
  };
}

/** The options {@link runService} itself reads. */
export interface ServiceConfig {
  readonly logLevel: LogLevel;
  /** Deadline of a graceful stop (SHUTDOWN_TIMEOUT); 15 s when the service has none. */
  readonly shutdownTimeoutMs?: number;
}

/**
 * Runs a service as its process's main. `load` is called after tracing started; it should import the
 * service's definition lazily (`() => import('./service.js')`), never at the top of `main.ts`.
 */
export function runService<C extends ServiceConfig>(opts: {
  /** `service.name` of its spans, e.g. `telemetry-processor`. */
  readonly tracingName: string;
  readonly load: () => Promise<{ readonly service: ServiceDefinition<C> }>;
}): void {
  const tracing = startTracing({ serviceName: opts.tracingName, env: process.env });
  runMain(async () => {
    const { service } = await opts.load();
    const parsed = service.parse(process.argv.slice(2), process.env);
    if (parsed.help) {
      process.stdout.write(`${formatHelp(service.usage, service.summary, service.specs)}\n`);
      return;
    }
    const { config } = parsed;
    const logger = createLogger({ service: service.name, level: config.logLevel });
    const running = await service.start(config, logger);
    const stop = async (): Promise<void> => {
      await running.stop();
      // Last, after the pools: exports the final spans; a dead collector costs spans, not the stop.
      await tracing
        .shutdown()
        .catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
    };
    await runUntilSignalled(
      running.done ? { stop, done: running.done } : { stop },
      logger,
      config.shutdownTimeoutMs,
    );
  });
}

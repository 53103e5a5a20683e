import {
  ConfigError,
  createKafkaClient,
  createKafkaProducer,
  createLogger,
  parseOptions,
  type KafkaFatalError,
} from '@telemetry-pulse/shared';
import { mergeRepeatedFlag, parseLetterAddress, splitCommand } from '../config/argv';
import type { CommandDeps } from '../commands/deps';
import { toInspectConfig, toListConfig, toReplayConfig, type CommonConfig } from '../config/command-config';
import { DlqToolError } from '../domain/errors';
import { commandHelp, globalHelp } from './help';
import { runInspect } from '../commands/inspect';
import { createKafkaDlqSource } from '../adapters/kafka-source';
import { runList } from '../commands/list';
import { inspectOptionSpecs, listOptionSpecs, replayOptionSpecs } from '../config/options';
import { runReplay } from '../commands/replay';

/** Anything text can be written to: process.stdout, or a capture in tests. */
export interface TextSink {
  write(text: string): unknown;
}

export interface DlqIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Wall clock, for relative --since/--until and the progress throttle. */
  readonly now?: () => number;
  /** Aborted on Ctrl-C: the command stops after the batch in hand and still cleans up. */
  readonly signal?: AbortSignal;
}

/** Exit code of a run stopped by a signal (128 + SIGINT), as shells expect. */
export const EXIT_INTERRUPTED = 130;

type Env = Readonly<Record<string, string | undefined>>;
type Run = (deps: CommandDeps) => Promise<void>;

/**
 * Runs one `telemetry-dlq` command line and resolves to its exit code: 0 done, 1 a runtime failure it
 * explained on stderr (broker unreachable, topic or offset missing, send failed), 130 interrupted. Throws
 * ConfigError for bad usage (runMain exits 2) and lets unexpected errors through with their stack.
 */
export async function runDlqCommand(argv: readonly string[], env: Env, io: DlqIo): Promise<number> {
  const now = io.now ?? Date.now;
  const line = splitCommand(argv);
  const help = (text: string): number => {
    io.stdout.write(`${text}\n`);
    return 0;
  };
  switch (line.command) {
    case 'help':
      return help(line.topic === undefined ? globalHelp() : commandHelp(line.topic));
    case 'list': {
      const parsed = parseOptions(listOptionSpecs, mergeRepeatedFlag(line.args, 'error'), env);
      if (parsed.help) return help(commandHelp('list'));
      const config = toListConfig(parsed.config, now());
      return withKafka(config, io, now, (deps) => runList(config, deps));
    }
    case 'inspect': {
      const parsed = parseOptions(inspectOptionSpecs, line.args, env, { allowPositionals: true });
      if (parsed.help) return help(commandHelp('inspect'));
      const [text, ...extra] = parsed.positionals;
      const address = text === undefined ? undefined : parseLetterAddress(text);
      if (address === undefined || extra.length > 0) {
        throw new ConfigError(['inspect takes one address: <partition>:<offset>, or <offset>']);
      }
      const config = toInspectConfig(parsed.config, address);
      return withKafka(config, io, now, (deps) => runInspect(config, deps));
    }
    case 'replay': {
      const parsed = parseOptions(replayOptionSpecs, mergeRepeatedFlag(line.args, 'error'), env);
      if (parsed.help) return help(commandHelp('replay'));
      const config = toReplayConfig(parsed.config, now());
      return withKafka(config, io, now, (deps) => runReplay(config, deps));
    }
  }
}

/** Builds the real Kafka collaborators around one command and always cleans them up. */
async function withKafka(config: CommonConfig, io: DlqIo, now: () => number, run: Run): Promise<number> {
  // Client logs go to stderr: stdout is the command's result and may be piped (--json | jq).
  const logger = createLogger({ service: 'dlq-tool', level: config.logLevel, destination: io.stderr });
  const err = (text: string): void => void io.stderr.write(`${text}\n`);
  // Bad credentials or certificates end the command at once with the cause, not after kafkajs' retries.
  let fatal: (e: KafkaFatalError) => void = () => undefined;
  const fatalSeen = new Promise<never>((_, reject) => {
    fatal = (e) => reject(new DlqToolError(e.message));
  });
  fatalSeen.catch(() => undefined);
  const kafka = createKafkaClient(config.kafka, logger, { onFatal: (e) => fatal(e) });
  const source = createKafkaDlqSource(kafka, {
    topic: config.dlqTopic,
    readTimeoutMs: config.readTimeoutMs,
    brokers: config.kafka.brokers,
    notice: err,
    logger,
    signal: io.signal,
  });
  const deps: CommandDeps = {
    source,
    out: (text) => void io.stdout.write(`${text}\n`),
    err,
    now,
    createProducer: () => createKafkaProducer(kafka, { idempotent: true, compression: 'none' }),
  };
  try {
    await Promise.race([run(deps), fatalSeen]);
    if (!io.signal?.aborted) return 0;
    err('telemetry-dlq: interrupted; the counts above cover only what was done before');
    return EXIT_INTERRUPTED;
  } catch (e) {
    if (!(e instanceof DlqToolError)) throw e;
    err(`telemetry-dlq: ${e.message}`);
    return 1;
  } finally {
    await source.close().catch((e: unknown) => logger.warn({ err: e }, 'closing the Kafka admin failed'));
  }
}

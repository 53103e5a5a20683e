import {
  ConfigError,
  DEFAULT_TOPIC,
  toKafkaConnection,
  type ConfigOf,
  type KafkaConnection,
  type LogLevel,
} from '@telemetry-pulse/shared';
import type { LetterAddress } from './argv';
import { normaliseErrorCodes, parseTimeBound, type DlqFilter } from '../domain/filter';
import type {
  commonOptionSpecs,
  filterOptionSpecs,
  inspectOptionSpecs,
  listOptionSpecs,
  replayOptionSpecs,
} from './options';

/** What each command runs with: parsed options plus the cross-field rules, frozen. */
export interface CommonConfig {
  readonly kafka: KafkaConnection;
  readonly dlqTopic: string;
  readonly readTimeoutMs: number;
  readonly logLevel: LogLevel;
}

export interface ListConfig extends CommonConfig {
  readonly filter: DlqFilter;
  /** 0: no limit. */
  readonly limit: number;
  readonly json: boolean;
}

export interface InspectConfig extends CommonConfig {
  readonly address: LetterAddress;
  readonly json: boolean;
}

export interface ReplayConfig extends CommonConfig {
  readonly filter: DlqFilter;
  readonly limit: number | undefined;
  readonly targetTopic: string | undefined;
  readonly fallbackTopic: string;
  readonly maxReplays: number;
  readonly dryRun: boolean;
}

function toCommon(o: ConfigOf<typeof commonOptionSpecs>, problems: string[]): CommonConfig {
  const kafka = toKafkaConnection(o, problems);
  return { kafka, dlqTopic: o.dlqTopic, readTimeoutMs: o.readTimeoutMs, logLevel: o.logLevel };
}

function toFilter(o: ConfigOf<typeof filterOptionSpecs>, nowMs: number, problems: string[]): DlqFilter {
  const bound = (text: string | undefined): number | undefined => {
    const b = text === undefined ? undefined : parseTimeBound(text, nowMs);
    return b?.ok ? b.ms : undefined; // the schema already refused unreadable text
  };
  const sinceMs = bound(o.since);
  const untilMs = bound(o.until);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs >= untilMs) {
    problems.push('--since must be earlier than --until');
  }
  return { errorCodes: normaliseErrorCodes(o.errorCodes), sinceMs, untilMs, partition: o.partition };
}

function done<T>(config: T, problems: readonly string[]): Readonly<T> {
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Cross-field rules of `list`; `nowMs` anchors relative `--since`/`--until`. Throws ConfigError. */
export function toListConfig(o: ConfigOf<typeof listOptionSpecs>, nowMs: number): ListConfig {
  const problems: string[] = [];
  const config = {
    ...toCommon(o, problems),
    filter: toFilter(o, nowMs, problems),
    limit: o.limit,
    json: o.json,
  };
  return done(config, problems);
}

export function toInspectConfig(
  o: ConfigOf<typeof inspectOptionSpecs>,
  address: LetterAddress,
): InspectConfig {
  const problems: string[] = [];
  return done({ ...toCommon(o, problems), address, json: o.json }, problems);
}

export function toReplayConfig(o: ConfigOf<typeof replayOptionSpecs>, nowMs: number): ReplayConfig {
  const problems: string[] = [];
  const common = toCommon(o, problems);
  if (o.targetTopic === o.dlqTopic) problems.push('--target-topic must differ from --dlq-topic');
  const config = {
    ...common,
    filter: toFilter(o, nowMs, problems),
    limit: o.limit,
    targetTopic: o.targetTopic,
    fallbackTopic: DEFAULT_TOPIC,
    maxReplays: o.maxReplays,
    dryRun: o.dryRun,
  };
  return done(config, problems);
}

import {
  ConfigError,
  parseOptions,
  toKafkaConnection,
  type Compression,
  type KafkaConnection,
  type LogLevel,
} from '@telemetry-pulse/shared';
import type { FleetShape } from './domain/fleet';
import type { FaultRates } from './domain/stream';
import { simulatorOptionSpecs } from './options';

/** How a run is bounded and paced. */
export interface RunConfig {
  /** `live` stamps events with the wall clock; `backfill` walks `backfillMs` of history up to `backfillEndMs`. */
  readonly mode: 'live' | 'backfill';
  readonly backfillMs: number | undefined;
  /** Undefined: the moment the run starts. */
  readonly backfillEndMs: number | undefined;
  readonly intervalMs: number;
  /** Events per second; 0 = unpaced. */
  readonly ratePerSec: number;
  readonly count: number | undefined;
  readonly durationMs: number | undefined;
}

export interface TopicsConfig {
  readonly events: string;
  readonly dlq: string;
  readonly partitions: number;
  readonly replicationFactor: number | undefined;
  readonly create: boolean;
}

export interface ProducerConfig {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly compression: Compression;
  readonly tagKind: boolean;
}

/** Where the operations endpoints (/healthz, /readyz, /metrics) listen. */
export interface OpsConfig {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
}

/** How readings leave: straight to Kafka, or through the API's HTTP ingest. */
export type TransportConfig =
  | { readonly kind: 'kafka' }
  | { readonly kind: 'http'; readonly url: string; readonly apiKey: string | undefined };

/** The simulator's configuration after every cross-field rule has held. */
export interface SimulatorConfig {
  readonly transport: TransportConfig;
  readonly fleet: FleetShape;
  /** Undefined: drawn at random when the simulator is created, and logged. */
  readonly seed: number | undefined;
  readonly faults: FaultRates;
  readonly run: RunConfig;
  readonly topics: TopicsConfig;
  readonly producer: ProducerConfig;
  readonly kafka: KafkaConnection;
  readonly ops: OpsConfig;
  readonly logLevel: LogLevel;
}

export type SimulatorConfigResult = { help: true } | { help: false; config: SimulatorConfig };

/** Events per second of a live run when `--rate` is not given. */
export const DEFAULT_LIVE_RATE = 50;

/**
 * Parses flags then environment (flags win) and applies the cross-field rules. Throws `ConfigError` listing
 * every problem at once.
 *
 * Rules: the four message-level fault rates share one draw, so their sum must be at most 1; `--count`,
 * `--duration` and `--backfill` may be combined and the run ends at whichever bound comes first;
 * `--rate` paces a backfill only when given explicitly.
 */
export function parseSimulatorConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): SimulatorConfigResult {
  const parsed = parseOptions(simulatorOptionSpecs, argv, env);
  if (parsed.help) return parsed;
  const c = parsed.config;
  const problems: string[] = [];
  const kafka = toKafkaConnection(c, problems);

  const faults: FaultRates = {
    anomaly: c.anomalyRate,
    duplicate: c.duplicateRate,
    late: c.lateRate,
    outOfOrder: c.outOfOrderRate,
    malformed: c.malformedRate,
  };
  const messageShare = faults.duplicate + faults.late + faults.outOfOrder + faults.malformed;
  if (messageShare > 1 + 1e-9) {
    problems.push(
      `--duplicate-rate, --late-rate, --out-of-order-rate and --malformed-rate add up to ${messageShare.toFixed(3)}; at most 1`,
    );
  }
  if (c.duration !== undefined && c.duration <= 0) problems.push('--duration must be longer than 0');
  if (c.backfill !== undefined && c.backfill <= 0) problems.push('--backfill must be longer than 0');
  if (c.backfillEnd !== undefined && c.backfill === undefined) {
    problems.push('--backfill-end needs --backfill');
  }
  if (c.transport === 'http' && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(c.apiUrl)) {
    problems.push(`--api-url ${JSON.stringify(c.apiUrl)} must be an http(s) URL`);
  }
  if (c.topic === c.dlqTopic) problems.push(`--topic and --dlq-topic must differ (both ${c.topic})`);
  if (problems.length > 0) throw new ConfigError(problems);

  const mode = c.backfill === undefined ? 'live' : 'backfill';
  const config: SimulatorConfig = {
    transport:
      c.transport === 'http'
        ? { kind: 'http', url: c.apiUrl.replace(/\/+$/, ''), apiKey: c.apiKey }
        : { kind: 'kafka' },
    fleet: { sites: c.sites, zonesPerSite: c.zones, devicesPerZone: c.devices },
    seed: c.seed,
    faults,
    run: {
      mode,
      backfillMs: c.backfill,
      backfillEndMs: c.backfillEnd,
      intervalMs: c.interval,
      ratePerSec: c.rate ?? (mode === 'live' ? DEFAULT_LIVE_RATE : 0),
      count: c.count,
      durationMs: c.duration,
    },
    topics: {
      events: c.topic,
      dlq: c.dlqTopic,
      partitions: c.partitions,
      replicationFactor: c.replicationFactor,
      // Over HTTP the API owns the topic; the simulator has no Kafka connection to create one with.
      create: c.createTopics && c.transport === 'kafka',
    },
    producer: {
      batchSize: c.batchSize,
      lingerMs: c.linger,
      compression: c.compression,
      tagKind: c.tagKind,
    },
    kafka,
    ops: { host: c.metricsHost, port: c.metricsPort },
    logLevel: c.logLevel,
  };
  return { help: false, config: deepFreeze(config) };
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(value);
}

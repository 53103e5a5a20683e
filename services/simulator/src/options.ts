import {
  COMPRESSIONS,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_TOPIC,
  kafkaOptionSpecs,
  LOG_LEVELS,
  opt,
  parseIsoTimestamp,
  type OptionSpec,
} from '@telemetry-pulse/shared';
import { z } from 'zod';

const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** An ISO-8601 instant, for `--backfill-end`. */
const optionalInstant = () =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const ts = parseIsoTimestamp(s);
      if (!ts.ok) {
        ctx.addIssue({ code: 'custom', message: ts.reason });
        return z.NEVER;
      }
      return ts.ms;
    });

/** Every simulator option: flag, environment variable, default and meaning (`--help` and docs/configuration.md). */
export const simulatorOptionSpecs = {
  sites: {
    flag: 'sites',
    env: 'SIM_SITES',
    help: 'Sites (buildings) in the fleet.',
    defaultText: '3',
    schema: opt.int(3, 1, 999),
  },
  zones: {
    flag: 'zones',
    env: 'SIM_ZONES',
    help: 'Zones per site.',
    defaultText: '5',
    schema: opt.int(5, 1, 999),
  },
  devices: {
    flag: 'devices',
    env: 'SIM_DEVICES',
    help: 'Devices per zone; each reports co2, temperature, humidity and occupancy.',
    defaultText: '3',
    schema: opt.int(3, 1, 999),
  },
  seed: {
    flag: 'seed',
    env: 'SIM_SEED',
    help: 'Seed of every random choice; the same seed replays the same fleet, signals and faults. Random (and logged) when unset.',
    schema: opt.optionalInt(0, 4_294_967_295),
  },
  rate: {
    flag: 'rate',
    env: 'SIM_RATE',
    help: 'Events per second; 0 sends as fast as the broker takes them. Backfills are unpaced unless this is set.',
    defaultText: '50 (live), 0 (backfill)',
    schema: opt.optionalInt(0, 10_000_000),
  },
  count: {
    flag: 'count',
    env: 'SIM_COUNT',
    help: 'Stop after exactly this many messages (every kind counted).',
    schema: opt.optionalInt(1, MAX_COUNT),
  },
  duration: {
    flag: 'duration',
    env: 'SIM_DURATION',
    help: 'Stop after this long, e.g. 30s, 10m.',
    schema: opt.optionalDuration(),
  },
  backfill: {
    flag: 'backfill',
    env: 'SIM_BACKFILL',
    help: 'Emit this much history (e.g. 24h) ending now, then stop, with a progress line on stderr.',
    schema: opt.optionalDuration(),
  },
  backfillEnd: {
    flag: 'backfill-end',
    env: 'SIM_BACKFILL_END',
    help: 'End instant of the backfill (ISO-8601); with --seed it makes a backfill byte-for-byte reproducible.',
    defaultText: 'now',
    schema: optionalInstant(),
  },
  interval: {
    flag: 'interval',
    env: 'SIM_INTERVAL',
    help: 'Event time between two reports of one device in a backfill. Live runs stamp reports with the wall clock and follow --rate.',
    defaultText: '10s',
    schema: opt.duration('10s', 100),
  },
  anomalyRate: {
    flag: 'anomaly-rate',
    env: 'SIM_ANOMALY_RATE',
    help: 'Share of device reports inside an anomaly: CO2 spike, stuck sensor or device gone silent.',
    defaultText: '0.01',
    schema: opt.rate(0.01),
  },
  duplicateRate: {
    flag: 'duplicate-rate',
    env: 'SIM_DUPLICATE_RATE',
    help: 'Share of messages that resend a recent message (same event_id).',
    defaultText: '0.01',
    schema: opt.rate(0.01),
  },
  lateRate: {
    flag: 'late-rate',
    env: 'SIM_LATE_RATE',
    help: 'Share of messages whose event time lags 2–30 minutes.',
    defaultText: '0.01',
    schema: opt.rate(0.01),
  },
  outOfOrderRate: {
    flag: 'out-of-order-rate',
    env: 'SIM_OUT_OF_ORDER_RATE',
    help: 'Share of messages whose event time is pushed back 1–30 seconds, behind later reports.',
    defaultText: '0.01',
    schema: opt.rate(0.01),
  },
  malformedRate: {
    flag: 'malformed-rate',
    env: 'SIM_MALFORMED_RATE',
    help: 'Share of malformed messages: bad JSON, wrong types, out-of-range values, missing fields.',
    defaultText: '0.005',
    schema: opt.rate(0.005),
  },
  topic: {
    flag: 'topic',
    env: 'SIM_TOPIC',
    help: 'Topic the events go to.',
    defaultText: DEFAULT_TOPIC,
    schema: opt.string(DEFAULT_TOPIC),
  },
  dlqTopic: {
    flag: 'dlq-topic',
    env: 'SIM_DLQ_TOPIC',
    help: 'Dead-letter topic created beside it for the processor.',
    defaultText: DEFAULT_DLQ_TOPIC,
    schema: opt.string(DEFAULT_DLQ_TOPIC),
  },
  partitions: {
    flag: 'partitions',
    env: 'SIM_PARTITIONS',
    help: 'Partitions of the topics when this run creates them.',
    defaultText: '6',
    schema: opt.int(6, 1, 10_000),
  },
  replicationFactor: {
    flag: 'replication-factor',
    env: 'SIM_REPLICATION_FACTOR',
    help: "Replication factor of created topics; the broker's default when unset.",
    schema: opt.optionalInt(1, 32),
  },
  createTopics: {
    flag: 'create-topics',
    env: 'SIM_CREATE_TOPICS',
    help: 'Create missing topics at start-up (false where the platform forbids it).',
    defaultText: 'true',
    schema: opt.bool(true),
  },
  transport: {
    flag: 'transport',
    env: 'SIM_TRANSPORT',
    help: "kafka: publish to the topic; http: POST the readings to the API (POST /api/v1/readings, NDJSON, one request per batch), as devices that cannot speak Kafka do. Topics are then the API's.",
    defaultText: 'kafka',
    schema: opt.oneOf(['kafka', 'http'] as const, 'kafka'),
  },
  apiUrl: {
    flag: 'api-url',
    env: 'SIM_API_URL',
    help: 'Base URL of the API for --transport http.',
    defaultText: 'http://127.0.0.1:8080',
    schema: opt.string('http://127.0.0.1:8080'),
  },
  apiKey: {
    flag: 'api-key',
    env: 'SIM_API_KEY',
    help: 'Ingest key (an API_INGEST_KEYS entry of the API) sent as x-api-key with --transport http.',
    secret: true,
    schema: opt.optionalString(),
  },
  batchSize: {
    flag: 'batch-size',
    env: 'SIM_BATCH_SIZE',
    help: 'Messages per produce request.',
    defaultText: '1000',
    schema: opt.int(1000, 1, 100_000),
  },
  linger: {
    flag: 'linger',
    env: 'SIM_LINGER',
    help: 'Longest a paced message waits for its batch to fill.',
    defaultText: '100ms',
    schema: opt.duration('100ms', 1),
  },
  compression: {
    flag: 'compression',
    env: 'SIM_COMPRESSION',
    help: 'Batch compression: none, gzip, snappy, lz4 or zstd (every client of the project reads all five).',
    defaultText: 'none',
    schema: opt.oneOf(COMPRESSIONS, 'none'),
  },
  tagKind: {
    flag: 'tag-kind',
    env: 'SIM_TAG_KIND',
    boolean: true,
    help: 'Add a `sim-kind` header (valid, anomaly, duplicate, late, out_of_order, malformed) to every message, for tests.',
    defaultText: 'false',
    schema: opt.bool(false),
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'SIM_METRICS_PORT',
    help: 'Port of /healthz, /readyz and /metrics (0 = any free port).',
    defaultText: '9465',
    schema: opt.int(9465, 0, 65535),
  },
  metricsHost: {
    env: 'SIM_METRICS_HOST',
    help: 'Address the operations server binds.',
    defaultText: '0.0.0.0',
    schema: opt.string('0.0.0.0'),
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    help: 'Log level.',
    defaultText: 'info',
    schema: opt.oneOf(LOG_LEVELS, 'info'),
  },
  brokers: { ...kafkaOptionSpecs.brokers, flag: 'brokers' },
  clientId: {
    ...kafkaOptionSpecs.clientId,
    flag: 'client-id',
    defaultText: 'telemetry-simulator',
    schema: opt.string('telemetry-simulator'),
  },
  saslMechanism: { ...kafkaOptionSpecs.saslMechanism, flag: 'sasl-mechanism' },
  saslUsername: { ...kafkaOptionSpecs.saslUsername, flag: 'sasl-username' },
  // The password has no flag on purpose: command lines are visible to every user of the machine.
  saslPassword: kafkaOptionSpecs.saslPassword,
  ssl: { ...kafkaOptionSpecs.ssl, flag: 'ssl' },
  // Paths have flags; PEM text, the key and its password only come from the environment.
  sslCa: kafkaOptionSpecs.sslCa,
  sslCaFile: { ...kafkaOptionSpecs.sslCaFile, flag: 'ssl-ca-file' },
  sslCert: kafkaOptionSpecs.sslCert,
  sslCertFile: { ...kafkaOptionSpecs.sslCertFile, flag: 'ssl-cert-file' },
  sslKey: kafkaOptionSpecs.sslKey,
  sslKeyFile: { ...kafkaOptionSpecs.sslKeyFile, flag: 'ssl-key-file' },
  sslKeyPassword: kafkaOptionSpecs.sslKeyPassword,
} satisfies Record<string, OptionSpec>;

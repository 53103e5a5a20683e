import {
  ConfigError,
  databaseOptionSpecs,
  DEFAULT_TOPIC,
  kafkaOptionSpecs,
  opt,
  serviceOptionSpecs,
  omitKafkaOptions,
  toKafkaConnection,
  type ConfigOf,
  type KafkaConnection,
  type KafkaOptionKey,
  type OptionSpec,
} from '@telemetry-pulse/shared';
import { parseApiKeys, type ApiKey } from './domain/api-keys';

/** Every API option: flag, environment variable, default. docs/configuration.md's table is generated from this (npm run docs). */
export const apiOptionSpecs = {
  ...databaseOptionSpecs,
  ...kafkaOptionSpecs,
  port: {
    flag: 'port',
    env: 'API_PORT',
    help: 'Port of the API, dashboard, /docs and /metrics (0 = any free port).',
    defaultText: '8080',
    schema: opt.int(8080, 0, 65535),
  },
  host: {
    env: 'API_HOST',
    help: 'Address the API binds.',
    defaultText: '0.0.0.0',
    schema: opt.string('0.0.0.0'),
  },
  apiKeys: {
    env: 'API_KEYS',
    help: 'Comma-separated name:sha256hex pairs (hashes, never keys: `node services/api/dist/hash-key.js KEY` prints one). Needed to acknowledge and resolve alerts.',
    secret: true,
    schema: opt.list(''),
  },
  ingestKeys: {
    env: 'API_INGEST_KEYS',
    help: 'Keys of devices and gateways that send readings (POST /ingest, POST /api/v1/readings): comma-separated name:sha256hex[:site|site…] entries; with sites, only readings of those sites are accepted. Separate from API_KEYS: an ingest key cannot acknowledge alerts, nor an operator key send readings.',
    secret: true,
    schema: opt.list(''),
  },
  ingestAnonymous: {
    env: 'API_INGEST_ANONYMOUS',
    help: 'Accept readings without an ingest key, as the original did (closed networks only); limited per client IP.',
    defaultText: 'false',
    schema: opt.bool(false),
  },
  ingestRateLimit: {
    env: 'API_INGEST_RATE_LIMIT',
    help: 'Readings per second per ingest key (per client IP without one); a batch costs one per item (0 = no limit). Per instance.',
    defaultText: '20000',
    schema: opt.number(20_000, 0, 10_000_000),
  },
  ingestRateBurst: {
    env: 'API_INGEST_RATE_BURST',
    help: 'Readings a key may send at once before the rate applies; at least API_INGEST_MAX_ITEMS.',
    defaultText: '40000',
    schema: opt.int(40_000, 1, 100_000_000),
  },
  ingestMaxItems: {
    env: 'API_INGEST_MAX_ITEMS',
    help: 'Most readings in one POST /api/v1/readings batch; more get 413.',
    defaultText: '10000',
    schema: opt.int(10_000, 1, 1_000_000),
  },
  ingestMaxBytes: {
    env: 'API_INGEST_MAX_BYTES',
    help: 'Largest POST /api/v1/readings body in bytes; larger ones get 413.',
    defaultText: '8388608',
    schema: opt.int(8_388_608, 1024, 268_435_456),
  },
  ingestTimeoutMs: {
    env: 'API_INGEST_TIMEOUT',
    help: 'Longest wait for Kafka to acknowledge ingested readings; then 503 (500 on POST /ingest) with Retry-After.',
    defaultText: '5s',
    schema: opt.duration('5s', 100),
  },
  ingestMaxQueued: {
    env: 'API_INGEST_MAX_QUEUED',
    help: 'Readings waiting for Kafka beyond which new ingest requests get 503 at once (bounds memory while Kafka is away).',
    defaultText: '200000',
    schema: opt.int(200_000, 1, 100_000_000),
  },
  maxFutureSkewMs: {
    env: 'PROCESSOR_MAX_FUTURE_SKEW',
    help: "Ingested readings stamped further ahead of the API's clock are refused (FUTURE_EVENT_TIME), as the processor would dead-letter them.",
    defaultText: '10m',
    schema: opt.duration('10m'),
  },
  readAuth: {
    env: 'API_READ_AUTH',
    help: 'Require an API key (x-api-key header) on reads too, not only on acknowledge and resolve.',
    defaultText: 'false',
    schema: opt.bool(false),
  },
  rateLimit: {
    env: 'API_RATE_LIMIT',
    help: 'Requests per second per API key, or per client IP without one (0 = no limit). Per instance.',
    defaultText: '20',
    schema: opt.number(20, 0, 1_000_000),
  },
  rateBurst: {
    env: 'API_RATE_BURST',
    help: 'Requests a client may make at once before the rate applies.',
    defaultText: '60',
    schema: opt.int(60, 1, 1_000_000),
  },
  bodyLimit: {
    env: 'API_BODY_LIMIT',
    help: 'Largest request body in bytes; larger ones get 413.',
    defaultText: '16384',
    schema: opt.int(16_384, 64, 1_048_576),
  },
  corsOrigins: {
    env: 'API_CORS_ORIGINS',
    help: 'Comma-separated origins allowed to call the API from a browser (* for any); none when unset.',
    schema: opt.list(''),
  },
  trustProxy: {
    env: 'API_TRUST_PROXY',
    help: 'Take the client IP from X-Forwarded-For (only behind a proxy that sets it).',
    defaultText: 'false',
    schema: opt.bool(false),
  },
  trustProxyHops: {
    env: 'API_TRUST_PROXY_HOPS',
    help: 'With API_TRUST_PROXY: proxies in front of the API that each append to X-Forwarded-For. The client is that many entries from the right; entries a client writes itself are ignored.',
    defaultText: '1',
    schema: opt.int(1, 1, 16),
  },
  sseMaxClients: {
    env: 'API_SSE_MAX_CLIENTS',
    help: 'Most concurrent /api/v1/stream connections per instance; more get 503.',
    defaultText: '100',
    schema: opt.int(100, 1, 100_000),
  },
  sseMaxBufferBytes: {
    env: 'API_SSE_MAX_BUFFER',
    help: 'Bytes a live stream may hold for a client that does not read (beyond what the kernel buffers); past it the connection is closed.',
    defaultText: '1048576',
    schema: opt.int(1_048_576, 1024, 268_435_456),
  },
  sseHeartbeatMs: {
    env: 'API_SSE_HEARTBEAT',
    help: 'Interval of the heartbeat comment on live streams.',
    defaultText: '15s',
    schema: opt.duration('15s', 10),
  },
  ssePollMs: {
    env: 'API_SSE_POLL',
    help: 'How often zone windows are polled for the live stream (while anyone listens).',
    defaultText: '2s',
    schema: opt.duration('2s', 10),
  },
  silentAfterMs: {
    env: 'API_DEVICE_SILENT_AFTER',
    help: 'A device is silent when its newest reading is this much older than the newest of its site (event time).',
    defaultText: '5m',
    schema: opt.duration('5m', 1000),
  },
  stallAfterMs: {
    env: 'API_PIPELINE_STALL_AFTER',
    help: "A partition is stalled when records wait on it (lag) and the processor's group has applied nothing there for this long; the pipeline status and the dashboard then turn red.",
    defaultText: '2m',
    schema: opt.duration('2m', 1000),
  },
  topic: {
    env: 'PROCESSOR_TOPIC',
    help: "The processor's topic, for consumer lag.",
    defaultText: DEFAULT_TOPIC,
    schema: opt.string(DEFAULT_TOPIC),
  },
  groupId: {
    env: 'PROCESSOR_GROUP_ID',
    help: "The processor's consumer group, for consumer lag.",
    defaultText: 'telemetry-processor',
    schema: opt.string('telemetry-processor'),
  },
  kafkaTimeoutMs: {
    env: 'API_KAFKA_TIMEOUT',
    help: 'Longest wait for the broker when reading consumer lag; the status answers without lag after it.',
    defaultText: '3s',
    schema: opt.duration('3s', 100),
  },
  queryTimeoutMs: {
    env: 'API_QUERY_TIMEOUT',
    help: 'PostgreSQL statement timeout of API queries (0 = none, for poolers that refuse startup options).',
    defaultText: '10s',
    schema: opt.duration('10s'),
  },
  requestTimeoutMs: {
    env: 'API_REQUEST_TIMEOUT',
    help: 'Longest time a client may take to send a whole request (against slow-loris clients).',
    defaultText: '30s',
    schema: opt.duration('30s', 1000),
  },
  ...serviceOptionSpecs,
} satisfies Record<string, OptionSpec>;

export type ApiOptions = ConfigOf<typeof apiOptionSpecs>;
export interface ApiConfig extends Omit<ApiOptions, KafkaOptionKey | 'apiKeys' | 'ingestKeys'> {
  readonly kafka: KafkaConnection;
  readonly apiKeys: readonly ApiKey[];
  readonly ingestKeys: readonly ApiKey[];
}

/** Cross-field rules; throws ConfigError listing every problem. */
export function toApiConfig(o: ApiOptions): ApiConfig {
  const problems: string[] = [];
  const kafka = toKafkaConnection(o, problems);
  const keys = parseApiKeys(o.apiKeys);
  problems.push(...keys.problems);
  const ingestKeys = parseApiKeys(o.ingestKeys, 'API_INGEST_KEYS');
  problems.push(...ingestKeys.problems);
  if (o.ingestRateLimit > 0 && o.ingestRateBurst < o.ingestMaxItems) {
    problems.push(
      `API_INGEST_RATE_BURST (${o.ingestRateBurst}) must be at least API_INGEST_MAX_ITEMS (${o.ingestMaxItems}), or a full batch could never pass`,
    );
  }
  if (o.readAuth && o.apiKeys.length === 0)
    problems.push('API_READ_AUTH=true needs at least one key in API_KEYS');
  if (o.corsOrigins.includes('*') && o.corsOrigins.length > 1) {
    problems.push('API_CORS_ORIGINS is either * or a list of origins, not both');
  }
  for (const origin of o.corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`API_CORS_ORIGINS: ${JSON.stringify(origin)} must be scheme://host[:port], no path`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const { apiKeys: _k, ingestKeys: _i, ...rest } = omitKafkaOptions(o);
  return Object.freeze({
    ...rest,
    kafka,
    apiKeys: Object.freeze(keys.keys),
    ingestKeys: Object.freeze(ingestKeys.keys),
  });
}

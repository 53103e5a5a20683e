import {
  ConfigError,
  databaseOptionSpecs,
  DEFAULT_TOPIC,
  kafkaOptionSpecs,
  opt,
  serviceOptionSpecs,
  toKafkaConnection,
  type ConfigOf,
  type KafkaConnection,
  type OptionSpec,
} from '@telemetry-pulse/shared';
import { parseApiKeys, type ApiKey } from './domain/api-keys';

/** Every API option: flag, environment variable, default. README's table is generated from this. */
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
export interface ApiConfig extends Omit<
  ApiOptions,
  'brokers' | 'clientId' | 'saslMechanism' | 'saslUsername' | 'saslPassword' | 'ssl' | 'apiKeys'
> {
  readonly kafka: KafkaConnection;
  readonly apiKeys: readonly ApiKey[];
}

/** Cross-field rules; throws ConfigError listing every problem. */
export function toApiConfig(o: ApiOptions): ApiConfig {
  const problems: string[] = [];
  const kafka = toKafkaConnection(o, problems);
  const keys = parseApiKeys(o.apiKeys);
  problems.push(...keys.problems);
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
  const {
    brokers: _b,
    clientId: _c,
    saslMechanism: _m,
    saslUsername: _u,
    saslPassword: _p,
    ssl: _s,
    apiKeys: _k,
    ...rest
  } = o;
  return Object.freeze({ ...rest, kafka, apiKeys: Object.freeze(keys.keys) });
}

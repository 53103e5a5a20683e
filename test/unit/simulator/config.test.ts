import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@telemetry-pulse/shared/core';
import {
  DEFAULT_LIVE_RATE,
  parseSimulatorConfig,
  simulatorOptionSpecs,
  type SimulatorConfig,
} from '@telemetry-pulse/simulator';

function parse(argv: string[], env: Record<string, string> = {}): SimulatorConfig {
  const result = parseSimulatorConfig(argv, env);
  if (result.help) throw new Error('unexpected --help');
  return result.config;
}

function problems(argv: string[], env: Record<string, string> = {}): readonly string[] {
  try {
    parseSimulatorConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('simulator configuration', () => {
  it('has working defaults: a 3 × 5 × 3 fleet, live at 50 events/s, six partitions', () => {
    const c = parse([]);
    expect(c.fleet).toEqual({ sites: 3, zonesPerSite: 5, devicesPerZone: 3 });
    expect(c.run).toMatchObject({ mode: 'live', ratePerSec: DEFAULT_LIVE_RATE, intervalMs: 10_000 });
    expect(c.run.count).toBeUndefined();
    expect(c.topics).toEqual({
      events: 'telemetry.events',
      dlq: 'telemetry.events.dlq',
      partitions: 6,
      replicationFactor: undefined,
      create: true,
    });
    expect(c.producer.compression).toBe('none');
    expect(c.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'telemetry-simulator', ssl: false });
    expect(c.seed).toBeUndefined();
    expect(Object.isFrozen(c) && Object.isFrozen(c.run)).toBe(true);
  });

  it('reads flags and environment, flags winning', () => {
    const c = parse(['--rate', '200', '--malformed-rate', '5%', '--seed', '9'], {
      SIM_RATE: '10',
      SIM_SITES: '2',
      SIM_COMPRESSION: 'gzip',
      KAFKA_BROKERS: 'a:9092,b:9093',
    });
    expect(c.run.ratePerSec).toBe(200);
    expect(c.faults.malformed).toBe(0.05);
    expect(c.seed).toBe(9);
    expect(c.fleet.sites).toBe(2);
    expect(c.producer.compression).toBe('gzip');
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
  });

  it('runs backfills unpaced unless --rate is given', () => {
    expect(parse(['--backfill', '24h']).run).toMatchObject({
      mode: 'backfill',
      backfillMs: 86_400_000,
      ratePerSec: 0,
    });
    expect(parse(['--backfill', '24h', '--rate', '1000']).run.ratePerSec).toBe(1000);
    expect(parse(['--backfill', '1h', '--backfill-end', '2025-01-15T00:00:00Z']).run.backfillEndMs).toBe(
      Date.UTC(2025, 0, 15),
    );
  });

  it('allows --count, --duration and --backfill together (the first bound reached ends the run)', () => {
    expect(parse(['--count', '10', '--duration', '30s', '--backfill', '1h']).run).toMatchObject({
      count: 10,
      durationMs: 30_000,
      backfillMs: 3_600_000,
    });
  });

  it('accepts every Kafka codec for --compression', () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      expect(parse(['--compression', codec]).producer.compression).toBe(codec);
    }
  });

  it('turns --tag-kind on by its presence', () => {
    expect(parse(['--tag-kind']).producer.tagKind).toBe(true);
    expect(parse([], { SIM_TAG_KIND: 'true' }).producer.tagKind).toBe(true);
    expect(parse([]).producer.tagKind).toBe(false);
  });

  it('reports every bad value together', () => {
    const found = problems(
      ['--rate', 'fast', '--sites', '0', '--duplicate-rate', '2', '--duration', 'soon'],
      {
        SIM_COMPRESSION: 'brotli', // not a Kafka codec
      },
    );
    expect(found).toHaveLength(5);
    expect(found.join('\n')).toMatch(/--rate/);
    expect(found.join('\n')).toMatch(/--sites/);
    expect(found.join('\n')).toMatch(/--duplicate-rate/);
    expect(found.join('\n')).toMatch(/--duration/);
    expect(found.join('\n')).toMatch(/SIM_COMPRESSION/);
  });

  it('refuses unknown flags', () => {
    expect(problems(['--rat', '5'])[0]).toMatch(/--rat/);
  });

  it('applies the cross-field rules, all reported together', () => {
    const found = problems(
      [
        '--late-rate',
        '0.5',
        '--malformed-rate',
        '0.4',
        '--duplicate-rate',
        '0.2',
        '--out-of-order-rate',
        '0',
        '--backfill-end',
        '2025-01-15T00:00:00Z',
        '--dlq-topic',
        'telemetry.events',
      ],
      { KAFKA_SASL_MECHANISM: 'scram-sha-256' },
    );
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toMatch(/add up to 1\.100; at most 1/);
    expect(found.join('\n')).toMatch(/--backfill-end needs --backfill/);
    expect(found.join('\n')).toMatch(/--topic and --dlq-topic must differ/);
    expect(found.join('\n')).toMatch(/KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
  });

  it('turns TLS on with SASL for hosted Kafka', () => {
    const c = parse([], {
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(c.kafka.ssl).toBe(true);
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' });
  });

  it('answers --help', () => {
    expect(parseSimulatorConfig(['--help', '--rate', 'nonsense'], {})).toEqual({ help: true });
  });
});

describe('simulator README', () => {
  it('documents every option with its flag, variable and default', () => {
    const readme = readFileSync(
      path.join(__dirname, '..', '..', '..', 'services', 'simulator', 'README.md'),
      'utf8',
    );
    const spec: Record<string, { flag?: string; env?: string; defaultText?: string }> = simulatorOptionSpecs;
    for (const { flag, env, defaultText } of Object.values(spec)) {
      const row = readme.split('\n').find((line) => line.includes(`\`${env}\``));
      expect(row).toBeDefined();
      if (flag) expect(row).toContain(`\`--${flag}\``);
      if (defaultText) expect(row).toContain(`\`${defaultText}\``);
    }
  });
});

import pg from 'pg';
import { createKafkaClient, createKafkaProducer, ensureTopics } from '@telemetry-pulse/shared';
import type { Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { createSimulator, parseSimulatorConfig, type RunSummary } from '@telemetry-pulse/simulator';
import { startTestApi } from '../support/api';
import {
  BROKERS,
  createScratchDatabase,
  quietLogger,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { scrape, sumOf, type Sample } from '../support/metrics';
import { appliedRecords } from '../support/pipeline';
import { startTestProcessor } from '../support/processor';

const COUNT = 5000;

/**
 * A bounded simulator run through the real processor, then /metrics of all three services: the counters
 * must agree with what the database holds (stored readings, dead letters) and with what was sent.
 */
describe('metrics agree with the database (real Kafka and PostgreSQL)', () => {
  const topic = uniqueName('it.metrics');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('it-metrics');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let processor: Processor | undefined;
  let api: Api | undefined;
  let summary: RunSummary;
  let simulatorMetrics: Sample[];
  let opsPort: number;
  let apiUrl: string;

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });

    const parsed = parseSimulatorConfig(
      [
        ...['--count', String(COUNT), '--seed', '11', '--rate', '0', '--tag-kind'],
        ...[
          '--malformed-rate',
          '5%',
          '--duplicate-rate',
          '0',
          '--late-rate',
          '0',
          '--out-of-order-rate',
          '0',
        ],
        ...['--topic', topic, '--dlq-topic', dlqTopic, '--partitions', '3', '--batch-size', '500'],
        ...['--metrics-port', '0', '--brokers', BROKERS.join(',')],
      ],
      { SIM_METRICS_HOST: '127.0.0.1' },
    );
    if (parsed.help) throw new Error('unexpected --help');
    const kafka = createKafkaClient(parsed.config.kafka, quietLogger);
    const simulator = createSimulator({
      config: parsed.config,
      producer: createKafkaProducer(kafka, { idempotent: true, compression: 'none' }),
      logger: quietLogger,
      ensureTopics: (topics) => ensureTopics(kafka, topics, quietLogger),
    });
    await simulator.start();
    try {
      summary = await simulator.done;
      simulatorMetrics = await scrape(`http://127.0.0.1:${simulator.opsPort() ?? 0}/metrics`);
    } finally {
      await simulator.stop();
    }

    ({ processor, opsPort } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: dlqTopic,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '3',
    }));
    await waitFor(
      'processor drained',
      async () => ((await appliedRecords(pool, group, topic)) === COUNT ? true : undefined),
      120_000,
    );
    // The database holds a batch's effects before its offset is committed to Kafka, and the lag gauge reads the
    // committed offsets: refresh the gauges now (rather than on the timer) until the last commit shows.
    await waitFor(
      'lag gauge at 0 on every partition',
      async () => {
        await processor?.maintain();
        const lag = (await scrape(`http://127.0.0.1:${opsPort}/metrics`)).filter(
          (s) => s.name === 'telemetry_processor_consumer_lag',
        );
        return lag.length === 3 && lag.every((s) => s.value === 0) ? true : undefined;
      },
      30_000,
    );

    ({ api, url: apiUrl } = await startTestApi({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
    }));
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await pool?.end();
    await db?.drop();
  });

  it('simulator: produced messages by outcome match the run', () => {
    expect(summary.sent).toBe(COUNT);
    expect(sumOf(simulatorMetrics, 'telemetry_simulator_events_produced_total')).toBe(COUNT);
    const malformed = sumOf(simulatorMetrics, 'telemetry_simulator_events_produced_total', {
      outcome: 'malformed',
    });
    expect(malformed).toBe(summary.counts.malformed);
    expect(malformed).toBeGreaterThan(0);
    const sensors = new Set(
      simulatorMetrics
        .filter((s) => s.name === 'telemetry_simulator_events_produced_total')
        .map((s) => s.labels['sensor_type']),
    );
    expect([...sensors].sort()).toEqual(['co2', 'humidity', 'occupancy', 'temperature']);
    expect(sumOf(simulatorMetrics, 'telemetry_simulator_produce_duration_seconds_count')).toBeGreaterThan(0);
    expect(sumOf(simulatorMetrics, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('processor: stored and dead-lettered counters equal the rows written', async () => {
    const m = await scrape(`http://127.0.0.1:${opsPort}/metrics`);
    const raw = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM raw_events');
    const dead = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM dead_letters');
    expect(sumOf(m, 'telemetry_processor_events_consumed_total')).toBe(COUNT);
    expect(sumOf(m, 'telemetry_processor_events_stored_total')).toBe(Number(raw.rows[0]?.n));
    expect(sumOf(m, 'telemetry_processor_events_stored_total')).toBe(COUNT - summary.counts.malformed);
    expect(sumOf(m, 'telemetry_processor_events_dead_lettered_total')).toBe(Number(dead.rows[0]?.n));
    expect(sumOf(m, 'telemetry_processor_events_dead_lettered_total')).toBe(summary.counts.malformed);
    expect(sumOf(m, 'telemetry_processor_batch_size_count')).toBeGreaterThan(0);
    expect(sumOf(m, 'telemetry_processor_db_transaction_duration_seconds_count')).toBeGreaterThan(0);

    const lag = m.filter((s) => s.name === 'telemetry_processor_consumer_lag');
    expect(lag.map((s) => s.labels['partition']).sort()).toEqual(['0', '1', '2']);
    expect(lag.every((s) => s.value === 0)).toBe(true);
    expect(m.filter((s) => s.name === 'telemetry_processor_watermark_age_seconds').length).toBeGreaterThan(0);

    const open = await pool.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM alerts WHERE status <> 'resolved'",
    );
    const openAlerts = m.filter((s) => s.name === 'telemetry_processor_open_alerts');
    expect(openAlerts.map((s) => s.labels['severity']).sort()).toEqual(['critical', 'info', 'warning']);
    expect(sumOf(m, 'telemetry_processor_open_alerts')).toBe(Number(open.rows[0]?.n));
  });

  it('api: requests are counted by route template and status', async () => {
    const url = apiUrl;
    const before = sumOf(await scrape(`${url}/metrics`), 'telemetry_api_requests_total', {
      route: '/api/v1/sites',
      status: '200',
    });
    for (let i = 0; i < 2; i += 1) expect((await fetch(`${url}/api/v1/sites`)).status).toBe(200);
    const after = await scrape(`${url}/metrics`);
    expect(sumOf(after, 'telemetry_api_requests_total', { route: '/api/v1/sites', status: '200' })).toBe(
      before + 2,
    );
    expect(
      sumOf(after, 'telemetry_api_request_duration_seconds_count', { route: '/api/v1/sites' }),
    ).toBeGreaterThanOrEqual(2);
    expect(after.some((s) => s.name === 'telemetry_api_sse_clients')).toBe(true);
  });
});

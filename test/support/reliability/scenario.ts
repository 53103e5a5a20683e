import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import { parseAlertRules, type AlertRule } from '@telemetry-pulse/processor';
import type { PrivateInfra } from '../private-infra';
import { createProcessorFleet, type ProcessorFleet } from './fleet';
import {
  aggregateMismatches,
  alertMismatches,
  checkLag,
  checkLedger,
  type LagReport,
  type LedgerReport,
} from './invariants';
import { Fleet, startLoad, type Load } from './load';
import { recordRow, type ScenarioRow } from './report';

/**
 * One reliability scenario on the private infrastructure: its own topic, consumer group and database,
 * processors as child processes (through the fault proxies), a seeded fleet and producer (direct), and
 * `settle()`, which waits for recovery and checks every invariant.
 */

/** Rules with short durations, so a scenario's hour of event time opens, escalates and resolves alerts. */
const RULES_JSON = {
  description: 'reliability suite: the default threshold rules with shorter durations',
  rules: [
    {
      kind: 'threshold',
      id: 'co2-high',
      sensorType: 'co2',
      levels: [
        { severity: 'warning', above: { trigger: 1000, clear: 900 } },
        { severity: 'critical', above: { trigger: 1500, clear: 1400 } },
      ],
      forMs: 60_000,
      cooldownMs: 120_000,
    },
    {
      kind: 'threshold',
      id: 'temperature-comfort',
      sensorType: 'temperature',
      levels: [
        { severity: 'warning', below: { trigger: 18, clear: 18.5 }, above: { trigger: 26, clear: 25.5 } },
      ],
      forMs: 120_000,
      cooldownMs: 300_000,
    },
    {
      kind: 'threshold',
      id: 'humidity-comfort',
      sensorType: 'humidity',
      levels: [{ severity: 'warning', below: { trigger: 30, clear: 32 }, above: { trigger: 60, clear: 58 } }],
      forMs: 120_000,
      cooldownMs: 300_000,
    },
  ],
};

export interface ScenarioOptions {
  /** Distinguishes the scenario's topic, group, database and event ids within a run. */
  readonly index: number;
  /** The scenario number (1, 2a, …), shown in the table. */
  readonly label: string;
  readonly name: string;
  readonly seed: number;
  readonly devices?: number;
  readonly malformedRate?: number;
  /** Event time of the first reading (default: 3 h ago). */
  readonly startMs?: number;
  /** Event time between two readings of a device's sensor (default 10 s). */
  readonly tickMs?: number;
  readonly processorEnv?: Record<string, string>;
  /** Niceness of every processor (0-19, default 0): the soak's stand-in for a cluster's CPU requests. */
  readonly processorNice?: number;
  /** Keep the valid readings sent, to resend some (scenario 7). */
  readonly keep?: boolean;
}

export interface Verdict {
  readonly ok: boolean;
  readonly problems: string[];
  readonly ledger: LedgerReport;
  readonly lag: LagReport;
  readonly recoverSeconds: number | null;
  /** Alerts in the table (all of them compared with the replay). */
  readonly alerts: number;
  /** Records on the DLQ topic beyond one per dead letter (republished after a crash). */
  readonly dlqExtra: number;
}

export interface Scenario {
  readonly topic: string;
  readonly group: string;
  readonly pool: pg.Pool;
  /** The scenario's database, direct (not through the fault proxy). */
  readonly databaseUrl: string;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly traffic: Fleet;
  readonly processors: ProcessorFleet;
  readonly rules: readonly AlertRule[];
  readonly seed: number;
  load(total: number, ratePerSec: number): Load;
  /**
   * Waits (bounded) until the group has applied every record, lag is zero and every processor is ready,
   * then checks the ledger, the aggregates and the alerts. `since` is when the fault healed.
   */
  settle(since: number, timeoutMs?: number, alertDevices?: readonly string[]): Promise<Verdict>;
  /** Records the row for the runner's table and returns it. */
  report(
    row: Omit<
      ScenarioRow,
      'scenario' | 'events' | 'lost' | 'duplicated' | 'recoverSeconds' | 'result' | 'seed'
    >,
    v: Verdict,
  ): ScenarioRow;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The application_name a fleet member's database connections carry. */
export const processorAppName = (member: string): string => `telemetry-${member}`;

export async function createScenario(infra: PrivateInfra, opts: ScenarioOptions): Promise<Scenario> {
  const slug = opts.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const topic = `rel-${opts.index}-${slug}`;
  const group = `rel-${opts.index}-${slug}-group`;
  const tag = ((opts.seed % 0xffffff) * 256 + opts.index).toString(16).padStart(8, '0').slice(-8);
  const dir = path.join(infra.runDir, `scenario-${opts.index}-${slug}`);
  mkdirSync(dir, { recursive: true });
  const rulesFile = path.join(dir, 'alert-rules.json');
  writeFileSync(rulesFile, JSON.stringify(RULES_JSON, null, 2));
  const parsed = parseAlertRules(RULES_JSON);
  if (!parsed.ok) throw new Error(`reliability rules: ${parsed.problems.join('; ')}`);

  const db = await infra.postgres.createDatabase(`rel_${opts.index}_${slug.replace(/-/g, '_')}`);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  pool.on('error', () => undefined); // expected while PostgreSQL restarts
  const kafka = infra.kafka.kafka();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 6 },
      { topic: `${topic}.dlq`, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const traffic = new Fleet({
    seed: opts.seed,
    tag,
    devices: opts.devices ?? 24,
    startMs: opts.startMs ?? Date.now() - 3 * 3600_000,
    ...(opts.tickMs !== undefined ? { tickMs: opts.tickMs } : {}),
    malformedRate: opts.malformedRate ?? 0.002,
    keep: opts.keep ?? false,
  });
  const processors = createProcessorFleet(
    dir,
    (name) => ({
      KAFKA_BROKERS: infra.kafka.proxiedBrokers,
      // Overrides the pool's application_name (pg lets the URL win), so pg_stat_activity tells members apart.
      DATABASE_URL: `${db.proxiedUrl}?application_name=${processorAppName(name)}`,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '6',
      PROCESSOR_CONCURRENCY: '2',
      PROCESSOR_MAX_BATCH_BYTES: '65536', // small fetches: many batches, so faults land mid-stream
      PROCESSOR_MAINTENANCE_INTERVAL: '1s',
      KAFKA_SESSION_TIMEOUT: '10s',
      KAFKA_HEARTBEAT_INTERVAL: '1s',
      PROCESSOR_PAUSE_AFTER: '2s',
      PROCESSOR_RETRY_MAX: '2s',
      ALERT_RULES_FILE: rulesFile,
      LOG_LEVEL: 'info',
      ...opts.processorEnv,
    }),
    { nice: opts.processorNice ?? 0 },
  );

  const loads: Load[] = [];

  async function settle(
    since: number,
    timeoutMs = 180_000,
    alertDevices?: readonly string[],
  ): Promise<Verdict> {
    const ledger = { tag, valid: traffic.valid, malformed: traffic.malformed };
    const deadline = Date.now() + timeoutMs;
    let recoverSeconds: number | null = null;
    let lag: LagReport = { records: 0, lag: -1, applied: 0 };
    let notReady: string[] = [];
    while (Date.now() < deadline) {
      lag = await checkLag(admin, pool, group, topic).catch(() => lag);
      notReady = await processors.notReady();
      if (lag.lag === 0 && lag.applied === lag.records && notReady.length === 0) {
        recoverSeconds = (Date.now() - since) / 1000;
        break;
      }
      await sleep(500);
    }
    const problems: string[] = [];
    if (recoverSeconds === null) {
      problems.push(
        `not recovered within ${timeoutMs / 1000} s: lag ${lag.lag}, applied ${lag.applied} of ${lag.records}, not ready: ${notReady.join(',') || 'none'}`,
      );
    }
    const report = await checkLedger(pool, ledger);
    if (report.lost !== 0) problems.push(`${report.lost} lost`);
    if (report.duplicated !== 0) problems.push(`${report.duplicated} duplicated`);
    if (report.foreign !== 0) problems.push(`${report.foreign} raw rows never sent`);
    if (lag.records < report.accepted)
      problems.push(`topic holds ${lag.records} < ${report.accepted} accepted`);
    const aggregates = await aggregateMismatches(pool);
    if (aggregates.length > 0) problems.push(`${aggregates.length} aggregate rows differ from raw`);
    const alerts = await alertMismatches(pool, parsed.ok ? parsed.rules : [], alertDevices);
    if (alerts.length > 0) problems.push(`alerts differ from the replay: ${alerts.slice(0, 3).join('; ')}`);
    // Each dead letter reaches the DLQ topic at least once (a kill between its acknowledgement and
    // marking it published sends it again: reported, not failed).
    const dlq = (await admin.fetchTopicOffsets(`${topic}.dlq`)).reduce((n, p) => n + Number(p.high), 0);
    if (dlq < report.deadLetters) problems.push(`${report.deadLetters - dlq} dead letters never published`);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts');
    return {
      ok: problems.length === 0,
      problems,
      ledger: report,
      lag,
      recoverSeconds,
      alerts: rows[0]?.n ?? 0,
      dlqExtra: Math.max(0, dlq - report.deadLetters),
    };
  }

  return {
    topic,
    group,
    pool,
    databaseUrl: db.url,
    admin,
    producer,
    traffic,
    processors,
    rules: parsed.rules,
    seed: opts.seed,
    load(total, ratePerSec) {
      const load = startLoad(producer, traffic, { topic, total, ratePerSec });
      loads.push(load);
      return load;
    },
    settle,
    report(row, v) {
      const full: ScenarioRow = {
        ...row,
        scenario: `${opts.label}. ${opts.name}`,
        events: v.ledger.accepted,
        lost: v.ledger.lost,
        duplicated: v.ledger.duplicated,
        recoverSeconds: v.recoverSeconds,
        result: v.ok ? 'pass' : 'FAIL',
        seed: opts.seed,
        notes: [
          row.notes,
          `${v.ledger.deadLetters} dead letters`,
          v.dlqExtra > 0 ? `${v.dlqExtra} republished to the DLQ` : '',
          `${v.alerts} alerts = replay`,
          ...v.problems,
        ]
          .filter(Boolean)
          .join('; '),
      };
      recordRow(full);
      return full;
    },
    async close() {
      for (const load of loads) load.stop();
      await Promise.allSettled(loads.map((l) => l.done));
      await processors.stopAll();
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

import type { Admin } from 'kafkajs';
import type pg from 'pg';
import {
  evaluateThreshold,
  type AlertRule,
  type ThresholdAction,
  type ThresholdRule,
} from '@telemetry-pulse/processor';
import { aggregateMismatches } from '../invariants';

/**
 * What every reliability scenario checks once its fault has healed, beyond test/support/invariants.ts:
 * the ledger (every message Kafka accepted is a raw row or a dead letter; none twice), consumer lag back
 * to zero, and the alerts table equal to a replay of the processor's own pure rule engine over raw.
 */

export interface Ledger {
  /** First group of every event_id of the scenario (see load.ts). */
  readonly tag: string;
  /** Valid readings sent (sequence numbers 0 … valid-1), each acknowledged by Kafka at least once. */
  readonly valid: number;
  /** Invalid messages sent, each with a unique marker. */
  readonly malformed: number;
}

export interface LedgerReport {
  readonly accepted: number;
  readonly raw: number;
  readonly deadLetters: number;
  /** Accepted but neither a raw row nor a dead letter. */
  readonly lost: number;
  /** Rows beyond one per message (raw and dead letters), and raw rows the scenario never sent. */
  readonly duplicated: number;
  readonly foreign: number;
}

export async function checkLedger(db: pg.Pool, ledger: Ledger): Promise<LedgerReport> {
  const { rows } = await db.query<{
    raw: number;
    distinct_sent: number;
    foreign: number;
    dl: number;
    dl_distinct: number;
  }>(
    `WITH mine AS (
       SELECT event_id, ('x' || lpad(right(event_id::text, 12), 16, '0'))::bit(64)::bigint AS seq
         FROM raw_events WHERE event_id::text LIKE $1 || '-%'),
     -- The ledger's own dead letters (its markers); others (a simulator's malformed messages) are not its business.
     marked AS (
       SELECT convert_from(message_value, 'UTF8') AS v FROM dead_letters
        WHERE position(convert_to('tp-bad-' || $1 || '-', 'UTF8') IN message_value) > 0)
     SELECT (SELECT count(*) FROM raw_events)::int AS raw,
            (SELECT count(DISTINCT seq) FROM mine WHERE seq < $2)::int AS distinct_sent,
            (SELECT count(*) FROM raw_events)::int - (SELECT count(*) FROM mine WHERE seq < $2)::int AS foreign,
            (SELECT count(*) FROM marked)::int AS dl,
            (SELECT count(DISTINCT substring(v FROM 'tp-bad-' || $1 || '-[0-9]+')) FROM marked)::int AS dl_distinct`,
    [ledger.tag, ledger.valid],
  );
  const r = rows[0];
  if (!r) throw new Error('no ledger row');
  const lost = ledger.valid - r.distinct_sent + (ledger.malformed - r.dl_distinct);
  return {
    accepted: ledger.valid + ledger.malformed,
    raw: r.raw,
    deadLetters: r.dl,
    lost,
    duplicated: r.raw - r.distinct_sent - r.foreign + (r.dl - r.dl_distinct),
    foreign: r.foreign,
  };
}

export interface LagReport {
  /** Records in the topic (sum of high watermarks). */
  readonly records: number;
  /** Sum over partitions of high watermark minus the group's committed offset. */
  readonly lag: number;
  /** Records the database says were applied (consumer_offsets), which must equal `records`. */
  readonly applied: number;
}

export async function checkLag(admin: Admin, db: pg.Pool, group: string, topic: string): Promise<LagReport> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let records = 0;
  let lag = 0;
  for (const p of ends) {
    const high = Number(p.high);
    records += high;
    lag += high - Math.max(0, at.get(p.partition) ?? 0);
  }
  const { rows } = await db.query<{ n: string | null }>(
    'SELECT sum(greatest(next_offset, 0))::text AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return { records, lag, applied: Number(rows[0]?.n ?? 0) };
}

interface Episode {
  severity: string;
  openedAtMs: number;
  escalatedAtMs: number | null;
  resolvedAtMs: number | null;
}

/**
 * Replays the threshold rules over the raw rows (per device, in event-time order, too-late rows excluded,
 * exactly as the engine is documented to see them) and compares the episodes with the alerts table.
 * Returns the differences, at most 20 (empty when equal). `devices` limits both sides to a sample.
 */
export async function alertMismatches(
  db: pg.Pool,
  rules: readonly AlertRule[],
  devices?: readonly string[],
): Promise<string[]> {
  const threshold = rules.filter((r): r is ThresholdRule => r.kind === 'threshold');
  const ids = threshold.map((r) => r.id);
  const filter = devices ? 'AND device_id = ANY($1::text[])' : '';
  const params = devices ? [devices] : [];
  const raw = await db.query<{
    event_id: string;
    device_id: string;
    site_id: string;
    zone_id: string;
    sensor_type: 'co2' | 'temperature' | 'humidity' | 'occupancy';
    value: number;
    ts: string;
  }>(
    `SELECT event_id::text, device_id, site_id, zone_id, sensor_type, value,
            (extract(epoch FROM ts_event) * 1000)::bigint::text AS ts
       FROM raw_events WHERE lateness <> 'too_late' ${filter} ORDER BY device_id`,
    params,
  );
  const byDevice = new Map<string, typeof raw.rows>();
  for (const row of raw.rows) {
    const list = byDevice.get(row.device_id);
    if (list) list.push(row);
    else byDevice.set(row.device_id, [row]);
  }
  const expected = new Map<string, Episode>();
  for (const [deviceId, rows] of byDevice) {
    const readings = rows.map((r) => ({
      eventId: r.event_id,
      deviceId,
      siteId: r.site_id,
      zoneId: r.zone_id,
      sensorType: r.sensor_type,
      value: r.value,
      tsEventMs: Number(r.ts),
    }));
    for (const rule of threshold) {
      let open: Episode | undefined;
      for (const a of evaluateThreshold(rule, undefined, readings).actions as ThresholdAction[]) {
        if (a.type === 'open') {
          open = { severity: a.severity, openedAtMs: a.atMs, escalatedAtMs: null, resolvedAtMs: null };
          expected.set(`${rule.id} ${deviceId} ${a.atMs}`, open);
        } else if (open && a.type === 'escalate') {
          open.severity = a.severity;
          open.escalatedAtMs = a.atMs;
        } else if (open && a.type === 'resolve') {
          open.resolvedAtMs = a.atMs;
          open = undefined;
        }
      }
    }
  }
  const actual = await db.query<{
    rule_id: string;
    device_id: string;
    severity: string;
    opened: string;
    escalated: string | null;
    resolved: string | null;
  }>(
    `SELECT rule_id, device_id, severity,
            (extract(epoch FROM opened_at) * 1000)::bigint::text AS opened,
            (extract(epoch FROM escalated_at) * 1000)::bigint::text AS escalated,
            (extract(epoch FROM resolved_at) * 1000)::bigint::text AS resolved
       FROM alerts WHERE rule_id = ANY($${params.length + 1}::text[]) ${filter}`,
    [...params, ids],
  );
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const a of actual.rows) {
    const key = `${a.rule_id} ${a.device_id} ${a.opened}`;
    seen.add(key);
    const e = expected.get(key);
    const got = `${a.severity} esc=${a.escalated ?? '-'} res=${a.resolved ?? '-'}`;
    if (!e) problems.push(`unexpected alert ${key}: ${got}`);
    else {
      const want = `${e.severity} esc=${e.escalatedAtMs ?? '-'} res=${e.resolvedAtMs ?? '-'}`;
      if (want !== got) problems.push(`alert ${key}: table ${got}, replay ${want}`);
    }
  }
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`missing alert ${key}`);
  return problems.slice(0, 20);
}

export { aggregateMismatches };

import { namedStatement, type AlertSeverity, type Pool, type PoolClient } from '@telemetry-pulse/shared';
import {
  evaluateThresholdWork,
  findSilentDevices,
  firstReadingByDevice,
  groupThresholdWork,
  parseThresholdState,
  rearmResolvedByPeople,
  resolveSilence,
  silenceRules,
  stateKey,
  withOpenAlert,
  type AlertRule,
  type SilenceAction,
  type ThresholdAction,
  type ThresholdRule,
  type ThresholdState,
  type ThresholdWork,
} from '../../domain/alerts';
import type { AcceptedReading } from '../../domain/plan-batch';
import type { PartitionClock } from '../../domain/watermark';

const UPSERT_RULE_STATE = namedStatement(
  'upsert_alert_rule_state',
  `INSERT INTO alert_rule_state (device_id, rule_id, state)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
       ON CONFLICT (device_id, rule_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
);
const LOCK_RULE_STATES = namedStatement(
  'lock_alert_rule_states',
  `SELECT s.device_id, s.rule_id, s.state FROM alert_rule_state s
       JOIN unnest($1::text[], $2::text[]) AS k(device_id, rule_id) USING (device_id, rule_id)
      ORDER BY s.device_id, s.rule_id
        FOR UPDATE OF s`,
);
const LOCK_UNRESOLVED = namedStatement(
  'lock_unresolved_alerts',
  `SELECT a.device_id, a.rule_id FROM alerts a
       JOIN unnest($1::text[], $2::text[]) AS k(device_id, rule_id) USING (device_id, rule_id)
      WHERE a.status <> 'resolved'
      ORDER BY a.device_id, a.rule_id
        FOR UPDATE OF a`,
);
const OPEN_THRESHOLD_ALERT = namedStatement(
  'open_threshold_alert',
  `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
                             trigger_value, peak_value, last_value, opened_at, threshold)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8, $8, to_timestamp($9 / 1000.0), $10)
         ON CONFLICT (device_id, rule_id) WHERE status <> 'resolved' DO NOTHING`,
);
const ESCALATE_ALERT = namedStatement(
  'escalate_alert',
  `UPDATE alerts SET severity = $3, message = $4, last_value = $5, peak_value = GREATEST(peak_value, $5),
                           escalated_at = to_timestamp($6 / 1000.0), threshold = $7, updated_at = now()
          WHERE device_id = $1 AND rule_id = $2 AND status <> 'resolved'`,
);
const OPEN_SILENCE_ALERTS = namedStatement(
  'open_silence_alerts',
  `SELECT device_id FROM alerts WHERE rule_id = $1 AND status <> 'resolved' AND device_id = ANY($2::text[])`,
);
const SILENT_DEVICES = namedStatement(
  'silent_devices',
  `SELECT d.device_id, d.site_id, d.zone_id, (extract(epoch FROM d.last_seen_at) * 1000)::bigint AS last_ms,
              (SELECT round(extract(epoch FROM max(a.opened_at)) * 1000)::bigint FROM alerts a
                WHERE a.device_id = d.device_id AND a.rule_id = $4 AND a.status = 'resolved'
                  AND a.resolved_by IS DISTINCT FROM 'engine') AS dismissed_ms
         FROM devices d
        WHERE d.kafka_partition = $1 AND d.last_seen_at < to_timestamp(($2::float8 - $3) / 1000.0)
          AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.device_id = d.device_id AND a.rule_id = $4 AND a.status <> 'resolved')
        ORDER BY d.device_id`,
);
const OPEN_SILENCE_ALERT = namedStatement(
  'open_silence_alert',
  `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message, opened_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, to_timestamp($8 / 1000.0))
     ON CONFLICT (device_id, rule_id) WHERE status <> 'resolved' DO NOTHING`,
);
const RESOLVE_ALERT = namedStatement(
  'resolve_alert',
  `UPDATE alerts SET status = 'resolved', resolved_at = to_timestamp($3 / 1000.0), resolved_by = 'engine',
                       last_value = COALESCE($4, last_value), peak_value = GREATEST(peak_value, $5), updated_at = now()
      WHERE device_id = $1 AND rule_id = $2 AND status <> 'resolved'`,
);

export interface AlertOutcome {
  readonly transitions: readonly { ruleId: string; type: 'open' | 'escalate' | 'resolve' }[];
  readonly skippedOutOfOrder: number;
}

/** Drives the alert rules inside the batch transaction and writes alerts and rule state together. */
export interface AlertStore {
  apply(
    client: PoolClient,
    partition: number,
    inserted: readonly AcceptedReading[],
    clock: PartitionClock,
  ): Promise<AlertOutcome>;
}

// Silence is about the device, not one of its sensors.
const DEVICE_SENSOR = 'device';

export function createAlertStore(rules: readonly AlertRule[]): AlertStore {
  const thresholdRules = rules.filter((r): r is ThresholdRule => r.kind === 'threshold');
  const silence = silenceRules(rules);
  return {
    async apply(client, partition, inserted, clock) {
      const transitions: { ruleId: string; type: 'open' | 'escalate' | 'resolve' }[] = [];
      const threshold = await applyThresholdRules(client, thresholdRules, inserted);
      for (const a of threshold.actions) {
        await applyThresholdAction(client, a);
        transitions.push({ ruleId: a.ruleId, type: a.type });
      }
      for (const rule of silence) {
        for (const a of await silenceActions(client, rule, partition, inserted, clock)) {
          await applySilenceAction(client, a);
          transitions.push({ ruleId: a.ruleId, type: a.type });
        }
      }
      return { transitions, skippedOutOfOrder: threshold.skipped };
    },
  };
}

async function applyThresholdRules(
  client: PoolClient,
  rules: readonly ThresholdRule[],
  inserted: readonly AcceptedReading[],
): Promise<{ actions: ThresholdAction[]; skipped: number }> {
  const work = groupThresholdWork(rules, inserted);
  if (work.length === 0) return { actions: [], skipped: 0 };
  const loaded = await lockStates(client, work);
  const open = withOpenAlert(work, loaded);
  const { states, rearmed } = rearmResolvedByPeople(open, loaded, await lockUnresolved(client, open));
  const { actions, changed, skipped } = evaluateThresholdWork(work, states, rearmed);
  if (changed.length > 0) {
    await client.query(
      UPSERT_RULE_STATE([
        changed.map((c) => c.deviceId),
        changed.map((c) => c.ruleId),
        changed.map((c) => JSON.stringify(c.state)),
      ]),
    );
  }
  return { actions, skipped };
}

/** Loads and locks the stored rule states of the batch's (device, rule) pairs, in key order. */
async function lockStates(
  client: PoolClient,
  work: readonly ThresholdWork[],
): Promise<Map<string, ThresholdState>> {
  const { rows } = await client.query<{ device_id: string; rule_id: string; state: unknown }>(
    LOCK_RULE_STATES([work.map((w) => w.deviceId), work.map((w) => w.rule.id)]),
  );
  const states = new Map<string, ThresholdState>();
  for (const row of rows) {
    const parsed = parseThresholdState(row.state);
    // A state written by an incompatible version starts afresh rather than stopping the pipeline.
    if (parsed.ok) states.set(stateKey(row.device_id, row.rule_id), parsed.state);
  }
  return states;
}

/**
 * Locks each unresolved alert of the pairs whose state says it is open (in key order), so a person's
 * resolve waits for this transaction instead of slipping between its check and its escalate or resolve.
 * Returns the keys that still have an unresolved row; the others were resolved by a person.
 */
async function lockUnresolved(client: PoolClient, open: readonly ThresholdWork[]): Promise<Set<string>> {
  if (open.length === 0) return new Set();
  const { rows } = await client.query<{ device_id: string; rule_id: string }>(
    LOCK_UNRESOLVED([open.map((w) => w.deviceId), open.map((w) => w.rule.id)]),
  );
  return new Set(rows.map((r) => stateKey(r.device_id, r.rule_id)));
}

async function applyThresholdAction(client: PoolClient, a: ThresholdAction): Promise<void> {
  switch (a.type) {
    case 'open':
      await client.query(
        OPEN_THRESHOLD_ALERT([
          a.ruleId,
          a.deviceId,
          a.siteId,
          a.zoneId,
          a.sensorType,
          a.severity,
          a.message,
          a.value,
          a.atMs,
          a.threshold,
        ]),
      );
      return;
    case 'escalate':
      await client.query(
        ESCALATE_ALERT([a.deviceId, a.ruleId, a.severity, a.message, a.value, a.atMs, a.threshold]),
      );
      return;
    case 'resolve':
      await resolveAlert(client, a.deviceId, a.ruleId, a.atMs, a.value, a.peak);
      return;
  }
}

async function silenceActions(
  client: PoolClient,
  rule: { id: string } & Parameters<typeof findSilentDevices>[0],
  partition: number,
  inserted: readonly AcceptedReading[],
  clock: PartitionClock,
): Promise<SilenceAction[]> {
  const actions: SilenceAction[] = [];
  const firstNew = firstReadingByDevice(inserted);
  if (firstNew.size > 0) {
    const { rows } = await client.query<{ device_id: string }>(
      OPEN_SILENCE_ALERTS([rule.id, [...firstNew.keys()]]),
    );
    for (const row of rows) {
      const resolve = resolveSilence(
        rule,
        { deviceId: row.device_id, hasOpenAlert: true },
        firstNew.get(row.device_id) ?? 0,
      );
      if (resolve) actions.push(resolve);
    }
  }
  if (clock.maxEventMs !== null) {
    const { rows } = await client.query<{
      device_id: string;
      site_id: string;
      zone_id: string;
      last_ms: number;
      dismissed_ms: number | null;
    }>(SILENT_DEVICES([partition, clock.maxEventMs, rule.silentMs, rule.id]));
    actions.push(
      ...findSilentDevices(
        rule,
        rows.map((r) => ({
          deviceId: r.device_id,
          siteId: r.site_id,
          zoneId: r.zone_id,
          lastSeenMs: r.last_ms,
          hasOpenAlert: false,
          personResolvedOpenedAtMs: r.dismissed_ms,
        })),
        clock.maxEventMs,
      ),
    );
  }
  return actions;
}

async function applySilenceAction(client: PoolClient, a: SilenceAction): Promise<void> {
  if (a.type === 'resolve') {
    await resolveAlert(client, a.deviceId, a.ruleId, a.atMs, null, null);
    return;
  }
  await client.query(
    OPEN_SILENCE_ALERT([
      a.ruleId,
      a.deviceId,
      a.siteId,
      a.zoneId,
      DEVICE_SENSOR,
      a.severity,
      a.message,
      a.atMs,
    ]),
  );
}

async function resolveAlert(
  client: PoolClient,
  deviceId: string,
  ruleId: string,
  atMs: number,
  value: number | null,
  peak: number | null,
): Promise<void> {
  await client.query(RESOLVE_ALERT([deviceId, ruleId, atMs, value, peak]));
}

/** Alerts not resolved yet, by severity; every severity present, zero when none is open. */
export async function countOpenAlerts(pool: Pool): Promise<Record<AlertSeverity, number>> {
  const { rows } = await pool.query<{ severity: string; open: string }>(
    `SELECT severity, count(*) AS open FROM alerts WHERE status <> 'resolved' GROUP BY severity`,
  );
  const counts = { info: 0, warning: 0, critical: 0 };
  for (const r of rows) if (r.severity in counts) counts[r.severity as keyof typeof counts] = Number(r.open);
  return counts;
}

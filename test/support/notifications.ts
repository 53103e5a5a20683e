import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { waitFor } from './infra';
import { appliedRecords } from './pipeline';
import type { ProcessorFixture } from './processor-fixture';

export const S = 1_000; // ms
export const MIN = 60 * S;

/** Writes a NOTIFICATIONS_CONFIG file (the object as JSON, which is YAML too) and returns its path. */
export async function writeNotificationsConfig(config: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tp-notify-'));
  const file = path.join(dir, 'notifications.yaml');
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * Publishes co2 readings every 30 s of event time from `fromMs` to `toMs` (after `baseMs`), `value(t)` per
 * device (undefined: no reading), and waits until the processor has applied them all.
 */
export function co2Sender(f: ProcessorFixture, baseMs: number) {
  let sent = 0;
  return async (
    fromMs: number,
    toMs: number,
    devices: Record<string, { site: string; zone: string; value: (t: number) => number | undefined }>,
  ): Promise<void> => {
    const messages: { key: string; value: string }[] = [];
    for (let t = fromMs; t <= toMs; t += 30 * S) {
      for (const [device, d] of Object.entries(devices)) {
        const v = d.value(t);
        if (v === undefined) continue;
        messages.push({
          key: device,
          value: JSON.stringify({
            event_id: randomUUID(),
            device_id: device,
            site_id: d.site,
            zone_id: d.zone,
            sensor_type: 'co2',
            value: v,
            ts_event: new Date(baseMs + t).toISOString(),
          }),
        });
      }
    }
    await f.producer.send({ topic: f.topic, messages });
    sent += messages.length;
    await waitFor(`all ${sent} records applied`, async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) >= sent ? true : undefined,
    );
  };
}

export interface TransitionRow {
  transition_id: string;
  alert_id: number;
  kind: string;
  device_id: string;
  site_id: string;
  severity: string;
  created_ms: number;
}

/** Every transition in the outbox, oldest first. */
export async function transitions(pool: pg.Pool): Promise<TransitionRow[]> {
  const { rows } = await pool.query<TransitionRow>(
    `SELECT transition_id::text, alert_id::int, kind, alert->>'device_id' AS device_id,
            alert->>'site_id' AS site_id, alert->>'severity' AS severity,
            (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
       FROM notification_transitions ORDER BY transition_id`,
  );
  return rows;
}

/** The idempotency key the dispatcher gives a transition on a channel (see domain/notifications). */
export const keyOf = (t: TransitionRow, channel: string): string =>
  `alert-${t.alert_id}.${t.kind}.${t.transition_id}@${channel}`;

/** p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

import type { Api } from '@telemetry-pulse/api';
import { hashApiKey } from '@telemetry-pulse/api';
import { startTestApi } from '../support/api';
import { co2Sender } from '../support/notifications';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

const MIN = 60_000; // ms
const KEY = 'test-key-people-0123456789';

interface AlertRow {
  device_id: string;
  rule_id: string;
  severity: string;
  status: string;
  resolved_by: string | null;
  opened_min: number;
  escalated_min: number | null;
  resolved_min: number | null;
}

/**
 * Issue 14, item 5: alerts a person acknowledges or resolves through the API stay consistent with the
 * engine, on the real broker, database and API. Before the fix the engine kept believing in a resolved
 * alert: a condition that still held never opened a new one and its escalation updated no row (lost); and
 * a device-silent alert was reopened by the next batch for the same silence. (An acknowledged alert was
 * already escalated and resolved by the engine; checked here too.) Default rules (co2-high: 2 min
 * sustained; device-silent: 5 min), one partition, event times 2 h ago; times are minutes after `base`.
 */
describe('alerts resolved by a person (real Kafka, PostgreSQL and API)', () => {
  let f: ProcessorFixture;
  let api: Api;
  let url: string;
  const base = Math.floor((Date.now() - 2 * 3600_000) / (15 * MIN)) * 15 * MIN;

  beforeAll(async () => {
    f = await openProcessorFixture({ prefix: 'people', partitions: 1 });
    ({ api, url } = await startTestApi({
      DATABASE_URL: f.db.url,
      API_KEYS: `ops:${hashApiKey(KEY)}`,
      PROCESSOR_TOPIC: f.topic,
      PROCESSOR_GROUP_ID: f.group,
    }));
  });

  afterAll(async () => {
    await api?.stop();
    await f.close();
  });

  // One sender for the whole file: it counts what it sent, to wait until all of it is applied.
  let co2: ReturnType<typeof co2Sender> | undefined;
  /** co2 readings every 30 s of event time, `value(t)` per device of site-1/zone-1 (undefined: no reading). */
  const send = (fromMs: number, toMs: number, devices: Record<string, (t: number) => number | undefined>) =>
    (co2 ??= co2Sender(f, base))(
      fromMs,
      toMs,
      Object.fromEntries(
        Object.entries(devices).map(([device, value]) => [device, { site: 'site-1', zone: 'zone-1', value }]),
      ),
    );

  async function alerts(): Promise<AlertRow[]> {
    const minutes = (column: string) =>
      `round(extract(epoch FROM ${column} - to_timestamp($1 / 1000.0)) / 60, 1)::float8`;
    const { rows } = await f.pool.query<AlertRow>(
      `SELECT device_id, rule_id, severity, status, resolved_by, ${minutes('opened_at')} AS opened_min,
              ${minutes('escalated_at')} AS escalated_min, ${minutes('resolved_at')} AS resolved_min
         FROM alerts ORDER BY device_id, alert_id`,
      [base],
    );
    return rows;
  }

  it('re-arms a value rule the person resolved while it held, never loses an escalation, keeps escalating an acknowledged one, and does not reopen a dismissed silence', async () => {
    await f.startProcessor();
    // Phase 1, 0-6.5 min. dev-a: co2 1100 to 3 min (warning opens at 2 min). dev-b: 1100 to 2 min, then
    // 1600 (warning opens at 2 min; critical holds since 2.5 min). dev-s: one reading at 0, then silent
    // (its silence alert opens at 5 min). dev-k: as dev-a (its alert is acknowledged, not resolved).
    // dev-o: a steady 500, moving the partition clock.
    await send(0, 6.5 * MIN, {
      'dev-a': (t) => (t <= 3 * MIN ? 1100 : undefined),
      'dev-k': (t) => (t <= 3 * MIN ? 1100 : undefined),
      'dev-b': (t) => (t <= 2 * MIN ? 1100 : t <= 3 * MIN ? 1600 : undefined),
      'dev-s': (t) => (t === 0 ? 500 : undefined),
      'dev-o': () => 500,
    });
    const open = await alerts();
    expect(open.map((a) => [a.device_id, a.rule_id, a.severity, a.status, a.opened_min])).toEqual([
      ['dev-a', 'co2-high', 'warning', 'open', 2],
      ['dev-b', 'co2-high', 'warning', 'open', 2],
      ['dev-k', 'co2-high', 'warning', 'open', 2],
      ['dev-s', 'device-silent', 'warning', 'open', 5],
    ]);

    // A person acknowledges dev-k's alert and resolves the three others through the API, while every
    // condition still holds.
    const { rows: ids } = await f.pool.query<{ alert_id: number; device_id: string }>(
      'SELECT alert_id, device_id FROM alerts ORDER BY alert_id',
    );
    for (const { alert_id, device_id } of ids) {
      const action = device_id === 'dev-k' ? 'acknowledge' : 'resolve';
      const res = await fetch(`${url}/api/v1/alerts/${alert_id}/${action}`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ by: 'alice' }),
      });
      expect(res.status).toBe(200);
    }

    // Phase 2, 3.5-18.5 min, in two sends (the silence is judged between them, as in any batch boundary).
    // dev-a: 1100 to 5 min, 1600 to 8 min, then 850. dev-b: 1600 to 6 min, then 850. dev-k: 1600 to 6 min,
    // then 850. dev-s: silent until it speaks once at 12.5 min (a new silence then, its alert due at
    // 17.5 min).
    const phase2 = {
      'dev-a': (t: number) => (t <= 5 * MIN ? 1100 : t <= 8 * MIN ? 1600 : 850),
      'dev-b': (t: number) => (t <= 6 * MIN ? 1600 : 850),
      'dev-k': (t: number) => (t <= 6 * MIN ? 1600 : 850),
      'dev-s': (t: number) => (t === 12.5 * MIN ? 500 : undefined),
      'dev-o': (t: number) => (t >= 7 * MIN ? 500 : undefined),
    };
    await send(3.5 * MIN, 12 * MIN, phase2);
    await send(12.5 * MIN, 18.5 * MIN, phase2);
    const person = { resolved_by: 'alice', status: 'resolved' };
    expect(await alerts()).toEqual([
      // still held after the resolve: a new warning once held 2 min from the resolve (3 min), escalated
      {
        device_id: 'dev-a',
        rule_id: 'co2-high',
        severity: 'warning',
        ...person,
        opened_min: 2,
        escalated_min: null,
        resolved_min: expect.any(Number),
      },
      {
        device_id: 'dev-a',
        rule_id: 'co2-high',
        severity: 'critical',
        status: 'resolved',
        resolved_by: 'engine',
        opened_min: 5,
        escalated_min: 7.5,
        resolved_min: 8.5,
      },
      // critical was building when the warning was resolved: it opens when it would have escalated
      {
        device_id: 'dev-b',
        rule_id: 'co2-high',
        severity: 'warning',
        ...person,
        opened_min: 2,
        escalated_min: null,
        resolved_min: expect.any(Number),
      },
      {
        device_id: 'dev-b',
        rule_id: 'co2-high',
        severity: 'critical',
        status: 'resolved',
        resolved_by: 'engine',
        opened_min: 4.5,
        escalated_min: null,
        resolved_min: 6.5,
      },
      // an acknowledged alert is still the engine's: it escalates it and resolves it when the value clears
      {
        device_id: 'dev-k',
        rule_id: 'co2-high',
        severity: 'critical',
        status: 'resolved',
        resolved_by: 'engine',
        opened_min: 2,
        escalated_min: 5.5,
        resolved_min: 6.5,
      },
      // the dismissed silence is not reopened; the next silence gets its own alert
      {
        device_id: 'dev-s',
        rule_id: 'device-silent',
        severity: 'warning',
        ...person,
        opened_min: 5,
        escalated_min: null,
        resolved_min: expect.any(Number),
      },
      {
        device_id: 'dev-s',
        rule_id: 'device-silent',
        severity: 'warning',
        status: 'open',
        resolved_by: null,
        opened_min: 17.5,
        escalated_min: null,
        resolved_min: null,
      },
    ]);
  });
});

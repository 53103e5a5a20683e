import { startAlertmanager, type TestAlertmanager } from '../support/alertmanager';
import { waitFor } from '../support/infra';
import { writeNotificationsConfig } from '../support/notifications';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'burst-secret-0123456789';
const ALERTS = 10_000;

/**
 * Issue 21, item 6: 10,000 alerts opening in one transaction (a site-wide incident) all reach Alertmanager
 * and a signed webhook, each key once, and how long each channel took to drain is printed. The alerts are
 * written straight into PostgreSQL (the trigger records their transitions in that transaction): the
 * dispatcher is what is measured, not the rules.
 */
describe('notification burst (real PostgreSQL, Alertmanager and receiver)', () => {
  let f: ProcessorFixture;
  let am: TestAlertmanager;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver(SECRET);
    am = await startAlertmanager(`
route:
  receiver: 'null'
  group_by: [site, zone]
receivers:
  - name: 'null'
`);
    f = await openProcessorFixture({ prefix: 'notify-burst', partitions: 1 });
  });

  afterAll(async () => {
    await f?.close();
    await am?.stop();
    await receiver?.close();
  });

  it(`delivers ${ALERTS} alerts opened at once to Alertmanager and a webhook, each key once`, async () => {
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        { name: 'am', type: 'alertmanager', url: am.url, resend_interval: '10m' },
        { name: 'hook', type: 'webhook', url: `${receiver.url}/hook`, secret_env: 'HOOK_SECRET' },
      ],
    });
    await f.startProcessor({ NOTIFICATIONS_CONFIG: file, HOOK_SECRET: SECRET });
    await f.pool.query(
      `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message, opened_at)
       SELECT 'co2-high', 'dev-' || i, 'site-' || (i % 5), 'zone-' || (i % 40), 'co2', 'warning', 'open',
              'co2 above 1000 ppm', now() - interval '1 minute'
         FROM generate_series(1, $1::int) AS i`,
      [ALERTS],
    );
    await waitFor(
      `${ALERTS} keys at the webhook`,
      async () => (receiver.byKey().size >= ALERTS ? true : undefined),
      150_000,
      500,
    );
    await waitFor(
      `${ALERTS} alerts in Alertmanager`,
      async () => ((await am.get<unknown[]>('/api/v2/alerts')).length >= ALERTS ? true : undefined),
      60_000,
      1000,
    );
    const accepted = receiver.byKey();
    expect(accepted.size).toBe(ALERTS);
    expect(receiver.received.every((r) => r.signature === 'ok')).toBe(true);
    const { rows } = await f.pool.query<{
      channel: string;
      n: number;
      drain_s: number;
      p50_s: number;
      p99_s: number;
    }>(
      `SELECT d.channel, count(*)::int AS n,
              extract(epoch FROM max(d.delivered_at) - min(t.created_at))::float8 AS drain_s,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - t.created_at))::float8 AS p50_s,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - t.created_at))::float8 AS p99_s
         FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
        WHERE d.status = 'delivered'
        GROUP BY d.channel ORDER BY d.channel`,
    );
    expect(rows.map((r) => [r.channel, r.n])).toEqual([
      ['am', ALERTS],
      ['hook', ALERTS],
    ]);
    const raw = [...accepted.values()].reduce((a, b) => a + b, 0);
    for (const r of rows) {
      process.stdout.write(
        `burst of ${ALERTS} on ${r.channel}: drained in ${r.drain_s.toFixed(1)} s (${(r.n / r.drain_s).toFixed(0)}/s), ` +
          `latency p50 ${r.p50_s.toFixed(1)} s, p99 ${r.p99_s.toFixed(1)} s\n`,
      );
    }
    process.stdout.write(`webhook: ${raw} accepted for ${ALERTS} keys (${raw - ALERTS} duplicate)\n`);
  }, 300_000);
});

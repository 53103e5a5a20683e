import type { Api } from '@telemetry-pulse/api';
import { hashApiKey } from '@telemetry-pulse/api';
import { startAlertmanager, type TestAlertmanager } from '../support/alertmanager';
import { startTestApi } from '../support/api';
import { waitFor } from '../support/infra';
import {
  MIN,
  co2Sender,
  keyOf,
  percentile,
  transitions,
  writeNotificationsConfig,
  type TransitionRow,
} from '../support/notifications';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const KEY = 'test-key-notify-0123456789';
const SECRET = 'facilities-secret-0123456789';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}
interface AmGroup {
  labels: Record<string, string>;
  alerts: AmAlert[];
}
interface AmWebhook {
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; endsAt: string }[];
}

/**
 * Issue 21: alert transitions reach people. A real Alertmanager receives, groups and resolves the alerts
 * (its own webhook receiver shows what it sent on); a local receiver verifies the HMAC signature of a
 * signed webhook channel and counts deliveries per idempotency key; a Slack-format channel routes only
 * critical alerts; a channel whose receiver refuses the payload (HTTP 400) ends dead. Default rules
 * (co2-high: warning over 1000 ppm and critical over 1500 for 2 min), event times 2 h ago.
 */
describe('notifications (real Kafka, PostgreSQL, API and Alertmanager)', () => {
  let f: ProcessorFixture;
  let api: Api;
  let url: string;
  let am: TestAlertmanager;
  let hooks: WebhookReceiver; // the signed webhook, Slack and broken channels (refuses unsigned requests)
  let amHooks: WebhookReceiver; // Alertmanager's own webhook receiver
  let opsPort: number;
  const base = Math.floor((Date.now() - 2 * 3600_000) / (15 * MIN)) * 15 * MIN;

  beforeAll(async () => {
    hooks = await startWebhookReceiver(SECRET);
    amHooks = await startWebhookReceiver();
    am = await startAlertmanager(`
route:
  receiver: hook
  group_by: [site, zone]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: ${amHooks.url}/from-alertmanager
        send_resolved: true
`);
    f = await openProcessorFixture({ prefix: 'notify', partitions: 1 });
    ({ api, url } = await startTestApi({
      DATABASE_URL: f.db.url,
      API_KEYS: `ops:${hashApiKey(KEY)}`,
      PROCESSOR_TOPIC: f.topic,
      PROCESSOR_GROUP_ID: f.group,
    }));
  });

  afterAll(async () => {
    await api?.stop();
    await f?.close();
    await am?.stop();
    await hooks?.close();
    await amHooks?.close();
  });

  it('delivers every transition once per key to Alertmanager, a signed webhook and Slack, by route, and kills what a receiver refuses', async () => {
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        {
          name: 'am',
          type: 'alertmanager',
          url: am.url,
          generator_url: 'http://api.example',
          resend_interval: '2s',
        },
        {
          name: 'facilities',
          type: 'webhook',
          url: `${hooks.url}/facilities`,
          secret_env: 'FACILITIES_SECRET',
          routes: [{ sites: ['site-1'] }],
        },
        {
          name: 'slack',
          type: 'webhook',
          url: `${hooks.url}/slack?status=unused`,
          format: 'slack',
          secret_env: 'FACILITIES_SECRET',
          routes: [{ min_severity: 'critical' }],
        },
        {
          name: 'broken',
          type: 'webhook',
          url: `${hooks.url}/broken`, // answered 401: unsigned, so the receiver refuses it
          routes: [{ sites: ['site-2'] }],
        },
      ],
    });
    ({ opsPort } = await f.startProcessor({
      NOTIFICATIONS_CONFIG: file,
      FACILITIES_SECRET: SECRET,
    }));
    const send = co2Sender(f, base);
    // dev-a (site-1/zone-1): warning at 2 min, critical at 6 min, resolved once 850 held.
    // dev-b (site-1/zone-2): warning at 2 min, resolved. dev-c (site-2/zone-1): warning at 2 min, stays.
    const devices = {
      'dev-a': {
        site: 'site-1',
        zone: 'zone-1',
        value: (t: number) => (t <= 4 * MIN ? 1100 : t <= 8 * MIN ? 1600 : 850),
      },
      'dev-b': { site: 'site-1', zone: 'zone-2', value: (t: number) => (t <= 4 * MIN ? 1100 : 850) },
      'dev-c': { site: 'site-2', zone: 'zone-1', value: () => 1100 },
    };
    await send(0, 3 * MIN, devices);
    // Alertmanager tells of a resolve only for what it told as firing: let it notify the three first.
    const fromAm = (): AmWebhook[] => amHooks.received.map((r) => JSON.parse(r.body) as AmWebhook);
    await waitFor('Alertmanager to notify the three firing groups', async () =>
      new Set(
        fromAm()
          .filter((n) => n.status === 'firing')
          .map((n) => JSON.stringify(n.groupLabels)),
      ).size === 3
        ? true
        : undefined,
    );
    await send(3.5 * MIN, 12 * MIN, devices);
    const { rows: open } = await f.pool.query<{ alert_id: number }>(
      `SELECT alert_id FROM alerts WHERE device_id = 'dev-c' AND status = 'open'`,
    );
    expect(open).toHaveLength(1);
    const ack = await fetch(`${url}/api/v1/alerts/${open[0]?.alert_id}/acknowledge`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'alice' }),
    });
    expect(ack.status).toBe(200);

    const all = await transitions(f.pool);
    const kinds = (device: string) => all.filter((t) => t.device_id === device).map((t) => t.kind);
    expect(kinds('dev-a')).toEqual(['opened', 'escalated', 'resolved']);
    expect(kinds('dev-b')).toEqual(['opened', 'resolved']);
    expect(kinds('dev-c')).toEqual(['opened', 'acknowledged']); // the API's action, in its transaction

    // The signed webhook: every site-1 transition, each key once, each signature valid.
    const site1 = all.filter((t) => t.site_id === 'site-1');
    await waitFor('every site-1 transition at the facilities webhook', async () =>
      site1.every((t) => hooks.byKey().has(keyOf(t, 'facilities'))) ? true : undefined,
    );
    const facilities = hooks.received.filter((r) => r.path === '/facilities');
    expect(facilities.every((r) => r.signature === 'ok')).toBe(true);
    expect(new Set(facilities.map((r) => r.headers['idempotency-key']))).toEqual(
      new Set(site1.map((t) => keyOf(t, 'facilities'))),
    );
    const bodies = facilities.map(
      (r) =>
        JSON.parse(r.body) as { idempotency_key: string; transition: string; alert: { device_id: string } },
    );
    expect(bodies.map((b) => [b.alert.device_id, b.transition]).sort()).toEqual(
      site1.map((t) => [t.device_id, t.kind]).sort(),
    );
    expect(bodies.every((b) => b.idempotency_key.endsWith('@facilities'))).toBe(true);

    // Slack: only what was critical (dev-a's escalation and its resolve), as {text, blocks}.
    const critical = all.filter((t) => t.severity === 'critical');
    expect(critical.map((t) => [t.device_id, t.kind])).toEqual([
      ['dev-a', 'escalated'],
      ['dev-a', 'resolved'],
    ]);
    await waitFor('both critical transitions in Slack', async () =>
      critical.every((t) => hooks.byKey().has(keyOf(t, 'slack'))) ? true : undefined,
    );
    const slack = hooks.received
      .filter((r) => r.path.startsWith('/slack'))
      .map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] });
    expect(slack.map((s) => s.text)).toEqual([
      expect.stringMatching(/escalated\* critical co2-high on dev-a \(site-1\/zone-1\)/),
      expect.stringMatching(/resolved\* critical co2-high on dev-a/),
    ]);
    expect(slack.every((s) => s.blocks.length === 2)).toBe(true);

    // Routing is recorded: a channel whose routes do not match has a skipped row, not a pending one.
    await waitFor('the broken channel to give up', async () => {
      const { rows } = await f.pool.query<{ status: string; attempts: number; last_error: string }>(
        `SELECT status, attempts, last_error FROM notification_deliveries
          WHERE channel = 'broken' AND status <> 'skipped'`,
      );
      if (rows.length === 2 && rows.every((r) => r.status === 'dead')) return rows;
      throw new Error(`broken channel: ${JSON.stringify(rows)}`);
    }).then((rows) => {
      // 401 is not worth retrying: dead at the first attempt, with the reason kept.
      expect(rows.every((r) => r.attempts === 1 && /HTTP 401/.test(r.last_error))).toBe(true);
    });
    const expected = [
      { status: 'delivered', n: site1.length },
      { status: 'skipped', n: all.length - site1.length },
    ];
    await waitFor('every transition routed on the facilities channel', async () => {
      const { rows } = await f.pool.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM notification_deliveries
          WHERE channel = 'facilities' GROUP BY status ORDER BY status`,
      );
      return JSON.stringify(rows) === JSON.stringify(expected) ? true : undefined;
    });

    // The dead ones are visible in the API, with why.
    const dead = await fetch(`${url}/api/v1/notifications?status=dead`, { headers: { 'x-api-key': KEY } });
    expect(dead.status).toBe(200);
    const deadPage = (await dead.json()) as {
      items: { channel: string; status: string; transition: string; attempts: number; last_error: string }[];
      next_cursor: string | null;
    };
    expect(deadPage.items.map((n) => [n.channel, n.status, n.transition, n.attempts])).toEqual([
      ['broken', 'dead', 'acknowledged', 1],
      ['broken', 'dead', 'opened', 1],
    ]);
    expect(deadPage.items[0]?.last_error).toMatch(/HTTP 401/);
    const paged = (await (
      await fetch(`${url}/api/v1/notifications?channel=facilities&limit=2`, { headers: { 'x-api-key': KEY } })
    ).json()) as { items: { idempotency_key: string }[]; next_cursor: string | null };
    expect(paged.items).toHaveLength(2);
    const rest = (await (
      await fetch(`${url}/api/v1/notifications?channel=facilities&limit=100&cursor=${paged.next_cursor}`, {
        headers: { 'x-api-key': KEY },
      })
    ).json()) as { items: { idempotency_key: string }[] };
    expect(paged.items.length + rest.items.length).toBe(all.length); // delivered and skipped, each once

    // Alertmanager: dev-c firing with its labels and the acknowledgement; dev-a and dev-b resolved (gone
    // from the active alerts); grouped by site and zone as its own configuration says.
    const firing = await waitFor('dev-c acknowledged in Alertmanager', async () => {
      const alerts = await am.get<AmAlert[]>('/api/v2/alerts');
      return alerts.length === 1 && alerts[0]?.annotations.acknowledged_by === 'alice' ? alerts : undefined;
    });
    expect(firing[0]?.labels).toEqual({
      alertname: 'co2-high',
      rule: 'co2-high',
      site: 'site-2',
      zone: 'zone-1',
      device: 'dev-c',
      severity: 'warning',
      sensor_type: 'co2',
    });
    expect(firing[0]?.status.state).toBe('active');
    expect(new Date(firing[0]?.startsAt ?? '').getTime()).toBe(base + 2 * MIN);
    const groups = await am.get<AmGroup[]>('/api/v2/alerts/groups');
    expect(groups.map((g) => g.labels)).toEqual([{ site: 'site-2', zone: 'zone-1' }]);

    // What Alertmanager sent on: grouped notifications, the resolved ones with endsAt set.
    await waitFor('Alertmanager to send on the resolves', async () =>
      fromAm().some((n) => n.status === 'resolved' && n.groupLabels.zone === 'zone-2') ? true : undefined,
    );
    const resolvedB = fromAm().find((n) => n.status === 'resolved' && n.groupLabels.zone === 'zone-2');
    expect(resolvedB?.groupLabels).toEqual({ site: 'site-1', zone: 'zone-2' });
    expect(resolvedB?.alerts.map((a) => [a.labels.device, a.status])).toEqual([['dev-b', 'resolved']]);
    const { rows: resolvedAt } = await f.pool.query<{ resolved_at: Date }>(
      `SELECT resolved_at FROM alerts WHERE device_id = 'dev-b'`,
    );
    expect(new Date(resolvedB?.alerts[0]?.endsAt ?? 0)).toEqual(resolvedAt[0]?.resolved_at); // endsAt on resolve
    // dev-a's escalation ended its warning alert there and fired a critical one; both ended by the resolve.
    const zone1 = fromAm().filter((n) => n.groupLabels.site === 'site-1' && n.groupLabels.zone === 'zone-1');
    const lastA = zone1[zone1.length - 1];
    expect(lastA?.status).toBe('resolved');
    expect(lastA?.alerts.map((a) => [a.labels.severity, a.status]).sort()).toEqual(
      expect.arrayContaining([['critical', 'resolved']]),
    );

    // Metrics: sent and dead counters by channel, and the latency histogram.
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`telemetry_processor_notifications_sent_total\\{channel="facilities"\\} ${site1.length}\\b`),
    );
    expect(metrics).toMatch(/telemetry_processor_notifications_dead_total\{channel="broken"\} 2\b/);
    expect(metrics).toMatch(/telemetry_processor_notification_latency_seconds_count\{channel="am"\} \d+/);
    // A channel that never failed has its counters at 0, not missing: increase() needs the 0 before the 1.
    expect(metrics).toMatch(/telemetry_processor_notifications_dead_total\{channel="facilities"\} 0\b/);
    expect(metrics).toMatch(/telemetry_processor_notifications_failed_total\{channel="facilities"\} 0\b/);

    logLatency(all, site1);
  });

  function logLatency(all: readonly TransitionRow[], site1: readonly TransitionRow[]): void {
    const byKey = new Map(hooks.received.map((r) => [String(r.headers['idempotency-key']), r.atMs]));
    const ms = site1.map((t) => (byKey.get(keyOf(t, 'facilities')) ?? NaN) - t.created_ms);
    process.stdout.write(
      `notification latency (transition commit -> facilities receiver), ${ms.length} of ${all.length}: ` +
        `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms\n`,
    );
  }
});

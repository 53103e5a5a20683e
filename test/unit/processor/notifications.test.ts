import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  afterFailure,
  alertmanagerAlerts,
  digestKey,
  emailContent,
  emailChannelSchema,
  emptyBuckets,
  fit,
  idempotencyKey,
  isRouted,
  maxInFlight,
  parseNotificationsConfig,
  planChannel,
  quietUntil,
  resolveSecrets,
  signWebhook,
  slackBody,
  verifyWebhook,
  waves,
  webhookBody,
  type Channel,
  type Delivery,
  type Transition,
} from '../../../services/processor/src/domain/notifications';

/**
 * The notifications' pure core (domain/notifications): configuration, routing, quiet hours, rate limits
 * with digests, backoff, payloads and signatures. The dispatcher runs them against PostgreSQL and real
 * receivers in test/integration/notifications*.test.ts.
 */

const MIN = 60_000;

function transition(
  over: Partial<Transition['alert']> = {},
  kind: Transition['kind'] = 'opened',
  id = '7',
): Transition {
  return {
    transitionId: id,
    kind,
    previousSeverity: kind === 'escalated' ? 'warning' : null,
    createdAtMs: Date.UTC(2026, 0, 5, 12),
    alert: {
      alert_id: 3,
      rule_id: 'co2-high',
      device_id: 'dev-1',
      site_id: 'site-1',
      zone_id: 'zone-1',
      sensor_type: 'co2',
      severity: 'warning',
      status: 'open',
      message: 'co2 1100 ppm',
      opened_at: '2026-01-05T11:58:00+00:00',
      escalated_at: null,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
      trigger_value: 1100,
      peak_value: 1100,
      last_value: 1100,
      ...over,
    },
  };
}

const delivery = (t: Transition, channel = 'hook'): Delivery => ({
  channel,
  idempotencyKey: idempotencyKey(channel, t),
  attempts: 0,
  transition: t,
});

function webhook(over: Record<string, unknown> = {}): Channel {
  const parsed = parseNotificationsConfig({
    channels: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/x', ...over }],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const [channel] = parsed.config.channels;
  if (!channel) throw new Error('no channel');
  return channel;
}

describe('parseNotificationsConfig', () => {
  it('accepts the documented example (services/processor/notifications.example.yaml)', () => {
    const file = path.join(
      __dirname,
      '..',
      '..',
      '..',
      'services',
      'processor',
      'notifications.example.yaml',
    );
    const parsed = parseNotificationsConfig(parseYaml(readFileSync(file, 'utf8')));
    expect(parsed.ok && parsed.config.channels.map((c) => [c.name, c.type])).toEqual([
      ['alertmanager', 'alertmanager'],
      ['facilities', 'webhook'],
      ['slack-critical', 'webhook'],
      ['site-2-mail', 'email'],
    ]);
  });

  it('fills the defaults', () => {
    const parsed = parseNotificationsConfig({
      channels: [{ name: 'am', type: 'alertmanager', url: 'http://am:9093' }],
    });
    expect(parsed).toEqual({
      ok: true,
      config: {
        max_age: 86_400_000,
        poll_interval: 500,
        batch_size: 200,
        channels: [
          {
            name: 'am',
            type: 'alertmanager',
            url: 'http://am:9093',
            routes: [{}],
            retry: { base: 1000, max: 300_000, max_attempts: 15 },
            timeout: 10_000,
            resend_interval: 60_000,
          },
        ],
      },
    });
  });

  it('reports every problem naming its field', () => {
    const parsed = parseNotificationsConfig({
      channels: [
        {
          name: 'a',
          type: 'webhook',
          url: 'ftp://x',
          quiet_hours: { start: '25:00', end: '07:00', time_zone: 'Mars/Base' },
        },
        { name: 'b', type: 'email' },
        { name: 'c', type: 'webhook', url: 'http://x', retry: { base: '1h', max: 'soon' } },
      ],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^channels\[0\]\.url: must be an http\(s\) URL/),
        expect.stringMatching(/^channels\[0\]\.quiet_hours\.start: must be a time like 22:00/),
        expect.stringMatching(/^channels\[0\]\.quiet_hours\.time_zone: must be an IANA time zone/),
        expect.stringMatching(/^channels\[1\]\.smtp: /),
        expect.stringMatching(/^channels\[1\]\.to: /),
        expect.stringMatching(/^channels\[2\]\.retry\.max: must be a duration/),
      ]),
    );
  });

  it('refuses duplicate names and a base delay above the maximum', () => {
    const parsed = parseNotificationsConfig({
      channels: [
        { name: 'a', type: 'webhook', url: 'http://x', retry: { base: '1m', max: '1s' } },
        { name: 'a', type: 'alertmanager', url: 'http://y' },
      ],
    });
    expect(parsed).toEqual({
      ok: false,
      problems: [
        'channels[0].retry.base: must not exceed retry.max',
        'channels[1].name: "a" is used by an earlier channel',
      ],
    });
  });

  it('resolves secrets from the environment, naming a missing variable', () => {
    const parsed = parseNotificationsConfig({
      channels: [
        { name: 'a', type: 'webhook', url: 'http://x', secret_env: 'A_SECRET' },
        { name: 'b', type: 'webhook', url: 'http://x', secret_env: 'B_SECRET' },
        {
          name: 'mail',
          type: 'email',
          smtp: {
            host: 'smtp',
            port: 587,
            tls: 'starttls',
            username_env: 'SMTP_USER',
            password_env: 'SMTP_PASS',
          },
          from: 'alerts@example.com',
          to: ['ops@example.com'],
        },
      ],
    });
    if (!parsed.ok) throw new Error('invalid');
    expect(resolveSecrets(parsed.config, { A_SECRET: 's3cret', B_SECRET: '', SMTP_USER: 'u' })).toEqual({
      ok: false,
      problems: [
        'channels[1].secret_env: environment variable B_SECRET is not set',
        'channels[2].smtp.password_env: environment variable SMTP_PASS is not set',
      ],
    });
    expect(
      resolveSecrets(parsed.config, { A_SECRET: 'a', B_SECRET: 'b', SMTP_USER: 'u', SMTP_PASS: 'p' }),
    ).toEqual({
      ok: true,
      secrets: new Map([
        ['a', { secret: 'a' }],
        ['b', { secret: 'b' }],
        ['mail', { username: 'u', password: 'p' }],
      ]),
    });
  });

  it('accepts an e-mail channel, credentials named in pairs', () => {
    const email = emailChannelSchema.safeParse({
      name: 'mail',
      type: 'email',
      smtp: {
        host: 'smtp.example',
        port: 587,
        tls: 'starttls',
        username_env: 'SMTP_USER',
        password_env: 'SMTP_PASS',
      },
      from: 'alerts@example.com',
      to: ['ops@example.com'],
    });
    expect(email.success).toBe(true);
    expect(
      emailChannelSchema.safeParse({ name: 'mail', type: 'email', smtp: { host: 'x', port: 0, tls: 'ssl' } })
        .success,
    ).toBe(false);
    const half = parseNotificationsConfig({
      channels: [
        {
          name: 'mail',
          type: 'email',
          smtp: { host: 'smtp', port: 587, tls: 'starttls', username_env: 'SMTP_USER' },
          from: 'alerts@example.com',
          to: ['ops@example.com'],
        },
      ],
    });
    expect(half).toEqual({
      ok: false,
      problems: ['channels[0].smtp: username_env and password_env go together'],
    });
  });
});

describe('routing', () => {
  it('matches every listed field, any route of the channel', () => {
    const t = transition({ severity: 'critical', site_id: 'site-2' }, 'escalated');
    expect(isRouted([{}], t)).toBe(true);
    expect(isRouted([{ sites: ['site-1'] }], t)).toBe(false);
    expect(isRouted([{ sites: ['site-1'] }, { min_severity: 'critical' }], t)).toBe(true);
    expect(isRouted([{ min_severity: 'critical', transitions: ['opened'] }], t)).toBe(false);
    expect(isRouted([{ zones: ['zone-1'], rules: ['co2-high'], min_severity: 'warning' }], t)).toBe(true);
    expect(isRouted([{ rules: ['temp-high'] }], t)).toBe(false);
  });
});

describe('quietUntil', () => {
  const q = { start: '22:00', end: '07:00', time_zone: 'Europe/Paris', except_severity: 'critical' as const };

  it('holds until the local end of quiet hours across midnight', () => {
    // 23:30 in Paris (UTC+1 in January) -> 07:00 Paris = 06:00 UTC the next day
    expect(quietUntil(q, 'warning', Date.UTC(2026, 0, 5, 22, 30))).toBe(Date.UTC(2026, 0, 6, 6, 0));
    // 02:00 Paris -> 07:00 Paris the same day
    expect(quietUntil(q, 'info', Date.UTC(2026, 0, 6, 1, 0))).toBe(Date.UTC(2026, 0, 6, 6, 0));
  });

  it('lets through what is outside the window or severe enough', () => {
    expect(quietUntil(q, 'warning', Date.UTC(2026, 0, 5, 12, 0))).toBeNull(); // 13:00 Paris
    expect(quietUntil(q, 'warning', Date.UTC(2026, 0, 6, 6, 0))).toBeNull(); // 07:00 Paris: end is exclusive
    expect(quietUntil(q, 'critical', Date.UTC(2026, 0, 5, 22, 30))).toBeNull();
  });

  it('ends at the right instant over a clock change', () => {
    // Paris goes to summer time on 29 March 2026 at 02:00 local: 01:00 local (00:00 UTC) -> 07:00 CEST = 05:00 UTC
    expect(quietUntil(q, 'warning', Date.UTC(2026, 2, 29, 0, 0))).toBe(Date.UTC(2026, 2, 29, 5, 0));
    // and back on 25 October at 03:00 local: 01:00 CEST (23:00 UTC) -> 07:00 CET = 06:00 UTC
    expect(quietUntil(q, 'warning', Date.UTC(2026, 9, 24, 23, 0))).toBe(Date.UTC(2026, 9, 25, 6, 0));
  });

  it('handles a window within one day', () => {
    const day = { start: '09:00', end: '17:00', time_zone: 'UTC' };
    expect(quietUntil(day, 'critical', Date.UTC(2026, 0, 5, 10, 15, 30))).toBe(Date.UTC(2026, 0, 5, 17, 0));
    expect(quietUntil(day, 'critical', Date.UTC(2026, 0, 5, 8, 0))).toBeNull();
  });
});

describe('rate limits and digests', () => {
  it('fits items into the tokens, the rest as one digest', () => {
    expect(fit([1, 2, 3], 5)).toEqual([[1], [2], [3]]);
    expect(fit([1, 2, 3, 4], 2)).toEqual([[1], [2, 3, 4]]);
    expect(fit([1, 2], 0)).toEqual([]);
  });

  it('lets a flapping device send one message per token, the rest held then sent as one digest', () => {
    const channel = webhook({ rate_limit: { per_device: { count: 2, per: '10m' } } });
    const buckets = emptyBuckets();
    const t0 = Date.UTC(2026, 0, 5, 12);
    const flaps = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        delivery(transition({}, i % 2 ? 'resolved' : 'opened', String(from + i))),
      );
    const first = planChannel(channel, flaps(1, 5), buckets, t0);
    // two tokens: one alone, four together
    expect(first.messages.map((m) => m.map((d) => d.transition.transitionId))).toEqual([
      ['1'],
      ['2', '3', '4', '5'],
    ]);
    expect(first.held).toEqual([]);
    const second = planChannel(channel, flaps(6, 3), buckets, t0 + 1000);
    expect(second.messages).toEqual([]);
    // a token comes back after 10 min / 2 = 5 min (less the second elapsed)
    expect(second.held.map((h) => h.untilMs)).toEqual([t0 + 5 * MIN, t0 + 5 * MIN, t0 + 5 * MIN]);
    const third = planChannel(channel, flaps(6, 3), buckets, t0 + 5 * MIN);
    expect(third.messages.map((m) => m.length)).toEqual([3]); // the held ones, as one digest
  });

  it('keeps devices apart, and the channel limit merges across devices', () => {
    const channel = webhook({
      rate_limit: { per_device: { count: 5, per: '1m' }, per_channel: { count: 2, per: '1m' } },
    });
    const due = ['a', 'b', 'c', 'd'].map((device, i) =>
      delivery(transition({ device_id: device }, 'opened', String(i))),
    );
    const plan = planChannel(channel, due, emptyBuckets(), 0);
    expect(plan.messages.map((m) => m.map((d) => d.transition.alert.device_id))).toEqual([
      ['a'],
      ['b', 'c', 'd'],
    ]);
  });

  it('holds what falls in quiet hours until they end, critical alerts excepted', () => {
    const channel = webhook({
      quiet_hours: { start: '22:00', end: '06:00', time_zone: 'UTC', except_severity: 'critical' },
    });
    const at = Date.UTC(2026, 0, 5, 23);
    const plan = planChannel(
      channel,
      [
        delivery(transition({ severity: 'warning' }, 'opened', '1')),
        delivery(transition({ severity: 'critical' }, 'opened', '2')),
      ],
      emptyBuckets(),
      at,
    );
    expect(plan.messages.map((m) => m.map((d) => d.transition.transitionId))).toEqual([['2']]);
    expect(plan.held.map((h) => [h.item.transition.transitionId, h.untilMs])).toEqual([
      ['1', Date.UTC(2026, 0, 6, 6)],
    ]);
  });
});

describe('waves', () => {
  // Transition n of alert a, as a one-delivery message.
  const msg = (alert: number, n: number): Delivery[] => [
    delivery(transition({ alert_id: alert }, 'opened', String(n))),
  ];
  const shape = (ws: Delivery[][][]) => ws.map((w) => w.map((m) => m.map((d) => d.transition.transitionId)));

  it('sends up to the limit at once, in order', () => {
    const messages = [1, 2, 3, 4, 5].map((a) => msg(a, a));
    expect(shape(waves(messages, 2))).toEqual([[['1'], ['2']], [['3'], ['4']], [['5']]]);
    expect(shape(waves(messages, 8))).toEqual([[['1'], ['2'], ['3'], ['4'], ['5']]]);
    expect(waves([], 8)).toEqual([]);
  });

  it("never puts two transitions of one alert in a wave: the second waits for the first's answer", () => {
    // Alert 1 opened (t1) and resolved (t3); a digest holding alerts 2 and 1 (t4) follows.
    const digest = [...msg(2, 40), ...msg(1, 41)];
    const messages = [msg(1, 1), msg(2, 2), msg(1, 3), digest, msg(5, 5)];
    expect(shape(waves(messages, 8))).toEqual([[['1'], ['2']], [['3']], [['40', '41'], ['5']]]);
  });

  it('is one at a time for Alertmanager (one post per pass), 8 for a webhook and 4 for e-mail by default', () => {
    const config = parseNotificationsConfig({
      channels: [
        { name: 'am', type: 'alertmanager', url: 'http://127.0.0.1:9093' },
        { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/x' },
        { name: 'hook-2', type: 'webhook', url: 'http://127.0.0.1:1/x', max_in_flight: 2 },
        {
          name: 'mail',
          type: 'email',
          smtp: { host: 'mail', port: 587, tls: 'starttls' },
          from: 'tp@example.com',
          to: ['ops@example.com'],
        },
      ],
    });
    if (!config.ok) throw new Error(config.problems.join('; '));
    expect(config.config.channels.map(maxInFlight)).toEqual([1, 8, 2, 4]);
    const refused = parseNotificationsConfig({
      channels: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/x', max_in_flight: 0 }],
    });
    expect(refused.ok).toBe(false);
  });
});

describe('afterFailure', () => {
  const policy = { base: 1000, max: 8000, max_attempts: 5 };

  it('backs off exponentially with full jitter up to the cap, then gives up', () => {
    expect(afterFailure(policy, 1, () => 0.999)).toEqual({ dead: false, delayMs: 999 });
    expect(afterFailure(policy, 3, () => 0.5)).toEqual({ dead: false, delayMs: 2000 });
    expect(afterFailure(policy, 4, () => 0.999)).toEqual({ dead: false, delayMs: 7992 });
    expect(afterFailure({ ...policy, max_attempts: 100 }, 60, () => 0.999)).toEqual({
      dead: false,
      delayMs: 7992,
    });
    expect(afterFailure(policy, 2, () => 0)).toEqual({ dead: false, delayMs: 0 });
    expect(afterFailure(policy, 5, () => 0.5)).toEqual({ dead: true });
  });
});

describe('payloads', () => {
  it('gives Alertmanager the labels users route on, endsAt on resolve', () => {
    const now = Date.UTC(2026, 0, 5, 12);
    const opts = { generatorUrl: 'http://api:8080/', validForMs: 240_000 };
    expect(alertmanagerAlerts(transition(), opts, now)).toEqual([
      {
        labels: {
          alertname: 'co2-high',
          rule: 'co2-high',
          site: 'site-1',
          zone: 'zone-1',
          device: 'dev-1',
          severity: 'warning',
          sensor_type: 'co2',
        },
        annotations: {
          summary: 'co2-high warning on dev-1 (site-1/zone-1)',
          description: 'co2 1100 ppm',
          alert_id: '3',
        },
        startsAt: '2026-01-05T11:58:00.000Z',
        endsAt: '2026-01-05T12:04:00.000Z',
        generatorURL: 'http://api:8080/api/v1/alerts/3',
      },
    ]);
    const resolved = alertmanagerAlerts(
      transition(
        { status: 'resolved', resolved_at: '2026-01-05T12:10:00+00:00', resolved_by: 'engine' },
        'resolved',
      ),
      opts,
      now,
    );
    expect(resolved.map((a) => [a.endsAt, a.annotations.resolved_by])).toEqual([
      ['2026-01-05T12:10:00.000Z', 'engine'],
    ]);
  });

  it('ends the old severity in Alertmanager on escalation', () => {
    const now = Date.UTC(2026, 0, 5, 12);
    const alerts = alertmanagerAlerts(
      transition({ severity: 'critical' }, 'escalated'),
      { validForMs: 60_000 },
      now,
    );
    expect(alerts.map((a) => [a.labels.severity, a.endsAt])).toEqual([
      ['warning', '2026-01-05T12:00:00.000Z'],
      ['critical', '2026-01-05T12:01:00.000Z'],
    ]);
  });

  it('sends a webhook its key, and a digest each member with its own key', () => {
    const a = delivery(transition({}, 'opened', '1'));
    const b = delivery(transition({}, 'resolved', '2'));
    expect(a.idempotencyKey).toBe('alert-3.opened.1@hook');
    expect(webhookBody(a.idempotencyKey, [a])).toMatchObject({
      idempotency_key: 'alert-3.opened.1@hook',
      transition: 'opened',
    });
    const key = digestKey('hook', [b, a]);
    expect(key).toBe(digestKey('hook', [a, b]));
    expect(webhookBody(key, [a, b])).toMatchObject({
      idempotency_key: key,
      digest: true,
      notifications: [{ idempotency_key: a.idempotencyKey }, { idempotency_key: b.idempotencyKey }],
    });
  });

  it('gives Slack {text, blocks}', () => {
    const body = slackBody([delivery(transition({ severity: 'critical' }, 'escalated'))]);
    expect(body.text).toBe(':arrow_double_up: *escalated* critical co2-high on dev-1 (site-1/zone-1)');
    expect(body.blocks).toHaveLength(2);
    expect(slackBody([delivery(transition()), delivery(transition({}, 'resolved', '8'))]).text).toBe(
      '2 alert changes',
    );
  });

  it('gives an e-mail a subject, a body with each key, and a Message-ID stable per key', () => {
    const one = delivery(transition({ severity: 'critical' }, 'escalated', '9'), 'mail');
    const mail = emailContent(one.idempotencyKey, [one]);
    expect(mail.subject).toBe('[critical] co2-high escalated (critical) on dev-1 (site-1/zone-1)');
    expect(mail.text).toContain(`idempotency key: ${one.idempotencyKey}`);
    expect(mail.messageId).toBe(`<${one.idempotencyKey.replace('@', '.')}@telemetry-pulse>`);
    expect(emailContent(one.idempotencyKey, [one])).toEqual(mail);
    const two = [
      delivery(transition({}, 'opened', '1'), 'mail'),
      delivery(transition({}, 'resolved', '2'), 'mail'),
    ];
    const digest = emailContent('digest.1-2.2@mail', two);
    expect(digest.subject).toBe('2 alert changes');
    expect(digest.text.split('idempotency key:')).toHaveLength(3);
  });
});

describe('webhook signatures', () => {
  const body = '{"a":1}';
  const ts = 1_767_614_400;

  it('signs HMAC-SHA256 over timestamp.body', () => {
    // the same as: printf '1767614400.{"a":1}' | openssl dgst -sha256 -hmac s3cret
    expect(signWebhook('s3cret', ts, body)).toBe(
      'sha256=' + createHmac('sha256', 's3cret').update(`${ts}.${body}`).digest('hex'),
    );
  });

  it('verifies, refusing a changed body, another secret and an old timestamp', () => {
    const signature = signWebhook('s3cret', ts, body);
    expect(verifyWebhook('s3cret', { signature, timestamp: String(ts) }, body, ts + 10)).toBe('ok');
    expect(verifyWebhook('s3cret', { signature, timestamp: String(ts) }, '{"a":2}', ts)).toBe(
      'bad-signature',
    );
    expect(verifyWebhook('other', { signature, timestamp: String(ts) }, body, ts)).toBe('bad-signature');
    expect(verifyWebhook('s3cret', { signature, timestamp: String(ts + 1) }, body, ts)).toBe('bad-signature');
    expect(verifyWebhook('s3cret', { signature, timestamp: String(ts) }, body, ts + 301)).toBe('stale');
    expect(verifyWebhook('s3cret', { signature: undefined, timestamp: undefined }, body, ts)).toBe(
      'bad-signature',
    );
  });
});

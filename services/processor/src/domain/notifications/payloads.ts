import type { Delivery, Transition } from './transition';

/** One alert in Alertmanager's v2 API (POST /api/v2/alerts takes an array of these). */
export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** Base URL of the alert resource (`${base}/api/v1/alerts/${id}`), or none. */
  readonly generatorUrl?: string;
  /** How long a firing alert stays valid without being posted again (ms). */
  readonly validForMs: number;
}

/**
 * The Alertmanager alerts a transition amounts to. Labels identify an alert there, so a resolve posts it with
 * endsAt, and an escalation (severity is a label) ends the alert at the old severity and fires the new one.
 * Firing alerts end at `nowMs + validForMs` unless posted again (the resend loop keeps them firing).
 */
export function alertmanagerAlerts(
  t: Transition,
  opts: AlertmanagerOptions,
  nowMs: number,
): AlertmanagerAlert[] {
  const a = t.alert;
  const at = (severity: string, endsAt: string): AlertmanagerAlert => ({
    labels: {
      alertname: a.rule_id,
      rule: a.rule_id,
      site: a.site_id,
      zone: a.zone_id,
      device: a.device_id,
      severity,
      sensor_type: a.sensor_type,
    },
    annotations: {
      summary: `${a.rule_id} ${severity} on ${a.device_id} (${a.site_id}/${a.zone_id})`,
      description: a.message,
      alert_id: String(a.alert_id),
      ...(a.acknowledged_by ? { acknowledged_by: a.acknowledged_by } : {}),
      ...(a.resolved_by ? { resolved_by: a.resolved_by } : {}),
    },
    startsAt: iso(a.opened_at),
    endsAt,
    ...(opts.generatorUrl
      ? { generatorURL: `${opts.generatorUrl.replace(/\/$/, '')}/api/v1/alerts/${a.alert_id}` }
      : {}),
  });
  if (t.kind === 'resolved') return [at(a.severity, iso(a.resolved_at ?? new Date(nowMs).toISOString()))];
  const firing = at(a.severity, new Date(nowMs + opts.validForMs).toISOString());
  if (t.kind === 'escalated' && t.previousSeverity && t.previousSeverity !== a.severity) {
    return [at(t.previousSeverity, new Date(nowMs).toISOString()), firing];
  }
  return [firing];
}

/** The JSON a webhook receives for one transition. */
export interface WebhookNotification {
  readonly idempotency_key: string;
  readonly transition: Transition['kind'];
  readonly transition_id: string;
  readonly occurred_at: string;
  readonly alert: Transition['alert'];
}

export function webhookNotification(d: Delivery): WebhookNotification {
  return {
    idempotency_key: d.idempotencyKey,
    transition: d.transition.kind,
    transition_id: d.transition.transitionId,
    occurred_at: new Date(d.transition.createdAtMs).toISOString(),
    alert: d.transition.alert,
  };
}

/**
 * The body of one webhook message: a notification, or a digest of several (rate-limited ones going out
 * together) that lists each with its own idempotency key.
 */
export function webhookBody(messageKey: string, deliveries: readonly Delivery[]): unknown {
  const [only] = deliveries;
  if (deliveries.length === 1 && only) return webhookNotification(only);
  return { idempotency_key: messageKey, digest: true, notifications: deliveries.map(webhookNotification) };
}

/** A Slack-compatible body ({text, blocks}) for incoming webhooks, digests as one line per notification. */
export function slackBody(deliveries: readonly Delivery[]): { text: string; blocks: unknown[] } {
  const lines = deliveries.map((d) => line(d.transition));
  const text = deliveries.length === 1 ? (lines[0] ?? '') : `${deliveries.length} alert changes`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(deliveries.length > 1
        ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.map((l) => `• ${l}`).join('\n') } }]
        : [
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: deliveries[0]?.transition.alert.message ?? '' }],
            },
          ]),
    ],
  };
}

/** An e-mail for one notification or a digest: subject, plain text and the ids a mailbox can deduplicate on. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  /** `<key@telemetry-pulse>`: the same for every retry of the same notification. */
  readonly messageId: string;
}

export function emailContent(messageKey: string, deliveries: readonly Delivery[]): EmailContent {
  const [only] = deliveries;
  const subject =
    deliveries.length === 1 && only
      ? `[${only.transition.alert.severity}] ${plainLine(only.transition)}`
      : `${deliveries.length} alert changes`;
  const blocks = deliveries.map((d) => {
    const a = d.transition.alert;
    return [
      plainLine(d.transition),
      a.message,
      `alert ${a.alert_id}, opened ${iso(a.opened_at)}` +
        (a.acknowledged_by ? `, acknowledged by ${a.acknowledged_by}` : '') +
        (a.resolved_at
          ? `, resolved ${iso(a.resolved_at)}${a.resolved_by ? ` by ${a.resolved_by}` : ''}`
          : ''),
      `idempotency key: ${d.idempotencyKey}`,
    ].join('\n');
  });
  return {
    subject,
    text: `${blocks.join('\n\n')}\n`,
    messageId: `<${messageKey.replace(/@/g, '.')}@telemetry-pulse>`,
  };
}

/** A digest's key: the same members give the same key, whichever dispatcher sends it. */
export function digestKey(channel: string, deliveries: readonly Delivery[]): string {
  const ids = deliveries.map((d) => d.transition.transitionId).sort((a, b) => Number(a) - Number(b));
  return `digest.${ids[0] ?? ''}-${ids[ids.length - 1] ?? ''}.${deliveries.length}@${channel}`;
}

const EMOJI: Record<Transition['kind'], string> = {
  opened: ':rotating_light:',
  escalated: ':arrow_double_up:',
  acknowledged: ':eyes:',
  resolved: ':white_check_mark:',
};

function line(t: Transition): string {
  const a = t.alert;
  return `${EMOJI[t.kind]} *${t.kind}* ${a.severity} ${a.rule_id} on ${a.device_id} (${a.site_id}/${a.zone_id})`;
}

function plainLine(t: Transition): string {
  const a = t.alert;
  return `${a.rule_id} ${t.kind} (${a.severity}) on ${a.device_id} (${a.site_id}/${a.zone_id})`;
}

const iso = (text: string): string => new Date(text).toISOString();

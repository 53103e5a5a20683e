import { z } from 'zod';
import {
  ALERT_SEVERITIES,
  CHANNEL_NAME_RE,
  CHANNEL_NAME_RULE,
  parseDurationMs,
} from '@telemetry-pulse/shared/core';

/**
 * The NOTIFICATIONS_CONFIG file: channels, each with its routes, retry policy and (webhooks) quiet hours and
 * rate limits. Durations are strings like `30s`; secrets are named by environment variable (`secret_env`) and
 * resolved at start by {@link resolveSecrets}, so the file itself holds none.
 */

export const TRANSITION_KINDS = ['opened', 'escalated', 'acknowledged', 'resolved'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

const duration = (min: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 30s or 5m, at least ${min} ms` });
      return z.NEVER;
    }
    return ms;
  });
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' });
const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time like 22:00' });
const timeZone = z.string().refine(isTimeZone, { message: 'must be an IANA time zone like Europe/Paris' });

/** Which transitions a channel gets: every listed field must match (an absent field matches anything). */
export const routeSchema = z.strictObject({
  sites: z.array(z.string().min(1)).min(1).optional(),
  zones: z.array(z.string().min(1)).min(1).optional(),
  rules: z.array(z.string().min(1)).min(1).optional(),
  min_severity: z.enum(ALERT_SEVERITIES).optional(),
  transitions: z.array(z.enum(TRANSITION_KINDS)).min(1).optional(),
});
export type Route = z.infer<typeof routeSchema>;

export const retrySchema = z.strictObject({
  base: duration(1).default(1000),
  max: duration(1).default(300_000),
  max_attempts: z.number().int().min(1).max(1000).default(15),
});
export type RetryPolicy = z.infer<typeof retrySchema>;

/** Held (not dropped) while the local time is inside [start, end); alerts at or above `except_severity` go out. */
export const quietHoursSchema = z.strictObject({
  start: clock,
  end: clock,
  time_zone: timeZone,
  except_severity: z.enum(ALERT_SEVERITIES).optional(),
});
export type QuietHours = z.infer<typeof quietHoursSchema>;

const bucketSchema = z.strictObject({ count: z.number().int().min(1), per: duration(1000) });
export type Bucket = z.infer<typeof bucketSchema>;
/** Notifications over a limit are held and go out together, as one digest, when the limit allows again. */
export const rateLimitSchema = z.strictObject({
  per_device: bucketSchema.optional(),
  per_channel: bucketSchema.optional(),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

const channelCommon = {
  name: z.string().regex(CHANNEL_NAME_RE, { message: CHANNEL_NAME_RULE }),
  routes: z.array(routeSchema).min(1).default([{}]),
  retry: retrySchema.default({ base: 1000, max: 300_000, max_attempts: 15 }),
  timeout: duration(1).default(10_000),
};

/** Alerts posted to Alertmanager's v2 API; it groups, silences and inhibits them with its own configuration. */
export const alertmanagerChannelSchema = z.strictObject({
  ...channelCommon,
  type: z.literal('alertmanager'),
  url: httpUrl,
  /** Base of each alert's generatorURL (the API's alert resource is appended); none when absent. */
  generator_url: httpUrl.optional(),
  /** Unresolved alerts are posted again this often, each valid for four intervals, as Prometheus does. */
  resend_interval: duration(1000).default(60_000),
});

/** A JSON POST signed with HMAC-SHA256 (see docs/notifications.md), or a Slack-compatible body. */
export const webhookChannelSchema = z.strictObject({
  ...channelCommon,
  type: z.literal('webhook'),
  url: httpUrl,
  format: z.enum(['json', 'slack']).default('json'),
  secret_env: envName.optional(),
  quiet_hours: quietHoursSchema.optional(),
  rate_limit: rateLimitSchema.optional(),
  /** Requests in flight at once; never two for the same alert, so a receiver sees its transitions in order. */
  max_in_flight: z.number().int().min(1).max(64).default(8),
});

/**
 * E-mail over SMTP: one message per notification (or digest) to every address in `to`. `tls: starttls`
 * refuses to send when the server does not offer STARTTLS; credentials are named by environment variable.
 */
export const emailChannelSchema = z.strictObject({
  ...channelCommon,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    tls: z.enum(['starttls', 'implicit', 'none']),
    username_env: envName.optional(),
    password_env: envName.optional(),
    ca_file: z.string().min(1).optional(),
  }),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  quiet_hours: quietHoursSchema.optional(),
  rate_limit: rateLimitSchema.optional(),
  /** SMTP sessions at once (each message its own); never two for the same alert. */
  max_in_flight: z.number().int().min(1).max(64).default(4),
});

export const channelSchema = z.discriminatedUnion('type', [
  alertmanagerChannelSchema,
  webhookChannelSchema,
  emailChannelSchema,
]);
export type AlertmanagerChannel = z.infer<typeof alertmanagerChannelSchema>;
export type WebhookChannel = z.infer<typeof webhookChannelSchema>;
export type EmailChannel = z.infer<typeof emailChannelSchema>;
export type Channel = z.infer<typeof channelSchema>;

export const notificationsFileSchema = z.strictObject({
  /** A transition first routed later than this after it happened is not sent (the dispatcher was down). */
  max_age: duration(1000).default(86_400_000),
  poll_interval: duration(10).default(500),
  batch_size: z.number().int().min(1).max(10_000).default(200),
  channels: z.array(channelSchema).min(1),
});
export type NotificationsConfig = z.infer<typeof notificationsFileSchema>;

export type ParseNotificationsResult =
  { ok: true; config: NotificationsConfig } | { ok: false; problems: string[] };

/** Validates a decoded NOTIFICATIONS_CONFIG document; never throws; every problem names its field. */
export function parseNotificationsConfig(doc: unknown): ParseNotificationsResult {
  const parsed = notificationsFileSchema.safeParse(doc);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const where = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
        return `${where.replace(/^\./, '') || '(root)'}: ${issue.message}`;
      }),
    };
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.data.channels.forEach((c, i) => {
    if (seen.has(c.name)) problems.push(`channels[${i}].name: "${c.name}" is used by an earlier channel`);
    seen.add(c.name);
    if (c.retry.base > c.retry.max) problems.push(`channels[${i}].retry.base: must not exceed retry.max`);
    if (c.type === 'email' && (c.smtp.username_env === undefined) !== (c.smtp.password_env === undefined)) {
      problems.push(`channels[${i}].smtp: username_env and password_env go together`);
    }
    if (c.type !== 'alertmanager' && c.quiet_hours && c.quiet_hours.start === c.quiet_hours.end) {
      problems.push(`channels[${i}].quiet_hours: start and end must differ`);
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: parsed.data };
}

/** What a channel's file entry names by environment variable: a webhook's signing secret, SMTP credentials. */
export interface ChannelSecrets {
  readonly secret?: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Each channel's secrets read from `env` by the variables it names (`secret_env`, `smtp.username_env`,
 * `smtp.password_env`): a map by channel name, or the problems (a variable unset or empty) naming the field.
 */
export function resolveSecrets(
  config: NotificationsConfig,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; secrets: Map<string, ChannelSecrets> } | { ok: false; problems: string[] } {
  const secrets = new Map<string, ChannelSecrets>();
  const problems: string[] = [];
  const read = (field: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push(`${field}: environment variable ${name} is not set`);
      return undefined;
    }
    return value;
  };
  config.channels.forEach((c, i) => {
    if (c.type === 'webhook' && c.secret_env !== undefined) {
      const secret = read(`channels[${i}].secret_env`, c.secret_env);
      if (secret !== undefined) secrets.set(c.name, { secret });
    } else if (c.type === 'email' && c.smtp.username_env !== undefined) {
      const username = read(`channels[${i}].smtp.username_env`, c.smtp.username_env);
      const password = read(`channels[${i}].smtp.password_env`, c.smtp.password_env);
      if (username !== undefined && password !== undefined) secrets.set(c.name, { username, password });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, secrets };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

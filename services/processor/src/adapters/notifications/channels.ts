import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  alertmanagerAlerts,
  digestKey,
  emailContent,
  signWebhook,
  slackBody,
  webhookBody,
  type AlertSnapshot,
  type AlertmanagerChannel,
  type Channel,
  type ChannelSecrets,
  type Delivery,
  type EmailChannel,
  type WebhookChannel,
} from '../../domain/notifications';
import { DeliveryError, postJson } from './http';
import { SmtpError, sendMail } from './smtp';

/** Sends one message (one delivery, or a digest) to a channel's receiver; rejects with a DeliveryError. */
export interface ChannelSender {
  /** Resolves with the digest's key when the message was a digest, else null. */
  send(message: readonly Delivery[], nowMs: number, signal?: AbortSignal): Promise<string | null>;
  /** Alertmanager only: posts the alerts still firing again, so they do not time out there. */
  resend?(alerts: readonly AlertSnapshot[], nowMs: number, signal?: AbortSignal): Promise<void>;
}

/** Secrets from the environment, and an e-mail channel's CA file's PEM, resolved at start. */
export interface ChannelResources extends ChannelSecrets {
  readonly ca?: string;
}

export function createChannelSender(channel: Channel, resources: ChannelResources = {}): ChannelSender {
  switch (channel.type) {
    case 'alertmanager':
      return alertmanagerSender(channel);
    case 'webhook':
      return webhookSender(channel, resources.secret);
    case 'email':
      return emailSender(channel, resources);
  }
}

/**
 * One message per notification (or digest) to all of `to`. Delivered once the server took it for at least
 * one recipient: those it refused are in the server's answer, not retried (a retry would send the others
 * the same mail again); none taken is a failure the dispatcher retries or gives up on like an HTTP one.
 */
function emailSender(channel: EmailChannel, resources: ChannelResources): ChannelSender {
  const settings = {
    host: channel.smtp.host,
    port: channel.smtp.port,
    tls: channel.smtp.tls,
    ...(resources.username === undefined ? {} : { username: resources.username }),
    ...(resources.password === undefined ? {} : { password: resources.password }),
    ...(resources.ca === undefined ? {} : { ca: resources.ca }),
    timeoutMs: channel.timeout,
  };
  return {
    async send(message) {
      const [only] = message;
      const digest = message.length === 1 ? null : digestKey(channel.name, message);
      const key = digest ?? only?.idempotencyKey ?? '';
      const content = emailContent(key, message);
      let sent: { accepted: string[]; rejected: string[] };
      try {
        sent = await sendMail(settings, {
          from: channel.from,
          to: channel.to,
          subject: content.subject,
          text: content.text,
          messageId: content.messageId,
          headers: { 'Idempotency-Key': key },
        });
      } catch (err) {
        const permanent = err instanceof SmtpError && err.permanent;
        const reason = err instanceof Error ? err.message : String(err);
        throw new DeliveryError(`SMTP ${channel.smtp.host}:${channel.smtp.port}: ${reason}`, permanent, {
          cause: err,
        });
      }
      if (sent.accepted.length === 0) {
        throw new DeliveryError(
          `SMTP ${channel.smtp.host}:${channel.smtp.port}: no recipient accepted (${sent.rejected.join(', ')})`,
          false,
        );
      }
      return digest;
    },
  };
}

function alertmanagerSender(channel: AlertmanagerChannel): ChannelSender {
  const url = `${channel.url.replace(/\/$/, '')}/api/v2/alerts`;
  const opts = { generatorUrl: channel.generator_url, validForMs: channel.resend_interval * 4 };
  return {
    async send(message, nowMs, signal) {
      const alerts = message.flatMap((d) => alertmanagerAlerts(d.transition, opts, nowMs));
      await postJson(url, JSON.stringify(alerts), {}, channel.timeout, signal);
      return null;
    },
    async resend(firing, nowMs, signal) {
      if (firing.length === 0) return;
      const alerts = firing.flatMap((alert) =>
        alertmanagerAlerts(
          { transitionId: '0', kind: 'opened', previousSeverity: null, createdAtMs: nowMs, alert },
          opts,
          nowMs,
        ),
      );
      await postJson(url, JSON.stringify(alerts), {}, channel.timeout, signal);
    },
  };
}

function webhookSender(channel: WebhookChannel, secret: string | undefined): ChannelSender {
  return {
    async send(message, nowMs, signal) {
      const [only] = message;
      const digest = message.length === 1 ? null : digestKey(channel.name, message);
      const key = digest ?? only?.idempotencyKey ?? '';
      const body = JSON.stringify(
        channel.format === 'slack' ? slackBody(message) : webhookBody(key, message),
      );
      const timestampS = Math.floor(nowMs / 1000);
      const headers: Record<string, string> = {
        'Idempotency-Key': key,
        [TIMESTAMP_HEADER]: String(timestampS),
      };
      if (secret !== undefined) headers[SIGNATURE_HEADER] = signWebhook(secret, timestampS, body);
      await postJson(channel.url, body, headers, channel.timeout, signal);
      return digest;
    },
  };
}

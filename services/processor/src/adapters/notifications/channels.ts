import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  alertmanagerAlerts,
  digestKey,
  signWebhook,
  slackBody,
  webhookBody,
  type AlertSnapshot,
  type AlertmanagerChannel,
  type Channel,
  type Delivery,
  type WebhookChannel,
} from '../../domain/notifications';
import { postJson } from './http';

/** Sends one message (one delivery, or a digest) to a channel's receiver; rejects with a DeliveryError. */
export interface ChannelSender {
  /** Resolves with the digest's key when the message was a digest, else null. */
  send(message: readonly Delivery[], nowMs: number, signal?: AbortSignal): Promise<string | null>;
  /** Alertmanager only: posts the alerts still firing again, so they do not time out there. */
  resend?(alerts: readonly AlertSnapshot[], nowMs: number, signal?: AbortSignal): Promise<void>;
}

export function createChannelSender(channel: Channel, secret: string | undefined): ChannelSender {
  return channel.type === 'alertmanager' ? alertmanagerSender(channel) : webhookSender(channel, secret);
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

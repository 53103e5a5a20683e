export { afterFailure } from './backoff';
export {
  TRANSITION_KINDS,
  channelSchema,
  emailChannelSchema,
  notificationsFileSchema,
  parseNotificationsConfig,
  resolveSecrets,
  type AlertmanagerChannel,
  type ChannelSecrets,
  type Channel,
  type EmailChannel,
  type NotificationsConfig,
  type ParseNotificationsResult,
  type QuietHours,
  type RateLimit,
  type RetryPolicy,
  type Route,
  type TransitionKind,
  type WebhookChannel,
} from './config';
export {
  alertmanagerAlerts,
  digestKey,
  emailContent,
  slackBody,
  webhookBody,
  webhookNotification,
  type AlertmanagerAlert,
  type AlertmanagerOptions,
  type EmailContent,
  type WebhookNotification,
} from './payloads';
export { maxInFlight, planChannel, waves } from './plan';
export { localSecondOfDay, quietUntil } from './quiet-hours';
export { emptyBuckets, fit, planRate, type BucketLevel, type Buckets, type RatePlan } from './rate-limit';
export { isRouted, routeMatches } from './routing';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook, verifyWebhook } from './signature';
export { idempotencyKey, type AlertSnapshot, type Delivery, type Transition } from './transition';

import { z } from 'zod';
import { CHANNEL_NAME_RE, CHANNEL_NAME_RULE } from '@telemetry-pulse/shared/core';
import { cursorParam, csvEnumParam, instant, limitParam, page } from './common';

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'dead', 'skipped'] as const;
export const TRANSITION_KINDS = ['opened', 'escalated', 'acknowledged', 'resolved'] as const;

export const notificationSchema = z
  .object({
    channel: z.string().describe("The channel, as named in the processor's NOTIFICATIONS_CONFIG."),
    idempotency_key: z.string().describe('Stable per transition and channel: receivers deduplicate on it.'),
    status: z
      .enum(NOTIFICATION_STATUSES)
      .describe(
        '`pending` (due or held), `delivered`, `dead` (given up) or `skipped` (no route of the channel matched).',
      ),
    alert_id: z.number().int(),
    transition: z.enum(TRANSITION_KINDS),
    transition_id: z.number().int(),
    occurred_at: instant('When the transition was committed.'),
    attempts: z.number().int().describe('Failed attempts so far.'),
    next_attempt_at: instant('When a pending notification is next tried.'),
    last_error: z.string().nullable(),
    digest_key: z.string().nullable().describe('The digest it went out in, when rate limits merged it.'),
    delivered_at: instant('When the receiver accepted it.').nullable(),
  })
  .meta({ id: 'Notification' });

export type Notification = z.infer<typeof notificationSchema>;

export const notificationsQuery = z.strictObject({
  status: csvEnumParam(NOTIFICATION_STATUSES, 'Statuses').optional(),
  channel: z
    .string()
    .regex(CHANNEL_NAME_RE, CHANNEL_NAME_RULE)
    .optional()
    .describe(
      "Only this channel (a name as NOTIFICATIONS_CONFIG allows it: 1-64 of a-z, 0-9, '.', '_', '-').",
    ),
  cursor: cursorParam,
  limit: limitParam(),
});

export const notificationsPage = page(notificationSchema);

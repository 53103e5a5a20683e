/**
 * A notification channel's name: the processor's NOTIFICATIONS_CONFIG refuses any other, and the API's
 * `GET /api/v1/notifications?channel=` answers 400 for one no channel can have (instead of asking PostgreSQL).
 */
export const CHANNEL_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CHANNEL_NAME_RULE = 'must be 1-64 lower-case letters, digits, ".", "_" or "-"';

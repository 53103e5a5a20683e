import { notificationsPage, notificationsQuery } from '../../../contract/notifications';
import { encodeCursor } from '../../../domain/cursor';
import type { NotificationStore } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';
import { cursorKey } from './paging';

/** Notifications of alert transitions per channel: what is pending, delivered, dead or skipped. */
export function notificationRoutes(deps: { notifications: NotificationStore }): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/notifications',
      operationId: 'listNotifications',
      summary: 'Notifications of alert transitions, newest first, by status and channel',
      description:
        "One row per alert transition and channel of the processor's NOTIFICATIONS_CONFIG, once its dispatcher has routed it. `status=dead` lists what a channel gave up on after its last attempt (last_error says why); `status=pending` what waits (next_attempt_at says until when).",
      tag: 'alerts',
      auth: 'read',
      query: notificationsQuery,
      response: notificationsPage,
      responseDescription: 'One page of notifications, by transition then channel, newest first.',
      async handler({ query }) {
        const rows = await deps.notifications.list(
          { statuses: query.status, channel: query.channel },
          cursorKey(query.cursor, ['number', 'string']),
          query.limit + 1,
        );
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        return {
          items,
          next_cursor:
            rows.length > query.limit && last ? encodeCursor([last.transition_id, last.channel]) : null,
        };
      },
    }),
  ];
}

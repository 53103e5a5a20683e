import { alertActionBody, alertParams, alertSchema, alertsPage, alertsQuery } from '../../../contract/alerts';
import { encodeCursor } from '../../../domain/cursor';
import type { AlertAction, AlertStore } from '../../../domain/stores';
import type { Alert } from '../../../contract/alerts';
import { ProblemError } from '../problem';
import { jsonRoute, type Principal, type Route } from '../route';
import { cursorKey } from './paging';

function outcome(action: AlertAction, alertId: number, verb: string): Alert {
  switch (action.outcome) {
    case 'updated':
    case 'unchanged':
      return action.alert;
    case 'not-found':
      throw new ProblemError('not-found', `There is no alert ${alertId}.`);
    case 'conflict':
      throw new ProblemError('conflict', `Alert ${alertId} is already resolved and cannot be ${verb}.`);
  }
}

const actor = (by: string | undefined, principal: Principal): string => by ?? principal.keyName ?? 'api';

/** Alerts: a filtered keyset listing, and the operators' acknowledge and resolve actions. */
export function alertRoutes(deps: { alerts: AlertStore }): Route[] {
  /** A key limited to sites acts only on their alerts (the row is read first; a missing one goes on to 404). */
  async function mayAct(alertId: number, principal: Principal): Promise<void> {
    if (!principal.sites) return;
    const alert = await deps.alerts.get(alertId);
    if (alert && !principal.sites.has(alert.site_id)) {
      throw new ProblemError('forbidden', `This API key may not act on alerts of site ${alert.site_id}.`);
    }
  }

  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/alerts',
      operationId: 'listAlerts',
      summary: 'Alerts, newest first, filtered',
      tag: 'alerts',
      auth: 'read',
      query: alertsQuery,
      response: alertsPage,
      responseDescription: 'One page of alerts, by opened_at then alert_id, newest first.',
      async handler({ query }) {
        const rows = await deps.alerts.list(
          {
            statuses: query.status,
            severities: query.severity,
            siteId: query.site_id,
            zoneId: query.zone_id,
            deviceId: query.device_id,
            ruleId: query.rule_id,
            fromMs: query.from,
            toMs: query.to,
          },
          cursorKey(query.cursor, ['number', 'number']),
          query.limit + 1,
        );
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        return {
          items: items.map((r) => r.alert),
          next_cursor:
            rows.length > query.limit && last ? encodeCursor([last.openedUs, last.alert.alert_id]) : null,
        };
      },
    }),
    jsonRoute({
      method: 'POST',
      path: '/api/v1/alerts/{alert_id}/acknowledge',
      operationId: 'acknowledgeAlert',
      summary: 'Acknowledge an alert',
      description:
        'Open → acknowledged. Acknowledging an acknowledged alert changes nothing and returns it; a resolved alert is a 409.',
      tag: 'alerts',
      auth: 'write',
      params: alertParams,
      body: alertActionBody,
      problems: [404, 409],
      response: alertSchema,
      responseDescription: 'The alert after the change.',
      async handler({ params, body, principal }) {
        await mayAct(params.alert_id, principal);
        const action = await deps.alerts.acknowledge(params.alert_id, actor(body.by, principal));
        return outcome(action, params.alert_id, 'acknowledged');
      },
    }),
    jsonRoute({
      method: 'POST',
      path: '/api/v1/alerts/{alert_id}/resolve',
      operationId: 'resolveAlert',
      summary: 'Resolve an alert',
      description:
        'Open or acknowledged → resolved, by an operator (resolved_by) at the current time. A resolved alert is a 409.',
      tag: 'alerts',
      auth: 'write',
      params: alertParams,
      body: alertActionBody,
      problems: [404, 409],
      response: alertSchema,
      responseDescription: 'The alert after the change.',
      async handler({ params, body, principal }) {
        await mayAct(params.alert_id, principal);
        const action = await deps.alerts.resolve(params.alert_id, actor(body.by, principal));
        return outcome(action, params.alert_id, 'resolved');
      },
    }),
  ];
}

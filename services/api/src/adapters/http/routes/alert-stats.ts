import { alertStatsQuery, alertStatsSchema } from '../../../contract/alert-stats';
import { statsPeriod } from '../../../domain/alert-stats';
import type { AlertStatsStore } from '../../../domain/stores';
import { ProblemError } from '../problem';
import { jsonRoute, type Route } from '../route';

/** Alert analytics: times to acknowledge and resolve per site and rule, alert counts and flaps per device. */
export function alertStatsRoutes(deps: { alertStats: AlertStatsStore; now: () => number }): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/alerts/stats',
      operationId: 'alertStats',
      summary: 'Times to acknowledge and resolve, alert counts and flaps, over a period',
      description:
        'Counts the alerts opened in [from, to) that match the filters. Per (site, rule): alerts, acknowledged, resolved, flaps, and the time to acknowledge (acknowledged_at − opened_at) and to resolve (resolved_at − opened_at) as p50/p90 (percentile_cont, interpolated) and max in seconds, over the alerts that have that time; negative times (opened_at is event time, a person acts on the wall clock) count as 0. A flap is an alert opened at most `flap_minutes` after the previous alert of the same device and rule was resolved (that previous alert may be older than the period). Devices: the `top` with most alerts. The period defaults to the 7 days before now and spans at most 366 days.',
      tag: 'alerts',
      auth: 'read',
      query: alertStatsQuery,
      response: alertStatsSchema,
      responseDescription: 'The statistics of the period.',
      async handler({ query }) {
        const period = statsPeriod({ fromMs: query.from, toMs: query.to }, deps.now());
        if (!period.ok) {
          throw new ProblemError('invalid-request', `Invalid query: ${period.name}: ${period.message}`, {
            errors: [{ in: 'query', name: period.name, message: period.message }],
          });
        }
        const stats = await deps.alertStats.stats({
          fromMs: period.fromMs,
          toMs: period.toMs,
          siteId: query.site_id,
          zoneId: query.zone_id,
          ruleId: query.rule_id,
          severities: query.severity,
          top: query.top,
          flapMinutes: query.flap_minutes,
        });
        return {
          from: new Date(period.fromMs).toISOString(),
          to: new Date(period.toMs).toISOString(),
          flap_minutes: query.flap_minutes,
          ...stats,
        };
      },
    }),
  ];
}

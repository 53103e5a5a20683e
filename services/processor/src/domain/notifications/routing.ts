import { ALERT_SEVERITIES } from '@telemetry-pulse/shared/core';
import type { Route } from './config';
import type { Transition } from './transition';

/** True when every field the route lists matches the transition (an empty route matches all). */
export function routeMatches(route: Route, t: Transition): boolean {
  const a = t.alert;
  if (route.sites && !route.sites.includes(a.site_id)) return false;
  if (route.zones && !route.zones.includes(a.zone_id)) return false;
  if (route.rules && !route.rules.includes(a.rule_id)) return false;
  if (route.transitions && !route.transitions.includes(t.kind)) return false;
  if (route.min_severity && rank(a.severity) < rank(route.min_severity)) return false;
  return true;
}

/** A channel gets a transition when any of its routes matches it. */
export function isRouted(routes: readonly Route[], t: Transition): boolean {
  return routes.some((r) => routeMatches(r, t));
}

const rank = (s: (typeof ALERT_SEVERITIES)[number]): number => ALERT_SEVERITIES.indexOf(s);

import { SENSOR_TYPES } from '@telemetry-pulse/shared/core';
import {
  devicesLatestPage,
  devicesLatestQuery,
  zonesLatestPage,
  zonesLatestQuery,
} from '../../../contract/readings';
import { paginate } from '../../../domain/cursor';
import type { ReadingsStore } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';
import { cursorKey } from './paging';

/** Latest values per zone (newest 5 m window) and per device (newest raw reading). */
export function readingsRoutes(deps: { readings: ReadingsStore }): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/zones/latest',
      operationId: 'latestPerZone',
      summary: 'Newest 5 m window per zone and sensor',
      description: 'What the dashboard grid shows; the live stream sends changes of these items.',
      tag: 'readings',
      auth: 'read',
      query: zonesLatestQuery,
      response: zonesLatestPage,
      responseDescription: 'One page, by (site_id, zone_id, sensor_type).',
      async handler({ query }) {
        const rows = await deps.readings.zonesLatest({
          siteId: query.site_id,
          zoneId: query.zone_id,
          sensorTypes: query.sensor_type ? [query.sensor_type] : SENSOR_TYPES,
          after: cursorKey(query.cursor, ['string', 'string', 'string']),
          take: query.limit + 1,
        });
        return paginate(rows, query.limit, (r) => [r.site_id, r.zone_id, r.sensor_type]);
      },
    }),
    jsonRoute({
      method: 'GET',
      path: '/api/v1/devices/latest',
      operationId: 'latestPerDevice',
      summary: 'Newest reading per device and sensor',
      tag: 'readings',
      auth: 'read',
      query: devicesLatestQuery,
      response: devicesLatestPage,
      responseDescription: 'One page, by (device_id, sensor_type).',
      async handler({ query }) {
        const rows = await deps.readings.devicesLatest({
          siteId: query.site_id,
          zoneId: query.zone_id,
          deviceId: query.device_id,
          sensorTypes: query.sensor_type ? [query.sensor_type] : SENSOR_TYPES,
          after: cursorKey(query.cursor, ['string', 'string']),
          take: query.limit + 1,
        });
        return paginate(rows, query.limit, (r) => [r.device_id, r.sensor_type]);
      },
    }),
  ];
}

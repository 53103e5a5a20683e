import {
  devicesPage,
  devicesQuery,
  sitesPage,
  sitesQuery,
  zonesPage,
  zonesQuery,
} from '../../../contract/catalog';
import { paginate } from '../../../domain/cursor';
import { deviceStatus } from '../../../domain/device-status';
import type { CatalogStore } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';
import { cursorKey } from './paging';

/** Sites, zones and devices, with device status derived from event time. */
export function catalogRoutes(deps: { catalog: CatalogStore; silentAfterMs: number }): Route[] {
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/sites',
      operationId: 'listSites',
      summary: 'Sites with their zone and device counts',
      tag: 'catalog',
      auth: 'read',
      query: sitesQuery,
      response: sitesPage,
      responseDescription: 'One page of sites, by site_id.',
      async handler({ query }) {
        const after = cursorKey(query.cursor, ['string']);
        const rows = await deps.catalog.sites({ after: after?.[0], take: query.limit + 1 });
        return paginate(rows, query.limit, (r) => [r.site_id]);
      },
    }),
    jsonRoute({
      method: 'GET',
      path: '/api/v1/zones',
      operationId: 'listZones',
      summary: 'Zones with their device counts',
      tag: 'catalog',
      auth: 'read',
      query: zonesQuery,
      response: zonesPage,
      responseDescription: 'One page of zones, by (site_id, zone_id).',
      async handler({ query }) {
        const after = cursorKey(query.cursor, ['string', 'string']);
        const rows = await deps.catalog.zones({ siteId: query.site_id, after, take: query.limit + 1 });
        return paginate(rows, query.limit, (r) => [r.site_id, r.zone_id]);
      },
    }),
    jsonRoute({
      method: 'GET',
      path: '/api/v1/devices',
      operationId: 'listDevices',
      summary: 'Devices with first and last seen times and status',
      description:
        'A device is `silent` when its newest reading is more than API_DEVICE_SILENT_AFTER (5 min) older than the newest reading of any device of its site, in event time, like the processor silence rule.',
      tag: 'catalog',
      auth: 'read',
      query: devicesQuery,
      response: devicesPage,
      responseDescription: 'One page of devices, by device_id.',
      async handler({ query }) {
        const after = cursorKey(query.cursor, ['string']);
        const rows = await deps.catalog.devices({
          siteId: query.site_id,
          zoneId: query.zone_id,
          after: after?.[0],
          take: query.limit + 1,
        });
        const page = paginate(rows, query.limit, (r) => [r.device_id]);
        return {
          next_cursor: page.next_cursor,
          items: page.items.map(({ site_last_seen_at, ...d }) => ({
            ...d,
            status: deviceStatus(
              Date.parse(d.last_seen_at),
              Date.parse(site_last_seen_at),
              deps.silentAfterMs,
            ),
          })),
        };
      },
    }),
  ];
}

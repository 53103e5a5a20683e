import { createLogger } from '@telemetry-pulse/shared';
import type { ZoneLatest } from '../../../services/api/src/contract/readings';
import type { AlertStore, ReadingsStore } from '../../../services/api/src/domain/stores';
import { createLiveFeed } from '../../../services/api/src/live-feed';

const zone = (value: number, count: number, updatedAt: string): ZoneLatest => ({
  site_id: 'site-a',
  zone_id: 'zone-a',
  sensor_type: 'co2',
  value,
  min: value,
  max: value,
  count,
  window_start: '2026-12-03T08:00:00.000Z',
  updated_at: updatedAt,
});

/**
 * The live feed's zone baseline. A client opens the stream, then loads its snapshot; a change after that
 * snapshot must reach it. The baseline used to be taken by the first poll after the first listener, so a
 * change made between the stream's opening and that poll became the baseline and was never sent (the
 * dashboard e2e test failed about one run in two on it).
 */
describe('live feed', () => {
  it('sends a change made right after a stream opened', async () => {
    let rows = [zone(600, 10, '2026-12-03T08:01:00.000Z')];
    const readings = { zonesLatest: () => Promise.resolve(rows) } as unknown as ReadingsStore;
    const feed = createLiveFeed({
      readings,
      alerts: {} as AlertStore,
      logger: createLogger({ service: 'test', level: 'silent' }),
      pollIntervalMs: 10,
    });
    const sent: unknown[] = [];
    try {
      // What the stream route does before it answers: the baseline, then the client is a listener.
      await feed.ready();
      feed.hub.subscribe((e) => sent.push(e));
      // The client's snapshot shows 600; the processor then applies a burst before any poll ran.
      rows = [zone(1400, 11, '2026-12-03T08:01:01.000Z')];
      feed.start();
      for (let i = 0; i < 100 && sent.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(sent).toEqual([{ event: 'zones', data: [expect.objectContaining({ value: 1400 })] }]);
    } finally {
      await feed.stop();
    }
  });

  it('takes its baseline once: a second stream waits for no query', async () => {
    let queries = 0;
    const readings = {
      zonesLatest: () => {
        queries += 1;
        return Promise.resolve([zone(600, 10, '2026-12-03T08:01:00.000Z')]);
      },
    } as unknown as ReadingsStore;
    const feed = createLiveFeed({
      readings,
      alerts: {} as AlertStore,
      logger: createLogger({ service: 'test', level: 'silent' }),
      pollIntervalMs: 60_000,
    });
    await feed.ready();
    await feed.ready();
    expect(queries).toBe(1);
    await feed.stop();
  });
});

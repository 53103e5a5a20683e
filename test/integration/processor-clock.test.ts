import { randomUUID } from 'node:crypto';
import { waitFor } from '../support/infra';
import { appliedRecords } from '../support/pipeline';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

const MIN = 60_000; // ms
const HONEST = 44;
const FAST_MS = 9 * MIN; // within PROCESSOR_MAX_FUTURE_SKEW (10 min): accepted, not dead-lettered
const ROUNDS = 8;

/**
 * Issue 14, item 4: one device with a fast clock must not change how the other devices are judged. Before
 * the fix its readings, accepted up to 10 min ahead, moved the partition clock into the future: every
 * honest reading after one of them was classed late and every honest device looked silent (device-silent
 * alerts opened, and resolved on the next batch). Here on the real broker and database, one partition
 * carrying 44 honest devices and one 9 min fast, with the default rules and settings.
 */
describe('a device with a fast clock (real Kafka and PostgreSQL)', () => {
  let f: ProcessorFixture;

  beforeAll(async () => {
    f = await openProcessorFixture({ prefix: 'clock', partitions: 1 });
  });

  afterAll(async () => {
    await f.close();
  });

  const reading = (device: string, tsMs: number, value: number) => ({
    key: device,
    value: JSON.stringify({
      event_id: randomUUID(),
      device_id: device,
      site_id: 'site-1',
      zone_id: `zone-${device.length % 3}`,
      sensor_type: 'co2',
      value,
      ts_event: new Date(tsMs).toISOString(),
    }),
  });

  it('classes no honest reading late and opens no silence alert', async () => {
    await f.startProcessor();
    let sent = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const now = Date.now();
      const honest = Array.from({ length: HONEST }, (_, d) => reading(`dev-${d}`, now, 500 + d));
      const fast = reading('dev-fast', now + FAST_MS, 520);
      // The fast reading first, then last: either way it precedes honest readings of a later round.
      const messages = round % 2 === 0 ? [fast, ...honest] : [...honest, fast];
      await f.producer.send({ topic: f.topic, messages });
      sent += messages.length;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await waitFor(`all ${sent} records applied`, async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) >= sent ? true : undefined,
    );

    const { rows: lateness } = await f.pool.query<{ fast: boolean; lateness: string; n: number }>(
      `SELECT device_id = 'dev-fast' AS fast, lateness, count(*)::int AS n FROM raw_events
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const { rows: alerts } = await f.pool.query<{ rule_id: string; n: number }>(
      'SELECT rule_id, count(*)::int AS n FROM alerts GROUP BY rule_id ORDER BY rule_id',
    );
    expect({ lateness, alerts }).toEqual({
      lateness: [
        { fast: false, lateness: 'on_time', n: ROUNDS * HONEST },
        { fast: true, lateness: 'on_time', n: ROUNDS },
      ],
      alerts: [],
    });
    const { rows: dead } = await f.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters');
    expect(dead[0]?.n).toBe(0);
    // The partition clock is the present, not 9 min ahead of it.
    const { rows: clock } = await f.pool.query<{ ahead_ms: number }>(
      `SELECT max_event_ms - (extract(epoch FROM now()) * 1000)::bigint AS ahead_ms FROM consumer_offsets
        WHERE consumer_group = $1 AND topic = $2`,
      [f.group, f.topic],
    );
    expect(clock[0]?.ahead_ms).toBeLessThan(MIN);
  });
});

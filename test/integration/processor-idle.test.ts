import { randomUUID } from 'node:crypto';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { waitFor } from '../support/infra';
import { appliedRecords } from '../support/pipeline';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

const DEVICES = 30;
const OUTAGE_MS = 20_000;

/**
 * Issue 14, item 6: idle means caught up. A partition's watermark used to follow the wall clock as soon as
 * its last batch was PROCESSOR_IDLE_AFTER old, backlog or not, so once the database came back from an
 * outage longer than that, the backlog was classed late. Here the database is cut off from the processor
 * only (every connection reset through a proxy; the shared server itself keeps running) for 20 s under
 * live traffic whose event time is the wall clock, with a 2 s idle setting and 5 s allowed lateness: a
 * scaled-down copy of the 2-minute outage with a 30 s idle setting of the reliability suite (scenario 3c).
 */
describe('a database outage longer than the idle setting (real Kafka and PostgreSQL)', () => {
  let f: ProcessorFixture;
  let proxy: FaultProxy;

  beforeAll(async () => {
    f = await openProcessorFixture({ prefix: 'idle', partitions: 3 });
    const url = new URL(f.db.url);
    proxy = await startFaultProxy({ target: { host: url.hostname, port: Number(url.port || 5432) } });
  });

  afterAll(async () => {
    proxy?.heal();
    await f.close();
    await proxy?.close();
  });

  it('keeps the backlog on time: no watermark jumps while a partition has records to apply', async () => {
    const proxied = new URL(f.db.url);
    proxied.port = String(proxy.port);
    await f.startProcessor({
      DATABASE_URL: proxied.toString(),
      PROCESSOR_IDLE_AFTER: '2s',
      PROCESSOR_ALLOWED_LATENESS: '5s',
      PROCESSOR_PAUSE_AFTER: '1s',
      PROCESSOR_RETRY_MAX: '1s',
    });

    // Live traffic: every 250 ms one co2 reading per device, stamped with the wall clock.
    let sent = 0;
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        const now = Date.now();
        const messages = Array.from({ length: DEVICES }, (_, d) => ({
          key: `dev-${d}`,
          value: JSON.stringify({
            event_id: randomUUID(),
            device_id: `dev-${d}`,
            site_id: 'site-1',
            zone_id: `zone-${d % 3}`,
            sensor_type: 'co2',
            value: 500 + d,
            ts_event: new Date(now).toISOString(),
          }),
        }));
        await f.producer.send({ topic: f.topic, messages });
        sent += messages.length;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    await waitFor('processing under way', async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) > DEVICES * 8 ? true : undefined,
    );
    proxy.reset(); // the processor's database is gone: every connection reset, new ones refused
    try {
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
    } finally {
      proxy.heal();
    }
    await new Promise((r) => setTimeout(r, 5_000));
    sending = false;
    await traffic;
    await waitFor(`all ${sent} records applied`, async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) >= sent ? true : undefined,
    );

    const { rows } = await f.pool.query<{ lateness: string; n: number }>(
      'SELECT lateness, count(*)::int AS n FROM raw_events GROUP BY lateness ORDER BY lateness',
    );
    expect(rows).toEqual([{ lateness: 'on_time', n: sent }]);
  });
});

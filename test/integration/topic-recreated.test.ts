import { readings, publish } from '../support/events';
import { waitFor } from '../support/infra';
import { aggregateMismatches, tableCounts } from '../support/invariants';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

/**
 * Regression: a topic recreated (or truncated) while the database kept its offsets. The processor skipped
 * every record below the stored next offset as already applied, so a docker-compose user who wiped the
 * broker's volume but not PostgreSQL's saw nothing ingested, silently (found by `npm start` against a new
 * broker and an old database). A stored offset past the partition's end now means "start from the log".
 */
describe('processor when the topic was recreated under a database that kept its offsets', () => {
  let fx: ProcessorFixture;

  beforeAll(async () => {
    fx = await openProcessorFixture({ prefix: 'recreated', partitions: 3 });
    // Starting migrates the database; nothing is on the topic yet, so no partition row exists.
    await fx.startProcessor();
  });

  afterAll(() => fx?.close());

  it('applies the new log from its start instead of skipping it as done', async () => {
    const { pool, producer, topic, group } = fx;
    // What the previous incarnation of the topic left: every partition applied up to offset 100 000.
    await pool.query(
      `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)
       SELECT $1, $2, p, 100000 FROM generate_series(0, 2) AS p`,
      [group, topic],
    );
    const events = readings(600);
    await publish(producer, topic, events, 200);

    await waitFor(
      'all readings stored',
      async () => ((await tableCounts(pool)).raw >= events.length ? true : undefined),
      60_000,
    );
    const counts = await tableCounts(pool);
    expect(counts.raw).toBe(events.length);
    expect(counts.distinctRaw).toBe(events.length);
    expect(await aggregateMismatches(pool)).toEqual([]);
    // The stored positions are the new log's again.
    const { rows } = await pool.query<{ n: string }>(
      'SELECT sum(next_offset)::text AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    expect(Number(rows[0]?.n)).toBe(events.length);
  });
});

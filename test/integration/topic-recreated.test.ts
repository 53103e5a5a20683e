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

  it("keeps the new log's poison messages at offsets an old dead letter held", async () => {
    // Regression: the new log reuses offsets 0, 1, 2, ...; a poison message at an offset where the old log
    // had left a dead letter hit that row's key and was dropped, neither recorded nor published (found by
    // `npm start` on a fresh broker over a kept database: 3 600 sent, 3 552 stored, 15 dead letters).
    const { pool, producer, topic, group, kafka } = fx;
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    // What the old log left: dead letters on every partition over the offsets the new poison will take,
    // half of them never published; and stored offsets past the end of the log, as after a recreation.
    for (const { partition, high } of ends) {
      await pool.query(
        `INSERT INTO dead_letters (consumer_group, topic, partition, "offset", error_code, error_message,
                                   message_value, published_at)
         SELECT $1, $2, $3, o, 'OLD_LOG', 'from the previous log', 'old'::bytea,
                CASE WHEN o % 2 = 0 THEN now() END
           FROM generate_series($4::bigint, $4::bigint + 19) AS o`,
        [group, topic, partition, Number(high)],
      );
    }
    await pool.query(
      'UPDATE consumer_offsets SET next_offset = 100000 WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    const poison = ends.flatMap(({ partition }) =>
      [1, 2, 3].map((i) => ({ key: `bad-${partition}-${i}`, value: `{"not json ${i}`, partition })),
    );
    await producer.send({ topic, messages: poison });

    const newLetters = async () =>
      (
        await pool.query<{ n: string; published: string }>(
          `SELECT count(*)::text AS n, count(published_at)::text AS published FROM dead_letters
            WHERE consumer_group = $1 AND topic = $2 AND error_code <> 'OLD_LOG'`,
          [group, topic],
        )
      ).rows[0];
    await waitFor(
      'every new poison message recorded and published',
      async () => {
        const r = await newLetters();
        return Number(r?.published) >= poison.length ? true : undefined;
      },
      60_000,
    );
    expect(await newLetters()).toEqual({ n: String(poison.length), published: String(poison.length) });
    // The old log's rows are kept beside them, and the unpublished ones were not published as new.
    const { rows: old } = await pool.query<{ n: string; published: string; left: string }>(
      `SELECT count(*)::text AS n, count(published_at)::text AS published,
              (SELECT count(*) FROM dead_letters WHERE error_code = 'OLD_LOG')::text AS left
         FROM dead_letters_superseded WHERE consumer_group = $1 AND topic = $2`,
      [group, topic],
    );
    expect(old[0]).toEqual({ n: String(20 * ends.length), published: String(10 * ends.length), left: '0' });
  });
});

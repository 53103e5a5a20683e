import { createHash, randomUUID } from 'node:crypto';
import { readings, publish, type WireEvent } from '../support/events';
import { waitFor } from '../support/infra';
import { aggregateMismatches } from '../support/invariants';
import { appliedRecords } from '../support/pipeline';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

/**
 * Hostile input at the broker (issue 8, scenario 8): every kind of bad message goes where the documented
 * policy says (stored, flagged or one dead letter with its headers), the partition it arrives on keeps
 * flowing, the other partitions are never held up, and the processor stays ready.
 */
describe('hostile input at the broker (real Kafka and PostgreSQL)', () => {
  let fx: ProcessorFixture;
  let opsPort = 0;

  const now = Date.now();
  const good = (over: Partial<Record<keyof WireEvent | string, unknown>> = {}): Record<string, unknown> => ({
    event_id: randomUUID(),
    device_id: 'hostile-dev',
    site_id: 'site-h',
    zone_id: 'zone-h',
    sensor_type: 'co2',
    value: 600,
    ts_event: new Date(now - 3600_000).toISOString(),
    ...over,
  });
  const json = (o: unknown): string => JSON.stringify(o);

  /** Each case: the bytes sent (null = tombstone) and where the policy sends them. */
  type Outcome = { stored: true; lateness?: string } | { deadLetter: string };
  interface Case {
    name: string;
    value: string | Buffer | null;
    expect: Outcome;
    eventId?: string;
  }
  const cases: Case[] = [];
  const add = (name: string, value: Case['value'], expect: Outcome, eventId?: string) =>
    cases.push({ name, value, expect, ...(eventId ? { eventId } : {}) });
  const addEvent = (name: string, event: Record<string, unknown>, expect: Outcome) =>
    add(name, json(event), expect, String(event['event_id']));

  add('truncated JSON', '{"event_id":', { deadLetter: 'INVALID_JSON' });
  add('not JSON at all', 'DROP TABLE raw_events; --', { deadLetter: 'INVALID_JSON' });
  add('a JSON array', '[1,2,3]', { deadLetter: 'SCHEMA_VIOLATION' });
  add('JSON null', 'null', { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('value as a string', good({ value: '600' }), { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('value as a boolean', good({ value: true }), { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('sensor_type as a number', good({ sensor_type: 5 }), { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('event_id not a UUID', good({ event_id: "1' OR '1'='1" }), { deadLetter: 'SCHEMA_VIOLATION' });
  add('Infinity via 1e999', json(good()).replace('"value":600', '"value":1e999'), {
    deadLetter: 'SCHEMA_VIOLATION',
  });
  add('NaN literal', json(good()).replace('"value":600', '"value":NaN'), { deadLetter: 'INVALID_JSON' });
  add('oversized (20 KiB)', json(good({ padding: 'x'.repeat(20 * 1024) })), {
    deadLetter: 'MESSAGE_TOO_LARGE',
  });
  addEvent('NUL in device_id', good({ device_id: 'dev\u0000x' }), { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('NUL in unit', good({ unit: 'ppm\u0000' }), { deadLetter: 'SCHEMA_VIOLATION' });
  add(
    'raw NUL byte inside a string',
    Buffer.from(json(good()).replace('hostile-dev', 'hostile\u0000dev'), 'latin1'),
    {
      deadLetter: 'INVALID_JSON',
    },
  );
  // Zero bytes and control characters outside strings: JSON.parse quotes them in its error text, which once
  // went to dead_letters.error_message and made PostgreSQL refuse the whole batch, forever (issue 14).
  const event = json(good());
  add('NUL before the JSON', Buffer.from(`\u0000${event}`), { deadLetter: 'INVALID_JSON' });
  add('NUL between tokens', Buffer.from(event.replace('"value":', '"value":\u0000')), {
    deadLetter: 'INVALID_JSON',
  });
  add('NUL after the JSON', Buffer.from(`${event}\u0000`), { deadLetter: 'INVALID_JSON' });
  add(
    'Confluent framing (0x00, 4-byte schema id, JSON)',
    Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from(event)]),
    {
      deadLetter: 'INVALID_JSON',
    },
  );
  add(
    'Confluent framing with an Avro body',
    Buffer.from([0, 0, 0, 0, 7, 0x14, 0x64, 0x65, 0x76, 0x2d, 0x31, 0, 0, 0, 0x80, 0x3f]),
    {
      deadLetter: 'INVALID_JSON',
    },
  );
  add(
    'Apicurio framing (0x00, 8-byte global id, JSON)',
    Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 9]), Buffer.from(event)]),
    {
      deadLetter: 'INVALID_JSON',
    },
  );
  add(
    'invalid UTF-8 in device_id',
    Buffer.concat([
      Buffer.from(event.slice(0, event.indexOf('hostile-dev') + 7)),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(event.slice(event.indexOf('hostile-dev') + 7)),
    ]),
    {
      deadLetter: 'INVALID_JSON',
    },
  );
  add('latin-1 text (not UTF-8)', Buffer.from(json(good({ device_id: 'büro-1' })), 'latin1'), {
    deadLetter: 'INVALID_JSON',
  });
  add('a 900 KB value', Buffer.alloc(900 * 1024, 'x'), { deadLetter: 'MESSAGE_TOO_LARGE' });
  // JSON.parse keeps a lone surrogate; it reaches PostgreSQL as U+FFFD, never as invalid UTF-8.
  addEvent('lone surrogate in device_id', good({ device_id: 'dev-\ud800' }), { stored: true });
  addEvent('NUL in an unknown field (ignored)', good({ note: 'a\u0000b' }), { stored: true });
  add('__proto__ key', json(good()).replace('{', '{"__proto__":{"value":9999,"polluted":true},'), {
    stored: true,
  });
  addEvent('constructor key', good({ constructor: { prototype: { polluted: true } } }), { stored: true });
  add('empty value', '', { deadLetter: 'EMPTY_MESSAGE' });
  add('tombstone (null value)', null, { deadLetter: 'EMPTY_MESSAGE' });
  addEvent('timestamp in 1970', good({ ts_event: '1970-01-01T00:00:00Z' }), {
    deadLetter: 'SCHEMA_VIOLATION',
  });
  addEvent('timestamp in 2150', good({ ts_event: '2150-01-01T00:00:00Z' }), {
    deadLetter: 'SCHEMA_VIOLATION',
  });
  addEvent('one day in the future', good({ ts_event: new Date(now + 86_400_000).toISOString() }), {
    deadLetter: 'FUTURE_EVENT_TIME',
  });
  addEvent('epoch seconds', good({ ts_event: Math.floor((now - 3600_000) / 1000) }), {
    deadLetter: 'SCHEMA_VIOLATION',
  });
  addEvent('epoch milliseconds', good({ ts_event: now - 3600_000 }), { stored: true });
  addEvent(
    'two days old (too late: stored, flagged)',
    good({ ts_event: new Date(now - 2 * 86_400_000).toISOString() }),
    {
      stored: true,
      lateness: 'too_late',
    },
  );
  addEvent(
    'offset-less ISO (Python original)',
    good({ ts_event: new Date(now - 3600_000).toISOString().replace('Z', '') }),
    {
      stored: true,
    },
  );
  addEvent('huge number', good({ value: 1e308 }), { deadLetter: 'SCHEMA_VIOLATION' });
  addEvent('negative zero', good({ sensor_type: 'occupancy', value: -0 }), { stored: true });

  const deadLetters = cases.filter((c) => 'deadLetter' in c.expect).length;
  const flowing = readings(3_000, 24, now - 2 * 3600_000);

  beforeAll(async () => {
    fx = await openProcessorFixture({ prefix: 'hostile', partitions: 3 });
    ({ opsPort } = await fx.startProcessor());
  });

  afterAll(() => fx?.close());

  it('routes every hostile message by policy while the other partitions keep flowing', async () => {
    const { kafka, pool, producer, topic, dlqTopic, group } = fx;
    // Hostile messages all on partition 0, interleaved with healthy traffic on every partition.
    const half = flowing.length / 2;
    await publish(producer, topic, flowing.slice(0, half), 500);
    await producer.send({
      topic,
      messages: cases.map((c) => ({ partition: 0, key: 'hostile', value: c.value })),
    });
    await publish(producer, topic, flowing.slice(half), 500);
    const total = flowing.length + cases.length;

    await waitFor(
      `all ${total} records applied`,
      async () => ((await appliedRecords(pool, group, topic)) >= total ? true : undefined),
      120_000,
    );

    // Healthy readings: every one stored, whatever partition it was on.
    const stored = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events WHERE event_id = ANY($1::uuid[])',
      [flowing.map((e) => e.event_id)],
    );
    expect(stored.rows[0]?.n).toBe(flowing.length);

    // Each case where its policy says.
    const letters = await pool.query<{ offset: string; error_code: string; message_value: Buffer | null }>(
      `SELECT "offset"::text, error_code, message_value FROM dead_letters WHERE topic = $1 ORDER BY "offset"`,
      [topic],
    );
    expect(letters.rows.map((r) => r.error_code)).toEqual(
      cases.flatMap((c) => ('deadLetter' in c.expect ? [c.expect.deadLetter] : [])),
    );
    // The dead letter keeps the original bytes (a tombstone and an empty message have none). Compared
    // by digest, so a failure names the case instead of printing 20 KiB.
    const digest = (b: Buffer | string | null) =>
      b === null || b.length === 0 ? null : createHash('sha256').update(b).digest('hex').slice(0, 16);
    const letterCases = cases.filter((c) => 'deadLetter' in c.expect);
    expect(letters.rows.map((r, i) => [letterCases[i]?.name, digest(r.message_value)])).toEqual(
      letterCases.map((c) => [c.name, digest(c.value)]),
    );

    // Every error text was stored, printable (the bytes it quotes escaped), and says what is wrong.
    const messages = await pool.query<{ error_message: string }>(
      `SELECT error_message FROM dead_letters WHERE topic = $1 ORDER BY "offset"`,
      [topic],
    );
    const byCase = new Map(letterCases.map((c, i) => [c.name, messages.rows[i]?.error_message ?? '']));
    // eslint-disable-next-line no-control-regex
    expect([...byCase].filter(([, message]) => /[\u0000-\u001f]/.test(message))).toEqual([]);
    expect(byCase.get('Confluent framing (0x00, 4-byte schema id, JSON)')).toMatch(/schema-registry framing/);
    expect(byCase.get('NUL between tokens')).toContain('\\u0000');
    expect(byCase.get('invalid UTF-8 in device_id')).toMatch(/not valid UTF-8: byte \d+ \(ff fe/);

    for (const c of cases.filter((x) => 'stored' in x.expect)) {
      const id = c.eventId ?? (JSON.parse(String(c.value)) as { event_id: string }).event_id;
      const row = await pool.query<{ value: number; lateness: string; device_id: string }>(
        'SELECT value, lateness, device_id FROM raw_events WHERE event_id = $1',
        [id],
      );
      expect({ case: c.name, rows: row.rowCount }).toEqual({ case: c.name, rows: 1 });
      const expected = c.expect as { lateness?: string };
      expect({ case: c.name, lateness: row.rows[0]?.lateness }).toEqual({
        case: c.name,
        lateness: expected.lateness ?? 'on_time',
      });
      if (c.name === '__proto__ key') expect(row.rows[0]?.value).toBe(600);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await aggregateMismatches(pool)).toEqual([]);

    // Exactly one record per dead letter on the DLQ topic.
    const offsets = await kafka.admin();
    await offsets.connect();
    const dlqEnd = await offsets.fetchTopicOffsets(dlqTopic);
    await offsets.disconnect();
    expect(dlqEnd.reduce((n, p) => n + Number(p.high), 0)).toBe(deadLetters);

    // Still ready: no crash, no stuck partition.
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});

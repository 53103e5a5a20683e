import {
  legacyAlertType,
  parseNdjson,
  prepareReading,
  pythonFloat,
  pythonJson,
  pythonTime,
} from '@telemetry-pulse/api';

describe("the original's JSON (what Python and FastAPI wrote)", () => {
  // The right-hand sides are what CPython 3 printed: json.dumps([...]) and repr(float).
  it.each([
    [450, '450.0'],
    [22.5, '22.5'],
    [1e-5, '1e-05'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [1.5e-7, '1.5e-07'],
    [100000, '100000.0'],
    [-17.25, '-17.25'],
    [1.2e100, '1.2e+100'],
  ])('writes the float %p as %s', (x, text) => {
    expect(pythonFloat(x)).toBe(text);
  });

  it('refuses NaN and infinities, as FastAPI does', () => {
    expect(() => pythonFloat(Number.NaN)).toThrow(RangeError);
    expect(() => pythonFloat(Infinity)).toThrow(RangeError);
  });

  it('writes instants as isoformat() (+00:00) or as pydantic v2 (Z), microseconds only when set', () => {
    expect(pythonTime('2026-01-01T09:15:00.000Z', 'isoformat')).toBe('2026-01-01T09:15:00+00:00');
    expect(pythonTime('2026-01-01T09:15:00.500Z', 'isoformat')).toBe('2026-01-01T09:15:00.500000+00:00');
    expect(pythonTime('2026-01-01T09:15:00.000Z', 'pydantic')).toBe('2026-01-01T09:15:00Z');
    expect(pythonTime('2026-01-01T09:15:00.007Z', 'pydantic')).toBe('2026-01-01T09:15:00.007000Z');
  });

  it('writes compact JSON with float fields as floats and the rest as given, keys in order', () => {
    const shape = { floats: new Set(['avg', 'max']) };
    expect(pythonJson([{ site_id: 's"1', avg: 450, max: 1e-5, count: 3, at: null }], shape)).toBe(
      '[{"site_id":"s\\"1","avg":450.0,"max":1e-05,"count":3,"at":null}]',
    );
    expect(() => pythonJson({ count: 1.5 }, shape)).toThrow(/integer/);
  });

  it('names alert types as the original (CO2_HIGH) from the value and the threshold it crossed', () => {
    const base = { rule_id: 'temperature-comfort', sensor_type: 'temperature' };
    expect(legacyAlertType({ ...base, trigger_value: 27, threshold: 26 })).toBe('TEMPERATURE_HIGH');
    expect(legacyAlertType({ ...base, trigger_value: 17, threshold: 18 })).toBe('TEMPERATURE_LOW');
    expect(
      legacyAlertType({
        rule_id: 'device-silent',
        sensor_type: 'device',
        trigger_value: null,
        threshold: null,
      }),
    ).toBe('DEVICE_SILENT');
  });
});

describe('readings over HTTP', () => {
  const NOW = Date.parse('2026-11-27T09:15:00Z');
  const rules = { nowMs: NOW, maxFutureSkewMs: 600_000, newId: () => '3f2b8c1e-9a4d-4c6e-8f00-1a2b3c4d5e6f' };
  const reading = { device_id: 'd-1', site_id: 's-1', zone_id: 'z-1', sensor_type: 'co2', value: 612.5 };

  it('assigns event_id and ts_event (now) when absent, as the original did, and writes wire format v1', () => {
    const r = prepareReading(reading, rules);
    expect(r.ok && JSON.parse(r.value)).toEqual({
      ...reading,
      event_id: '3f2b8c1e-9a4d-4c6e-8f00-1a2b3c4d5e6f',
      ts_event: '2026-11-27T09:15:00.000Z',
      schema_version: 1,
    });
  });

  it('refuses what the processor would dead-letter, naming every field', () => {
    const r = prepareReading({ ...reading, value: 20_000, event_id: 'x' }, rules);
    expect(r).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
    expect(!r.ok && r.reason).toBe('event_id: must be a UUID');
    expect(prepareReading([reading], rules)).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
    expect(prepareReading({ ...reading, ts_event: NOW + 600_001 }, rules)).toMatchObject({
      ok: false,
      code: 'FUTURE_EVENT_TIME',
    });
    expect(prepareReading({ ...reading, ts_event: NOW + 600_000 }, rules).ok).toBe(true);
  });

  it('keeps a site-limited key to its sites', () => {
    expect(prepareReading(reading, { ...rules, sites: new Set(['s-2']) })).toMatchObject({
      ok: false,
      code: 'SITE_NOT_ALLOWED',
    });
    expect(prepareReading(reading, { ...rules, sites: new Set(['s-1']) }).ok).toBe(true);
  });

  it('splits NDJSON into items, refusing a broken or oversized line on its own', () => {
    const lines = parseNdjson(`{"a":1}\n\n  not json\r\n{"b":2}\n${'x'.repeat(17_000)}\n`);
    expect(lines.map((l) => [l.index, l.item ?? l.refusal?.code])).toEqual([
      [0, { a: 1 }],
      [1, 'INVALID_JSON'],
      [2, { b: 2 }],
      [3, 'MESSAGE_TOO_LARGE'],
    ]);
  });
});

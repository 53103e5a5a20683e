import {
  alignDownMs,
  consumerLag,
  deviceStatus,
  sseComment,
  sseEvent,
  zoneChanges,
} from '@telemetry-pulse/api';

describe('device status', () => {
  it('is silent only when more than the threshold behind the newest device of its site', () => {
    expect(deviceStatus(1_000_000, 1_000_000 + 300_000, 300_000)).toBe('online');
    expect(deviceStatus(1_000_000, 1_000_000 + 300_001, 300_000)).toBe('silent');
  });
});

describe('consumer lag', () => {
  it('is the high watermark minus the next applied offset, never negative, sorted by partition', () => {
    const lag = consumerLag(
      [
        { partition: 2, high: 100, low: 0 },
        { partition: 0, high: 50, low: 0 },
        { partition: 1, high: 70, low: 20 },
        { partition: 3, high: 10, low: 0 },
      ],
      new Map([
        [0, 40],
        [1, -1], // nothing applied yet: everything retained is lag
        [3, 12], // ahead of a stale watermark: zero, not negative
      ]),
    );
    expect(lag).toEqual([
      { partition: 0, lag: 10 },
      { partition: 1, lag: 50 },
      { partition: 2, lag: 100 },
      { partition: 3, lag: 0 },
    ]);
  });
});

describe('bucket alignment', () => {
  it('aligns to the epoch (UTC days for 1d)', () => {
    const t = Date.UTC(2026, 10, 27, 13, 47, 12, 345);
    expect(alignDownMs(t, 300)).toBe(Date.UTC(2026, 10, 27, 13, 45));
    expect(alignDownMs(t, 3600)).toBe(Date.UTC(2026, 10, 27, 13));
    expect(alignDownMs(t, 86_400)).toBe(Date.UTC(2026, 10, 27));
  });
});

describe('SSE framing', () => {
  it('writes one data line of JSON, even for strings with newlines', () => {
    expect(sseEvent('alert', { message: 'a\nb' })).toBe('event: alert\ndata: {"message":"a\\nb"}\n\n');
  });

  it('keeps comments on one line', () => {
    expect(sseComment('heart\nbeat')).toBe(': heart beat\n\n');
  });
});

describe('zone changes', () => {
  const row = (zone: string, windowStart: string, count: number, updated: string) => ({
    site_id: 's',
    zone_id: zone,
    sensor_type: 'co2',
    window_start: windowStart,
    count,
    updated_at: updated,
  });

  it('sends new and changed rows once, and ignores late revisions of older windows', () => {
    const first = zoneChanges(new Map(), [row('a', '2026-01-01T10:00:00.000Z', 5, 't1')]);
    expect(first.changed).toHaveLength(1);
    const again = zoneChanges(first.sent, [row('a', '2026-01-01T10:00:00.000Z', 5, 't1')]);
    expect(again.changed).toEqual([]);
    const grown = zoneChanges(again.sent, [
      row('a', '2026-01-01T10:00:00.000Z', 6, 't2'),
      row('b', '2026-01-01T10:00:00.000Z', 1, 't2'),
    ]);
    expect(grown.changed.map((r) => r.zone_id)).toEqual(['a', 'b']);
    const older = zoneChanges(grown.sent, [row('a', '2026-01-01T09:55:00.000Z', 9, 't3')]);
    expect(older.changed).toEqual([]);
    const next = zoneChanges(older.sent, [row('a', '2026-01-01T10:05:00.000Z', 1, 't4')]);
    expect(next.changed).toHaveLength(1);
  });
});

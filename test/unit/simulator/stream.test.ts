import { parseEvent } from '@telemetry-pulse/shared/core';
import {
  createMessageStream,
  episodeStartProbability,
  NO_FAULTS,
  type SimMessage,
} from '@telemetry-pulse/simulator';
import { backfillStream, share, SMALL_FLEET, take, WEDNESDAY_MIDNIGHT } from './helpers';

/** Messages as comparable text (jest compares Buffers byte by byte, slowly). */
const text = (messages: readonly SimMessage[]): string[] =>
  messages.map((m) => `${m.kind} ${m.key} ${m.value.toString()}`);

const DAY = 86_400_000;

describe('message stream determinism', () => {
  const run = (seed: number) =>
    take(
      backfillStream({
        seed,
        spanMs: DAY,
        intervalMs: 60_000,
        faults: { anomaly: 0.05, duplicate: 0.02, late: 0.02, outOfOrder: 0.02, malformed: 0.02 },
      }),
      20_000,
    );

  it('replays a backfill byte for byte from the same seed and end instant', () => {
    expect(text(run(123))).toEqual(text(run(123)));
  });

  it('differs with another seed', () => {
    const a = run(123);
    const b = run(124);
    expect(a.filter((m, i) => b[i]?.value.equals(m.value)).length).toBe(0);
  });

  it('replays a live run given the same clock readings', () => {
    const live = () => {
      let now = WEDNESDAY_MIDNIGHT + 9 * 3_600_000;
      const stream = createMessageStream({
        seed: 5,
        fleet: SMALL_FLEET,
        faults: NO_FAULTS,
        timeline: { mode: 'live', now: () => (now += 37) },
      });
      return take(stream, 5_000);
    };
    expect(text(live())).toEqual(text(live()));
  });

  it('names devices after where they are, and keys every message by its device id', () => {
    const stream = backfillStream({ spanMs: 3_600_000, intervalMs: 60_000, faults: { malformed: 0.2 } });
    expect(stream.devices.map((d) => d.deviceId).slice(0, 3)).toEqual([
      'site-01-zone-01-dev-01',
      'site-01-zone-01-dev-02',
      'site-01-zone-02-dev-01',
    ]);
    const ids = new Set(stream.devices.map((d) => d.deviceId));
    for (const m of take(stream)) {
      expect(ids.has(m.key)).toBe(true);
      const parsed = parseEvent(m.value);
      if (parsed.ok) expect(parsed.event.deviceId).toBe(m.key);
    }
  });

  it('ends a backfill after its span, with one report per device per interval', () => {
    const stream = backfillStream({ spanMs: 3_600_000, intervalMs: 60_000 });
    const messages = take(stream);
    expect(stream.next()).toBeUndefined();
    expect(stream.reports()).toBe(60 * 12);
    expect(messages.length).toBe(60 * 12 * 4);
    const times = messages.map((m) =>
      Date.parse((JSON.parse(m.value.toString()) as { ts_event: string }).ts_event),
    );
    expect(Math.min(...times)).toBeGreaterThanOrEqual(WEDNESDAY_MIDNIGHT - 3_600_000);
    expect(Math.max(...times)).toBeLessThan(WEDNESDAY_MIDNIGHT);
  });
});

describe('fault injection', () => {
  const N = 60_000;
  const withFaults = (faults: Parameters<typeof backfillStream>[0]['faults'], n = N) =>
    take(backfillStream({ spanMs: 7 * DAY, intervalMs: 60_000, faults }), n);

  it('sends only valid messages when every rate is 0', () => {
    const messages = withFaults({}, 30_000);
    expect(share(messages, 'valid')).toBe(1);
    expect(messages.every((m) => parseEvent(m.value).ok)).toBe(true);
  });

  it.each([
    ['malformed', { malformed: 0.05 }, 0.05],
    ['duplicate', { duplicate: 0.03 }, 0.03],
    ['late', { late: 0.02 }, 0.02],
    ['out_of_order', { outOfOrder: 0.1 }, 0.1],
  ] as const)('gives %s messages their configured share', (kind, faults, rate) => {
    const messages = withFaults(faults);
    // Binomial standard deviation at N = 60 000 is under 0.0013 for these rates; 0.005 is four of them.
    expect(Math.abs(share(messages, kind) - rate)).toBeLessThan(0.005);
  });

  it('keeps every share when all faults are on together', () => {
    const rates = { malformed: 0.02, duplicate: 0.03, late: 0.04, outOfOrder: 0.05 };
    const messages = withFaults(rates);
    expect(Math.abs(share(messages, 'malformed') - rates.malformed)).toBeLessThan(0.005);
    expect(Math.abs(share(messages, 'duplicate') - rates.duplicate)).toBeLessThan(0.005);
    expect(Math.abs(share(messages, 'late') - rates.late)).toBeLessThan(0.005);
    expect(Math.abs(share(messages, 'out_of_order') - rates.outOfOrder)).toBeLessThan(0.005);
  });

  it('makes malformed messages that parseEvent refuses, and only those', () => {
    const messages = withFaults(
      { malformed: 0.1, duplicate: 0.05, late: 0.05, outOfOrder: 0.05, anomaly: 0.1 },
      30_000,
    );
    const codes = new Map<string, number>();
    for (const m of messages) {
      const parsed = parseEvent(m.value);
      expect(parsed.ok).toBe(m.kind !== 'malformed');
      if (!parsed.ok) codes.set(parsed.code, (codes.get(parsed.code) ?? 0) + 1);
    }
    // Both broken JSON and schema violations (wrong types, out of range, missing fields) occur.
    expect(codes.get('INVALID_JSON')).toBeGreaterThan(500);
    expect(codes.get('SCHEMA_VIOLATION')).toBeGreaterThan(3 * 500);
  });

  it('resends duplicates with the event_id and bytes of a recent message', () => {
    const messages = withFaults({ duplicate: 0.05 }, 30_000);
    const seen = new Map<string, number>();
    messages.forEach((m, i) => {
      const text = m.value.toString();
      if (m.kind === 'duplicate') {
        const original = seen.get(text);
        expect(original).toBeDefined();
        expect(i - (original ?? 0)).toBeLessThan(2_000);
      } else {
        expect(seen.has(text)).toBe(false);
        seen.set(text, i);
      }
    });
  });

  it('stamps late messages 2–30 minutes and out-of-order ones 1–30 seconds behind their report', () => {
    // One device reporting hourly: its reports sit on an hourly grid, so the report a shifted message
    // belongs to is the next grid point at or after its timestamp.
    const hour = 3_600_000;
    const stream = backfillStream({
      fleet: { sites: 1, zonesPerSite: 1, devicesPerZone: 1 },
      spanMs: 200 * DAY,
      intervalMs: hour,
      faults: { late: 0.1, outOfOrder: 0.1 },
    });
    const messages = take(stream);
    const tsOf = (value: Buffer | undefined): number =>
      Date.parse((JSON.parse(String(value)) as { ts_event: string }).ts_event);
    const gridPhase = tsOf(messages.find((m) => m.kind === 'valid')?.value) % hour;
    const lag = (ts: number): number => {
      const k = Math.ceil((ts - gridPhase) / hour);
      return k * hour + gridPhase - ts;
    };
    const lags = (kind: string): number[] =>
      messages.filter((m) => m.kind === kind).map((m) => lag(tsOf(m.value)));
    expect(lags('valid').every((l) => l === 0)).toBe(true);
    const late = lags('late');
    const outOfOrder = lags('out_of_order');
    expect(late.length).toBeGreaterThan(1_000);
    expect(outOfOrder.length).toBeGreaterThan(1_000);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(2 * 60_000);
    expect(Math.max(...late)).toBeLessThanOrEqual(30 * 60_000);
    expect(Math.min(...outOfOrder)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...outOfOrder)).toBeLessThanOrEqual(30_000);
  });

  it('keeps the share of device reports inside an anomaly near --anomaly-rate', () => {
    const stream = backfillStream({ spanMs: 60 * DAY, intervalMs: 600_000, faults: { anomaly: 0.05 } });
    const messages = take(stream);
    const counts = stream.counts();
    // Spikes and stuck sensors alter one reading per report; a silent device withholds all four.
    const anomalousReports = counts.anomaly + counts.silenced / 4;
    expect(Math.abs(anomalousReports / stream.reports() - 0.05)).toBeLessThan(0.015);
    expect(messages.filter((m) => m.kind === 'anomaly').every((m) => parseEvent(m.value).ok)).toBe(true);
  });

  it('spikes CO2 far above what the room explains', () => {
    const messages = take(
      backfillStream({ spanMs: 30 * DAY, intervalMs: 600_000, faults: { anomaly: 0.2 }, fleet: SMALL_FLEET }),
    );
    const co2 = messages
      .filter((m) => m.kind === 'anomaly')
      .map((m) => JSON.parse(m.value.toString()) as { sensor_type: string; value: number })
      .filter((e) => e.sensor_type === 'co2');
    expect(Math.max(...co2.map((e) => e.value))).toBeGreaterThan(2_500);
  });

  it('solves the episode start probability for the target share', () => {
    expect(episodeStartProbability(0)).toBe(0);
    expect(episodeStartProbability(1)).toBe(1);
    expect(episodeStartProbability(0.01)).toBeGreaterThan(0);
    expect(episodeStartProbability(0.01)).toBeLessThan(0.001);
  });
});

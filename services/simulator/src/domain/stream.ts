import {
  SENSOR_RANGES,
  SENSOR_TYPES,
  type SensorType,
  type TelemetryEvent,
} from '@telemetry-pulse/shared/core';
import { applyEpisode, episodeStartProbability, maybeStartEpisode, type AnomalyEpisode } from './anomaly';
import { createEventEncoder } from './encode';
import { buildFleet, type Device, type FleetShape } from './fleet';
import { MALFORMED_VARIANTS, malformMessage } from './malformed';
import { createRandom } from './random';
import { advanceSignals, initialSignals, readSensors, type SignalState } from './signals';
import type { Timeline } from './timeline';

/** Share of messages (or, for anomalies, of device reports) carrying each injected fault, 0..1. */
export interface FaultRates {
  readonly anomaly: number;
  readonly duplicate: number;
  readonly late: number;
  readonly outOfOrder: number;
  readonly malformed: number;
}

export const NO_FAULTS: FaultRates = { anomaly: 0, duplicate: 0, late: 0, outOfOrder: 0, malformed: 0 };

/** Why a message was sent, for accounting; only `malformed` messages fail `parseEvent`. */
export type MessageKind = 'valid' | 'anomaly' | 'duplicate' | 'late' | 'out_of_order' | 'malformed';
export const MESSAGE_KINDS: readonly MessageKind[] = [
  'valid',
  'anomaly',
  'duplicate',
  'late',
  'out_of_order',
  'malformed',
];

/** One outbound message: `key` is the device id (the partition key), `value` the wire bytes (UTF-8 JSON). */
export interface SimMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly kind: MessageKind;
  /** The reading's sensor (a malformed message's too), for metrics without parsing `value`. */
  readonly sensorType: SensorType;
}

/** Messages produced so far by kind, plus readings withheld by silent devices. */
export type StreamCounts = Record<MessageKind, number> & { silenced: number };

export interface MessageStream {
  /** The next message, or `undefined` once a backfill has covered its whole span. */
  next(): SimMessage | undefined;
  readonly devices: readonly Device[];
  /** Device reports taken so far (a report is one device's four readings at one instant). */
  reports(): number;
  counts(): StreamCounts;
}

export interface StreamOptions {
  readonly seed: number;
  readonly fleet: FleetShape;
  readonly faults: FaultRates;
  readonly timeline: Timeline;
}

// Module constants, not the shared package's re-exported bindings: those are getters, read per event.
const SENSORS: readonly SensorType[] = [...SENSOR_TYPES];
const UNITS: Readonly<Record<SensorType, string>> = {
  co2: SENSOR_RANGES.co2.unit,
  temperature: SENSOR_RANGES.temperature.unit,
  humidity: SENSOR_RANGES.humidity.unit,
  occupancy: SENSOR_RANGES.occupancy.unit,
};

// How far injected faults move event time: late events are minutes behind, out-of-order ones seconds.
const LATE_MS: readonly [number, number] = [2 * 60_000, 30 * 60_000];
const OUT_OF_ORDER_MS: readonly [number, number] = [1_000, 30_000];
// Duplicates resend one of the last few hundred messages, as a device retrying after a lost ack does.
const DUPLICATE_WINDOW = 256;

interface DeviceState {
  signals: SignalState | undefined;
  episode: AnomalyEpisode | undefined;
}

/**
 * The fleet as an endless (live) or finite (backfill) sequence of messages. Deterministic: the same
 * options, and for live runs the same clock readings, give the same messages byte for byte.
 *
 * Each message slot draws once: malformed, duplicate, late and out-of-order take their rates' shares of
 * the stream and the rest are fresh readings (`valid`, or `anomaly` inside an anomaly episode).
 */
export function createMessageStream(opts: StreamOptions): MessageStream {
  const random = createRandom(opts.seed);
  const devices = buildFleet(opts.fleet, random);
  const states: DeviceState[] = devices.map(() => ({ signals: undefined, episode: undefined }));
  const { timeline, faults } = opts;
  const startProbability = episodeStartProbability(faults.anomaly);
  const cut = {
    malformed: faults.malformed,
    duplicate: faults.malformed + faults.duplicate,
    late: faults.malformed + faults.duplicate + faults.late,
    outOfOrder: faults.malformed + faults.duplicate + faults.late + faults.outOfOrder,
  };
  const counts: StreamCounts = {
    valid: 0,
    anomaly: 0,
    duplicate: 0,
    late: 0,
    out_of_order: 0,
    malformed: 0,
    silenced: 0,
  };
  const recent: SimMessage[] = [];
  let recentNext = 0;
  const encoder = createEventEncoder();
  // The readings of the current device report, and which of them (if any) an anomaly episode altered.
  const pending: TelemetryEvent[] = [];
  let pendingIndex = 0;
  let pendingAnomalous: SensorType | undefined;
  let tick = 0;
  let deviceIndex = 0;
  let reportCount = 0;
  let exhausted = false;

  /** Takes the next device report into `pending`; false once a backfill is over. */
  function report(): boolean {
    if (deviceIndex === devices.length) {
      deviceIndex = 0;
      tick++;
    }
    const i = deviceIndex++;
    const device = devices[i] as Device;
    const state = states[i] as DeviceState;
    let tsMs: number;
    if (timeline.mode === 'live') {
      tsMs = timeline.now();
    } else {
      tsMs = Math.floor(timeline.fromMs + (tick + device.phase) * timeline.intervalMs);
      if (timeline.fromMs + tick * timeline.intervalMs >= timeline.toMs) return false;
    }
    reportCount++;
    state.signals = state.signals
      ? advanceSignals(device, state.signals, tsMs, random)
      : initialSignals(device, tsMs, random);
    let readings: ReturnType<typeof readSensors> | undefined = readSensors(state.signals, random);
    pendingAnomalous = undefined;
    state.episode ??= maybeStartEpisode(startProbability, random);
    if (state.episode) {
      const applied = applyEpisode(state.episode, readings);
      readings = applied.readings;
      pendingAnomalous = applied.anomalous;
      state.episode = applied.next;
    }
    pending.length = 0;
    pendingIndex = 0;
    if (!readings) {
      counts.silenced += SENSORS.length;
      return true;
    }
    for (const sensorType of SENSORS) {
      pending.push({
        eventId: random.uuid(),
        deviceId: device.deviceId,
        siteId: device.siteId,
        zoneId: device.zoneId,
        sensorType,
        value: readings[sensorType],
        tsEventMs: tsMs,
        unit: UNITS[sensorType],
      });
    }
    return true;
  }

  function nextReading(): TelemetryEvent | undefined {
    while (pendingIndex === pending.length) {
      if (exhausted || !report()) {
        exhausted = true;
        return undefined;
      }
    }
    return pending[pendingIndex++];
  }

  function emit(key: string, value: Buffer, kind: MessageKind, sensorType: SensorType): SimMessage {
    counts[kind]++;
    const message = { key, value, kind, sensorType };
    if (kind !== 'malformed' && kind !== 'duplicate') {
      if (recent.length < DUPLICATE_WINDOW) recent.push(message);
      else recent[recentNext] = message;
      recentNext = (recentNext + 1) % DUPLICATE_WINDOW;
    }
    return message;
  }

  function shifted(event: TelemetryEvent, [lo, hi]: readonly [number, number]): TelemetryEvent {
    return { ...event, tsEventMs: event.tsEventMs - Math.round(random.between(lo, hi)) };
  }

  function next(): SimMessage | undefined {
    const u = random.next();
    if (u >= cut.malformed && u < cut.duplicate && recent.length > 0 && !exhausted) {
      const original = random.pick(recent);
      return emit(original.key, original.value, 'duplicate', original.sensorType);
    }
    const event = nextReading();
    if (!event) return undefined;
    if (u < cut.malformed) {
      return emit(
        event.deviceId,
        Buffer.from(malformMessage(event, random.pick(MALFORMED_VARIANTS), random)),
        'malformed',
        event.sensorType,
      );
    }
    if (u >= cut.duplicate && u < cut.late) {
      return emit(event.deviceId, encoder.encode(shifted(event, LATE_MS)), 'late', event.sensorType);
    }
    if (u >= cut.late && u < cut.outOfOrder) {
      return emit(
        event.deviceId,
        encoder.encode(shifted(event, OUT_OF_ORDER_MS)),
        'out_of_order',
        event.sensorType,
      );
    }
    return emit(
      event.deviceId,
      encoder.encode(event),
      event.sensorType === pendingAnomalous ? 'anomaly' : 'valid',
      event.sensorType,
    );
  }

  return { next, devices, reports: () => reportCount, counts: () => ({ ...counts }) };
}

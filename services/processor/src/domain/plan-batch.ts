import { parseEvent, type EventErrorCode, type TelemetryEvent } from '@telemetry-pulse/shared/core';
import {
  advanceOnReadings,
  classifyLateness,
  clockTimeMs,
  type Lateness,
  type LatenessPolicy,
  type PartitionClock,
} from './watermark';

/** One Kafka record as the processor sees it, independent of the client library. */
export interface InboundRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  readonly timestampMs: number;
}

/**
 * Why a record goes to the dead-letter topic: a schema refusal, an event time too far ahead, or a record
 * that kept failing its batch for a reason that is not transient (a bug; the error text says which).
 */
export type RejectionCode = EventErrorCode | 'FUTURE_EVENT_TIME' | 'PROCESSING_FAILED';

export interface RejectedRecord {
  readonly record: InboundRecord;
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface ValidReading {
  readonly event: TelemetryEvent;
  readonly offset: string;
  /** How far this reading may move the partition clock (epoch ms, see {@link clockTimeMs}). */
  readonly clockMs: number;
}

export interface AcceptedReading extends TelemetryEvent {
  readonly partition: number;
  readonly offset: string;
  readonly lateness: Lateness;
}

/**
 * Decodes and validates a batch. Readings stamped more than `maxFutureSkewMs` ahead of the wall clock
 * are refused. Those accepted carry the time they may move the partition clock to (their event time,
 * capped by the record timestamp and the wall clock), so one ahead of the present, up to the skew, is
 * kept without dragging the watermark forward.
 */
export function validateRecords(
  records: readonly InboundRecord[],
  wallNowMs: number,
  maxFutureSkewMs: number,
): { valid: ValidReading[]; rejected: RejectedRecord[] } {
  const valid: ValidReading[] = [];
  const rejected: RejectedRecord[] = [];
  for (const record of records) {
    const parsed = parseEvent(record.value);
    if (!parsed.ok) {
      rejected.push({ record, code: parsed.code, reason: parsed.message });
    } else if (parsed.event.tsEventMs > wallNowMs + maxFutureSkewMs) {
      const ts = new Date(parsed.event.tsEventMs).toISOString();
      rejected.push({
        record,
        code: 'FUTURE_EVENT_TIME',
        reason: `ts_event ${ts} is more than ${maxFutureSkewMs} ms ahead of the processor's clock`,
      });
    } else {
      const clockMs = clockTimeMs(parsed.event.tsEventMs, record.timestampMs, wallNowMs);
      valid.push({ event: parsed.event, offset: record.offset, clockMs });
    }
  }
  return { valid, rejected };
}

export interface ClassifiedBatch {
  /** One reading per event id (first occurrence wins), in offset order. */
  readonly accepted: AcceptedReading[];
  /** Same event id more than once inside this batch. */
  readonly duplicatesInBatch: number;
  readonly clock: PartitionClock;
}

/**
 * Classifies each reading, in offset order, against the partition watermark as it stands after every
 * earlier record of the partition (the clock persists across batches), so a reading's lateness depends
 * only on what precedes it in the partition, never on where batch boundaries fell. Each reading moves the
 * clock to its `clockMs`, not its event time, so a fast device clock judges no other reading. Drops
 * in-batch duplicates.
 */
export function classifyBatch(
  partition: number,
  valid: readonly ValidReading[],
  clock: PartitionClock,
  policy: LatenessPolicy,
): ClassifiedBatch {
  const seen = new Set<string>();
  const accepted: AcceptedReading[] = [];
  let duplicatesInBatch = 0;
  let current = clock;
  // Indexed, not for...of with destructuring: V8 allocated an iterator per batch and more per reading.
  for (let i = 0; i < valid.length; i++) {
    const { event, offset, clockMs } = valid[i] as ValidReading;
    if (seen.has(event.eventId)) {
      duplicatesInBatch += 1;
    } else {
      seen.add(event.eventId);
      // Field by field, not {...event}: one object of a fixed shape instead of a clone grown by three
      // properties (174 bytes allocated per reading against 56).
      accepted.push({
        eventId: event.eventId,
        deviceId: event.deviceId,
        siteId: event.siteId,
        zoneId: event.zoneId,
        sensorType: event.sensorType,
        value: event.value,
        tsEventMs: event.tsEventMs,
        unit: event.unit,
        partition,
        offset,
        lateness: classifyLateness(event.tsEventMs, current.watermarkMs, policy),
      });
    }
    // Every record moves the clock, duplicates included: the same record in a later batch would too.
    // (Only a new maximum can move it; skipping the rest saves an allocation per record.)
    if (current.maxEventMs === null || clockMs > current.maxEventMs) {
      current = advanceOnReadings(current, clockMs, policy);
    }
  }
  return { accepted, duplicatesInBatch, clock: current };
}

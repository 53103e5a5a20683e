import type { MessageProducer, OutboundMessage } from '@telemetry-pulse/shared';
import { DLQ_HEADERS } from '../domain/dlq-headers';
import { isRecordRefusal } from '../domain/failures';
import type { DeadLetterRow } from './postgres/dead-letters';

export { DLQ_HEADERS };

/**
 * Bytes of dead letters per send: the topic takes a batch only up to its `max.message.bytes` (1 MiB by
 * default), and a batch of one fetch's poison records can be far larger once decompressed. A send the
 * topic still refuses is split further (see {@link publishDeadLetters}).
 */
export const DLQ_SEND_BYTES = 512 * 1024;
// Record overhead beyond key, value and headers (varints, attributes, per-header lengths): generous.
const RECORD_OVERHEAD_BYTES = 64;

/** A dead letter the dead-letter topic would not take, with the broker's answer. */
export interface RefusedDeadLetter {
  readonly row: DeadLetterRow;
  readonly error: string;
}

export interface PublishResult {
  readonly published: readonly DeadLetterRow[];
  readonly refused: readonly RefusedDeadLetter[];
}

/**
 * Publishes dead letters with the original key and bytes, and headers naming the error and origin.
 * Resolves only when the dead-letter topic acknowledged them (acks=all), in sends of at most
 * {@link DLQ_SEND_BYTES}. A send the broker refuses for its records (too large, invalid) is halved until
 * each record is published or refused alone; refused records are returned, not thrown, so one record the
 * topic can never take does not hold its partition back. Any other failure is thrown.
 */
export async function publishDeadLetters(
  producer: MessageProducer,
  dlqTopic: string,
  origin: { topic: string; partition: number; group: string },
  rows: readonly DeadLetterRow[],
  inheritedHeaders: (offset: string) => Readonly<Record<string, Buffer | string | undefined>> = () => ({}),
): Promise<PublishResult> {
  const published: DeadLetterRow[] = [];
  const refused: RefusedDeadLetter[] = [];
  const letters = rows.map((row) => ({ row, message: toMessage(row, origin, inheritedHeaders(row.offset)) }));

  async function send(part: typeof letters): Promise<void> {
    try {
      await producer.send(
        dlqTopic,
        part.map((l) => l.message),
      );
      published.push(...part.map((l) => l.row));
    } catch (err) {
      if (!isRecordRefusal(err)) throw err;
      const [only] = part;
      if (part.length === 1 && only) {
        refused.push({ row: only.row, error: err instanceof Error ? err.message : String(err) });
        return;
      }
      const half = Math.ceil(part.length / 2);
      await send(part.slice(0, half));
      await send(part.slice(half));
    }
  }

  for (const chunk of chunksOf(letters, (l) => messageBytes(l.message), DLQ_SEND_BYTES)) await send(chunk);
  return { published, refused };
}

function toMessage(
  r: DeadLetterRow,
  origin: { topic: string; partition: number; group: string },
  inherited: Readonly<Record<string, Buffer | string | undefined>>,
): OutboundMessage {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined) headers[name] = value;
  }
  Object.assign(headers, {
    [DLQ_HEADERS.errorCode]: r.errorCode,
    [DLQ_HEADERS.errorMessage]: r.errorMessage,
    [DLQ_HEADERS.originalTopic]: origin.topic,
    [DLQ_HEADERS.originalPartition]: String(origin.partition),
    [DLQ_HEADERS.originalOffset]: r.offset,
    [DLQ_HEADERS.originalTimestamp]: new Date(r.timestampMs).toISOString(),
    [DLQ_HEADERS.consumerGroup]: origin.group,
    [DLQ_HEADERS.attempts]: String(r.attempts),
  });
  return { key: r.key, value: r.value, headers };
}

/** Uncompressed size of a record on the wire, near enough to keep sends under the topic's limit. */
function messageBytes(m: OutboundMessage): number {
  const size = (v: string | Buffer | null | undefined): number =>
    v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
  let bytes = RECORD_OVERHEAD_BYTES + size(m.key) + size(m.value);
  for (const [name, value] of Object.entries(m.headers ?? {})) bytes += size(name) + size(value) + 8;
  return bytes;
}

/** Consecutive runs of `items` whose sizes add up to at most `budget` (an item over it goes alone). */
function chunksOf<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

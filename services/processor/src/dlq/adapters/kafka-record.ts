import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { DeadLetter } from '../domain/dead-letter';

/** Header values as bytes; a repeated name keeps its last value (the Java client's `lastHeader`). */
function toHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last : Buffer.from(last);
  }
  return out;
}

/** A consumed kafkajs record as the library-free {@link DeadLetter} the rest of the tool works on. */
export function toDeadLetter(partition: number, m: KafkaMessage): DeadLetter {
  return {
    partition,
    offset: m.offset,
    timestampMs: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: toHeaders(m.headers),
  };
}

import { DLQ_HEADERS } from '../../domain/dlq-headers';

/**
 * A dead letter read back from the DLQ topic. The reader adapter builds it from a Kafka record; everything
 * else in this folder is a pure function of it.
 */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  /** Kafka timestamp of the dead letter itself (when it was dead-lettered), epoch ms. */
  readonly timestampMs: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** One value per name: Kafka allows repeats, and like the Java client's `lastHeader` the last one wins. */
  readonly headers: Readonly<Record<string, Buffer>>;
}

/** `<partition>:<offset>`, the address operators type into `inspect`. */
export function letterRef(letter: Pick<DeadLetter, 'partition' | 'offset'>): string {
  return `${letter.partition}:${letter.offset}`;
}

/** A header as UTF-8 text; undefined when absent. */
export function headerText(letter: DeadLetter, name: string): string | undefined {
  return letter.headers[name]?.toString('utf8');
}

export type ReplayCount = { ok: true; count: number } | { ok: false; raw: string };

/**
 * How often the letter's message has been replayed already: 0 without the header. A header that is not a
 * whole number is reported rather than read as 0, because the loop guard must not be bypassed by garbage.
 */
export function replayCountOf(letter: DeadLetter): ReplayCount {
  const raw = headerText(letter, DLQ_HEADERS.replayCount);
  if (raw === undefined) return { ok: true, count: 0 };
  const trimmed = raw.trim();
  return /^\d{1,9}$/.test(trimmed) ? { ok: true, count: Number(trimmed) } : { ok: false, raw };
}

/** What the processor recorded about the failure and the message's origin (fields absent when not set). */
export interface LetterOrigin {
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly topic: string | undefined;
  readonly partition: string | undefined;
  readonly offset: string | undefined;
  readonly timestamp: string | undefined;
  readonly consumerGroup: string | undefined;
  readonly attempts: string | undefined;
}

export function originOf(letter: DeadLetter): LetterOrigin {
  return {
    errorCode: headerText(letter, DLQ_HEADERS.errorCode),
    errorMessage: headerText(letter, DLQ_HEADERS.errorMessage),
    topic: headerText(letter, DLQ_HEADERS.originalTopic),
    partition: headerText(letter, DLQ_HEADERS.originalPartition),
    offset: headerText(letter, DLQ_HEADERS.originalOffset),
    timestamp: headerText(letter, DLQ_HEADERS.originalTimestamp),
    consumerGroup: headerText(letter, DLQ_HEADERS.consumerGroup),
    attempts: headerText(letter, DLQ_HEADERS.attempts),
  };
}

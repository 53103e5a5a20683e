/**
 * The processor's closed set of failure kinds (STYLE: errors say what to do):
 * - validation failures never get here: they are dead-lettered by planBatch and never retried;
 * - transient failures (database unreachable or restarting, connection reset, serialisation failure,
 *   deadlock) are retried with backoff while the partition is paused, and are never dead-lettered;
 * - anything else ('fatal') is a bug, or a record the code cannot handle: the batch is tried again a
 *   bounded number of times (the other partitions keep flowing meanwhile), then applied record by record,
 *   and the record that still fails is dead-lettered as PROCESSING_FAILED (see isolate-batch.ts).
 */
export type FailureKind = 'transient' | 'fatal';

// SQLSTATE classes: 08 connection exception, 40 transaction rollback (40001 serialization, 40P01 deadlock),
// 53 insufficient resources, 57P operator intervention (admin shutdown, crash shutdown, cannot connect now).
const TRANSIENT_SQLSTATE = /^(08|40|53|57P)/;
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

export function classifyFailure(err: unknown): FailureKind {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth += 1) {
    if (typeof e !== 'object') break;
    const { code, message, cause, retriable } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      retriable?: unknown;
    };
    if (retriable === true) return 'transient';
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE_CODES.has(code))) {
      return 'transient';
    }
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return 'transient';
    e = cause;
  }
  return 'fatal';
}

/** Exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs * 2^(attempt-1))]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

// Broker answers that refuse the records themselves, not the client or the cluster: retrying the same
// bytes can never succeed, but other records would be taken (Kafka protocol error names, as kafkajs types them).
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

/** True when the broker refused the records sent (too large, invalid), as opposed to failing the request. */
export function isRecordRefusal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth += 1) {
    if (typeof e !== 'object') break;
    const { type, cause } = e as { type?: unknown; cause?: unknown };
    if (typeof type === 'string' && RECORD_REFUSALS.has(type)) return true;
    e = cause;
  }
  return false;
}

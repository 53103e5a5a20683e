/**
 * The processor's closed set of failure kinds (STYLE: errors say what to do):
 * - validation failures never get here: they are dead-lettered by planBatch and never retried;
 * - transient failures (database unreachable or restarting, connection reset, serialisation failure,
 *   deadlock) are retried with backoff while the partition is paused, and are never dead-lettered;
 * - anything else is a bug or a broken schema: the batch is not committed and the consumer restarts.
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

// No imports: test/unit/shared/negative-timeout-warning.test.ts runs this file in a plain Node process.

const INSTALLED = Symbol.for('telemetry-pulse.kafkajs-negative-timeout-filter');
/** kafkajs's request queue, the one place that arms a timer with a negative delay. */
const KAFKAJS_REQUEST_QUEUE = /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]/;
const NEGATIVE_TIMEOUT = /^-\d+ is a negative number\./;

type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

/**
 * True for the warning kafkajs 2.2.4 makes Node 24 print at every producer start: its request queue arms a
 * timer with `throttledUntil - Date.now()` while `throttledUntil` is still -1, a delay of minus the epoch,
 * which Node clamps to 1 ms (harmless) and reports as a TimeoutNegativeWarning. `stack` is where the
 * warning was raised.
 */
export function isKafkajsNegativeTimeout(name: string, message: string, stack: string): boolean {
  return (
    name === 'TimeoutNegativeWarning' && NEGATIVE_TIMEOUT.test(message) && KAFKAJS_REQUEST_QUEUE.test(stack)
  );
}

/** The name and text Node prints for `process.emitWarning(warning, typeOrOptions)`. */
function describeWarning(warning: string | Error, typeOrOptions: unknown): { name: string; message: string } {
  if (warning instanceof Error) return { name: warning.name, message: warning.message };
  const type =
    typeof typeOrOptions === 'string'
      ? typeOrOptions
      : (typeOrOptions as { type?: unknown } | undefined)?.type;
  return { name: typeof type === 'string' ? type : 'Warning', message: warning };
}

/**
 * Drops exactly kafkajs's negative-timeout warning (see {@link isKafkajsNegativeTimeout}); every other
 * warning, a TimeoutNegativeWarning from anywhere else included, is emitted as before (Node reports negative
 * timers once per process, so one of ours after kafkajs's would go unreported either way). kafkajs is no
 * longer released, so the timer cannot be fixed where it is armed. Process-wide and idempotent.
 */
export function filterKafkajsNegativeTimeoutWarning(): void {
  const current = process.emitWarning as EmitWarning & { [INSTALLED]?: true };
  if (current[INSTALLED]) return;
  const original = current;
  const filtered = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const { name, message } = describeWarning(warning, rest[0]);
    if (name === 'TimeoutNegativeWarning') {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 20; // enough to reach kafkajs below Node's timer frames
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      if (isKafkajsNegativeTimeout(name, message, stack)) return;
    }
    Reflect.apply(original, this, [warning, ...rest]);
  };
  Object.defineProperty(filtered, INSTALLED, { value: true });
  process.emitWarning = filtered as typeof process.emitWarning;
}

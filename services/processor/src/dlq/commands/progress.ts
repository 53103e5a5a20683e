/** A throttled status line for long runs (stderr), so stdout stays the tool's data. */
export interface ProgressLine {
  /** Writes `describe()` if at least `everyMs` passed since the run began or the last line. */
  update(describe: () => string): void;
}

/**
 * `now` is injected so the throttle is testable without timers. Nothing is written during the first
 * `everyMs`: a run that finishes quickly prints only its summary.
 */
export function createProgressLine(opts: {
  everyMs: number;
  now: () => number;
  write: (line: string) => void;
}): ProgressLine {
  let last = opts.now();
  return {
    update(describe) {
      const t = opts.now();
      if (t - last < opts.everyMs) return;
      last = t;
      opts.write(describe());
    },
  };
}

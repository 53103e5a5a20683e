/** How far a bounded run is, for the progress line and its ETA. */
export interface RunPosition {
  readonly sent: number;
  readonly elapsedMs: number;
  /** Messages asked for (`--count`), when set. */
  readonly count: number | undefined;
  /** Run length asked for (`--duration`), when set. */
  readonly durationMs: number | undefined;
  /** Share of a backfill's span covered so far, 0..1, when backfilling. */
  readonly backfillDone: number | undefined;
}

/**
 * Share of a bounded run that is done, 0..1, or `undefined` for an open-ended live run. With several bounds
 * the run ends at whichever is reached first, so the furthest along wins.
 */
export function runFraction(p: RunPosition): number | undefined {
  const shares = [
    p.count === undefined ? undefined : p.sent / p.count,
    p.durationMs === undefined ? undefined : p.elapsedMs / p.durationMs,
    p.backfillDone,
  ].filter((s): s is number => s !== undefined);
  return shares.length === 0 ? undefined : Math.min(1, Math.max(...shares));
}

/** `1:02:03`, `2:03` or `0:07`. */
export function formatEta(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * One progress line: `sent 120,000/1,000,000 (12.0%) | 48,210 ev/s | ETA 0:18`. `ratePerSec` is the rate over
 * the last reporting period; the ETA extrapolates the whole run's average pace.
 */
export function formatProgress(p: RunPosition, ratePerSec: number): string {
  const fraction = runFraction(p);
  const sent = p.count === undefined ? thousands(p.sent) : `${thousands(p.sent)}/${thousands(p.count)}`;
  const parts = [`sent ${sent}${fraction === undefined ? '' : ` (${(fraction * 100).toFixed(1)}%)`}`];
  parts.push(`${thousands(ratePerSec)} ev/s`);
  if (fraction !== undefined && fraction > 0) {
    parts.push(`ETA ${formatEta((p.elapsedMs * (1 - fraction)) / fraction)}`);
  }
  return parts.join(' | ');
}

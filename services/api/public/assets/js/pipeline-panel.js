/**
 * The pipeline panel: ingest rate, consumer lag (and whether it grows), dead letters of the last hour,
 * stalled partitions and when the processor last stored anything, from GET /api/v1/pipeline/status. The
 * panel carries the server's verdict as `data-state` (flowing, stalled, idle, unknown) and turns red when
 * stalled: records wait and nothing has been stored for the threshold.
 */

const COUNT = new Intl.NumberFormat(undefined);
const RATE = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** @param {number} seconds */
export function formatAge(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d`;
}

/** @param {number[]} list */
const partitions = (list) => `${list.length === 1 ? 'partition' : 'partitions'} ${list.join(', ')}`;

/**
 * @param {{ panel: HTMLElement, summary: HTMLElement, rate: HTMLElement, lag: HTMLElement,
 *           dead: HTMLElement, stalled: HTMLElement, last: HTMLElement }} els
 */
export function createPipelinePanel(els) {
  /** @type {number | null | undefined} */
  let previousLag;

  /** @param {string} state @param {string} text */
  function verdict(state, text) {
    els.panel.dataset.state = state;
    els.summary.textContent = text;
  }

  return {
    /**
     * Shows one status answer.
     * @param {any} status
     */
    show(status) {
      const checkedMs = Date.parse(status.checked_at);
      const lastMs = status.last_applied_at ? Date.parse(status.last_applied_at) : NaN;
      const quietFor = Number.isFinite(lastMs) ? formatAge((checkedMs - lastMs) / 1000) : undefined;
      const lag = typeof status.total_lag === 'number' ? status.total_lag : null;
      const trend =
        lag === null || previousLag === null || previousLag === undefined
          ? ''
          : lag > previousLag
            ? ' ▲ growing'
            : lag < previousLag
              ? ' ▼ shrinking'
              : '';
      previousLag = lag;

      els.rate.textContent = `${RATE.format(status.events_last_minute / 60)}/s`;
      els.rate.title = `${COUNT.format(status.events_last_minute)} readings stored in the last minute`;
      els.lag.textContent =
        lag === null ? 'unknown' : `${COUNT.format(lag)} ${lag === 1 ? 'record' : 'records'}${trend}`;
      els.lag.title = status.lag_error ?? '';
      els.dead.textContent = COUNT.format(status.dead_letters_last_hour);
      els.dead.dataset.nonzero = String(status.dead_letters_last_hour > 0);
      els.stalled.textContent = status.stalled_partitions.length
        ? status.stalled_partitions.join(', ')
        : 'none';
      els.last.textContent = quietFor === undefined ? 'never' : `${quietFor} ago`;

      const threshold = formatAge(status.stall_after_seconds);
      if (status.state === 'stalled') {
        verdict(
          'stalled',
          `Stalled: ${COUNT.format(lag ?? 0)} records wait and nothing has been stored on ${partitions(
            status.stalled_partitions,
          )} for ${threshold} or more.`,
        );
      } else if (status.state === 'flowing') {
        verdict('flowing', 'Data is flowing.');
      } else if (status.state === 'idle') {
        verdict(
          'idle',
          `No new data for ${quietFor ?? 'ever'}; nothing is waiting (no producer is sending).`,
        );
      } else {
        verdict(
          'unknown',
          `No new data for ${quietFor ?? 'ever'}; the consumer lag is unknown (${status.lag_error}).`,
        );
      }
    },
    /** @param {string} message */
    failed(message) {
      previousLag = undefined;
      verdict('unknown', `Pipeline status unavailable: ${message}`);
    },
  };
}

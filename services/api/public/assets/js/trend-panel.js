import { aggregates } from './api.js';
import { drawTrend } from './trend-chart.js';

/**
 * The trend panel: zone and sensor selectors, the 5 m / 15 m / 1 h buttons and the chart. It reads and
 * writes the shared `view` (site, zone, sensor, bucket) and calls `onViewChange` so the URL follows.
 */

/** Bucket width → [bucket ms, range ms]: 6 h of 5 m or 15 m buckets, 48 h of hourly ones. */
export const BUCKETS = /** @type {Record<string, [number, number]>} */ ({
  '5m': [300_000, 6 * 3_600_000],
  '15m': [900_000, 6 * 3_600_000],
  '1h': [3_600_000, 48 * 3_600_000],
});
const REFRESH_MS = 10_000; // live readings for the charted zone redraw it at most this often

/**
 * @typedef {{ siteId: string, zoneId: string, sensorType: string, bucket: string }} View
 * @param {{
 *   form: HTMLFormElement, zoneSelect: HTMLSelectElement, sensorSelect: HTMLSelectElement,
 *   chart: HTMLElement, caption: HTMLElement, view: View, onViewChange: () => void,
 * }} parts
 */
export function createTrendPanel({ form, zoneSelect, sensorSelect, chart, caption, view, onViewChange }) {
  const bucketButtons = /** @type {HTMLButtonElement[]} */ ([...form.querySelectorAll('[data-bucket]')]);
  /** @type {Parameters<typeof drawTrend>[1] | undefined} */
  let lastTrend;
  let latestRequest = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function load() {
    const request = ++latestRequest; // a slower, older answer must not overwrite a newer one
    for (const b of bucketButtons) b.setAttribute('aria-pressed', String(b.dataset.bucket === view.bucket));
    if (!view.siteId || !view.zoneId) {
      lastTrend = undefined;
      chart.replaceChildren();
      caption.textContent = 'Choose a zone.';
      return;
    }
    const [bucketMs, rangeMs] = BUCKETS[view.bucket] ?? [300_000, 6 * 3_600_000];
    const to = new Date();
    const from = new Date(to.getTime() - rangeMs);
    chart.setAttribute('aria-busy', 'true');
    try {
      const points = await aggregates({ ...view, from, to });
      if (request !== latestRequest) return;
      lastTrend = { points, sensorType: view.sensorType, zoneId: view.zoneId, bucketMs, from, to };
      caption.textContent = drawTrend(chart, lastTrend);
    } catch (err) {
      if (request === latestRequest) caption.textContent = `Could not load the trend: ${String(err)}`;
    } finally {
      if (request === latestRequest) chart.removeAttribute('aria-busy');
    }
  }

  const change = (/** @type {Partial<View>} */ next) => {
    Object.assign(view, next);
    onViewChange();
    void load();
  };

  if (!BUCKETS[view.bucket]) view.bucket = '5m';
  sensorSelect.value = view.sensorType;
  if (sensorSelect.selectedIndex < 0) sensorSelect.selectedIndex = 0; // an unknown ?sensor= → CO2
  view.sensorType = sensorSelect.value;
  zoneSelect.addEventListener('change', () => change({ zoneId: zoneSelect.value }));
  sensorSelect.addEventListener('change', () => change({ sensorType: sensorSelect.value }));
  for (const button of bucketButtons)
    button.addEventListener('click', () => change({ bucket: button.dataset.bucket ?? '5m' }));
  form.addEventListener('submit', (event) => event.preventDefault());
  new ResizeObserver(() => {
    if (lastTrend && chart.firstElementChild?.getAttribute('width') !== String(chart.clientWidth))
      drawTrend(chart, lastTrend);
  }).observe(chart);

  return {
    /** Reloads the chart for the current view. */
    load,
    /** Charts `zoneId` (a zone card's Trend button). */
    showZone(/** @type {string} */ zoneId) {
      zoneSelect.value = zoneId;
      change({ zoneId });
    },
    /**
     * Offers `zoneIds`; keeps the charted zone when it is still there, else charts the first. Returns
     * whether the charted zone changed.
     * @param {string[]} zoneIds
     */
    setZones(zoneIds) {
      const before = view.zoneId;
      if (!zoneIds.includes(view.zoneId)) view.zoneId = zoneIds[0] ?? '';
      const current = [...zoneSelect.options].map((o) => o.value);
      if (current.join('\n') !== zoneIds.join('\n'))
        zoneSelect.replaceChildren(...zoneIds.map((id) => new Option(id, id)));
      zoneSelect.value = view.zoneId;
      return before !== view.zoneId;
    },
    /** Live readings arrived for `zoneId`/`sensorType`: redraw soon if that is what is charted. */
    readingsChanged(/** @type {string} */ zoneId, /** @type {string} */ sensorType) {
      if (zoneId !== view.zoneId || sensorType !== view.sensorType) return;
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, REFRESH_MS);
    },
  };
}

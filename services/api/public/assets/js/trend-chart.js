import { goodRange, sensorInfo } from './bands.js';
import { formatTime, formatValue } from './format.js';

/**
 * The trend chart, drawn as plain SVG (a few kB, versus ~50 kB for a chart library): the bucket average as
 * a line, the min–max spread as a shaded band, the sensor's "good" comfort range behind them, and a line
 * break wherever buckets are missing. Re-drawn from scratch on each update; it is a few hundred nodes.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 240; // px
const MARGIN = { top: 20, right: 16, bottom: 28, left: 52 }; // px, room for the axis labels
const TIME_STEPS_MS = [5, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * 60_000);

/** @typedef {{ bucket_start: string, count: number, avg: number, min: number, max: number }} Bucket */

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart).
 * @param {number} lo
 * @param {number} hi
 * @param {number} count
 */
export function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toFixed(10)));
  return { ticks, step };
}

/**
 * Splits buckets into runs without gaps: a gap is more than 1.5 bucket widths between two starts.
 * @param {Bucket[]} points
 * @param {number} bucketMs
 */
export function contiguousRuns(points, bucketMs) {
  /** @type {Bucket[][]} */
  const runs = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    const at = Date.parse(p.bucket_start);
    if (at - previous > bucketMs * 1.5 || runs.length === 0) runs.push([]);
    runs[runs.length - 1]?.push(p);
    previous = at;
  }
  return runs;
}

/**
 * Draws the chart into `container` (replacing what was there) and returns a one-line text summary, used
 * as the figure caption and the SVG's accessible name.
 * @param {HTMLElement} container
 * @param {{ points: Bucket[], sensorType: string, zoneId: string, bucketMs: number, from: Date, to: Date }} data
 */
export function drawTrend(container, { points, sensorType, zoneId, bucketMs, from, to }) {
  const info = sensorInfo(sensorType);
  const values = points.filter((p) => Number.isFinite(p.avg));
  if (values.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'chart-empty';
    empty.textContent = `No ${info.label} readings for ${zoneId} in this range.`;
    container.replaceChildren(empty);
    return empty.textContent;
  }

  const width = Math.max(280, Math.round(container.clientWidth || 640));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  let lo = Math.min(...values.map((p) => (Number.isFinite(p.min) ? p.min : p.avg)));
  let hi = Math.max(...values.map((p) => (Number.isFinite(p.max) ? p.max : p.avg)));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const { step: yStep } = niceTicks(lo, hi, 5);
  [lo, hi] = [Math.floor(lo / yStep) * yStep, Math.ceil(hi / yStep) * yStep]; // axis ends on round values
  const { ticks: yTicks, step: tickStep } = niceTicks(lo, hi, 5);
  const tickDecimals = Math.max(0, -Math.floor(Math.log10(tickStep) + 1e-9)); // 0.5 steps → 1 decimal
  const t0 = from.getTime();
  const t1 = to.getTime();
  const x = (/** @type {number} */ t) => MARGIN.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (/** @type {number} */ v) => MARGIN.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const at = (/** @type {Bucket} */ p) => Date.parse(p.bucket_start); // bucket start: the current one is never in the future

  const summary = `${info.label} in ${zoneId}, ${values.length} buckets from ${formatTime(from, 'day')} to ${formatTime(to, 'day')}; latest ${formatValue(sensorType, values[values.length - 1]?.avg ?? Number.NaN)} ${info.unit}.`;
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    'aria-label': summary,
    class: 'chart',
  });
  root.append(svg('rect', { class: 'plot-bg', x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH }));

  const good = goodRange(sensorType);
  if (good && good.high > lo && good.low < hi) {
    const top = y(Math.min(good.high, hi));
    const bottom = y(Math.max(good.low, lo));
    root.append(
      svg('rect', { class: 'good-range', x: MARGIN.left, y: top, width: plotW, height: bottom - top }),
    );
  }

  for (const v of yTicks) {
    if (v < lo || v > hi) continue;
    root.append(svg('line', { class: 'grid', x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y(v), y2: y(v) }));
    const label = v.toFixed(tickDecimals);
    root.append(svg('text', { class: 'tick', x: MARGIN.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, label));
  }
  const xStep = TIME_STEPS_MS.find((s) => (t1 - t0) / s <= Math.max(2, Math.floor(plotW / 90))) ?? 86_400_000;
  const offset = new Date(t0).getTimezoneOffset() * 60_000; // ticks on local round hours
  for (let t = Math.ceil((t0 - offset) / xStep) * xStep + offset; t <= t1; t += xStep) {
    root.append(svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: MARGIN.top, y2: MARGIN.top + plotH }));
    const style = xStep >= 360 * 60_000 ? 'day' : 'short';
    root.append(
      svg('text', { class: 'tick', x: x(t), y: HEIGHT - 8, 'text-anchor': 'middle' }, formatTime(t, style)),
    );
  }
  root.append(svg('text', { class: 'unit-label', x: 4, y: 12 }, info.unit));

  for (const run of contiguousRuns(values, bucketMs)) {
    const upper = run.map(
      (p) => `${x(at(p)).toFixed(1)},${y(Number.isFinite(p.max) ? p.max : p.avg).toFixed(1)}`,
    );
    const lower = run.map(
      (p) => `${x(at(p)).toFixed(1)},${y(Number.isFinite(p.min) ? p.min : p.avg).toFixed(1)}`,
    );
    const avg = run.map((p) => `${x(at(p)).toFixed(1)},${y(p.avg).toFixed(1)}`);
    if (run.length > 1) {
      root.append(svg('polygon', { class: 'spread', points: [...upper, ...lower.reverse()].join(' ') }));
      root.append(svg('polyline', { class: 'avg', points: avg.join(' ') }));
    }
    for (const p of run) {
      const dot = svg('circle', { class: 'point', cx: x(at(p)), cy: y(p.avg), r: run.length > 1 ? 2 : 3 });
      const tip = `${formatTime(p.bucket_start, 'short')}: avg ${formatValue(sensorType, p.avg)}, min ${formatValue(sensorType, p.min)}, max ${formatValue(sensorType, p.max)} ${info.unit} (${p.count} readings)`;
      dot.append(svg('title', {}, tip));
      root.append(dot);
    }
  }
  container.replaceChildren(root);
  return summary;
}

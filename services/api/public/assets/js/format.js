import { sensorInfo } from './bands.js';

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const SHORT_TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY_TIME = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/**
 * A reading as shown in the grid and the chart: fixed decimals per sensor, no unit.
 * @param {string} sensorType
 * @param {number} value
 */
export function formatValue(sensorType, value) {
  if (!Number.isFinite(value)) return '–';
  return value.toFixed(sensorInfo(sensorType).decimals);
}

/**
 * Local wall-clock time of an ISO timestamp: `time` 14:05:09, `short` 14:05, `day` Tue 14:05, `full` date and time.
 * @param {string | number | Date} at
 * @param {'time' | 'short' | 'day' | 'full'} [style]
 */
export function formatTime(at, style = 'time') {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '–';
  const f = { time: TIME, short: SHORT_TIME, day: DAY_TIME, full: DATE_TIME }[style];
  return f.format(d);
}

/**
 * A `<time>` element showing `at` in the given style, with the exact instant as its tooltip.
 * @param {string} at ISO-8601
 * @param {'time' | 'short' | 'day' | 'full'} [style]
 */
export function timeElement(at, style = 'time') {
  const el = document.createElement('time');
  el.dateTime = at;
  el.textContent = formatTime(at, style);
  el.title = formatTime(at, 'full');
  return el;
}

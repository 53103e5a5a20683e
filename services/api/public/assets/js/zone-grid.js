import { SENSORS, comfortBand, sensorInfo } from './bands.js';
import { formatValue, timeElement } from './format.js';

/**
 * The zone grid: one card per zone of the chosen site with its four latest readings, each coloured by
 * comfort band (and named, so colour is never the only cue). Cards are built once and then patched in
 * place, so live updates neither flicker nor move keyboard focus.
 */

const byZoneId = new Intl.Collator(undefined, { numeric: true }).compare;

/**
 * @typedef {{ site_id: string, zone_id: string, sensor_type: string, value: number,
 *   window_start: string, updated_at: string }} ZoneReading
 */

/**
 * @param {HTMLElement} list the `<ul>` that holds the cards
 * @param {{ onShowTrend: (zoneId: string) => void }} hooks
 */
export function createZoneGrid(list, { onShowTrend }) {
  /** @type {Map<string, Map<string, ZoneReading>>} zone id → sensor type → newest reading */
  const zones = new Map();
  /** @type {Map<string, HTMLElement>} */
  const cards = new Map();

  /** Keeps `item` unless an equally new or newer reading is already known (snapshots can trail events). */
  function remember(/** @type {ZoneReading} */ item) {
    const sensors = zones.get(item.zone_id) ?? new Map();
    zones.set(item.zone_id, sensors);
    const known = sensors.get(item.sensor_type);
    if (known && Date.parse(known.updated_at) > Date.parse(item.updated_at)) return false;
    sensors.set(item.sensor_type, item);
    return true;
  }

  function buildCard(/** @type {string} */ zoneId) {
    const card = document.createElement('li');
    card.className = 'zone-card';
    card.dataset.zone = zoneId;
    const head = document.createElement('div');
    head.className = 'zone-head';
    const title = document.createElement('h3');
    title.textContent = zoneId;
    const trend = document.createElement('button');
    trend.type = 'button';
    trend.className = 'secondary small';
    trend.textContent = 'Trend';
    trend.setAttribute('aria-label', `Show trend for ${zoneId}`);
    trend.addEventListener('click', () => onShowTrend(zoneId));
    head.append(title, trend);

    const readings = document.createElement('dl');
    readings.className = 'readings';
    for (const sensor of SENSORS) {
      const row = document.createElement('div');
      row.className = 'reading band-neutral';
      row.dataset.sensor = sensor.type;
      const name = document.createElement('dt');
      name.textContent = sensor.label;
      const value = document.createElement('dd');
      const number = document.createElement('span');
      number.className = 'value';
      number.textContent = '–';
      const unit = document.createElement('span');
      unit.className = 'unit';
      unit.textContent = sensor.unit;
      const band = document.createElement('span');
      band.className = 'band-label';
      value.append(number, ' ', unit, band);
      row.append(name, value);
      readings.append(row);
    }
    const updated = document.createElement('p');
    updated.className = 'updated muted';
    updated.append('Updated ', timeElement(new Date(0).toISOString()));
    card.append(head, readings, updated);
    return card;
  }

  function paint(/** @type {string} */ zoneId, flash = false) {
    const card = cards.get(zoneId);
    const sensors = zones.get(zoneId);
    if (!card || !sensors) return;
    let newest = '';
    for (const reading of sensors.values()) {
      const row = card.querySelector(`[data-sensor="${CSS.escape(reading.sensor_type)}"]`);
      if (reading.updated_at > newest) newest = reading.updated_at;
      if (!row) continue;
      const band = comfortBand(reading.sensor_type, reading.value);
      const number = /** @type {HTMLElement} */ (row.querySelector('.value'));
      const text = formatValue(reading.sensor_type, reading.value);
      const changed = number.textContent !== text;
      number.textContent = text;
      row.className = `reading band-${band}`;
      /** @type {HTMLElement} */ (row.querySelector('.band-label')).textContent =
        band === 'neutral' ? '' : band;
      row.setAttribute(
        'title',
        `${sensorInfo(reading.sensor_type).label}: window from ${reading.window_start}`,
      );
      if (flash && changed) {
        row.classList.add('changed');
        setTimeout(() => row.classList.remove('changed'), 1_500);
      }
    }
    const updated = /** @type {HTMLElement} */ (card.querySelector('.updated'));
    if (newest) updated.replaceChildren('Updated ', timeElement(newest));
  }

  function layout() {
    const ids = [...zones.keys()].sort(byZoneId);
    if (ids.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'placeholder';
      empty.textContent = 'No readings for this site yet.';
      list.replaceChildren(empty);
      return;
    }
    for (const id of ids) if (!cards.has(id)) cards.set(id, buildCard(id));
    const wanted = ids.map((id) => /** @type {HTMLElement} */ (cards.get(id)));
    const current = [...list.children];
    if (wanted.length !== current.length || wanted.some((card, i) => card !== current[i]))
      list.replaceChildren(...wanted);
  }

  return {
    /** Replaces everything with a snapshot of one site (`GET /api/v1/zones/latest`). */
    reset(/** @type {ZoneReading[]} */ items) {
      zones.clear();
      cards.clear();
      for (const item of items) remember(item);
      layout();
      for (const id of zones.keys()) paint(id);
    },
    /** Merges a live `zones` event or a reloaded snapshot (same site), keeping any newer reading. */
    merge(/** @type {ZoneReading[]} */ items) {
      const touched = new Set(items.filter(remember).map((i) => i.zone_id));
      layout();
      for (const id of touched) paint(id, true);
    },
    /** Zone ids in display order. */
    zoneIds: () => [...zones.keys()].sort(byZoneId),
  };
}

import { sensorInfo } from './bands.js';
import { formatValue, timeElement } from './format.js';

/**
 * The open and acknowledged alerts of the chosen site, newest first, each open one with an Acknowledge
 * button. Resolved alerts leave the list. Alerts arriving on the live stream while a snapshot is loading
 * win over that snapshot, which may have been read before them.
 */

/**
 * @typedef {{ alert_id: string | number, rule_id: string, device_id: string, site_id: string,
 *   zone_id: string, sensor_type: string, severity: string, status: string, message: string,
 *   opened_at: string, acknowledged_at: string | null, resolved_at: string | null,
 *   last_value: number | null, peak_value: number | null }} Alert
 */

/**
 * @param {HTMLElement} list the `<ul>`
 * @param {HTMLElement} count where "2 open, 1 acknowledged" goes
 * @param {{ onAcknowledge: (alert: Alert) => void }} hooks
 */
export function createAlertList(list, count, { onAcknowledge }) {
  /** @type {Map<string, { alert: Alert, receivedAt: number }>} */
  const alerts = new Map();
  /** @type {Set<string>} alert ids with a request in flight */
  const busy = new Set();

  function row(/** @type {Alert} */ a) {
    const id = String(a.alert_id);
    const item = document.createElement('li');
    item.className = `alert severity-${a.severity}`;
    item.dataset.alertId = id;
    item.dataset.status = a.status;

    const main = document.createElement('div');
    main.className = 'alert-main';
    const title = document.createElement('p');
    title.className = 'alert-title';
    const badge = document.createElement('span');
    badge.className = `badge severity-${a.severity}`;
    badge.textContent = a.severity;
    const rule = document.createElement('strong');
    rule.textContent = a.rule_id;
    title.append(badge, ' ', rule, ` · ${a.zone_id} · ${a.device_id}`);
    const message = document.createElement('p');
    message.className = 'alert-message';
    message.textContent = a.message;
    const meta = document.createElement('p');
    meta.className = 'alert-meta muted';
    const unit = sensorInfo(a.sensor_type).unit;
    meta.append('Opened ', timeElement(a.opened_at, 'day'));
    if (a.last_value !== null && a.last_value !== undefined)
      meta.append(`; last ${formatValue(a.sensor_type, a.last_value)} ${unit}`);
    if (a.peak_value !== null && a.peak_value !== undefined)
      meta.append(`, peak ${formatValue(a.sensor_type, a.peak_value)} ${unit}`);
    main.append(title, message, meta);

    const action = document.createElement('div');
    action.className = 'alert-action';
    if (a.status === 'open') {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'ack';
      button.textContent = busy.has(id) ? 'Acknowledging…' : 'Acknowledge';
      button.disabled = busy.has(id);
      button.setAttribute('aria-label', `Acknowledge ${a.rule_id} alert in ${a.zone_id} (${a.device_id})`);
      button.addEventListener('click', () => onAcknowledge(a));
      action.append(button);
    } else {
      const state = document.createElement('p');
      state.className = 'status-acknowledged';
      state.append('Acknowledged');
      if (a.acknowledged_at) state.append(' ', timeElement(a.acknowledged_at, 'short'));
      action.append(state);
    }
    item.append(main, action);
    return item;
  }

  function render() {
    const shown = [...alerts.values()]
      .map((e) => e.alert)
      .filter((a) => a.status !== 'resolved')
      .sort(
        (a, b) =>
          b.opened_at.localeCompare(a.opened_at) || String(b.alert_id).localeCompare(String(a.alert_id)),
      );
    const focusedId = /** @type {HTMLElement | null} */ (
      document.activeElement?.closest('[data-alert-id]') ?? null
    )?.dataset.alertId;
    if (shown.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'placeholder';
      empty.textContent = 'No open alerts.';
      list.replaceChildren(empty);
    } else {
      list.replaceChildren(...shown.map(row));
    }
    if (focusedId)
      /** @type {HTMLElement | null} */ (
        list.querySelector(`[data-alert-id="${CSS.escape(focusedId)}"] button`)
      )?.focus();
    const open = shown.filter((a) => a.status === 'open').length;
    count.textContent = `${open} open, ${shown.length - open} acknowledged`;
  }

  return {
    /**
     * Replaces the list with a snapshot requested at `requestedAt` (ms); alerts received live after that
     * instant are kept as they are.
     * @param {Alert[]} items
     * @param {number} requestedAt
     */
    reset(items, requestedAt) {
      const fresher = [...alerts.entries()].filter(([, e]) => e.receivedAt > requestedAt);
      alerts.clear();
      for (const a of items) alerts.set(String(a.alert_id), { alert: a, receivedAt: requestedAt });
      for (const [id, e] of fresher) alerts.set(id, e);
      render();
    },
    /** Adds or replaces one alert (live event or acknowledge response). */
    upsert(/** @type {Alert} */ alert) {
      alerts.set(String(alert.alert_id), { alert, receivedAt: Date.now() });
      render();
    },
    /** Marks an acknowledge request as running (button disabled) or finished. */
    setBusy(/** @type {string} */ id, /** @type {boolean} */ on) {
      if (on) busy.add(id);
      else busy.delete(id);
      render();
    },
  };
}

import { formatAge } from './pipeline-panel.js';

/**
 * The alert analytics panel: for the chosen site and period (last 24 h, 7 or 30 days), how many alerts
 * opened, how fast they were acknowledged and resolved (p50, p90, max) per rule, and the devices that alert
 * and flap most, from GET /api/v1/alerts/stats (definitions: docs/api.md). The period the server used is
 * kept on the panel (`data-from`, `data-to`) and every time's exact seconds on its cell (`data-seconds`),
 * so what the page shows can be checked against the API.
 */

export const PERIODS = /** @type {const} */ ({
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
});

const COUNT = new Intl.NumberFormat(undefined);

/**
 * @typedef {{ p50: number, p90: number, max: number } | null} Durations
 * @typedef {{ alerts: number, acknowledged: number, resolved: number, flaps: number,
 *   time_to_acknowledge: Durations, time_to_resolve: Durations }} Figures
 * @typedef {{ from: string, to: string, flap_minutes: number, totals: Figures & { devices: number },
 *   by_site_rule: (Figures & { site_id: string, rule_id: string })[],
 *   devices: { device_id: string, site_id: string, zone_id: string, alerts: number, flaps: number }[] }} AlertStats
 */

/** A duration as shown: `45 s`, `3 min 20 s`, `2 h 5 min`; `–` when there is none. @param {number | undefined} s */
export function formatDuration(s) {
  return s === undefined ? '–' : formatAge(s);
}

/** @param {string} text @param {Record<string, string>} [data] */
function cell(text, data = {}) {
  const td = document.createElement('td');
  td.textContent = text;
  Object.assign(td.dataset, data);
  return td;
}

/** Three cells: p50, p90 and max, each with its exact seconds. @param {Durations} d @param {string} what */
function durationCells(d, what) {
  return /** @type {const} */ (['p50', 'p90', 'max']).map((k) =>
    cell(
      formatDuration(d?.[k]),
      d ? { figure: `${what}-${k}`, seconds: String(d[k]) } : { figure: `${what}-${k}` },
    ),
  );
}

/**
 * @param {{ panel: HTMLElement, caption: HTMLElement, periods: HTMLElement, totals: HTMLElement,
 *   rules: HTMLTableSectionElement, devices: HTMLTableSectionElement,
 *   load: (q: { siteId: string, from: Date, to: Date }) => Promise<AlertStats>,
 *   view: { siteId: string, period: string }, onViewChange: () => void }} els
 */
export function createAlertStatsPanel(els) {
  let generation = 0;

  function pressed() {
    for (const b of els.periods.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.period === els.view.period));
    }
  }

  /** @param {AlertStats} s */
  function show(s) {
    const t = s.totals;
    /** @type {Record<string, string>} */
    const figures = {
      alerts: COUNT.format(t.alerts),
      acknowledged: COUNT.format(t.acknowledged),
      resolved: COUNT.format(t.resolved),
      flaps: COUNT.format(t.flaps),
      'tta-p50': formatDuration(t.time_to_acknowledge?.p50),
      'ttr-p50': formatDuration(t.time_to_resolve?.p50),
    };
    for (const dd of els.totals.querySelectorAll('dd')) {
      const name = dd.dataset.figure ?? '';
      dd.textContent = figures[name] ?? '–';
    }
    els.rules.replaceChildren(
      ...s.by_site_rule.map((g) => {
        const tr = document.createElement('tr');
        tr.dataset.rule = g.rule_id;
        tr.append(
          cell(g.rule_id),
          cell(COUNT.format(g.alerts), { figure: 'alerts' }),
          cell(COUNT.format(g.acknowledged), { figure: 'acknowledged' }),
          cell(COUNT.format(g.resolved), { figure: 'resolved' }),
          cell(COUNT.format(g.flaps), { figure: 'flaps' }),
          ...durationCells(g.time_to_acknowledge, 'tta'),
          ...durationCells(g.time_to_resolve, 'ttr'),
        );
        return tr;
      }),
    );
    els.devices.replaceChildren(
      ...s.devices.map((d) => {
        const tr = document.createElement('tr');
        tr.dataset.device = d.device_id;
        tr.append(
          cell(d.device_id),
          cell(d.zone_id),
          cell(COUNT.format(d.alerts), { figure: 'alerts' }),
          cell(COUNT.format(d.flaps), { figure: 'flaps' }),
        );
        return tr;
      }),
    );
    const more = t.devices > s.devices.length ? ` (top ${s.devices.length} of ${t.devices} devices)` : '';
    els.caption.textContent =
      t.alerts === 0
        ? 'No alerts opened in this period.'
        : `${COUNT.format(t.alerts)} alerts opened on ${COUNT.format(t.devices)} devices${more}; a flap is a re-open within ${s.flap_minutes} min of the previous resolve.`;
    els.panel.dataset.from = s.from;
    els.panel.dataset.to = s.to;
  }

  /** Loads the statistics of the chosen site and period; an older answer never overwrites a newer one. */
  async function load() {
    const siteId = els.view.siteId;
    if (!siteId) return;
    const mine = ++generation;
    const span = PERIODS[/** @type {keyof typeof PERIODS} */ (els.view.period)] ?? PERIODS['7d'];
    const to = new Date();
    els.panel.dataset.state = 'loading';
    try {
      const stats = await els.load({ siteId, from: new Date(to.getTime() - span), to });
      if (mine !== generation) return;
      show(stats);
      els.panel.dataset.state = 'ready';
    } catch (err) {
      if (mine !== generation) return;
      els.panel.dataset.state = 'failed';
      els.caption.textContent = `Alert analytics unavailable: ${String(err)}`;
    }
  }

  els.periods.addEventListener('click', (e) => {
    const button = /** @type {HTMLElement} */ (e.target).closest('button');
    const period = button?.dataset.period;
    if (!period || !(period in PERIODS) || period === els.view.period) return;
    els.view.period = period;
    pressed();
    els.onViewChange();
    void load();
  });
  if (!(els.view.period in PERIODS)) els.view.period = '7d';
  pressed();

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let soon;
  return {
    load,
    /** An alert changed: reload once things settle (a burst of alert events costs one query). */
    alertChanged() {
      soon ??= setTimeout(() => {
        soon = undefined;
        void load();
      }, 2_000);
    },
  };
}

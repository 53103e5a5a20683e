import { createAcknowledger } from './acknowledge.js';
import {
  activeAlerts,
  alertStats,
  latestZones,
  listSites,
  pipelineStatus,
  streamToken,
  useKeyForReads,
} from './api.js';
import { createAlertList } from './alert-list.js';
import { createAlertStatsPanel } from './alert-stats-panel.js';
import { createApiKeyStore } from './api-key.js';
import { connectLiveStream } from './live-stream.js';
import { createPipelinePanel } from './pipeline-panel.js';
import { createTrendPanel } from './trend-panel.js';
import { createZoneGrid } from './zone-grid.js';

/**
 * The dashboard's composition root: finds the page's elements, loads one site's snapshot (zones, alerts,
 * trend), keeps it current from the live stream, and keeps the chosen site, zone, sensor and bucket in the
 * URL so a reload or a shared link shows the same view. The pipeline panel and the badge say whether data
 * is flowing, not only whether this page is connected.
 */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const siteSelect = /** @type {HTMLSelectElement} */ ($('site'));
const pageError = $('page-error');
const alertError = $('alert-error');
const live = $('live');

const params = new URLSearchParams(location.search);
const view = {
  siteId: params.get('site') ?? '',
  zoneId: params.get('zone') ?? '',
  sensorType: params.get('sensor') ?? 'co2',
  bucket: params.get('bucket') ?? '5m',
  period: params.get('period') ?? '7d',
};
function saveView() {
  const { siteId: site, zoneId: zone, sensorType: sensor, bucket, period } = view;
  history.replaceState(null, '', `?${new URLSearchParams({ site, zone, sensor, bucket, period })}`);
}

/** @param {HTMLElement} banner @param {string | undefined} message */
function show(banner, message) {
  banner.textContent = message ?? '';
  banner.hidden = message === undefined;
}

const trend = createTrendPanel({
  form: /** @type {HTMLFormElement} */ ($('trend-form')),
  zoneSelect: /** @type {HTMLSelectElement} */ ($('trend-zone')),
  sensorSelect: /** @type {HTMLSelectElement} */ ($('trend-sensor')),
  chart: $('trend-chart'),
  caption: $('trend-caption'),
  view,
  onViewChange: saveView,
});
const stats = createAlertStatsPanel({
  panel: $('alert-stats'),
  caption: $('alert-stats-caption'),
  periods: $('alert-stats-periods'),
  totals: $('alert-stats-totals'),
  rules: /** @type {HTMLTableSectionElement} */ ($('alert-stats-rules')),
  devices: /** @type {HTMLTableSectionElement} */ ($('alert-stats-devices')),
  load: alertStats,
  view,
  onViewChange: saveView,
});
const grid = createZoneGrid($('zones'), {
  onShowTrend(zoneId) {
    trend.showZone(zoneId);
    $('trend-heading').scrollIntoView({ behavior: 'smooth', block: 'start' });
  },
});
const keys = createApiKeyStore({
  form: /** @type {HTMLFormElement} */ ($('key-form')),
  input: /** @type {HTMLInputElement} */ ($('api-key')),
  reason: $('key-reason'),
  cancel: /** @type {HTMLButtonElement} */ ($('key-cancel')),
});
// The list's buttons call the acknowledger, which updates the list: the arrow runs only on a click.
const alerts = createAlertList($('alerts'), $('alert-count'), { onAcknowledge: (a) => void acknowledge(a) });
const acknowledge = createAcknowledger({
  keys,
  alerts,
  showError: (message) => show(alertError, message),
  onStale: () => void loadSnapshot(false),
});

/**
 * Loads zones and alerts of the chosen site.
 * @param {boolean} fresh replace the grid (site changed) rather than merge (reconnect: newer readings stay)
 */
async function loadSnapshot(fresh) {
  const siteId = view.siteId;
  if (!siteId) return;
  const requestedAt = Date.now();
  try {
    const [zones, active] = await Promise.all([latestZones(siteId), activeAlerts(siteId)]);
    if (siteId !== view.siteId) return;
    if (fresh) grid.reset(zones);
    else grid.merge(zones);
    alerts.reset(active, requestedAt);
    show(pageError, undefined);
    if (trend.setZones(grid.zoneIds()) || fresh) void trend.load();
    void stats.load();
    saveView();
  } catch (err) {
    show(pageError, `Could not load ${siteId}: ${String(err)}. Retrying when the live stream reconnects.`);
  }
}

/** @type {Set<string>} */
const knownSites = new Set();
let sitesLoaded = false;
/** @type {Promise<void> | undefined} */
let sitesInFlight;

/** Fills the site selector; reloads the snapshot when the chosen site changed (or on the first call). */
function loadSites() {
  sitesInFlight ??= (async () => {
    try {
      const ids = (await listSites()).map((s) => String(s.site_id));
      const before = sitesLoaded ? view.siteId : undefined;
      if (!ids.includes(view.siteId)) view.siteId = ids[0] ?? '';
      knownSites.clear();
      for (const id of ids) knownSites.add(id);
      const options = ids.length ? ids.map((id) => new Option(id, id)) : [new Option('No sites yet', '')];
      siteSelect.replaceChildren(...options);
      siteSelect.value = view.siteId;
      siteSelect.disabled = ids.length === 0;
      sitesLoaded = true;
      if (before !== view.siteId) await loadSnapshot(true);
    } catch (err) {
      show(pageError, `Could not load the sites: ${String(err)}. Retrying when the live stream reconnects.`);
    } finally {
      sitesInFlight = undefined;
    }
  })();
  return sitesInFlight;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let sitesTimer;
function refreshSitesSoon() {
  sitesTimer ??= setTimeout(() => {
    sitesTimer = undefined;
    void loadSites();
  }, 2_000);
}

siteSelect.addEventListener('change', () => {
  view.siteId = siteSelect.value;
  view.zoneId = '';
  void loadSnapshot(true);
});

const PIPELINE_POLL_MS = 5_000;
const pipeline = createPipelinePanel({
  panel: $('pipeline'),
  summary: $('pipeline-summary'),
  rate: $('pipeline-rate'),
  lag: $('pipeline-lag'),
  dead: $('pipeline-dead'),
  stalled: $('pipeline-stalled'),
  last: $('pipeline-last'),
});

/**
 * The badge: the stream's state while it is not connected; once it is, whether data flows. "Live" only
 * when the processor stored something recently, so a stopped pipeline never hides behind a green dot.
 */
const BADGE = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  connected: 'Connected',
  live: 'Live',
  stalled: 'Stalled',
  idle: 'No new data',
};
/** @type {'connecting' | 'live' | 'reconnecting'} */
let streamState = 'connecting';
/** @type {string | undefined} the pipeline status's verdict, undefined until one arrives */
let flow;
function showBadge() {
  /** @type {keyof typeof BADGE} */
  let state = streamState;
  if (streamState === 'live') {
    state =
      flow === 'flowing'
        ? 'live'
        : flow === 'stalled'
          ? 'stalled'
          : flow === undefined
            ? 'connected'
            : 'idle';
  }
  live.dataset.state = state;
  /** @type {HTMLElement} */ (live.querySelector('.live-text')).textContent = BADGE[state];
}

/** @type {Promise<void> | undefined} */
let statusInFlight;
function refreshPipeline() {
  statusInFlight ??= pipelineStatus()
    .then(
      (status) => {
        pipeline.show(status);
        flow = status.state;
      },
      (err) => {
        pipeline.failed(String(err));
        flow = undefined;
      },
    )
    .finally(() => {
      statusInFlight = undefined;
      showBadge();
    });
  return statusInFlight;
}

/** The stream URL, with a fresh token when a key is known (EventSource cannot send the key header). */
async function streamUrl() {
  const key = keys.current();
  if (!key) return '/api/v1/stream';
  try {
    const { token } = await streamToken(key);
    return `/api/v1/stream?token=${encodeURIComponent(token)}`;
  } catch {
    return '/api/v1/stream'; // refused key or no token route: reads will ask again if a key is needed
  }
}

const stream = connectLiveStream({
  url: streamUrl,
  onState(state) {
    streamState = state;
    showBadge();
  },
  onOpen() {
    // Catch up on whatever happened before this (re)connection; the very first load may still be running.
    void (sitesLoaded && view.siteId ? loadSnapshot(false) : loadSites());
    void refreshPipeline();
  },
  onZones(items) {
    if (sitesLoaded && items.some((i) => !knownSites.has(i.site_id))) refreshSitesSoon(); // a new site
    const mine = items.filter((i) => i.site_id === view.siteId);
    if (mine.length === 0) return;
    grid.merge(mine);
    trend.setZones(grid.zoneIds());
    for (const i of mine) trend.readingsChanged(i.zone_id, i.sensor_type);
  },
  onAlert(alert) {
    if (alert.site_id !== view.siteId) return;
    alerts.upsert(alert);
    stats.alertChanged();
  },
});
// With API_READ_AUTH=true reads ask for a key; once one is entered, the stream opens with a token at once.
useKeyForReads(keys, () => {
  stream.reconnect();
  void refreshPipeline();
});
void loadSites();
void refreshPipeline();
setInterval(() => void refreshPipeline(), PIPELINE_POLL_MS);

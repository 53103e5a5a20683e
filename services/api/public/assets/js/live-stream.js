/**
 * The live feed: `GET /api/v1/stream` as Server-Sent Events. `event: zones` carries an array of changed
 * zone readings, `event: alert` one alert. EventSource retries by itself after a dropped connection; when
 * the server answers with an error instead (the stream is then CLOSED for good) we reopen it ourselves,
 * backing off from 1 s to 30 s. Every successful (re)open is reported, so the page can reload its
 * snapshot and not miss what happened while it was away.
 */

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/** @typedef {'connecting' | 'live' | 'reconnecting'} LiveState */

/**
 * @param {{
 *   url: string,
 *   onZones: (items: any[]) => void,
 *   onAlert: (alert: any) => void,
 *   onState: (state: LiveState) => void,
 *   onOpen: () => void,
 * }} handlers
 * @returns {{ close: () => void }}
 */
export function connectLiveStream({ url, onZones, onAlert, onState, onOpen }) {
  /** @type {EventSource | undefined} */
  let source;
  let retryMs = FIRST_RETRY_MS;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let closed = false;

  const parse = (/** @type {MessageEvent} */ event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return undefined; // a malformed event is dropped; the next snapshot reload repairs the view
    }
  };

  function open() {
    timer = undefined;
    const es = new EventSource(url);
    source = es;
    es.addEventListener('open', () => {
      retryMs = FIRST_RETRY_MS;
      onState('live');
      onOpen();
    });
    es.addEventListener('zones', (event) => {
      const items = parse(event);
      if (Array.isArray(items)) onZones(items);
    });
    es.addEventListener('alert', (event) => {
      const alert = parse(event);
      if (alert && typeof alert === 'object') onAlert(alert);
    });
    es.addEventListener('error', () => {
      if (closed) return;
      onState('reconnecting');
      if (es.readyState === EventSource.CLOSED && timer === undefined) {
        es.close();
        timer = setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    });
  }

  onState('connecting');
  open();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    },
  };
}

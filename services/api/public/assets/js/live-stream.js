/**
 * The live feed: `GET /api/v1/stream` as Server-Sent Events. `event: zones` carries an array of changed
 * zone readings, `event: alert` one alert. EventSource retries by itself after a dropped connection; when
 * the server answers with an error instead (the stream is then CLOSED for good) we reopen it ourselves,
 * backing off from 1 s to 30 s. Every successful (re)open is reported, so the page can reload its
 * snapshot and not miss what happened while it was away. The URL is asked for on every open, so it can
 * carry a fresh stream token (API_READ_AUTH=true: EventSource cannot send a key header).
 */

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/** @typedef {'connecting' | 'live' | 'reconnecting'} LiveState */

/**
 * @param {{
 *   url: () => Promise<string>,
 *   onZones: (items: any[]) => void,
 *   onAlert: (alert: any) => void,
 *   onState: (state: LiveState) => void,
 *   onOpen: () => void,
 * }} handlers
 * @returns {{ close: () => void, reconnect: () => void }}
 */
export function connectLiveStream({ url, onZones, onAlert, onState, onOpen }) {
  /** @type {EventSource | undefined} */
  let source;
  let retryMs = FIRST_RETRY_MS;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let closed = false;
  let opening = false;

  const parse = (/** @type {MessageEvent} */ event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return undefined; // a malformed event is dropped; the next snapshot reload repairs the view
    }
  };

  function open() {
    timer = undefined;
    if (opening) return;
    opening = true;
    url()
      .catch(() => undefined)
      .then((href) => {
        opening = false;
        if (closed) return;
        if (href === undefined) retryLater();
        else listen(new EventSource(href));
      });
  }

  function retryLater() {
    if (timer !== undefined || closed) return;
    timer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  /** @param {EventSource} es */
  function listen(es) {
    source?.close();
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
      if (es !== source) return; // replaced by a reconnect
      onState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        retryLater();
      }
    });
  }

  onState('connecting');
  open();
  return {
    /** Opens the stream again now unless it is open (e.g. a key was just entered). */
    reconnect() {
      if (closed || source?.readyState === EventSource.OPEN) return;
      if (timer !== undefined) clearTimeout(timer);
      retryMs = FIRST_RETRY_MS;
      open();
    },
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    },
  };
}

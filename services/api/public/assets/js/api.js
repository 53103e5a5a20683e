/**
 * The few API calls the page makes (routes and shapes: services/api/API-CONTRACT.md). Reads send the
 * stored key when there is one; a read refused for want of a key (API_READ_AUTH=true) asks for one and
 * retries. Acknowledging sends `x-api-key`. Failures become an ApiError carrying the HTTP status and the
 * problem detail, so the caller can tell "wrong key" (401/403) from "already resolved" (409) from "server down".
 */

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status HTTP status, 0 when the request never got an answer
   */
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

const TIMEOUT_MS = 15_000; // a hung request should surface as an error, not a spinner forever

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
async function request(path, init = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...init.headers },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError(`${path}: no answer from the server (${err instanceof Error ? err.message : err})`, 0);
  }
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json().catch(() => undefined) : undefined;
  if (!response.ok) {
    const detail = body?.detail ?? body?.title ?? response.statusText;
    throw new ApiError(`${response.status} ${detail}`, response.status);
  }
  return body;
}

/** @typedef {{ current(): string | undefined, forget(): void, ask(why?: string): Promise<string | undefined> }} KeySource */

/** @type {KeySource | undefined} */
let readKeys;
/** @type {(() => void) | undefined} */
let onReadKey;
/** @type {Promise<string | undefined> | undefined} */
let asking;

/**
 * Lets reads use (and ask for) an API key, for servers run with API_READ_AUTH=true.
 * @param {KeySource} keys
 * @param {() => void} onKey called after a key was entered for reading (e.g. to reopen the live stream)
 */
export function useKeyForReads(keys, onKey) {
  readKeys = keys;
  onReadKey = onKey;
}

/** One form for every read refused at once (the page loads several lists together). @param {string} why */
function askForReadKey(why) {
  const keys = readKeys;
  if (!keys) return Promise.resolve(undefined);
  asking ??= keys
    .ask(why)
    .then((key) => {
      if (key) onReadKey?.();
      return key;
    })
    .finally(() => {
      asking = undefined;
    });
  return asking;
}

/**
 * GET with the stored key, if any; a 401/403 asks for a key and tries again until it works or the form is
 * cancelled (then the refusal is thrown).
 * @param {string} path
 */
async function read(path) {
  for (;;) {
    const key = readKeys?.current();
    try {
      return await request(path, key ? { headers: { 'x-api-key': key } } : {});
    } catch (err) {
      if (!readKeys || !(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err;
      if (readKeys.current() !== key) continue; // a key was entered meanwhile: try with it
      if (err.status === 403) readKeys.forget();
      const entered = await askForReadKey(
        err.status === 401
          ? 'This dashboard needs an API key to read its data. It is kept for this browser tab only.'
          : 'That key was not accepted. Enter a valid API key:',
      );
      if (!entered) throw err;
    }
  }
}

/**
 * GET a list route and return its items (the first page is enough for a dashboard).
 * @param {string} path
 * @param {Record<string, string | undefined>} [params]
 * @returns {Promise<any[]>}
 */
export async function getItems(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, v);
  const qs = query.toString();
  const body = await read(qs ? `${path}?${qs}` : path);
  return Array.isArray(body?.items) ? body.items : [];
}

/** Volumes, lag and whether data flows (GET /api/v1/pipeline/status). @returns {Promise<any>} */
export const pipelineStatus = () => read('/api/v1/pipeline/status');

/**
 * A short-lived token that opens the live stream without a key header (EventSource cannot send one).
 * @param {string} apiKey
 * @returns {Promise<{ token: string, expires_at: string }>}
 */
export const streamToken = (apiKey) =>
  request('/api/v1/stream/token', { method: 'POST', headers: { 'x-api-key': apiKey } });

export const listSites = () => getItems('/api/v1/sites');

/** @param {string} siteId */
export const latestZones = (siteId) => getItems('/api/v1/zones/latest', { site_id: siteId, limit: '1000' });

/** @param {string} siteId */
export const activeAlerts = (siteId) =>
  getItems('/api/v1/alerts', { status: 'open,acknowledged', site_id: siteId, limit: '200' });

/**
 * @param {{ siteId: string, zoneId: string, sensorType: string, bucket: string, from: Date, to: Date }} q
 */
export const aggregates = (q) =>
  getItems('/api/v1/aggregates', {
    site_id: q.siteId,
    zone_id: q.zoneId,
    sensor_type: q.sensorType,
    bucket: q.bucket,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    limit: '1000',
  });

/**
 * Alert analytics of one site over [from, to) (GET /api/v1/alerts/stats).
 * @param {{ siteId: string, from: Date, to: Date }} q
 */
export const alertStats = (q) => {
  const query = new URLSearchParams({
    site_id: q.siteId,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
  });
  return read(`/api/v1/alerts/stats?${query}`);
};

/**
 * Acknowledge an alert; resolves with the updated alert.
 * @param {string | number} alertId
 * @param {string} apiKey
 */
export const acknowledgeAlert = (alertId, apiKey) =>
  request(`/api/v1/alerts/${encodeURIComponent(String(alertId))}/acknowledge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: '{}',
  });

/**
 * The few API calls the page makes (routes and shapes: services/api/API-CONTRACT.md). Reads send no key;
 * acknowledging sends `x-api-key`. Failures become an ApiError carrying the HTTP status and the problem
 * detail, so the caller can tell "wrong key" (401/403) from "already resolved" (409) from "server down".
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
  const body = await request(qs ? `${path}?${qs}` : path);
  return Array.isArray(body?.items) ? body.items : [];
}

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

import { createHash } from 'node:crypto';
import type { Api } from '@telemetry-pulse/api';
import { startTestApi } from '../../support/api';

/**
 * One `API_KEYS` entry for `key`: the server is configured with hashes, never with keys. Computed here,
 * not with the API's own helper, so a wrong hash on the server side cannot cancel out.
 */
export function apiKeyEntry(name: string, key: string): string {
  return `${name}:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * The real API in-process (test/support/api.ts) set up for a browser: zone changes polled every 500 ms so
 * they reach the page quickly. Resolves with its base URL, which also serves the dashboard.
 */
export async function startDashboardApi(env: Record<string, string>): Promise<{ api: Api; baseUrl: string }> {
  const { api, url } = await startTestApi({ API_SSE_POLL: '500ms', ...env });
  return { api, baseUrl: url };
}

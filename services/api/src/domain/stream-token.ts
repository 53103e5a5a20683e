import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from './api-keys';

/**
 * Short-lived tokens for the live stream. A browser's EventSource cannot send headers, so with
 * API_READ_AUTH=true the page trades its key (in the x-api-key header) for a token and opens the stream
 * with it in the query. A token is `<expiry s>.<HMAC>.<key name>`, signed with the key's configured SHA-256:
 * every replica configured with the same API_KEYS accepts it, no secret is added, and removing a key from
 * API_KEYS revokes its tokens. It opens the stream and nothing else, for a minute: query strings end up
 * in access logs, so the token must be worth little once logged.
 */
export const STREAM_TOKEN_TTL_MS = 60_000;

const TOKEN_RE = /^(\d{1,12})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_.-]{1,64})$/;

function signature(key: ApiKey, expiresAtSec: number): Buffer {
  return createHmac('sha256', key.sha256)
    .update(`telemetry-pulse stream ${key.name} ${expiresAtSec}`)
    .digest();
}

/** A token for `key`, valid for `ttlMs` from `nowMs` (rounded up to the second). */
export function mintStreamToken(
  key: ApiKey,
  nowMs: number,
  ttlMs = STREAM_TOKEN_TTL_MS,
): { token: string; expiresAtMs: number } {
  const expiresAtSec = Math.ceil((nowMs + ttlMs) / 1000);
  const sig = signature(key, expiresAtSec).toString('base64url');
  return { token: `${expiresAtSec}.${sig}.${key.name}`, expiresAtMs: expiresAtSec * 1000 };
}

/** The key a token was minted for, when it is well formed, signed by that key and not expired. */
export function verifyStreamToken(keys: readonly ApiKey[], token: string, nowMs: number): ApiKey | undefined {
  const m = TOKEN_RE.exec(token);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  const expiresAtSec = Number(m[1]);
  if (expiresAtSec * 1000 <= nowMs) return undefined;
  const key = keys.find((k) => k.name === m[3]);
  if (!key) return undefined;
  const given = Buffer.from(m[2], 'base64url');
  const expected = signature(key, expiresAtSec);
  return given.length === expected.length && timingSafeEqual(given, expected) ? key : undefined;
}

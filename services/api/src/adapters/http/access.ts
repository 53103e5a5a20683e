import type { Context } from 'koa';
import { findApiKey, type ApiKey } from '../../domain/api-keys';
import type { RateLimiter } from '../../domain/rate-limit';
import { verifyStreamToken } from '../../domain/stream-token';
import { ProblemError } from './problem';
import type { Auth, Principal } from './route';

export const API_KEY_HEADER = 'x-api-key';

export interface AccessControl {
  /**
   * Identifies the caller, charges the rate limit (per key, else per IP) and enforces the route's auth:
   * 401 without a key where one is needed, 403 with a wrong one, 429 when the bucket is empty. A stream
   * token (routes that take one, see Route.streamToken) stands in for a missing key header.
   */
  admit(ctx: Context, auth: Auth, limited: boolean, streamToken?: string): Principal;
}

/**
 * Access control from the configured keys, the read-auth switch and an optional rate limiter. Ingest
 * keys (devices, gateways) and operator keys are separate lists: neither can do the other's work.
 */
export function createAccessControl(opts: {
  keys: readonly ApiKey[];
  ingestKeys?: readonly ApiKey[];
  ingestAnonymous?: boolean;
  readAuth: boolean;
  limiter: RateLimiter | undefined;
  now: () => number;
  onLimited: () => void;
}): AccessControl {
  return {
    admit(ctx, auth, limited, streamToken) {
      const presented = ctx.get(API_KEY_HEADER);
      const keys = auth === 'ingest' ? (opts.ingestKeys ?? []) : opts.keys;
      const tokenOnly = presented === '' && streamToken !== undefined;
      const key = tokenOnly
        ? verifyStreamToken(opts.keys, streamToken, opts.now())
        : presented === ''
          ? undefined
          : findApiKey(keys, presented);
      if (limited && opts.limiter) {
        // A wrong key is charged to the IP, so guessing keys cannot mint fresh buckets.
        const verdict = opts.limiter.take(key ? `key:${key.name}` : `ip:${ctx.ip}`, opts.now());
        if (!verdict.allowed) {
          opts.onLimited();
          const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
          throw new ProblemError('rate-limited', `Rate limit exceeded; retry in ${seconds} s.`, {
            headers: { 'retry-after': String(seconds) },
          });
        }
      }
      const required =
        auth === 'write' ||
        (auth === 'read' && opts.readAuth) ||
        (auth === 'ingest' && opts.ingestAnonymous !== true);
      if (required && tokenOnly && !key) {
        throw new ProblemError(
          'forbidden',
          'The stream token is not valid or has expired; ask for a new one.',
        );
      }
      if (required && presented === '' && !tokenOnly) {
        throw new ProblemError('unauthorized', `Send an API key in the ${API_KEY_HEADER} header.`, {
          headers: { 'www-authenticate': `ApiKey header="${API_KEY_HEADER}"` },
        });
      }
      if (required && !key) throw new ProblemError('forbidden', 'The API key is not valid.');
      if (auth === 'ingest' && presented !== '' && !key)
        throw new ProblemError('forbidden', 'The API key is not valid.');
      const client = key ? `key:${key.name}` : `ip:${ctx.ip}`;
      return key ? { keyName: key.name, client, ...(key.sites ? { sites: key.sites } : {}) } : { client };
    },
  };
}

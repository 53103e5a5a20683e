import { createHash, timingSafeEqual } from 'node:crypto';

/** A configured API key: who it belongs to and the SHA-256 of the key (the key itself is never stored). */
export interface ApiKey {
  readonly name: string;
  readonly sha256: Buffer;
  /** The only sites this key may act on (acknowledge their alerts, send their readings); all when absent. */
  readonly sites?: ReadonlySet<string>;
}

// name:sha256hex, optionally :site|site|... (site ids as events carry them, without `|` or `,`)
const ENTRY_RE =
  // eslint-disable-next-line no-control-regex -- control characters are what a site id must not hold
  /^([A-Za-z0-9_.-]{1,64}):([0-9a-fA-F]{64})(?::([^|,\u0000-\u001f\u007f]{1,128}(?:\|[^|,\u0000-\u001f\u007f]{1,128})*))?$/;

/** SHA-256 of a presented key, as stored in `API_KEYS`. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses `API_KEYS`: `name:sha256hex` entries (hashes only, never plain keys). Returns every problem at
 * once so start-up can report them together with the other configuration errors.
 */
export function parseApiKeys(
  entries: readonly string[],
  variable = 'API_KEYS',
): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  entries.forEach((entry, i) => {
    const m = ENTRY_RE.exec(entry);
    if (!m || m[1] === undefined || m[2] === undefined) {
      // The entry is not echoed: a plain key pasted by mistake must not reach the logs.
      problems.push(
        `${variable} entry ${i + 1} must be name:sha256hex[:site|site…] (64 hex digits; hash a key with hash-key)`,
      );
      return;
    }
    if (names.has(m[1])) problems.push(`${variable} names must be unique; "${m[1]}" appears twice`);
    // A key's name is who acknowledges or resolves with it; the processor reads "engine" as its own resolve.
    if (m[1].toLowerCase() === 'engine')
      problems.push(`${variable} name "engine" is reserved for the alert engine`);
    names.add(m[1]);
    keys.push({
      name: m[1],
      sha256: Buffer.from(m[2], 'hex'),
      ...(m[3] === undefined ? {} : { sites: new Set(m[3].split('|')) }),
    });
  });
  return { keys, problems };
}

/**
 * The key's owner, or undefined. Every configured hash is compared in constant time, and the loop does
 * not stop at a match, so the response time says nothing about which entry (if any) was close.
 */
export function findApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(digest, key.sha256) && found === undefined) found = key;
  }
  return found;
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed webhook request. */
export const SIGNATURE_HEADER = 'X-TelemetryPulse-Signature';
export const TIMESTAMP_HEADER = 'X-TelemetryPulse-Timestamp';

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`): binding the timestamp (seconds since the
 * epoch) into the signature lets a receiver refuse old requests replayed with a valid body.
 */
export function signWebhook(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/**
 * A receiver's check: the signature matches (compared in constant time) and the timestamp is within
 * `windowS` of `nowS`. Exported for receivers written in TypeScript and for the tests.
 */
export function verifyWebhook(
  secret: string,
  header: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowS: number,
  windowS = 300,
): 'ok' | 'bad-signature' | 'stale' {
  const ts = Number(header.timestamp);
  if (!Number.isInteger(ts)) return 'bad-signature';
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(header.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  return Math.abs(nowS - ts) > windowS ? 'stale' : 'ok';
}

import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `30s`, `5m`, `24h`, `2d` (or a bare number of milliseconds) to milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const m = DURATION_RE.exec(trimmed);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN));
}

/** Formats milliseconds back in the largest whole unit (`300000` → `5m`). */
export function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Option value builders: each takes text-or-undefined and yields a typed value. */
export const opt = {
  string: (fallback: string) => z.string().max(4096).default(fallback),
  optionalString: () => z.string().max(4096).optional(),
  int: (fallback: number, min: number, max: number) =>
    z
      .string()
      .default(String(fallback))
      .pipe(z.coerce.number<string>().int(`must be a whole number`).min(min).max(max)),
  optionalInt: (min: number, max: number) =>
    z
      .string()
      .optional()
      .pipe(z.coerce.number<string | undefined>().int('must be a whole number').min(min).max(max).optional()),
  number: (fallback: number, min: number, max: number) =>
    z.string().default(String(fallback)).pipe(z.coerce.number<string>().min(min).max(max)),
  bool: (fallback: boolean) =>
    z
      .string()
      .default(String(fallback))
      .transform((s, ctx) => {
        const v = s.toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: 'must be true or false' });
        return z.NEVER;
      }),
  duration: (fallback: string, minMs = 0) =>
    z
      .string()
      .default(fallback)
      .transform((s, ctx) => {
        const ms = parseDurationMs(s);
        if (ms === undefined || ms < minMs) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a duration like 30s, 5m, 24h (at least ${minMs} ms)`,
          });
          return z.NEVER;
        }
        return ms;
      }),
  optionalDuration: () =>
    z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined) return undefined;
        const ms = parseDurationMs(s);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration like 30s, 5m, 24h' });
          return z.NEVER;
        }
        return ms;
      }),
  /** A fraction 0..1, also written as a percentage (`5%`). */
  rate: (fallback: number) =>
    z
      .string()
      .default(String(fallback))
      .transform((s, ctx) => {
        const v = s.endsWith('%') ? Number(s.slice(0, -1)) / 100 : Number(s);
        if (!Number.isFinite(v) || v < 0 || v > 1) {
          ctx.addIssue({ code: 'custom', message: 'must be a fraction 0..1 or a percentage like 5%' });
          return z.NEVER;
        }
        return v;
      }),
  list: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p.length > 0),
      ),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.string().default(fallback).pipe(z.enum(values)),
};

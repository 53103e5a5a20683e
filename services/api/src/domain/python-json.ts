/**
 * JSON as the Python original's FastAPI wrote it, so its clients read the same bytes: compact separators,
 * floats always with a fraction or exponent (`450.0`, `1e-05`: Python's `repr`, which a Python client
 * reads back as `float`, not `int`), and instants either as `datetime.isoformat()` (`+00:00`, the first
 * generation's routes, which returned plain dicts) or as pydantic v2 writes them (`Z`, the second
 * generation's response models). Pure: no I/O.
 */

/** A float written as Python's `repr(float)`: the shortest round-trip digits, exponent outside 1e-4..1e16. */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not JSON (FastAPI refuses NaN and infinities)`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, like Python's repr.
  const [mantissa = '', exp = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const abs = Math.abs(e);
    return `${sign}${frac}e${e < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}

/** How an instant is written: `isoformat()` (`+00:00`) or pydantic v2 (`Z`). */
export type PythonTimeStyle = 'isoformat' | 'pydantic';

/**
 * An instant (ISO-8601 UTC text or epoch ms) as Python writes an aware UTC datetime: microseconds only
 * when non-zero, six digits.
 */
export function pythonTime(instant: string | number, style: PythonTimeStyle): string {
  const d = new Date(instant);
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(instant)}`);
  const base = d.toISOString().slice(0, 19);
  const millis = ((ms % 1000) + 1000) % 1000;
  const fraction = millis === 0 ? '' : `.${String(millis).padStart(3, '0')}000`;
  return `${base}${fraction}${style === 'pydantic' ? 'Z' : '+00:00'}`;
}

/** Which fields of a response are Python floats; every other number is written as an integer. */
export interface PythonShape {
  readonly floats: ReadonlySet<string>;
}

/**
 * `json.dumps(value, separators=(",", ":"), ensure_ascii=False)` of a response whose float fields are
 * named in `shape`. Strings are escaped as JSON.stringify does, which matches Python for valid text.
 */
export function pythonJson(value: unknown, shape: PythonShape, key?: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (key !== undefined && shape.floats.has(key)) return pythonFloat(value);
    if (!Number.isSafeInteger(value)) throw new RangeError(`${key ?? 'value'} must be an integer: ${value}`);
    return String(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v, shape, key)).join(',')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${pythonJson(v, shape, k)}`);
    return `{${parts.join(',')}}`;
  }
  throw new TypeError(`cannot write ${typeof value} as JSON`);
}

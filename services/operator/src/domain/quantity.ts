/**
 * Kubernetes resource quantities (`500m`, `0.5`, `512Mi`, `1e3`) compared by the amount they stand for.
 * The API server stores a quantity in its canonical form (`cpu: 0.5` comes back as `500m`, `0.5Gi` as
 * `512Mi`, `1000m` as `1`), so comparing what the operator applies with what it reads back by text would
 * see drift on every pass and re-apply forever.
 */

/** An exact amount: numerator / denominator, both integers, denominator > 0. */
interface Amount {
  readonly num: bigint;
  readonly den: bigint;
}

const BINARY: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
// The grammar of k8s.io/apimachinery's resource.ParseQuantity: sign, digits, then a binary suffix, a
// decimal SI suffix or a decimal exponent.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;
const NANO = 1_000_000_000n;

/** The exact amount of a quantity (a JSON number or its text), or undefined when it is not one. */
function amountOf(value: unknown): Amount | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', digits = '', binary, decimal, exponent] = m;
  const [whole = '', fraction = ''] = digits.split('.');
  let num = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(fraction.length);
  if (binary !== undefined) num *= 1024n ** BigInt(BINARY[binary] ?? 0);
  const power = exponent !== undefined ? Number(exponent) : (DECIMAL[decimal ?? ''] ?? 0);
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  return { num, den };
}

/** The amount in nano units, rounded up the way the API server rounds anything finer than `1n`. */
function nanos(a: Amount): bigint {
  const scaled = a.num * NANO;
  const q = scaled / a.den;
  return scaled % a.den > 0n ? q + 1n : q;
}

/**
 * Whether two quantities stand for the same amount (`0.5` = `500m`, `0.5Gi` = `512Mi`, `1000m` = `1`).
 * Values that are not quantities compare by their text.
 */
export function sameQuantity(a: unknown, b: unknown): boolean {
  const x = amountOf(a);
  const y = amountOf(b);
  if (x === undefined || y === undefined) return String(a) === String(b);
  return nanos(x) === nanos(y);
}

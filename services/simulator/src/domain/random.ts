/**
 * Seeded randomness. Every random choice of a run is drawn from one {@link Random}, so a seed replays the
 * same fleet, signals and faults. `Math.random` and `crypto.randomUUID` are never used in the domain.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** Standard normal (mean 0, standard deviation 1). */
  gaussian(): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** A version-4 UUID whose random bits come from this generator. */
  uuid(): string;
}

const TWO_POW_32 = 4_294_967_296;

// Table lookups, not toString(16) with padding and slicing: there is a UUID per event on the hot path.
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex16 = (n: number): string => (HEX_BYTE[n >>> 8] as string) + HEX_BYTE[n & 255];
const hex32 = (n: number): string => hex16(n >>> 16) + hex16(n & 0xffff);

/** splitmix32: spreads a small or sequential seed over all bits before it seeds sfc32. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand, and is a
 * handful of 32-bit integer operations per draw, which matters at a few hundred thousand events/s.
 */
export function createRandom(seed: number): Random {
  const mix = splitmix32(seed);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first draws: sfc32's authors advise a short warm-up after seeding.
  for (let i = 0; i < 12; i++) nextU32();

  let spareGaussian: number | undefined;
  const next = (): number => nextU32() / TWO_POW_32;

  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    gaussian() {
      if (spareGaussian !== undefined) {
        const g = spareGaussian;
        spareGaussian = undefined;
        return g;
      }
      // Box–Muller: two uniforms give two independent normals; the second is kept for the next call.
      const u = 1 - next(); // (0, 1], so log(u) is finite
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareGaussian = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    uuid() {
      const w0 = nextU32();
      const w1 = (nextU32() & 0xffff0fff) | 0x00004000; // version 4 in the 13th hex digit
      const w2 = ((nextU32() & 0x3fffffff) | 0x80000000) >>> 0; // RFC 4122 variant (10xx) in the 17th
      const w3 = nextU32();
      // prettier-ignore
      return hex32(w0) + '-' + hex16(w1 >>> 16) + '-' + hex16(w1 & 0xffff) + '-' + hex16(w2 >>> 16) + '-' + hex16(w2 & 0xffff) + hex32(w3);
    },
  };
}

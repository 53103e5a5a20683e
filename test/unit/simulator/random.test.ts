import { createRandom } from '@telemetry-pulse/simulator';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createRandom', () => {
  it('replays the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number): number[] => {
      const r = createRandom(seed);
      return Array.from({ length: 50 }, () => r.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniforms in [0, 1) with the expected mean', () => {
    const r = createRandom(7);
    const xs = Array.from({ length: 100_000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 2);
  });

  it('draws standard normals', () => {
    const r = createRandom(9);
    const xs = Array.from({ length: 100_000 }, () => r.gaussian());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 1);
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const r = createRandom(3);
    const seen = new Set(Array.from({ length: 1_000 }, () => r.int(2, 5)));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });

  it('makes version-4 UUIDs that are reproducible and distinct', () => {
    const a = createRandom(1);
    const b = createRandom(1);
    const ids = Array.from({ length: 10_000 }, () => a.uuid());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Array.from({ length: 10_000 }, () => b.uuid())).toEqual(ids);
  });
});

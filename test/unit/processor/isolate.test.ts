import fc from 'fast-check';
import { applyIsolating, type StepResult } from '../../../services/processor/src/domain/isolate';

class Failure extends Error {}
const isFailure = (err: unknown): err is Failure => err instanceof Failure;

/** Runs the isolation over 0..n-1 where `poison` items fail any slice that holds them. */
async function run(n: number, poison: ReadonlySet<number>, abandonAt?: number) {
  const applied: number[][] = [];
  const deadLettered: number[] = [];
  const result = await applyIsolating(
    Array.from({ length: n }, (_, i) => i),
    isFailure,
    async (slice): Promise<StepResult> => {
      if (slice.some((i) => poison.has(i))) throw new Failure(`poison in ${slice.join(',')}`);
      if (abandonAt !== undefined && slice.includes(abandonAt)) return 'abandon';
      applied.push([...slice]);
      return 'done';
    },
    async (item, failure) => {
      expect(failure.message).toMatch(/poison/);
      deadLettered.push(item);
      return 'done';
    },
  );
  return { result, applied, deadLettered };
}

describe('applyIsolating', () => {
  it('applies a healthy batch in one go', async () => {
    const r = await run(100, new Set());
    expect(r).toEqual({
      result: 'done',
      applied: [Array.from({ length: 100 }, (_, i) => i)],
      deadLettered: [],
    });
  });

  it('dead-letters exactly the failing items and applies every other one once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 200 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 5 })),
          ),
        async ([n, poison]) => {
          const { result, applied, deadLettered } = await run(n, new Set(poison));
          expect(result).toBe('done');
          expect(deadLettered).toEqual([...poison].sort((a, b) => a - b));
          // Every item exactly once, applied or dead-lettered, and in offset order.
          const order = [...applied.flat(), ...deadLettered].sort((a, b) => a - b);
          expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
          const sequence = applied.map((s) => s[0] ?? -1).concat(deadLettered);
          expect(applied.flat()).toEqual([...applied.flat()].sort((a, b) => a - b));
          expect(sequence.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('needs about 2·log2(n) attempts for one failing item', async () => {
    let attempts = 0;
    await applyIsolating(
      Array.from({ length: 1024 }, (_, i) => i),
      isFailure,
      async (slice) => {
        attempts += 1;
        if (slice.includes(700)) throw new Failure('poison');
        return 'done';
      },
      async () => 'done',
    );
    expect(attempts).toBeLessThanOrEqual(2 * Math.log2(1024) + 1);
  });

  it('stops when a step says abandon', async () => {
    const r = await run(10, new Set([2]), 7);
    expect(r.result).toBe('abandon');
    expect(r.applied.flat()).not.toContain(7);
  });

  it('throws other errors at once instead of splitting on them', async () => {
    let calls = 0;
    await expect(
      applyIsolating(
        [1, 2, 3, 4],
        isFailure,
        async () => {
          calls += 1;
          throw new Error('the partition was taken away');
        },
        async () => 'done',
      ),
    ).rejects.toThrow('the partition was taken away');
    expect(calls).toBe(1);
  });
});

/** What a step of the isolation reports: done, or the batch must be abandoned (partition lost, stopping). */
export type StepResult = 'done' | 'abandon';

/**
 * Finds the records that make a batch fail, and applies everything else. `apply` is tried on the whole
 * slice first; a slice that throws a failure (`isFailure`) is halved, left half first, so slices are
 * applied in offset order and the stored progress only moves forward. A single record that still fails
 * goes to `onFailure` (which dead-letters it). Any other error is thrown at once. About 2·log2(n)
 * attempts per failing record in n.
 */
export async function applyIsolating<T, F>(
  items: readonly T[],
  isFailure: (err: unknown) => err is F,
  apply: (slice: readonly T[]) => Promise<StepResult>,
  onFailure: (item: T, failure: F) => Promise<StepResult>,
): Promise<StepResult> {
  if (items.length === 0) return 'done';
  let failure: F;
  try {
    return await apply(items);
  } catch (err) {
    if (!isFailure(err)) throw err;
    failure = err;
  }
  const [only] = items;
  if (items.length === 1 && only !== undefined) return onFailure(only, failure);
  const half = Math.ceil(items.length / 2);
  const left = await applyIsolating(items.slice(0, half), isFailure, apply, onFailure);
  if (left === 'abandon') return left;
  return applyIsolating(items.slice(half), isFailure, apply, onFailure);
}

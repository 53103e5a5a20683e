/**
 * Keeps up to `depth` batches handed to the producer at once. kafkajs' idempotent producer sends one request
 * per broker at a time, so a second batch queued behind the first removes the gap between an acknowledgement
 * and the next request; deeper windows only add memory.
 */
export interface SendWindow<T> {
  /** Hands a batch over; resolves once there is room for another. Rejects with the first send failure. */
  push(batch: readonly T[]): Promise<void>;
  /** Resolves once every batch handed over is acknowledged; rejects with the first failure. */
  drain(): Promise<void>;
  /** Messages acknowledged so far. */
  acked(): number;
}

export function createSendWindow<T>(
  send: (batch: readonly T[]) => Promise<void>,
  depth: number,
): SendWindow<T> {
  const pending = new Set<Promise<void>>();
  let acked = 0;
  let failed: { err: unknown } | undefined;

  const check = (): void => {
    if (failed) throw failed.err;
  };

  return {
    async push(batch) {
      // Wait for room before handing the batch over, not after: the caller then builds the next batch
      // while this one is on the wire, even with a depth of 1.
      while (pending.size >= depth) await Promise.race(pending);
      check();
      const p: Promise<void> = send(batch).then(
        () => {
          acked += batch.length;
          pending.delete(p);
        },
        (err: unknown) => {
          failed ??= { err };
          pending.delete(p);
        },
      );
      pending.add(p);
      // One event-loop turn lets kafkajs run its promise chain up to writing the request; only then does
      // the caller's synchronous work on the next batch overlap the broker's, instead of delaying the write.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async drain() {
      await Promise.all(pending);
      check();
    },
    acked: () => acked,
  };
}

/**
 * The controller's work queue, after client-go's: keys (namespace/name), never objects, so a burst of
 * events for one pipeline becomes one reconcile of its latest state. A key is handed to one worker at a
 * time; added again while being worked on, it is queued once more when that worker is done. Failed keys
 * come back after an exponential per-key delay; `forget` resets it after a success.
 */
export interface WorkQueue {
  add(key: string): void;
  /** Adds the key after `ms` (a periodic resync or a lag re-read); an earlier pending delay wins. */
  addAfter(key: string, ms: number): void;
  /** Adds the key after its next backoff delay: base × 2^failures, capped. */
  addRateLimited(key: string): void;
  forget(key: string): void;
  /** The next key to work on; undefined once shut down. */
  get(): Promise<string | undefined>;
  done(key: string): void;
  /** Keys waiting (not counting those delayed or being worked on). */
  length(): number;
  /** Wakes every waiting worker with undefined; no key is handed out after this. */
  shutDown(): void;
}

export function createWorkQueue(opts: { baseDelayMs: number; maxDelayMs: number }): WorkQueue {
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const failures = new Map<string, number>();
  /** At most one pending delay per key, the earliest (a later addAfter never postpones it). */
  const delayed = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  const waiters: ((key: string | undefined) => void)[] = [];
  let shuttingDown = false;

  function add(key: string): void {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    if (processing.has(key)) return; // done() queues it again
    const waiter = waiters.shift();
    if (waiter) {
      dirty.delete(key);
      processing.add(key);
      waiter(key);
    } else {
      queue.push(key);
    }
  }

  function addAfter(key: string, ms: number): void {
    if (shuttingDown) return;
    if (ms <= 0) return add(key);
    const at = Date.now() + ms;
    const pending = delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { timer, at });
  }

  return {
    add,
    addAfter,
    addRateLimited(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      addAfter(key, Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** n));
    },
    forget: (key) => void failures.delete(key),
    get() {
      if (shuttingDown) return Promise.resolve(undefined);
      const key = queue.shift();
      if (key !== undefined) {
        dirty.delete(key);
        processing.add(key);
        return Promise.resolve(key);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key)) {
        dirty.delete(key);
        add(key);
      }
    },
    length: () => queue.length,
    shutDown() {
      shuttingDown = true;
      for (const d of delayed.values()) clearTimeout(d.timer);
      delayed.clear();
      for (const w of waiters.splice(0)) w(undefined);
    },
  };
}

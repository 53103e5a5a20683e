import { createWorkQueue } from '../../../services/operator/src/work-queue';
import { present } from './fixtures';

describe('work queue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands out a key once however often it was added', async () => {
    const q = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length()).toBe(2);
    expect([await q.get(), await q.get()]).toEqual(['ns/a', 'ns/b']);
  });

  it('never hands a key to two workers: re-added while in work, it comes back after done', async () => {
    const q = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    q.add('ns/a');
    const key = await q.get();
    q.add('ns/a');
    expect(q.length()).toBe(0);
    const next = q.get();
    q.done(present(key));
    expect(await next).toBe('ns/a');
  });

  it('backs off per key, doubling up to the cap, and forgets after a success', async () => {
    const q = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 35 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('ns/a');
      let waited = 0;
      while (q.length() === 0 && waited < 1000) {
        await jest.advanceTimersByTimeAsync(1);
        waited += 1;
      }
      q.done(present(await q.get()));
      delays.push(waited);
    }
    expect(delays).toEqual([10, 20, 35, 35]);
    q.forget('ns/a');
    q.addRateLimited('ns/a');
    await jest.advanceTimersByTimeAsync(9);
    expect(q.length()).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(q.length()).toBe(1);
  });

  it('keeps one pending delay per key, the earliest', async () => {
    const q = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    q.addAfter('ns/a', 30);
    q.addAfter('ns/a', 100); // later: ignored
    q.addAfter('ns/a', 20); // earlier: replaces
    await jest.advanceTimersByTimeAsync(20);
    expect(q.length()).toBe(1);
    q.done(present(await q.get()));
    await jest.advanceTimersByTimeAsync(200);
    expect(q.length()).toBe(0);
  });

  it('delays keys by addAfter and drops them on shut down', async () => {
    const q = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    q.addAfter('ns/a', 50);
    await jest.advanceTimersByTimeAsync(49);
    expect(q.length()).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(q.length()).toBe(1);
    const waiting = createWorkQueue({ baseDelayMs: 10, maxDelayMs: 100 });
    const got = waiting.get();
    waiting.addAfter('ns/b', 10);
    waiting.shutDown();
    await jest.advanceTimersByTimeAsync(20);
    expect(await got).toBeUndefined();
    expect(waiting.length()).toBe(0);
  });
});

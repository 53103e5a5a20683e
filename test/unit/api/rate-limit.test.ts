import fc from 'fast-check';
import { createRateLimiter } from '@telemetry-pulse/api';

describe('token bucket rate limiter', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const limiter = createRateLimiter({ ratePerSec: 2, burst: 3 });
    expect([1, 2, 3].map(() => limiter.take('a', 0).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(limiter.take('a', 250)).toEqual({ allowed: false, retryAfterMs: 250 });
    expect(limiter.take('a', 500).allowed).toBe(true);
  });

  it('keeps one bucket per client', () => {
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 1 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(false);
    expect(limiter.take('b', 0).allowed).toBe(true);
  });

  it('forgets the least recently seen clients beyond its bound', () => {
    const limiter = createRateLimiter({ ratePerSec: 1, burst: 1, maxClients: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0);
    limiter.take('c', 0); // evicts b, the least recent
    expect(limiter.size()).toBe(2);
    expect(limiter.take('a', 0).allowed).toBe(false); // a was kept, still empty
    expect(limiter.take('b', 0).allowed).toBe(true); // b was forgotten: it starts full again
  });

  it('never allows more than burst + rate × elapsed requests', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, gaps) => {
          const limiter = createRateLimiter({ ratePerSec: rate, burst });
          let t = 0;
          let allowed = 0;
          for (const gap of gaps) {
            t += gap;
            if (limiter.take('c', t).allowed) allowed += 1;
          }
          return allowed <= burst + (rate * t) / 1000 + 1e-9;
        },
      ),
    );
  });

  it('charges a cost of several tokens at once (a batch of readings) and says when that many are back', () => {
    const limiter = createRateLimiter({ ratePerSec: 100, burst: 500 });
    expect(limiter.take('gw', 0, 500)).toEqual({ allowed: true });
    expect(limiter.take('gw', 1000, 200)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(limiter.take('gw', 2000, 200)).toEqual({ allowed: true });
  });
});

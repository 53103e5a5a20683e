import fc from 'fast-check';
import { msUntil, paceFor, refill, spend, startBucket } from '@telemetry-pulse/simulator';

describe('token-bucket pacing', () => {
  it('groups messages by what accrues in one linger period, within the batch size', () => {
    expect(paceFor(50, 100, 1000)).toEqual({ ratePerSec: 50, burst: 50, batch: 5 });
    expect(paceFor(100_000, 100, 1000).batch).toBe(1000);
    expect(paceFor(1, 100, 1000).batch).toBe(1);
  });

  it('accrues tokens at the rate and caps them at the burst', () => {
    const pace = paceFor(200, 100, 1000);
    const b = startBucket(0, 0);
    expect(refill(b, 500, pace).tokens).toBe(100);
    expect(refill(b, 60_000, pace).tokens).toBe(pace.burst);
    expect(refill(b, -5, pace).tokens).toBe(0); // a clock stepping back adds nothing
  });

  it('says how long until n tokens are there', () => {
    const pace = paceFor(100, 100, 1000);
    expect(msUntil(startBucket(0, 0), 10, pace)).toBe(100);
    expect(msUntil(startBucket(0, 10), 10, pace)).toBe(0);
    expect(msUntil(startBucket(0, 2.5), 10, pace)).toBe(75);
  });

  it('never lets more than rate × elapsed + initial tokens through, whatever the polling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        (rate, steps) => {
          const pace = paceFor(rate, 100, 1000);
          let bucket = startBucket(0, pace.batch);
          let now = 0;
          let sent = 0;
          for (const step of steps) {
            now += step;
            bucket = refill(bucket, now, pace);
            const n = Math.floor(bucket.tokens);
            bucket = spend(bucket, n);
            sent += n;
          }
          expect(sent).toBeLessThanOrEqual(pace.batch + (rate * now) / 1000 + 1e-6);
        },
      ),
    );
  });

  it('keeps the long-run rate when polled as the run loop does', () => {
    const pace = paceFor(50, 100, 1000);
    let bucket = startBucket(0, pace.batch);
    let now = 0;
    let sent = 0;
    while (now < 60_000) {
      bucket = refill(bucket, now, pace);
      const wait = msUntil(bucket, pace.batch, pace);
      if (wait > 0) {
        now += wait;
        continue;
      }
      const n = Math.floor(bucket.tokens);
      bucket = spend(bucket, n);
      sent += n;
    }
    expect(sent / 60).toBeGreaterThan(49);
    expect(sent / 60).toBeLessThan(51);
  });
});

import { createLogger, type ConsumedBatch } from '@telemetry-pulse/shared';
import { createProcessorMetrics } from '@telemetry-pulse/processor';
import {
  BatchFailure,
  createPartitionPolicy,
  type PartitionPolicyDeps,
} from '../../../services/processor/src/partition-policy';

/**
 * The batch loop's partition policy (services/processor/src/partition-policy.ts) on a fake clock and an
 * object-literal batch: retries with backoff, the pause after `pauseAfterMs`, heartbeats while waiting, the
 * hand-back of a batch that fails for a reason that is not transient, and when it is applied in parts.
 */
const transient = (): Error => Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });

function setup(overrides: Partial<PartitionPolicyDeps> = {}) {
  let clock = 0;
  const events: string[] = [];
  let active = true;
  const batch: ConsumedBatch = {
    topic: 't',
    partition: 2,
    records: [],
    highWatermark: '0',
    heartbeat: async () => {
      events.push(`heartbeat@${clock}`);
    },
    isActive: () => active,
    pause: () => events.push(`pause@${clock}`),
    resume: () => events.push(`resume@${clock}`),
    commit: async () => undefined,
  };
  const metrics = createProcessorMetrics();
  const later: [number, () => void][] = [];
  const policy = createPartitionPolicy({
    metrics,
    logger: createLogger({ service: 'test', level: 'silent' }),
    retryBaseMs: 100,
    retryMaxMs: 1_000,
    pauseAfterMs: 500,
    failedBatchAttempts: 3,
    heartbeatEveryMs: 50,
    now: () => clock,
    random: () => 1, // the whole backoff: attempt n waits min(max, base * 2^(n-1))
    sleep: async (ms) => {
      clock += ms;
    },
    later: (ms, fn) => later.push([ms, fn]),
    ...overrides,
  });
  return {
    policy,
    batch,
    events,
    metrics,
    later,
    lose: () => {
      active = false;
    },
    now: () => clock,
  };
}

describe('partition policy', () => {
  it('retries a transient failure in place with backoff, heartbeating while it waits', async () => {
    const { policy, batch, events, metrics } = setup();
    let calls = 0;
    const result = await policy.retrying(batch, 'apply batch', async (attempt) => {
      calls += 1;
      if (attempt < 3) throw transient();
      return 'applied';
    });
    expect(result).toBe('applied');
    expect(calls).toBe(3);
    expect((await metrics.retries.get()).values[0]?.value).toBe(2);
    // 100 ms then 200 ms of backoff, a heartbeat every 50 ms of it; no pause before 500 ms.
    expect(events.filter((e) => e.startsWith('heartbeat')).length).toBeGreaterThanOrEqual(6);
    expect(events.some((e) => e.startsWith('pause'))).toBe(false);
  });

  it('pauses the partition once failures last pauseAfterMs, and resumes it when the work succeeds', async () => {
    const { policy, batch, events, metrics, now } = setup();
    const result = await policy.retrying(batch, 'apply batch', async () => {
      if (now() < 2_000) throw transient();
      return 'applied';
    });
    expect(result).toBe('applied');
    const pause = events.find((e) => e.startsWith('pause@')) ?? '';
    expect(Number(pause.split('@')[1])).toBeGreaterThanOrEqual(500);
    expect(events.filter((e) => e.startsWith('pause')).length).toBe(1);
    expect(events.at(-1)).toMatch(/^resume@/);
    expect((await metrics.pausedPartitions.get()).values[0]?.value).toBe(0);
  });

  it('throws a failure that is not transient at once, as a BatchFailure carrying the cause', async () => {
    const { policy, batch } = setup();
    const bug = Object.assign(new Error('null value in column'), { code: '23502' });
    let calls = 0;
    const attempt = policy.retrying(batch, 'apply batch', async () => {
      calls += 1;
      throw bug;
    });
    await expect(attempt).rejects.toBeInstanceOf(BatchFailure);
    await expect(attempt).rejects.toMatchObject({
      cause: bug,
      message: 'null value in column (SQLSTATE 23502)',
    });
    expect(calls).toBe(1);
  });

  it('abandons the work when the partition is lost while waiting, and resumes what it paused', async () => {
    const { policy, batch, events, lose, now } = setup();
    const result = await policy.retrying(batch, 'apply batch', async () => {
      if (now() >= 600) lose();
      throw transient();
    });
    expect(result).toBeUndefined();
    expect(events.filter((e) => e.startsWith('pause')).length).toBe(1);
    expect(events.at(-1)).toMatch(/^resume@/);
  });

  it('applies a failing batch whole failedBatchAttempts times, then in parts', () => {
    const { policy } = setup();
    expect([1, 2, 3, 4, 5].map((a) => policy.modeOf(a))).toEqual([
      'whole',
      'whole',
      'whole',
      'isolate',
      'isolate',
    ]);
  });

  it('gives a failed batch back: pauses its partition and resumes it after base + backoff', () => {
    const { policy, batch, events, later } = setup();
    expect(policy.giveBack(batch, 1)).toBe(200);
    expect(policy.giveBack(batch, 5)).toBe(1_100); // base + the capped backoff
    expect(events).toEqual(['pause@0', 'pause@0']);
    expect(later.map(([ms]) => ms)).toEqual([200, 1_100]);
    later[0]?.[1]();
    expect(events.at(-1)).toBe('resume@0');
  });

  it('heartbeats on a timer while slow work runs, so a slow database does not cost the membership', async () => {
    const { policy, batch, events } = setup({ heartbeatEveryMs: 5, sleep: undefined, now: undefined });
    const heartbeats = (): number => events.filter((e) => e.startsWith('heartbeat')).length;
    // The slow work lasts until the timer has heartbeaten three times (or 5 s, and the test fails): a fixed
    // 60 ms failed on a loaded machine, where a 5 ms timer fired late.
    await policy.retrying(batch, 'apply batch', async () => {
      for (let waited = 0; heartbeats() < 3 && waited < 5_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    expect(heartbeats()).toBeGreaterThanOrEqual(3);
  });
});

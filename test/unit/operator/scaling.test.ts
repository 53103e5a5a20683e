import {
  decideReplicas,
  EMPTY_SCALING_STATE,
  recommendReplicas,
  type ScalingPolicy,
  type ScalingState,
} from '../../../services/operator/src/domain/scaling';

const POLICY: ScalingPolicy = {
  minReplicas: 1,
  maxReplicas: 10,
  targetLagPerReplica: 1000,
  partitions: 6,
  scaleDownStabilizationMs: 60_000,
};

describe('recommendReplicas', () => {
  it.each([
    ['no lag keeps the minimum', 0, {}, 1],
    ['lag just over one replica', 1001, {}, 2],
    ['lag for 4.5 replicas rounds up', 4500, {}, 5],
    ['never above the partition count', 50_000, {}, 6],
    ['never above maxReplicas', 50_000, { maxReplicas: 3 }, 3],
    ['a minimum above the partitions is capped too', 0, { minReplicas: 8 }, 6],
    ['minimum zero scales to zero when drained', 0, { minReplicas: 0 }, 0],
    ['negative lag (a broker hiccup) counts as none', -50, {}, 1],
  ])('%s', (_what, lag, overrides, expected) => {
    expect(recommendReplicas(lag, { ...POLICY, ...overrides })).toBe(expected);
  });
});

/** Feeds one lag reading a second and returns the replica count after each. */
function run(lags: readonly (number | undefined)[], policy = POLICY, start = 1, stepMs = 1000) {
  let current = start;
  let state: ScalingState = EMPTY_SCALING_STATE;
  return lags.map((lag, i) => {
    const d = decideReplicas(current, lag, policy, state, 1_000_000 + i * stepMs);
    current = d.replicas;
    state = d.state;
    return d.replicas;
  });
}

describe('decideReplicas', () => {
  it.each([
    ['a lag spike scales up at once', [0, 5000, 5000], [1, 5, 5]],
    ['a bigger spike stops at the partition count', [0, 90_000], [1, 6]],
    [
      'flapping lag holds the highest count of the window',
      [4000, 500, 4000, 500, 4000, 500],
      [4, 4, 4, 4, 4, 4],
    ],
    ['lag unreadable keeps the count', [3000, undefined, undefined], [3, 3, 3]],
  ])('%s', (_what, lags, expected) => {
    expect(run(lags)).toEqual(expected);
  });

  it('scales down only once the stabilisation window has passed', () => {
    const policy = { ...POLICY, scaleDownStabilizationMs: 5_000 };
    // 4000 at t=0, then drained: the 4 stays in the 5 s window until t=5 s.
    expect(run([4000, 0, 0, 0, 0, 0, 0], policy)).toEqual([4, 4, 4, 4, 4, 1, 1]);
  });

  it('scales down step by step as the window forgets higher recommendations', () => {
    const policy = { ...POLICY, scaleDownStabilizationMs: 2_000 };
    expect(run([5000, 3000, 1000, 1000, 1000], policy)).toEqual([5, 5, 3, 1, 1]);
  });

  it('with no window follows the lag both ways', () => {
    expect(run([3000, 0, 2000], { ...POLICY, scaleDownStabilizationMs: 0 })).toEqual([3, 1, 2]);
  });

  it('records when it last scaled and in which direction', () => {
    const up = decideReplicas(1, 3000, POLICY, EMPTY_SCALING_STATE, 5000);
    expect(up).toMatchObject({
      replicas: 3,
      recommended: 3,
      direction: 'up',
      state: { lastScaleTime: 5000 },
    });
    const hold = decideReplicas(3, 0, POLICY, up.state, 6000);
    expect(hold).toMatchObject({
      replicas: 3,
      recommended: 1,
      direction: 'none',
      state: { lastScaleTime: 5000 },
    });
  });

  it('pulls a count outside new bounds back in even without lag', () => {
    expect(decideReplicas(9, undefined, { ...POLICY, maxReplicas: 4 }, EMPTY_SCALING_STATE, 0).replicas).toBe(
      4,
    );
  });
});

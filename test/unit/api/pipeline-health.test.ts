import { assessPipeline, createNeverAppliedWaits } from '@telemetry-pulse/api';

const STALL = 120_000;

describe('pipeline health', () => {
  it('is flowing while the group applied a batch within the threshold, even with records waiting', () => {
    expect(
      assessPipeline({
        partitions: [
          { partition: 0, lag: 500, idleMs: 2_000 },
          { partition: 1, lag: 0, idleMs: 400_000 },
        ],
        lastAppliedIdleMs: 2_000,
        stallAfterMs: STALL,
      }),
    ).toEqual({ state: 'flowing', stalledPartitions: [] });
  });

  it('is stalled when records wait on a partition where nothing was applied for the threshold', () => {
    // One stuck partition turns the pipeline red even while the others flow.
    expect(
      assessPipeline({
        partitions: [
          { partition: 3, lag: 1, idleMs: STALL },
          { partition: 0, lag: 10, idleMs: 1_000 },
          { partition: 1, lag: 7, idleMs: STALL + 1 },
        ],
        lastAppliedIdleMs: 1_000,
        stallAfterMs: STALL,
      }),
    ).toEqual({ state: 'stalled', stalledPartitions: [1, 3] });
  });

  it('is idle, not stalled, when nothing was applied because nothing waits', () => {
    expect(
      assessPipeline({
        partitions: [{ partition: 0, lag: 0, idleMs: 3_600_000 }],
        lastAppliedIdleMs: 3_600_000,
        stallAfterMs: STALL,
      }),
    ).toEqual({ state: 'idle', stalledPartitions: [] });
    expect(assessPipeline({ partitions: [], lastAppliedIdleMs: undefined, stallAfterMs: STALL }).state).toBe(
      'idle',
    );
  });

  it('is unknown when nothing was applied lately and the lag could not be read', () => {
    expect(
      assessPipeline({ partitions: undefined, lastAppliedIdleMs: STALL * 2, stallAfterMs: STALL }).state,
    ).toBe('unknown');
    expect(
      assessPipeline({ partitions: undefined, lastAppliedIdleMs: 1_000, stallAfterMs: STALL }).state,
    ).toBe('flowing');
  });

  it('dates the wait of a never-applied partition from when records were first seen waiting', () => {
    const waits = createNeverAppliedWaits();
    expect(waits.waitedMs(0, 0, 1_000)).toBeUndefined();
    expect(waits.waitedMs(0, 5, 2_000)).toBe(0);
    expect(waits.waitedMs(0, 9, 2_000 + STALL)).toBe(STALL);
    expect(
      assessPipeline({
        partitions: [{ partition: 0, lag: 9, idleMs: waits.waitedMs(0, 9, 2_000 + STALL) }],
        lastAppliedIdleMs: undefined,
        stallAfterMs: STALL,
      }),
    ).toEqual({ state: 'stalled', stalledPartitions: [0] });
    waits.forget(0);
    expect(waits.waitedMs(0, 9, 10_000_000)).toBe(0); // applied since: a new wait starts from scratch
    expect(waits.waitedMs(0, 0, 10_000_001)).toBeUndefined(); // drained
    expect(waits.waitedMs(0, 1, 10_000_002)).toBe(0);
  });
});

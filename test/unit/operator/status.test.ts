import { planPipeline } from '../../../services/operator/src/domain/plan';
import { EMPTY_SCALING_STATE } from '../../../services/operator/src/domain/scaling';
import {
  computeStatus,
  transitionEvents,
  type StatusInput,
} from '../../../services/operator/src/domain/status';
import type { KubeObject, PipelineStatus } from '../../../services/operator/src/domain/types';
import { applied, edited, MINIMAL_SPEC, pipeline, present } from './fixtures';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const base: StatusInput = {
  generation: 3,
  previous: undefined,
  problems: [],
  rollouts: [{ name: 'lobby-api', wanted: 2, ready: 2, updated: 2, observed: true }],
  changing: false,
  totalLag: 10,
  lastScaleTime: undefined,
  now: T0,
};
const cond = (s: PipelineStatus, type: string) => s.conditions?.find((c) => c.type === type);
const flags = (s: PipelineStatus) =>
  ['Ready', 'Progressing', 'Degraded'].map((t) => `${t}=${cond(s, t)?.status}:${cond(s, t)?.reason}`);

describe('computeStatus', () => {
  it.each<[string, Partial<StatusInput>, string[]]>([
    [
      'all rolled out',
      {},
      ['Ready=True:AllComponentsReady', 'Progressing=False:RolloutComplete', 'Degraded=False:AsExpected'],
    ],
    [
      'a replica not ready yet',
      { rollouts: [{ name: 'lobby-api', wanted: 2, ready: 1, updated: 2, observed: true }] },
      ['Ready=False:ComponentsNotReady', 'Progressing=True:RollingOut', 'Degraded=False:AsExpected'],
    ],
    [
      'a spec the Deployment controller has not seen',
      { rollouts: [{ name: 'lobby-api', wanted: 2, ready: 2, updated: 2, observed: false }] },
      ['Ready=False:ComponentsNotReady', 'Progressing=True:RollingOut', 'Degraded=False:AsExpected'],
    ],
    [
      'objects being applied',
      { changing: true },
      ['Ready=False:ComponentsNotReady', 'Progressing=True:Reconciling', 'Degraded=False:AsExpected'],
    ],
    [
      'a missing secret',
      { problems: [{ reason: 'SecretMissing', message: 'secret kafka not found' }] },
      ['Ready=False:Degraded', 'Progressing=False:RolloutComplete', 'Degraded=True:SecretMissing'],
    ],
  ])('%s', (_what, overrides, expected) => {
    const s = computeStatus({ ...base, ...overrides });
    expect(flags(s)).toEqual(expected);
    expect(s.observedGeneration).toBe(3);
  });

  it('keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
    const first = computeStatus(base);
    const same = computeStatus({ ...base, previous: first, now: T0 + 60_000 });
    expect(cond(same, 'Ready')?.lastTransitionTime).toBe('2026-11-27T10:00:00.000Z');
    const flipped = computeStatus({ ...base, previous: same, changing: true, now: T0 + 120_000 });
    expect(cond(flipped, 'Ready')?.lastTransitionTime).toBe('2026-11-27T10:02:00.000Z');
    expect(cond(flipped, 'Degraded')?.lastTransitionTime).toBe('2026-11-27T10:00:00.000Z');
  });

  it('records events on transitions only', () => {
    const ready = computeStatus(base);
    const degraded = computeStatus({
      ...base,
      previous: ready,
      problems: [{ reason: 'LagUnavailable', message: 'broker down' }],
    });
    expect(transitionEvents(undefined, ready).map((e) => e.reason)).toEqual(['Ready']);
    expect(transitionEvents(ready, ready)).toEqual([]);
    expect(transitionEvents(ready, degraded).map((e) => `${e.type}:${e.reason}`)).toEqual([
      'Warning:NotReady',
      'Warning:LagUnavailable',
    ]);
    expect(
      transitionEvents(degraded, computeStatus({ ...base, previous: degraded })).map((e) => e.reason),
    ).toEqual(['Ready', 'Recovered']);
  });
});

describe('planPipeline', () => {
  const ready = (o: KubeObject) =>
    o.kind === 'Deployment'
      ? edited(o, (c) =>
          Object.assign(c, { status: { readyReplicas: 1, updatedReplicas: 1, observedGeneration: 1 } }),
        )
      : o;
  const input = (lag: number | undefined, owned = applied(pipeline()).map(ready)) => ({
    pipeline: pipeline(),
    owned,
    problems: [],
    lag: lag === undefined ? undefined : { totalLag: lag, partitions: 6 },
    scaling: EMPTY_SCALING_STATE,
    now: T0,
  });

  it('reports Ready once every Deployment is available and nothing is left to do', () => {
    const plan = planPipeline(input(0));
    expect(plan.actions).toEqual([]);
    expect(flags(present(plan.status))).toEqual([
      'Ready=True:AllComponentsReady',
      'Progressing=False:RolloutComplete',
      'Degraded=False:AsExpected',
    ]);
    expect(plan.status).toMatchObject({
      totalLag: 0,
      processor: { replicas: 1, readyReplicas: 1, desiredReplicas: 1 },
    });
  });

  it('scales the processors up on lag, with an event and the scale time', () => {
    const plan = planPipeline(input(4200));
    expect(
      plan.actions.map((a) => (a.type === 'apply' ? `${a.reason}:${a.object.metadata.name}` : a.type)),
    ).toEqual(['update:lobby-processor']);
    expect(plan.events).toEqual([
      expect.objectContaining({ reason: 'ScaledUp', message: expect.stringContaining('1 → 5') }),
    ]);
    expect(plan.status?.processor).toMatchObject({
      desiredReplicas: 5,
      lastScaleTime: '2026-11-27T10:00:00.000Z',
    });
  });

  it('leaves running objects alone when the spec is invalid, and says why', () => {
    const bad = {
      ...input(0),
      pipeline: pipeline({ ...MINIMAL_SPEC, processor: { minReplicas: 3, maxReplicas: 1 } }),
    };
    const plan = planPipeline(bad);
    expect(plan.actions).toEqual([]);
    expect(cond(present(plan.status), 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
  });

  it('writes no status while the pipeline is being deleted', () => {
    const going = {
      ...input(0),
      pipeline: pipeline(MINIMAL_SPEC, { deletionTimestamp: '2026-11-27T10:00:00Z' }),
    };
    const plan = planPipeline(going);
    expect(plan.status).toBeUndefined();
    expect(plan.actions.every((a) => a.type === 'delete')).toBe(true);
  });
});

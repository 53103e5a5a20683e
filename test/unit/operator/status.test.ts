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
  ['Ready', 'Reconciling', 'Stalled', 'Progressing', 'Degraded'].map(
    (t) => `${t}=${cond(s, t)?.status}:${cond(s, t)?.reason}`,
  );
const CRASH = {
  reason: 'ProcessorCrashLooping',
  message: 'processor pod lobby-processor-x: restarted 3 times',
};

describe('computeStatus', () => {
  it.each<[string, Partial<StatusInput>, string[]]>([
    [
      'all rolled out',
      {},
      [
        'Ready=True:AllComponentsReady',
        'Reconciling=False:ReconcileComplete',
        'Stalled=False:AsExpected',
        'Progressing=False:RolloutComplete',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'a replica not ready yet',
      { rollouts: [{ name: 'lobby-api', wanted: 2, ready: 1, updated: 2, observed: true }] },
      [
        'Ready=False:ComponentsNotReady',
        'Reconciling=True:RollingOut',
        'Stalled=False:AsExpected',
        'Progressing=True:RollingOut',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'a replica of the old template still serving',
      { rollouts: [{ name: 'lobby-api', wanted: 2, ready: 2, updated: 1, observed: true }] },
      [
        'Ready=False:ComponentsNotReady',
        'Reconciling=True:RollingOut',
        'Stalled=False:AsExpected',
        'Progressing=True:RollingOut',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'a spec the Deployment controller has not seen',
      { rollouts: [{ name: 'lobby-api', wanted: 2, ready: 2, updated: 2, observed: false }] },
      [
        'Ready=False:ComponentsNotReady',
        'Reconciling=True:RollingOut',
        'Stalled=False:AsExpected',
        'Progressing=True:RollingOut',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'objects being applied',
      { changing: true },
      [
        'Ready=False:ComponentsNotReady',
        'Reconciling=True:ApplyingChanges',
        'Stalled=False:AsExpected',
        'Progressing=True:Reconciling',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'no Deployment seen yet',
      { rollouts: [] },
      [
        'Ready=False:ComponentsNotReady',
        'Reconciling=True:RollingOut',
        'Stalled=False:AsExpected',
        'Progressing=True:RollingOut',
        'Degraded=False:AsExpected',
      ],
    ],
    [
      'a missing secret',
      { problems: [{ reason: 'SecretMissing', message: 'secret kafka not found' }] },
      [
        'Ready=False:SecretMissing',
        'Reconciling=False:Stalled',
        'Stalled=True:SecretMissing',
        'Progressing=False:SecretMissing',
        'Degraded=True:SecretMissing',
      ],
    ],
    [
      'a crash loop in the middle of a rollout: stalled, not reconciling',
      {
        changing: true,
        rollouts: [{ name: 'lobby-processor', wanted: 1, ready: 0, updated: 1, observed: true }],
        problems: [CRASH],
      },
      [
        'Ready=False:ProcessorCrashLooping',
        'Reconciling=False:Stalled',
        'Stalled=True:ProcessorCrashLooping',
        'Progressing=False:ProcessorCrashLooping',
        'Degraded=True:ProcessorCrashLooping',
      ],
    ],
  ])('%s', (_what, overrides, expected) => {
    const s = computeStatus({ ...base, ...overrides });
    expect(flags(s)).toEqual(expected);
    expect(s.observedGeneration).toBe(3);
    expect(s.conditions?.every((c) => c.observedGeneration === 3)).toBe(true);
  });

  it('says what each rollout still waits for', () => {
    const s = computeStatus({
      ...base,
      rollouts: [
        { name: 'lobby-processor', wanted: 2, ready: 2, updated: 2, observed: false },
        { name: 'lobby-api', wanted: 2, ready: 2, updated: 1, observed: true },
        { name: 'lobby-simulator', wanted: 1, ready: 0, updated: 1, observed: true },
      ],
    });
    expect(cond(s, 'Reconciling')?.message).toBe(
      'lobby-processor rollout not started, lobby-api 1/2 updated, 2 ready, lobby-simulator 0/1 ready',
    );
    expect(cond(s, 'Ready')?.message).toBe(cond(s, 'Reconciling')?.message);
  });

  it('names the first problem in the reason and every problem in the message', () => {
    const s = computeStatus({
      ...base,
      problems: [CRASH, { reason: 'ApiImagePullFailing', message: 'api pod lobby-api-y: ErrImagePull' }],
    });
    expect(cond(s, 'Stalled')).toMatchObject({
      reason: 'ProcessorCrashLooping',
      message: 'processor pod lobby-processor-x: restarted 3 times; api pod lobby-api-y: ErrImagePull',
    });
    expect(cond(s, 'Ready')?.message).toBe(cond(s, 'Stalled')?.message);
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

  it('tells of a crash loop once when it starts, again only when the reason changes', () => {
    const rolling = computeStatus({ ...base, changing: true });
    const crashing = computeStatus({ ...base, previous: rolling, problems: [CRASH] });
    expect(transitionEvents(rolling, crashing)).toEqual([
      { type: 'Warning', reason: 'ProcessorCrashLooping', message: CRASH.message },
    ]);
    const again = computeStatus({
      ...base,
      previous: crashing,
      problems: [{ ...CRASH, message: 'processor pod lobby-processor-x: restarted 4 times' }],
      now: T0 + 60_000,
    });
    expect(transitionEvents(crashing, again)).toEqual([]);
    expect(cond(again, 'Stalled')?.lastTransitionTime).toBe(cond(crashing, 'Stalled')?.lastTransitionTime);
    const other = computeStatus({
      ...base,
      previous: again,
      problems: [{ reason: 'ApiImagePullFailing', message: 'api: ErrImagePull' }],
    });
    expect(transitionEvents(again, other).map((e) => e.reason)).toEqual(['ApiImagePullFailing']);
  });

  it('reads a status written before Stalled existed by its Degraded condition', () => {
    const old: PipelineStatus = {
      observedGeneration: 3,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Degraded', message: 'x', lastTransitionTime: 'then' },
        {
          type: 'Degraded',
          status: 'True',
          reason: 'SecretMissing',
          message: 'x',
          lastTransitionTime: 'then',
        },
      ],
    };
    const still = computeStatus({
      ...base,
      previous: old,
      problems: [{ reason: 'SecretMissing', message: 'x' }],
    });
    expect(transitionEvents(old, still)).toEqual([]);
    expect(transitionEvents(old, computeStatus(base)).map((e) => e.reason)).toEqual(['Ready', 'Recovered']);
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
    pods: [] as KubeObject[],
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
      'Reconciling=False:ReconcileComplete',
      'Stalled=False:AsExpected',
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

  it('is Stalled, not Ready, while a processor pod crash-loops, with its last words in the message', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'lobby-processor-5d8f9-abcde',
        namespace: 'buildings',
        labels: { 'app.kubernetes.io/component': 'processor', 'telemetrypulse.io/pipeline': 'lobby' },
      },
      status: {
        containerStatuses: [
          {
            name: 'processor',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                message:
                  'fatal: error: password authentication failed for user "telemetry"\n    at x (y.js:1:1)',
              },
            },
          },
        ],
      },
    };
    const plan = planPipeline({ ...input(0), pods: [pod] });
    expect(plan.actions).toEqual([]);
    expect(cond(present(plan.status), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ProcessorCrashLooping',
      message:
        'processor pod lobby-processor-5d8f9-abcde: container processor restarted 4 times, last exit code 1 (Error): fatal: error: password authentication failed for user "telemetry"',
    });
    expect(cond(present(plan.status), 'Stalled')?.status).toBe('True');
  });

  it('is Stalled when a Deployment passed its progress deadline', () => {
    const owned = applied(pipeline()).map((o) =>
      o.kind === 'Deployment'
        ? edited(o, (c) =>
            Object.assign(c, {
              status: {
                observedGeneration: 1,
                readyReplicas: 0,
                updatedReplicas: 1,
                conditions: [
                  {
                    type: 'Progressing',
                    status: 'False',
                    reason: 'ProgressDeadlineExceeded',
                    message: `ReplicaSet "${c.metadata.name}-7c9" has timed out progressing.`,
                  },
                ],
              },
            }),
          )
        : o,
    );
    const plan = planPipeline(input(0, owned));
    expect(cond(present(plan.status), 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'ProcessorProgressDeadlineExceeded',
      message: expect.stringContaining(
        'Deployment lobby-processor: ReplicaSet "lobby-processor-7c9" has timed out',
      ),
    });
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

import type { Condition, ConditionType, KubeObject, PipelineStatus, Problem } from './types';

/** How one Deployment is doing, read from its status. */
export interface RolloutState {
  readonly name: string;
  readonly wanted: number;
  readonly ready: number;
  readonly updated: number;
  /** The Deployment controller has seen the latest spec. */
  readonly observed: boolean;
}

export function rolloutOf(d: KubeObject): RolloutState {
  const spec = (d.spec ?? {}) as { replicas?: number };
  const status = (d.status ?? {}) as {
    readyReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
  return {
    name: d.metadata.name,
    wanted: spec.replicas ?? 1,
    ready: status.readyReplicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    observed: (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0),
  };
}

export interface StatusInput {
  readonly generation: number;
  readonly previous: PipelineStatus | undefined;
  /**
   * What blocks progress: spec problems, missing secrets, failed API calls, crash-looping pods, a rollout
   * past its deadline. Any of them makes the pipeline Stalled (and Degraded); the first one names the reason.
   */
  readonly problems: readonly Problem[];
  readonly rollouts: readonly RolloutState[];
  /** Actions still being carried out this pass (objects created or updated). */
  readonly changing: boolean;
  readonly processor?: { replicas: number; readyReplicas: number; desiredReplicas: number };
  readonly totalLag: number | undefined;
  readonly lastScaleTime: number | undefined;
  readonly now: number;
}

type Fresh = Omit<Condition, 'type' | 'lastTransitionTime' | 'observedGeneration'>;

/**
 * The pipeline's status: observedGeneration and the kstatus conditions, processor replicas, total lag and
 * last scale time. Exactly one of three states holds:
 * - stalled (a problem blocks progress): Ready False and Stalled True with the first problem's reason,
 *   Reconciling False;
 * - reconciling (objects being applied, or a Deployment not yet available at its latest spec): Ready False,
 *   Reconciling True, Stalled False;
 * - ready: Ready True, Reconciling and Stalled False.
 * Progressing mirrors Reconciling and Degraded mirrors Stalled. A condition keeps its lastTransitionTime
 * while its status stays.
 */
export function computeStatus(input: StatusInput): PipelineStatus {
  const pending = input.rollouts.filter((r) => !r.observed || r.ready < r.wanted || r.updated < r.wanted);
  const problem = input.problems[0];
  const problems = input.problems.map((p) => p.message).join('; ');
  const reconciling = !problem && (input.changing || pending.length > 0 || input.rollouts.length === 0);
  const progress = reconciling ? describe(pending) : '';
  const stalled: Fresh | undefined = problem && { status: 'True', reason: problem.reason, message: problems };
  const fresh: Record<ConditionType, Fresh> = {
    Ready: stalled
      ? { ...stalled, status: 'False' }
      : reconciling
        ? { status: 'False', reason: 'ComponentsNotReady', message: progress }
        : { status: 'True', reason: 'AllComponentsReady', message: 'every component is available' },
    Reconciling: reconciling
      ? { status: 'True', reason: input.changing ? 'ApplyingChanges' : 'RollingOut', message: progress }
      : {
          status: 'False',
          reason: stalled ? 'Stalled' : 'ReconcileComplete',
          message: stalled ? problems : DONE,
        },
    Stalled: stalled ?? { status: 'False', reason: 'AsExpected', message: 'no problem found' },
    Progressing: reconciling
      ? { status: 'True', reason: input.changing ? 'Reconciling' : 'RollingOut', message: progress }
      : stalled
        ? { ...stalled, status: 'False' }
        : { status: 'False', reason: 'RolloutComplete', message: DONE },
    Degraded: stalled ?? { status: 'False', reason: 'AsExpected', message: 'no problem found' },
  };
  const at = new Date(input.now).toISOString();
  const conditions = CONDITION_ORDER.map((type): Condition => {
    const c = fresh[type];
    const old = input.previous?.conditions?.find((p) => p.type === type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : at;
    return { type, ...c, lastTransitionTime, observedGeneration: input.generation };
  });
  return {
    observedGeneration: input.generation,
    conditions,
    ...(input.processor
      ? {
          processor: {
            ...input.processor,
            ...(input.lastScaleTime !== undefined
              ? { lastScaleTime: new Date(input.lastScaleTime).toISOString() }
              : input.previous?.processor?.lastScaleTime
                ? { lastScaleTime: input.previous.processor.lastScaleTime }
                : {}),
          },
        }
      : {}),
    ...(input.totalLag !== undefined ? { totalLag: input.totalLag } : {}),
  };
}

const CONDITION_ORDER: readonly ConditionType[] = [
  'Ready',
  'Reconciling',
  'Stalled',
  'Progressing',
  'Degraded',
];
const DONE = 'every component is up to date';

/** What a rollout still waits for: its controller to see the new spec, pods of the new spec, ready pods. */
function describe(pending: readonly RolloutState[]): string {
  if (pending.length === 0) return 'applying changes';
  return pending
    .map((r) =>
      !r.observed
        ? `${r.name} rollout not started`
        : r.updated < r.wanted
          ? `${r.name} ${r.updated}/${r.wanted} updated, ${r.ready} ready`
          : `${r.name} ${r.ready}/${r.wanted} ready`,
    )
    .join(', ');
}

export interface PipelineEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * Events for condition transitions worth telling a human about: Ready gained or lost, a blocking problem
 * found (or replaced by another), and recovery from it. Nothing while the conditions hold.
 */
export function transitionEvents(before: PipelineStatus | undefined, after: PipelineStatus): PipelineEvent[] {
  const status = (s: PipelineStatus | undefined, t: ConditionType) =>
    s?.conditions?.find((c) => c.type === t);
  const events: PipelineEvent[] = [];
  const ready = status(after, 'Ready');
  if (ready && ready.status !== status(before, 'Ready')?.status) {
    events.push(
      ready.status === 'True'
        ? { type: 'Normal', reason: 'Ready', message: ready.message }
        : { type: before ? 'Warning' : 'Normal', reason: 'NotReady', message: ready.message },
    );
  }
  const stalled = status(after, 'Stalled');
  // A status written before Stalled existed said the same with Degraded.
  const was = status(before, 'Stalled') ?? status(before, 'Degraded');
  if (stalled?.status === 'True' && (was?.status !== 'True' || was.reason !== stalled.reason)) {
    events.push({ type: 'Warning', reason: stalled.reason, message: stalled.message });
  }
  if (stalled?.status === 'False' && was?.status === 'True') {
    events.push({ type: 'Normal', reason: 'Recovered', message: `no longer stalled (was ${was.reason})` });
  }
  return events;
}

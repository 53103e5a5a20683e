import type { Condition, ConditionType, KubeObject, PipelineStatus } from './types';

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
  /** Spec problems, missing secrets or failed API calls; any of them makes the pipeline Degraded. */
  readonly problems: readonly { reason: string; message: string }[];
  readonly rollouts: readonly RolloutState[];
  /** Actions still being carried out this pass (objects created or updated). */
  readonly changing: boolean;
  readonly processor?: { replicas: number; readyReplicas: number; desiredReplicas: number };
  readonly totalLag: number | undefined;
  readonly lastScaleTime: number | undefined;
  readonly now: number;
}

/**
 * The pipeline's status: observedGeneration, Ready / Progressing / Degraded with reasons, processor
 * replicas, total lag and last scale time. A condition keeps its lastTransitionTime while its status stays.
 */
export function computeStatus(input: StatusInput): PipelineStatus {
  const pending = input.rollouts.filter((r) => !r.observed || r.ready < r.wanted || r.updated < r.wanted);
  const progressing = input.changing || pending.length > 0;
  const degraded = input.problems.length > 0;
  const ready = !degraded && !progressing && input.rollouts.length > 0;
  const fresh: Omit<Condition, 'lastTransitionTime'>[] = [
    ready
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'AllComponentsReady',
          message: 'every component is available',
        }
      : {
          type: 'Ready',
          status: 'False',
          reason: degraded ? 'Degraded' : 'ComponentsNotReady',
          message: degraded ? firstProblem(input) : describe(pending),
        },
    progressing
      ? {
          type: 'Progressing',
          status: 'True',
          reason: input.changing ? 'Reconciling' : 'RollingOut',
          message: describe(pending),
        }
      : {
          type: 'Progressing',
          status: 'False',
          reason: 'RolloutComplete',
          message: 'every component is up to date',
        },
    degraded
      ? {
          type: 'Degraded',
          status: 'True',
          reason: input.problems[0]?.reason ?? 'Unknown',
          message: firstProblem(input),
        }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no problem found' },
  ];
  const at = new Date(input.now).toISOString();
  const conditions = fresh.map((c): Condition => {
    const old = input.previous?.conditions?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : at;
    return { ...c, lastTransitionTime, observedGeneration: input.generation };
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

const firstProblem = (input: StatusInput): string =>
  input.problems.map((p) => p.message).join('; ') || 'unknown problem';

function describe(pending: readonly RolloutState[]): string {
  if (pending.length === 0) return 'applying changes';
  return pending.map((r) => `${r.name} ${r.ready}/${r.wanted} ready`).join(', ');
}

export interface PipelineEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** Events for condition transitions worth telling a human about. */
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
  const degraded = status(after, 'Degraded');
  const was = status(before, 'Degraded');
  if (degraded?.status === 'True' && (was?.status !== 'True' || was.reason !== degraded.reason)) {
    events.push({ type: 'Warning', reason: degraded.reason, message: degraded.message });
  }
  if (degraded?.status === 'False' && was?.status === 'True') {
    events.push({ type: 'Normal', reason: 'Recovered', message: `no longer degraded (was ${was.reason})` });
  }
  return events;
}

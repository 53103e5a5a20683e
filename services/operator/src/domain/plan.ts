import { desiredObjects } from './desired';
import { deploymentProblems, podProblems } from './health';
import { objectName, type PipelineRef } from './names';
import { reconcile, type Action } from './reconcile';
import { decideReplicas, type ScalingState } from './scaling';
import { parseSpec } from './spec';
import { computeStatus, rolloutOf, type PipelineEvent } from './status';
import type { KubeObject, PipelineStatus, Problem, TelemetryPipeline } from './types';

/** The consumer group's lag as read from Kafka; undefined when it could not be read. */
export interface LagReading {
  readonly totalLag: number;
  readonly partitions: number;
}

export interface PlanInput {
  readonly pipeline: TelemetryPipeline;
  /** Objects the pipeline controls now (from the informer caches). */
  readonly owned: readonly KubeObject[];
  /** The pipeline's pods (from the informer cache): what their containers do decides Stalled. */
  readonly pods: readonly KubeObject[];
  /** Problems found outside the spec: missing secrets, unreadable lag. */
  readonly problems: readonly Problem[];
  readonly lag: LagReading | undefined;
  readonly scaling: ScalingState;
  readonly now: number;
}

export interface Plan {
  readonly actions: readonly Action[];
  /** Undefined while the pipeline is being deleted (nothing to report on). */
  readonly status?: PipelineStatus;
  readonly events: readonly PipelineEvent[];
  readonly scaling: ScalingState;
}

export function pipelineRef(p: TelemetryPipeline): PipelineRef {
  return { name: p.metadata.name, namespace: p.metadata.namespace ?? 'default', uid: p.metadata.uid ?? '' };
}

/**
 * One reconciliation of one pipeline, decided without I/O: the actions to take, the status to write, the
 * events to record and the scaler's memory for next time.
 */
export function planPipeline(input: PlanInput): Plan {
  const { pipeline, owned, now } = input;
  const generation = pipeline.metadata.generation ?? 0;
  if (pipeline.metadata.deletionTimestamp !== undefined) {
    return {
      actions: reconcile({ pipeline: pipeline.metadata, objects: [] }, owned),
      events: [],
      scaling: input.scaling,
    };
  }
  const ref = pipelineRef(pipeline);
  const parsed = parseSpec(pipeline.spec);
  if (!parsed.ok) {
    const problems = parsed.problems.map((message) => ({
      reason: 'InvalidSpec',
      message: `spec.${message}`,
    }));
    // Leave what runs alone: a typo in the spec must not tear the pipeline down.
    const actions = reconcile({ pipeline: pipeline.metadata, objects: owned }, owned);
    const status = computeStatus({
      generation,
      previous: pipeline.status,
      problems,
      rollouts: [],
      changing: false,
      totalLag: input.lag?.totalLag,
      lastScaleTime: undefined,
      now,
    });
    return { actions, status, events: [], scaling: input.scaling };
  }
  const spec = parsed.spec;
  const processorName = objectName(ref, 'processor');
  const processor = owned.find((o) => o.kind === 'Deployment' && o.metadata.name === processorName);
  const current = processor ? rolloutOf(processor).wanted : spec.processor.minReplicas;
  const keda = spec.processor.autoscaler === 'keda';
  const decision = decideReplicas(
    current,
    keda ? undefined : input.lag?.totalLag,
    {
      minReplicas: spec.processor.minReplicas,
      maxReplicas: spec.processor.maxReplicas,
      targetLagPerReplica: spec.processor.targetLagPerReplica,
      partitions: Math.min(spec.topic.partitions, input.lag?.partitions ?? spec.topic.partitions),
      scaleDownStabilizationMs: spec.processor.scaleDownStabilizationSeconds * 1000,
    },
    input.scaling,
    now,
  );
  const desired = desiredObjects(ref, spec, decision.replicas);
  const actions = reconcile({ pipeline: pipeline.metadata, objects: desired }, owned);
  const wantedDeployments = new Set(
    desired.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name),
  );
  const deployments = owned.filter((o) => o.kind === 'Deployment' && wantedDeployments.has(o.metadata.name));
  const rollouts = deployments.map(rolloutOf);
  const processorRollout = processor ? rolloutOf(processor) : undefined;
  const status = computeStatus({
    generation,
    previous: pipeline.status,
    problems: [
      ...input.problems,
      ...deployments.flatMap(deploymentProblems),
      ...podProblems(input.pods, now),
    ],
    rollouts,
    changing: actions.some((a) => a.type === 'apply' || a.type === 'delete'),
    processor: {
      replicas: processorRollout?.wanted ?? 0,
      readyReplicas: processorRollout?.ready ?? 0,
      desiredReplicas: keda ? (processorRollout?.wanted ?? spec.processor.minReplicas) : decision.replicas,
    },
    totalLag: input.lag?.totalLag,
    lastScaleTime: decision.state.lastScaleTime,
    now,
  });
  const events: PipelineEvent[] = [];
  if (processor && decision.direction !== 'none') {
    events.push({
      type: 'Normal',
      reason: decision.direction === 'up' ? 'ScaledUp' : 'ScaledDown',
      message: `processor replicas ${current} → ${decision.replicas} (lag ${input.lag?.totalLag ?? 'unknown'}, target ${spec.processor.targetLagPerReplica} per replica)`,
    });
  }
  return { actions, status, events, scaling: decision.state };
}

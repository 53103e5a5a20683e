/**
 * Lag-aware scaling of the processors, the way the HorizontalPodAutoscaler scales on an external metric:
 * replicas = ceil(total lag / target lag per replica), within [min, max] and never above the partition
 * count (a consumer beyond it would sit idle). Scaling up is immediate; scaling down takes the highest
 * recommendation of the stabilisation window, so lag that comes and goes does not make the count flap.
 */

export interface ScalingPolicy {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetLagPerReplica: number;
  /** Partitions of the topic: the most consumers a group can use. */
  readonly partitions: number;
  readonly scaleDownStabilizationMs: number;
}

/** One raw recommendation, kept for the stabilisation window. */
export interface Recommendation {
  readonly at: number; // epoch ms
  readonly replicas: number;
}

export interface ScalingState {
  readonly recommendations: readonly Recommendation[];
  readonly lastScaleTime?: number; // epoch ms
}

export interface ScalingDecision {
  readonly replicas: number;
  /** The unstabilised recommendation for this lag. */
  readonly recommended: number;
  readonly state: ScalingState;
  readonly direction: 'up' | 'down' | 'none';
}

export const EMPTY_SCALING_STATE: ScalingState = { recommendations: [] };

/** The replica count this lag calls for, before stabilisation. */
export function recommendReplicas(totalLag: number, policy: ScalingPolicy): number {
  const ceiling = Math.max(0, Math.min(policy.maxReplicas, policy.partitions));
  const floor = Math.min(policy.minReplicas, ceiling);
  const wanted = Math.ceil(Math.max(0, totalLag) / policy.targetLagPerReplica);
  return Math.min(ceiling, Math.max(floor, wanted));
}

/**
 * Next replica count from the current one and the lag just read. `totalLag` undefined (Kafka unreachable)
 * keeps the current count, clamped to the policy's bounds: no data is no reason to scale.
 */
export function decideReplicas(
  current: number,
  totalLag: number | undefined,
  policy: ScalingPolicy,
  state: ScalingState,
  now: number,
): ScalingDecision {
  const since = now - policy.scaleDownStabilizationMs;
  const kept = state.recommendations.filter((r) => r.at > since);
  if (totalLag === undefined) {
    const replicas = recommendReplicas(current * policy.targetLagPerReplica, policy);
    return finish(current, replicas, replicas, { ...state, recommendations: kept }, now);
  }
  const recommended = recommendReplicas(totalLag, policy);
  const recommendations = [...kept, { at: now, replicas: recommended }];
  const highest = Math.max(...recommendations.map((r) => r.replicas));
  // Up: at once. Down: only as far as the highest recommendation of the window allows.
  const replicas = recommended >= current ? recommended : Math.min(current, highest);
  return finish(current, replicas, recommended, { ...state, recommendations }, now);
}

function finish(
  current: number,
  replicas: number,
  recommended: number,
  state: ScalingState,
  now: number,
): ScalingDecision {
  const direction = replicas > current ? 'up' : replicas < current ? 'down' : 'none';
  return {
    replicas,
    recommended,
    direction,
    state: direction === 'none' ? state : { ...state, lastScaleTime: now },
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineStatus } from './domain/types';

/** The operator's Prometheus metrics; labels are bounded by the number of pipelines. */
export function createOperatorMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const reconciles = new Counter({
    name: 'telemetry_operator_reconcile_total',
    help: 'Reconciles of a pipeline key, by result (success or error).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'telemetry_operator_reconcile_duration_seconds',
    help: 'Time one reconcile took, Kafka lag read included.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const actions = new Counter({
    name: 'telemetry_operator_actions_total',
    help: 'API actions taken, by action (apply, delete, addFinalizer, removeFinalizer), reason (create, update, drift, obsolete, cleanup, finalizer) and kind.',
    labelNames: ['action', 'reason', 'kind'] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'telemetry_operator_queue_depth',
    help: 'Pipeline keys waiting in the work queue.',
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'telemetry_operator_leader',
    help: '1 while this replica holds the leader Lease and acts, else 0.',
    registers: [registry],
  });
  const labels = ['namespace', 'pipeline'] as const;
  const desired = new Gauge({
    name: 'telemetry_operator_processor_desired_replicas',
    help: 'Processor replicas the lag calls for.',
    labelNames: labels,
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'telemetry_operator_consumer_lag',
    help: "Total consumer lag of the pipeline's group.",
    labelNames: labels,
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'telemetry_operator_pipeline_ready',
    help: "1 when the pipeline's Ready condition is True.",
    labelNames: labels,
    registers: [registry],
  });
  return {
    registry,
    reconciles,
    duration,
    actions,
    queueDepth,
    leader,
    observe(namespace: string, pipeline: string, status: PipelineStatus) {
      const l = { namespace, pipeline };
      if (status.processor) desired.set(l, status.processor.desiredReplicas);
      if (status.totalLag !== undefined) lag.set(l, status.totalLag);
      ready.set(l, status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 1 : 0);
    },
    forget(namespace: string, pipeline: string) {
      for (const g of [desired, lag, ready]) g.remove({ namespace, pipeline });
    },
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;

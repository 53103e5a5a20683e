import type { Logger } from '@telemetry-pulse/shared';
import { describeError, type KubeApi } from './adapters/kube-api';
import type { LagSource } from './adapters/kafka-lag';
import { isOwnedBy, PIPELINE_LABEL } from './domain/names';
import { pipelineRef, planPipeline, type LagReading } from './domain/plan';
import { sameJson, type Action } from './domain/reconcile';
import { EMPTY_SCALING_STATE, type ScalingState } from './domain/scaling';
import { parseSpec, type PipelineSpec } from './domain/spec';
import { transitionEvents, type PipelineEvent } from './domain/status';
import { FINALIZER, type KubeObject, type Problem, type TelemetryPipeline } from './domain/types';
import type { OperatorMetrics } from './metrics';

/** What the controller reads: the informer caches. */
export interface Caches {
  pipeline(namespace: string, name: string): TelemetryPipeline | undefined;
  /** Objects of every owned kind in the namespace carrying the pipeline label. */
  labelled(namespace: string, pipeline: string): KubeObject[];
  /** The pods in the namespace carrying the pipeline label (owned by ReplicaSets, not by the pipeline). */
  pods(namespace: string, pipeline: string): KubeObject[];
}

export interface ControllerDeps {
  readonly api: KubeApi;
  readonly caches: Caches;
  readonly lag: LagSource;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly now?: () => number;
}

export interface ReconcileResult {
  /** Reconcile again after this long (lag re-read), even without a change. */
  readonly requeueAfterMs?: number;
}

/** One pass over one pipeline key: read caches and Kafka, plan (pure), act, report. Throws to be retried. */
export function createController(deps: ControllerDeps, lagIntervalMs: number) {
  const { api, caches, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'controller' });
  const scaling = new Map<string, ScalingState>();

  async function secretsOf(namespace: string, spec: PipelineSpec) {
    const k = spec.kafka;
    const refs = [
      k.brokersFrom,
      k.usernameFrom,
      k.passwordFrom,
      k.caFrom,
      k.certFrom,
      k.keyFrom,
      spec.database.urlFrom,
    ];
    const names = new Set(refs.flatMap((r) => (r ? [r] : [])).map((r) => r.name));
    const found = new Map<string, Record<string, string> | undefined>();
    for (const name of names) found.set(name, await api.secretData(namespace, name));
    const problems = refs.flatMap((r) => {
      if (!r) return [];
      const data = found.get(r.name);
      if (data === undefined) return [{ reason: 'SecretMissing', message: `secret ${r.name} not found` }];
      return data[r.key] === undefined
        ? [{ reason: 'SecretMissing', message: `secret ${r.name} has no key ${r.key}` }]
        : [];
    });
    return { problems, value: (name: string, key: string) => found.get(name)?.[key] };
  }

  async function execute(p: TelemetryPipeline, actions: readonly Action[]): Promise<PipelineEvent[]> {
    const events: PipelineEvent[] = [];
    for (const a of actions) {
      const what =
        a.type === 'apply' || a.type === 'delete' ? `${a.object.kind}/${a.object.metadata.name}` : FINALIZER;
      log.info(
        {
          pipeline: `${p.metadata.namespace}/${p.metadata.name}`,
          action: a.type,
          reason: 'reason' in a ? a.reason : undefined,
          object: what,
        },
        'acting',
      );
      if (a.type === 'addFinalizer')
        await api.setFinalizers(p, [...(p.metadata.finalizers ?? []), FINALIZER]);
      else if (a.type === 'removeFinalizer')
        await api.setFinalizers(
          p,
          (p.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        );
      else if (a.type === 'apply') await api.apply(a.object);
      else await api.delete(a.object);
      metrics.actions.inc({
        action: a.type,
        // Never empty: Prometheus drops an empty label, and the series would lack `reason` altogether.
        reason: 'reason' in a ? a.reason : 'finalizer',
        kind: 'object' in a ? a.object.kind : 'TelemetryPipeline',
      });
      if (a.type === 'apply' && a.reason === 'drift')
        events.push({
          type: 'Warning',
          reason: 'DriftRepaired',
          message: `${what} was changed outside the operator; restored`,
        });
      if (a.type === 'apply' && a.reason === 'create' && a.object.kind === 'Deployment')
        events.push({ type: 'Normal', reason: 'Created', message: `created ${what}` });
    }
    return events;
  }

  async function reconcile(key: string): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const pipeline = caches.pipeline(namespace, name);
    if (!pipeline) {
      scaling.delete(key);
      await deps.lag.forget(key);
      metrics.forget(namespace, name);
      return {};
    }
    const ref = pipelineRef(pipeline);
    const owned = caches
      .labelled(namespace, name)
      .filter((o) => isOwnedBy(o, ref) && o.metadata.labels?.[PIPELINE_LABEL] === name);
    const pods = caches.pods(namespace, name);
    const problems: Problem[] = [];
    let lag: LagReading | undefined;
    const parsed = parseSpec(pipeline.spec);
    if (pipeline.metadata.deletionTimestamp === undefined && parsed.ok) {
      const secrets = await secretsOf(namespace, parsed.spec);
      problems.push(...secrets.problems);
      if (secrets.problems.length === 0 && parsed.spec.processor.autoscaler === 'operator') {
        try {
          lag = await deps.lag.read(key, parsed.spec, secrets.value);
        } catch (err) {
          problems.push({
            reason: 'LagUnavailable',
            message: `consumer lag unreadable: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
    }
    const plan = planPipeline({
      pipeline,
      owned,
      pods,
      problems,
      lag,
      scaling: scaling.get(key) ?? EMPTY_SCALING_STATE,
      now: now(),
    });
    let events: PipelineEvent[] = [];
    let failure: unknown;
    try {
      events = await execute(pipeline, plan.actions);
    } catch (err) {
      failure = err;
    }
    scaling.set(key, plan.scaling);
    if (plan.status) {
      const status = failure
        ? (planPipeline({
            pipeline,
            owned,
            pods,
            problems: [...problems, { reason: 'ApplyFailed', message: describeError(failure) }],
            lag,
            scaling: plan.scaling,
            now: now(),
          }).status ?? plan.status)
        : plan.status;
      if (!sameJson(status, pipeline.status ?? {})) await api.patchStatus(pipeline, status);
      events.push(...plan.events, ...transitionEvents(pipeline.status, status));
      metrics.observe(namespace, name, status);
    }
    for (const e of events)
      await api
        .recordEvent(pipeline, e)
        .catch((err: unknown) => log.warn({ err }, 'could not record an event'));
    if (failure) throw failure;
    return pipeline.metadata.deletionTimestamp === undefined ? { requeueAfterMs: lagIntervalMs } : {};
  }

  return { reconcile };
}

export type Controller = ReturnType<typeof createController>;

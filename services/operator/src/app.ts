import type { KubeConfig } from '@kubernetes/client-node';
import { createOpsServer, once, type Logger, type ReadinessReport } from '@telemetry-pulse/shared';
import { createKindCache, type KindCache, type WatchedKind } from './adapters/informers';
import type { KubeApi } from './adapters/kube-api';
import type { LagSource } from './adapters/kafka-lag';
import { createLeaderElector, type LeaderElector } from './adapters/leader-election';
import type { OperatorConfig } from './config';
import { createController } from './controller';
import { MANAGED_SELECTOR, PIPELINE_LABEL } from './domain/names';
import { API_VERSION, KIND, PLURAL, type KubeObject, type TelemetryPipeline } from './domain/types';
import type { OperatorMetrics } from './metrics';
import { createWorkQueue } from './work-queue';

export interface OperatorDeps {
  readonly config: OperatorConfig;
  readonly logger: Logger;
  readonly kc: KubeConfig;
  readonly api: KubeApi;
  readonly lag: LagSource;
  readonly metrics: OperatorMetrics;
}

export interface Operator {
  /** Serves the operations endpoints and enters leader election; resolves with their port. */
  start(): Promise<{ opsPort: number }>;
  /** Stops acting (in-flight reconciles finish), then releases the Lease. Idempotent. */
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  isLeader(): boolean;
}

const PIPELINES: WatchedKind = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };
/** What a pipeline owns; watched through the operator's label only. */
const OWNED: readonly WatchedKind[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', labelSelector: MANAGED_SELECTOR },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', labelSelector: MANAGED_SELECTOR },
  {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    plural: 'scaledobjects',
    labelSelector: MANAGED_SELECTOR,
  },
];
/**
 * The pipelines' pods, through the same label (the Deployments' pod templates carry it): what their
 * containers do (crash loops, image pulls) decides the pipeline's Stalled condition.
 */
const PODS: WatchedKind = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', labelSelector: MANAGED_SELECTOR };

export function createOperator(deps: OperatorDeps): Operator {
  const { config, logger, metrics } = deps;
  const log = logger.child({ component: 'operator' });
  const queue = createWorkQueue({ baseDelayMs: config.requeueBaseMs, maxDelayMs: config.requeueMaxMs });
  const seen = new Map<string, string>();
  const enqueue = (o: KubeObject, event: 'add' | 'update' | 'delete'): void => {
    const name = o.kind === KIND ? o.metadata.name : o.metadata.labels?.[PIPELINE_LABEL];
    if (!name) return;
    const key = `${o.metadata.namespace ?? ''}/${name}`;
    if (o.kind === KIND && event === 'delete') seen.delete(key);
    else if (o.kind === KIND) {
      // The operator's own status writes change nothing it acts on: skip them, or every write (a failing
      // one included) would reconcile again at once, past the backoff.
      const m = o.metadata;
      const fingerprint = JSON.stringify([m.uid, m.generation, m.deletionTimestamp, m.finalizers]);
      if (seen.get(key) === fingerprint) return;
      seen.set(key, fingerprint);
    }
    queue.add(key);
    metrics.queueDepth.set(queue.length());
  };
  const cache = (watched: WatchedKind): KindCache =>
    createKindCache({
      kc: deps.kc,
      watched,
      namespace: config.watchNamespace,
      logger: log,
      onChange: enqueue,
    });
  const pipelines = cache(PIPELINES);
  const owned = OWNED.map(cache);
  const pods = cache(PODS);
  const controller = createController(
    {
      api: deps.api,
      lag: deps.lag,
      logger: log,
      metrics,
      caches: {
        pipeline: (ns, name) => pipelines.get(ns, name) as TelemetryPipeline | undefined,
        labelled: (ns, name) =>
          owned.flatMap((c) => c.list(ns)).filter((o) => o.metadata.labels?.[PIPELINE_LABEL] === name),
        pods: (ns, name) => pods.list(ns).filter((o) => o.metadata.labels?.[PIPELINE_LABEL] === name),
      },
    },
    config.lagIntervalMs,
  );

  let acting: Promise<void> | undefined;
  let stopActing: (() => Promise<void>) | undefined;

  async function worker(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      // A leader that has not renewed its Lease within the renew deadline (its process was stopped or starved)
      // may have been replaced already: it writes nothing until a renewal confirms it, or it steps down.
      if (elector && !elector.isLeader()) {
        queue.done(key);
        queue.addAfter(key, config.retryPeriodMs);
        continue;
      }
      const end = metrics.duration.startTimer();
      try {
        const result = await controller.reconcile(key);
        queue.forget(key);
        metrics.reconciles.inc({ result: 'success' });
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        metrics.reconciles.inc({ result: 'error' });
        log.warn({ err, pipeline: key }, 'reconcile failed; will retry with backoff');
        queue.addRateLimited(key);
      } finally {
        end();
        queue.done(key);
        metrics.queueDepth.set(queue.length());
      }
    }
  }

  /** Informers first, then the workers and the periodic resync; only the leader does this. */
  function startActing(): void {
    metrics.leader.set(1);
    const caches = [pipelines, ...owned, pods];
    const resync = setInterval(() => {
      for (const p of pipelines.list()) queue.add(`${p.metadata.namespace ?? ''}/${p.metadata.name}`);
    }, config.resyncMs);
    acting = (async () => {
      await Promise.all(
        caches.map((c) =>
          c.start().catch((err: unknown) => log.warn({ err, kind: c.kind }, 'informer did not start')),
        ),
      );
      await Promise.all(Array.from({ length: config.workers }, worker));
    })();
    stopActing = once(async () => {
      clearInterval(resync);
      queue.shutDown();
      await acting;
      await Promise.all(caches.map((c) => c.stop()));
      metrics.leader.set(0);
    });
  }

  const elector: LeaderElector | undefined = config.leaderElection
    ? createLeaderElector(deps.kc, {
        name: config.leaseName,
        namespace: config.leaseNamespace,
        identity: config.identity,
        // A pod may own only objects of its own namespace.
        ...(config.podName && config.podUid && config.leaseNamespace === config.podNamespace
          ? { ownerPod: { name: config.podName, uid: config.podUid } }
          : {}),
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        logger: log,
        onStartedLeading: startActing,
        // A replica that lost the Lease may not act again in this process: stop, and let the pod restart.
        onStoppedLeading: () => {
          void stopActing?.().then(() => process.kill(process.pid, 'SIGTERM'));
        },
      })
    : undefined;

  async function readiness(): Promise<ReadinessReport> {
    const leading = elector ? elector.isLeader() : true;
    const caches = [pipelines, ...owned.filter((c) => c.kind !== 'ScaledObject'), pods];
    const unsynced = caches.filter((c) => !c.synced()).map((c) => c.kind);
    const checks = {
      leader: { ok: true, detail: leading ? 'leading' : 'standing by' },
      informers:
        !leading || unsynced.length === 0
          ? { ok: true }
          : { ok: false, detail: `not listed yet: ${unsynced.join(', ')}` },
    };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  const ops = createOpsServer({
    host: config.host,
    port: config.port,
    logger,
    readiness,
    metrics: metrics.registry,
  });

  return {
    readiness,
    isLeader: () => (elector ? elector.isLeader() : stopActing !== undefined),
    async start() {
      const opsPort = await ops.listen();
      if (elector) elector.start();
      else startActing();
      log.info(
        { watchNamespace: config.watchNamespace || '(all)', leaderElection: config.leaderElection },
        'operator started',
      );
      return { opsPort };
    },
    stop: once(async () => {
      await ops.close();
      await stopActing?.();
      await elector?.stop();
      await deps.lag.close();
      log.info('operator stopped');
    }),
  };
}

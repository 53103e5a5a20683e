import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@telemetry-pulse/shared';
import { leaseStep, releasedLease, type LeaseSpec } from '../domain/lease';
import { plain, statusCodeOf } from './kube-api';

export interface LeaderElectionOptions {
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  /**
   * The pod this replica runs in: every Lease it writes names it as owner, so the garbage collector removes
   * the Lease once its holder's pod is gone for good (uninstall), even one recreated while the pod terminated.
   */
  readonly ownerPod?: { readonly name: string; readonly uid: string };
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly onStartedLeading: () => void;
  /** Leadership lost (renewals failed past the deadline, or someone else took the Lease). */
  readonly onStoppedLeading: () => void;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface LeaderElector {
  start(): void;
  /** Leading with a Lease renewed within the renew deadline: safe to write. */
  isLeader(): boolean;
  /** Stops trying and, if leading, releases the Lease so a standby takes over at once. */
  stop(): Promise<void>;
}

/**
 * Leader election on a coordination.k8s.io Lease (get, create, update only; see the chart's Role). The
 * decision of each try is `leaseStep`; writes carry the resourceVersion read, so racing replicas cannot
 * both win. A leader that cannot renew within `renewDeadlineMs` steps down before its Lease can expire,
 * so two replicas never act at once.
 */
export function createLeaderElector(kc: KubeConfig, opts: LeaderElectionOptions): LeaderElector {
  const api = kc.makeApiClient(CoordinationV1Api);
  const log = opts.logger.child({ component: 'leader-election', lease: `${opts.namespace}/${opts.name}` });
  const now = opts.now ?? Date.now;
  const { name, namespace } = opts;
  let leading = false;
  let lastRenew = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: V1Lease | undefined;
  let running: Promise<void> = Promise.resolve();

  const body = (spec: LeaseSpec, from?: V1Lease): V1Lease =>
    ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace,
        ...(from?.metadata?.resourceVersion ? { resourceVersion: from.metadata.resourceVersion } : {}),
        ...(opts.ownerPod
          ? {
              ownerReferences: [
                { apiVersion: 'v1', kind: 'Pod', name: opts.ownerPod.name, uid: opts.ownerPod.uid },
              ],
            }
          : {}),
      },
      spec,
    }) as unknown as V1Lease;

  async function read(): Promise<V1Lease | undefined> {
    try {
      return await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  async function tryOnce(): Promise<void> {
    try {
      const lease = await read();
      const spec = lease?.spec ? plain<LeaseSpec>(lease.spec) : undefined;
      const step = leaseStep(lease ? (spec ?? {}) : undefined, opts.identity, now(), opts.leaseDurationMs);
      if (step.kind === 'follow') {
        if (leading) lose(`the Lease is held by ${step.holder}`);
        return;
      }
      current =
        step.kind === 'create'
          ? await api.createNamespacedLease({ namespace, body: body(step.spec) })
          : await api.replaceNamespacedLease({ name, namespace, body: body(step.spec, lease) });
      lastRenew = now();
      if (!leading) {
        leading = true;
        log.info({ identity: opts.identity, step: step.kind }, 'became the leader');
        opts.onStartedLeading();
      }
    } catch (err) {
      const conflict = statusCodeOf(err) === 409;
      if (!conflict) log.warn({ err }, 'could not read or write the Lease');
      if (leading && now() - lastRenew > opts.renewDeadlineMs) lose('could not renew the Lease in time');
    }
  }

  function lose(reason: string): void {
    leading = false;
    log.warn({ reason }, 'stopped leading');
    opts.onStoppedLeading();
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tryOnce().finally(schedule);
    }, opts.retryPeriodMs);
  }

  return {
    start() {
      running = tryOnce().finally(schedule);
    },
    // Leading, and renewed recently enough that no one else can have taken the Lease meanwhile.
    isLeader: () => leading && now() - lastRenew <= opts.renewDeadlineMs,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!leading || !current?.spec) return;
      leading = false;
      try {
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: body(releasedLease(plain<LeaseSpec>(current.spec), now()), current),
        });
        log.info('released the Lease');
      } catch (err) {
        log.warn({ err }, 'could not release the Lease; a standby takes over when it expires');
      }
    },
  };
}

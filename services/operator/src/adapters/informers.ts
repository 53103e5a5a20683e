import {
  KubernetesObjectApi,
  makeInformer,
  type Informer,
  type ObjectCache,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
} from '@kubernetes/client-node';
import type { Logger } from '@telemetry-pulse/shared';
import type { KubeObject } from '../domain/types';
import { plain, statusCodeOf } from './kube-api';

/** One kind the operator watches. */
export interface WatchedKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  /** Only objects carrying these labels (the operator's own). */
  readonly labelSelector?: string;
}

/** A list+watch cache of one kind, restarted on errors, feeding `onChange`. */
export interface KindCache {
  readonly kind: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every cached object, as plain JSON. */
  list(namespace?: string): KubeObject[];
  get(namespace: string, name: string): KubeObject | undefined;
  /** True once the first list has arrived. */
  synced(): boolean;
}

/** `/apis/apps/v1/namespaces/ns/deployments`, or the all-namespaces path when `namespace` is empty. */
export function resourcePath(w: WatchedKind, namespace: string): string {
  const base = w.apiVersion.includes('/') ? `/apis/${w.apiVersion}` : `/api/${w.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${w.plural}` : `${base}/${w.plural}`;
}

/**
 * client-node's informer (list, then watch from the list's resourceVersion; on 410 Gone it lists again),
 * plus what it leaves to the caller: a restart with backoff after any other error, so a dropped connection
 * or an API server restart never leaves the operator blind.
 */
export function createKindCache(opts: {
  kc: KubeConfig;
  watched: WatchedKind;
  namespace: string;
  logger: Logger;
  onChange: (object: KubeObject, event: 'add' | 'update' | 'delete') => void;
  restartDelayMs?: { base: number; max: number };
}): KindCache {
  const { watched, namespace } = opts;
  const log = opts.logger.child({ component: 'informer', kind: watched.kind });
  const api = KubernetesObjectApi.makeApiClient(opts.kc);
  const delays = opts.restartDelayMs ?? { base: 500, max: 30_000 };
  let isSynced = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const listFn: ListPromise<KubernetesObject> = async () => {
    const list = await api.list(
      watched.apiVersion,
      watched.kind,
      namespace || undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      watched.labelSelector,
    );
    isSynced = true;
    failures = 0;
    // List items come without apiVersion and kind (watch events carry them); the cache needs both.
    for (const item of list.items)
      Object.assign(item, { apiVersion: watched.apiVersion, kind: watched.kind });
    return list;
  };
  const informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject> = makeInformer(
    opts.kc,
    resourcePath(watched, namespace),
    listFn,
    watched.labelSelector,
  );
  for (const event of ['add', 'update', 'delete'] as const) {
    informer.on(event, (o: KubernetesObject) => opts.onChange(plain<KubeObject>(o), event));
  }
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    // A kind this cluster does not serve (KEDA not installed): look again now and then, quietly.
    const notServed = statusCodeOf(err) === 404;
    const delay = notServed ? delays.max : Math.min(delays.max, delays.base * 2 ** failures);
    if (notServed && failures > 0) log.debug({ retryInMs: delay }, 'kind still not served');
    else if (notServed)
      log.info({ retryInMs: delay }, 'kind not served by this cluster; not watched for now');
    else log.warn({ err, status: statusCodeOf(err), retryInMs: delay }, 'watch failed; restarting');
    failures += 1;
    timer = setTimeout(() => {
      informer.start().catch((e: unknown) => log.warn({ err: e }, 'informer restart failed'));
    }, delay);
  });

  return {
    kind: watched.kind,
    async start() {
      stopped = false;
      await informer.start();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
    list: (ns) => informer.list(ns).map((o) => plain<KubeObject>(o)),
    get: (ns, name) => {
      const o = informer.get(name, ns);
      return o ? plain<KubeObject>(o) : undefined;
    },
    synced: () => isSynced,
  };
}

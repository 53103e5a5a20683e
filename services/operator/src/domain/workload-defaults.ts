import type { Component } from './names';
import type { ResourceRequirements } from './spec';

/**
 * What the operator's Deployments share with the chart's own (plain mode): the defaults of
 * charts/telemetry-pulse/values.yaml, written once more here because the CRD has no field for most of them.
 * test/delivery/workload-parity.test.ts renders both for the same settings and fails on any difference it
 * has not been told about, so a change here or in the chart cannot miss the other.
 */

const UID = 1000; // the images' non-root `node` user

/** The restricted Pod Security Standard (values.yaml podSecurityContext). */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: UID,
  runAsGroup: UID,
  fsGroup: UID,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** No privilege escalation, no capabilities, read-only root (values.yaml containerSecurityContext). */
export const CONTAINER_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: UID,
  runAsGroup: UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** The writable /tmp of the read-only root file system (values.yaml tmpSizeLimit). */
export const TMP_SIZE_LIMIT = '64Mi';

/** Above the services' SHUTDOWN_TIMEOUT (25 s), so a stop drains before the kill. */
export const TERMINATION_GRACE_SECONDS = 35;

export const REVISION_HISTORY_LIMIT = 5;

/** Requests and limits when the pipeline sets none (values.yaml <component>.resources). */
export const DEFAULT_RESOURCES: Readonly<Record<Component, ResourceRequirements>> = {
  processor: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
  api: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } },
  simulator: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
};

const httpProbe = (path: string, periodSeconds: number) => ({
  httpGet: { path, port: 'http' },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold: 3,
});

/**
 * Liveness (/healthz), readiness (/readyz) and, for the processor and the API, a startup probe that gives the
 * schema migrations at start-up two minutes before liveness counts.
 */
export function probes(component: Component): Record<string, unknown> {
  return {
    livenessProbe: httpProbe('/healthz', 10),
    readinessProbe: httpProbe('/readyz', 5),
    ...(component === 'simulator'
      ? {}
      : {
          startupProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            periodSeconds: 2,
            failureThreshold: 60,
          },
        }),
  };
}

/**
 * Rollout of the processor and the API: one new pod before an old one goes (for the processor each leave and
 * join is a consumer group rebalance). The simulator keeps the Deployment defaults.
 */
export function strategy(component: Component): Record<string, unknown> {
  return component === 'simulator'
    ? {}
    : { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } };
}

/** The processor's and the API's replicas spread over zones and nodes, never refused for it (ScheduleAnyway). */
export function topologySpread(
  component: Component,
  selector: Readonly<Record<string, string>>,
): Record<string, unknown> {
  if (component === 'simulator') return {};
  return {
    topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map(
      (topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selector },
      }),
    ),
  };
}

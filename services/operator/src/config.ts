import { hostname } from 'node:os';
import {
  ConfigError,
  opt,
  serviceOptionSpecs,
  type ConfigOf,
  type OptionSpec,
} from '@telemetry-pulse/shared/core';

/** Every operator option: flag, environment variable, default. docs/configuration.md's table is generated from this (npm run docs). */
export const operatorOptionSpecs = {
  kubeconfig: {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    help: 'Kubeconfig file to use; in a pod the service account (in-cluster config) when unset.',
    schema: opt.optionalString(),
  },
  watchNamespace: {
    flag: 'watch-namespace',
    env: 'OPERATOR_WATCH_NAMESPACE',
    help: 'Namespace whose TelemetryPipelines are reconciled; unset or empty: every namespace.',
    schema: opt.string(''),
  },
  leaderElection: {
    flag: 'leader-election',
    env: 'OPERATOR_LEADER_ELECTION',
    help: 'Elect one active replica through a coordination.k8s.io Lease; the others stand by.',
    defaultText: 'true',
    schema: opt.bool(true),
  },
  leaseName: {
    env: 'OPERATOR_LEASE_NAME',
    help: 'Name of the leader-election Lease.',
    defaultText: 'telemetry-pulse-operator',
    schema: opt.string('telemetry-pulse-operator'),
  },
  leaseNamespace: {
    env: 'OPERATOR_LEASE_NAMESPACE',
    help: 'Namespace of the Lease; POD_NAMESPACE when unset, else default.',
    schema: opt.optionalString(),
  },
  leaseDurationMs: {
    env: 'OPERATOR_LEASE_DURATION',
    help: 'How long a Lease holds without renewal before another replica may take it.',
    defaultText: '15s',
    schema: opt.duration('15s', 1000),
  },
  renewDeadlineMs: {
    env: 'OPERATOR_RENEW_DEADLINE',
    help: 'The leader stops acting when it could not renew the Lease for this long.',
    defaultText: '10s',
    schema: opt.duration('10s', 500),
  },
  retryPeriodMs: {
    env: 'OPERATOR_RETRY_PERIOD',
    help: 'How often replicas try to acquire or renew the Lease.',
    defaultText: '2s',
    schema: opt.duration('2s', 100),
  },
  podName: {
    env: 'POD_NAME',
    help: "This replica's identity in the Lease (downward API); the host name when unset.",
    schema: opt.optionalString(),
  },
  podUid: {
    env: 'POD_UID',
    help: "This replica's pod UID (downward API): the Lease it writes names its pod as owner, so the Lease goes with the pods (helm uninstall leaves none behind).",
    schema: opt.optionalString(),
  },
  podNamespace: {
    env: 'POD_NAMESPACE',
    help: 'Namespace the operator runs in (downward API).',
    schema: opt.optionalString(),
  },
  lagIntervalMs: {
    env: 'OPERATOR_LAG_INTERVAL',
    help: "How often each pipeline's consumer lag is read and its processors rescaled.",
    defaultText: '15s',
    schema: opt.duration('15s', 100),
  },
  lagTimeoutMs: {
    env: 'OPERATOR_LAG_TIMEOUT',
    help: 'A lag read slower than this counts as unavailable (the replica count is kept).',
    defaultText: '5s',
    schema: opt.duration('5s', 100),
  },
  resyncMs: {
    env: 'OPERATOR_RESYNC',
    help: 'Every pipeline is reconciled at least this often, even without changes.',
    defaultText: '5m',
    schema: opt.duration('5m', 1000),
  },
  requeueBaseMs: {
    env: 'OPERATOR_REQUEUE_BASE',
    help: 'First retry delay after a failed reconcile; doubles per failure.',
    defaultText: '500ms',
    schema: opt.duration('500ms', 1),
  },
  requeueMaxMs: {
    env: 'OPERATOR_REQUEUE_MAX',
    help: 'Longest retry delay after failed reconciles.',
    defaultText: '2m',
    schema: opt.duration('2m', 1),
  },
  workers: {
    env: 'OPERATOR_WORKERS',
    help: 'Pipelines reconciled at once (one pipeline is never reconciled twice at the same time).',
    defaultText: '2',
    schema: opt.int(2, 1, 32),
  },
  port: {
    flag: 'port',
    env: 'OPERATOR_PORT',
    help: 'Port of /healthz, /readyz and /metrics (0 = any free port).',
    defaultText: '9466',
    schema: opt.int(9466, 0, 65535),
  },
  host: {
    env: 'OPERATOR_HOST',
    help: 'Address the operations server binds.',
    defaultText: '0.0.0.0',
    schema: opt.string('0.0.0.0'),
  },
  ...serviceOptionSpecs,
} satisfies Record<string, OptionSpec>;

export type OperatorOptions = ConfigOf<typeof operatorOptionSpecs>;
export interface OperatorConfig extends OperatorOptions {
  /** This replica's name in the Lease. */
  readonly identity: string;
  readonly leaseNamespace: string;
}

/** Cross-field rules and derived values; throws ConfigError listing every problem. */
export function toOperatorConfig(o: OperatorOptions): OperatorConfig {
  const problems: string[] = [];
  if (o.renewDeadlineMs >= o.leaseDurationMs) {
    problems.push('OPERATOR_RENEW_DEADLINE must be shorter than OPERATOR_LEASE_DURATION');
  }
  if (o.retryPeriodMs >= o.renewDeadlineMs) {
    problems.push('OPERATOR_RETRY_PERIOD must be shorter than OPERATOR_RENEW_DEADLINE');
  }
  if (o.requeueBaseMs > o.requeueMaxMs)
    problems.push('OPERATOR_REQUEUE_BASE must not exceed OPERATOR_REQUEUE_MAX');
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...o,
    identity: o.podName ?? `${hostname()}-${process.pid}`,
    leaseNamespace: o.leaseNamespace ?? o.podNamespace ?? 'default',
  });
}

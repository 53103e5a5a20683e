import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, type Logger } from '@telemetry-pulse/shared';
import { createKubeApi } from './adapters/kube-api';
import { createLagSource } from './adapters/kafka-lag';
import { createOperator, type Operator } from './app';
import type { OperatorConfig } from './config';
import { createOperatorMetrics } from './metrics';

/** The Kubernetes client configuration: the given kubeconfig file, else the pod's service account. */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromCluster();
  const server = kc.getCurrentCluster()?.server ?? '';
  if (server === '' || server.includes('undefined')) {
    throw new ConfigError([
      kubeconfig
        ? `KUBECONFIG ${kubeconfig}: no current cluster`
        : 'no Kubernetes API to talk to: not in a pod (KUBERNETES_SERVICE_HOST unset) and KUBECONFIG unset',
    ]);
  }
  return kc;
}

/** Wires the real Kubernetes and Kafka adapters into an operator (used by main.ts and the tests). */
export function composeOperator(config: OperatorConfig, logger: Logger): Operator {
  const kc = loadKubeConfig(config.kubeconfig);
  return createOperator({
    config,
    logger,
    kc,
    api: createKubeApi(kc),
    lag: createLagSource({ logger, timeoutMs: config.lagTimeoutMs }),
    metrics: createOperatorMetrics(),
  });
}

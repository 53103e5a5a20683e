import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, type Logger } from '@telemetry-pulse/shared';
import { createKubeApi } from './adapters/kube-api';
import { createLagSource } from './adapters/kafka-lag';
import { createOperator, type Operator } from './app';
import type { OperatorConfig } from './config';
import { createOperatorMetrics } from './metrics';

/**
 * The Kubernetes client configuration: the given kubeconfig file, else the pod's service account. A file
 * that is missing, empty or not a kubeconfig is a {@link ConfigError} of one line, not a YAML stack trace.
 */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig) loadFile(kc, kubeconfig);
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

function loadFile(kc: KubeConfig, file: string): void {
  const problem = (what: string): ConfigError => new ConfigError([`KUBECONFIG ${file}: ${what}`]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw problem(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (text.trim() === '')
    throw problem('the file is empty (expected a kubeconfig: clusters, users, contexts)');
  try {
    // loadFromFile, not loadFromString: it resolves relative certificate paths against the file's folder.
    kc.loadFromFile(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw problem(`not a kubeconfig (${message.split('\n')[0] ?? ''})`);
  }
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

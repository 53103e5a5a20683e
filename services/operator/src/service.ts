import { parseWith, type ServiceDefinition } from '@telemetry-pulse/shared/service';
import { composeOperator } from './compose';
import { operatorOptionSpecs, toOperatorConfig, type OperatorConfig } from './config';

/** The operator as `runService` runs it (main.ts). */
export const service: ServiceDefinition<OperatorConfig> = {
  name: 'operator',
  usage: 'telemetry-operator [options]',
  summary: `Kubernetes operator for TelemetryPipeline resources (telemetrypulse.io/v1alpha1): keeps each
pipeline's Deployments, Services, ConfigMaps and ServiceAccount as declared, scales the processors on
consumer lag, and reports status and events. One replica acts at a time (leader election on a Lease).`,
  specs: operatorOptionSpecs,
  parse: parseWith(operatorOptionSpecs, toOperatorConfig),
  async start(config, logger) {
    const operator = composeOperator(config, logger);
    await operator.start();
    return operator;
  },
};

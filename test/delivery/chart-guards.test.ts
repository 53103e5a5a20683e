/**
 * Values the chart must refuse, each with a message that names the value to change: the schema
 * (values.schema.json) for unknown keys and wrong types, the templates' `fail` for rules across values.
 * And the last line of defence: a value that renders an invalid object is caught by the strict validation.
 */
import { formatProblems, helmTemplate, validateManifests } from '../support/kube';

async function renderError(values: Record<string, unknown>, apiVersions: string[] = []): Promise<string> {
  try {
    await helmTemplate({ values, apiVersions });
  } catch (err) {
    return String(err);
  }
  throw new Error(`helm template accepted ${JSON.stringify(values)}`);
}

describe('values the chart refuses', () => {
  it.each([
    [
      'a fixed processor count above the partitions',
      { processor: { replicaCount: 7 } },
      /processor.replicaCount \(7\) exceeds kafka.topic.partitions \(6\)/,
    ],
    [
      'fewer partitions than the default replicas',
      { kafka: { topic: { partitions: 1 } } },
      /processor.replicaCount \(2\) exceeds kafka.topic.partitions \(1\)/,
    ],
    [
      'an HPA maximum above the partitions',
      { autoscaling: { mode: 'hpa', maxReplicas: 8 } },
      /autoscaling.maxReplicas \(8\) exceeds kafka.topic.partitions \(6\)/,
    ],
    [
      'a KEDA maximum above the partitions',
      {
        autoscaling: { mode: 'keda', maxReplicas: 12 },
        kafka: { topic: { partitions: 3 } },
        assumeApiVersions: ['keda.sh/v1alpha1'],
      },
      /autoscaling.maxReplicas \(12\) exceeds kafka.topic.partitions \(3\)/,
    ],
    [
      'a minimum above the maximum',
      { autoscaling: { mode: 'hpa', minReplicas: 5, maxReplicas: 4 } },
      /autoscaling.minReplicas \(5\) exceeds autoscaling.maxReplicas \(4\)/,
    ],
    [
      'an HPA that scales to zero',
      { autoscaling: { mode: 'hpa', minReplicas: 0 } },
      /minReplicas must be at least 1 with autoscaling.mode=hpa/,
    ],
    [
      'KEDA where the cluster has no KEDA',
      { autoscaling: { mode: 'keda' } },
      /autoscaling.mode=keda needs KEDA.*--api-versions keda.sh\/v1alpha1/,
    ],
    [
      'notifications without a channel',
      { notifications: { enabled: true } },
      /notifications.enabled needs at least one channel in notifications.config.channels/,
    ],
    [
      'a notification secret that is also in processor.env',
      {
        notifications: {
          enabled: true,
          existingConfigMap: 'notifications',
          secretEnv: { HOOK_SECRET: { secretName: 's', key: 'k' } },
        },
        processor: { env: { HOOK_SECRET: 'plain' } },
      },
      /notifications.secretEnv.HOOK_SECRET is also in processor.env/,
    ],
    [
      'a notification secret over a variable the chart sets',
      {
        notifications: {
          enabled: true,
          existingConfigMap: 'notifications',
          secretEnv: { DATABASE_URL: { secretName: 's', key: 'k' } },
        },
      },
      /notifications.secretEnv.DATABASE_URL is set by the chart/,
    ],
    [
      'a notification secret without its key',
      { notifications: { enabled: true, secretEnv: { HOOK_SECRET: { secretName: 's' } } } },
      /notifications\/secretEnv\/HOOK_SECRET': missing property 'key'/,
    ],
    ['no brokers', { kafka: { brokers: '' } }, /kafka.brokers is required/],
    ['no database Secret', { database: { existingSecret: '' } }, /database.existingSecret is required/],
    [
      'SASL without a Secret',
      { kafka: { sasl: { mechanism: 'scram-sha-512' } } },
      /kafka.sasl.existingSecret is required with kafka.sasl.mechanism=scram-sha-512/,
    ],
    [
      'a secret passed as a literal env value',
      { processor: { env: { DATABASE_URL: 'postgres://u:p@db/t' } } },
      /processor.env.DATABASE_URL is set by the chart/,
    ],
    [
      'API keys passed as a literal env value',
      { api: { env: { API_KEYS: 'ops:abc' } } },
      /api.env.API_KEYS is set by the chart/,
    ],
    [
      "an operator env overriding the chart's",
      { operator: { enabled: true, env: { OPERATOR_LEASE_NAME: 'x' } } },
      /operator.env.OPERATOR_LEASE_NAME is set by the chart/,
    ],
    [
      'a secret passed as a literal extraEnv value',
      { processor: { extraEnv: [{ name: 'DATABASE_URL', value: 'postgres://u:p@db/t' }] } },
      /processor.extraEnv DATABASE_URL is set by the chart/,
    ],
    [
      'a variable both in env and extraEnv',
      { api: { env: { API_RATE_LIMIT: '5' }, extraEnv: [{ name: 'API_RATE_LIMIT', value: '6' }] } },
      /api.extraEnv API_RATE_LIMIT is also in api.env/,
    ],
    [
      'a mount of a volume the pod does not have',
      { simulator: { enabled: true, extraVolumeMounts: [{ name: 'company-ca', mountPath: '/ca' }] } },
      /simulator.extraVolumeMounts mounts volume company-ca, which the pod does not have/,
    ],
    [
      'a mount of the alert rules where the processor has none',
      {
        alertRules: { enabled: false },
        processor: { extraVolumeMounts: [{ name: 'alert-rules', mountPath: '/rules' }] },
      },
      /processor.extraVolumeMounts mounts volume alert-rules/,
    ],
    [
      'an Ingress without hosts',
      { api: { ingress: { enabled: true } } },
      /api.ingress.hosts needs at least one host/,
    ],
  ])('refuses %s', async (_what, values, message) => {
    expect(await renderError(values)).toMatch(message);
  });

  it("reports helm's error alone, without its notices about the links under files/", async () => {
    const message = await renderError({ processor: { replicaCount: 7 } });
    expect(message).toMatch(/exceeds kafka.topic.partitions/);
    expect(message).not.toMatch(/symbolic link/);
  });

  it.each([
    [
      'a misspelled key',
      { processor: { replica: 3 } },
      /at '\/processor': additional properties 'replica' not allowed/,
    ],
    [
      'an unknown autoscaling mode (HPA and KEDA together)',
      { autoscaling: { mode: 'both' } },
      /at '\/autoscaling\/mode'/,
    ],
    ['a replica count as text', { processor: { replicaCount: 'two' } }, /at '\/processor\/replicaCount'/],
    ['a broker without a port', { kafka: { brokers: 'kafka' } }, /at '\/kafka\/brokers'/],
    [
      'an env name that is not a variable name',
      { api: { env: { 'api-rate': '5' } } },
      /invalid propertyName 'api-rate'/,
    ],
    [
      "an extra volume named like one of the chart's",
      { processor: { extraVolumes: [{ name: 'tmp', emptyDir: {} }] } },
      /at '\/processor\/extraVolumes\/0\/name'/,
    ],
    [
      'a misspelled extraEnv field',
      { api: { extraEnv: [{ name: 'TZ', vaule: 'UTC' }] } },
      /at '\/api\/extraEnv\/0': additional properties 'vaule' not allowed/,
    ],
    [
      'an extraEnvFrom source of an unknown kind',
      { operator: { extraEnvFrom: [{ fieldRef: { fieldPath: 'metadata.name' } }] } },
      /at '\/operator\/extraEnvFrom\/0': additional properties 'fieldRef' not allowed/,
    ],
    [
      'a mount without a path',
      { processor: { extraVolumeMounts: [{ name: 'tmp' }] } },
      /at '\/processor\/extraVolumeMounts\/0': missing property 'mountPath'/,
    ],
    [
      'a registry given as a URL',
      { global: { imageRegistry: 'https://mirror.example' } },
      /at '\/global\/imageRegistry'/,
    ],
    ['an extra object that is neither a map nor a string', { extraObjects: [42] }, /at '\/extraObjects\/0'/],
    [
      'an unknown SASL mechanism',
      { kafka: { sasl: { mechanism: 'gssapi' } } },
      /at '\/kafka\/sasl\/mechanism'/,
    ],
  ])('refuses %s through values.schema.json', async (_what, values, message) => {
    expect(await renderError(values)).toMatch(message);
  });

  it('catches a value that renders an invalid object (a misspelled security context field)', async () => {
    const { yaml } = await helmTemplate({
      values: { containerSecurityContext: { runAsNonRoot: true, readOnlyRootFs: true } },
    });
    const report = await validateManifests(yaml);
    expect(report.valid).toBe(false);
    expect(formatProblems(report)).toMatch(
      /Deployment\/tp-telemetry-pulse-processor .*securityContext: additional properties 'readOnlyRootFs' not allowed/,
    );
  });

  it('accepts exactly the partition count, and KEDA scaling to zero', async () => {
    await expect(helmTemplate({ values: { processor: { replicaCount: 6 } } })).resolves.toBeDefined();
    const { objects } = await helmTemplate({
      values: { autoscaling: { mode: 'keda', minReplicas: 0, maxReplicas: 6 } },
      apiVersions: ['keda.sh/v1alpha1'],
    });
    expect(objects.find((o) => o.kind === 'ScaledObject')?.['spec']).toMatchObject({
      minReplicaCount: 0,
      maxReplicaCount: 6,
    });
  });
});

import { desiredObjects } from '../../../services/operator/src/domain/desired';
import { parseSpec, type PipelineSpec } from '../../../services/operator/src/domain/spec';
import type { KubeObject } from '../../../services/operator/src/domain/types';
import { applied, byKind, MINIMAL_SPEC, pipeline, present, specOf } from './fixtures';

type Container = {
  image: string;
  command: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  securityContext: Record<string, unknown>;
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  ports: { containerPort: number }[];
};
type PodSpec = {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string }[];
};
const podOf = (d: KubeObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const containerOf = (d: KubeObject) => present(podOf(d).containers[0]);
const envOf = (d: KubeObject) =>
  Object.fromEntries(containerOf(d).env.map((e) => [e.name, e.value ?? e.valueFrom]));
/** The env of one component's Deployment for a pipeline `x` with `spec`. */
const componentEnv = (spec: PipelineSpec, component: string) =>
  envOf(
    byKind(desiredObjects({ name: 'x', namespace: 'n', uid: 'u' }, spec, 1), 'Deployment', `x-${component}`),
  );

describe('desiredObjects', () => {
  const objects = applied(pipeline({ ...MINIMAL_SPEC, simulator: { enabled: true, rate: 200 } }), 3);

  it.each([
    ['processor', 9464, 'ghcr.io/telemetry-pulse/processor:0.1.0'],
    ['api', 8080, 'ghcr.io/telemetry-pulse/api:0.1.0'],
    ['simulator', 9465, 'ghcr.io/telemetry-pulse/simulator:0.1.0'],
  ])('%s: image, command, port and probes', (component, port, image) => {
    const c = containerOf(byKind(objects, 'Deployment', `lobby-${component}`));
    expect(c.image).toBe(image);
    expect(c.command).toEqual(['node', `services/${component}/dist/main.js`]);
    expect(present(c.ports[0]).containerPort).toBe(port);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/healthz', '/readyz']);
  });

  it('takes every connection value from a secret, never a literal', () => {
    const env = envOf(byKind(objects, 'Deployment', 'lobby-processor'));
    expect(env['KAFKA_BROKERS']).toEqual({ secretKeyRef: { name: 'kafka', key: 'brokers' } });
    expect(env['DATABASE_URL']).toEqual({ secretKeyRef: { name: 'postgres', key: 'url' } });
    expect(env).toMatchObject({
      PROCESSOR_TOPIC: 'telemetry.events',
      PROCESSOR_DLQ_TOPIC: 'telemetry.events.dlq',
      PROCESSOR_GROUP_ID: 'telemetry-processor',
      PROCESSOR_PORT: '9464',
    });
    expect(envOf(byKind(objects, 'Deployment', 'lobby-simulator'))).toMatchObject({ SIM_RATE: '200' });
    expect(JSON.stringify(objects)).not.toMatch(/postgres:\/\/|:9092/);
  });

  it('passes SASL credentials from secrets', () => {
    const spec = specOf({
      ...MINIMAL_SPEC,
      kafka: {
        brokersFrom: { name: 'k', key: 'b' },
        saslMechanism: 'scram-sha-256',
        usernameFrom: { name: 'k', key: 'user' },
        passwordFrom: { name: 'k', key: 'pass' },
      },
    });
    expect(componentEnv(spec, 'api')).toMatchObject({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: { secretKeyRef: { name: 'k', key: 'user' } },
      KAFKA_SASL_PASSWORD: { secretKeyRef: { name: 'k', key: 'pass' } },
    });
  });

  it('passes the Kafka CA, client certificate and key from secrets (mTLS, as Strimzi hands them out)', () => {
    const spec = specOf({
      ...MINIMAL_SPEC,
      kafka: {
        brokersFrom: { name: 'k', key: 'b' },
        caFrom: { name: 'cluster-ca-cert', key: 'ca.crt' },
        certFrom: { name: 'user', key: 'user.crt' },
        keyFrom: { name: 'user', key: 'user.key' },
      },
    });
    for (const component of ['api', 'processor']) {
      expect(componentEnv(spec, component)).toMatchObject({
        KAFKA_SSL: 'auto',
        KAFKA_SSL_CA: { secretKeyRef: { name: 'cluster-ca-cert', key: 'ca.crt' } },
        KAFKA_SSL_CERT: { secretKeyRef: { name: 'user', key: 'user.crt' } },
        KAFKA_SSL_KEY: { secretKeyRef: { name: 'user', key: 'user.key' } },
      });
    }
  });

  it('passes the API its operator and ingest keys from secrets, and only the API', () => {
    const spec = specOf({
      ...MINIMAL_SPEC,
      api: {
        keysFrom: { name: 'api-keys', key: 'operators' },
        ingestKeysFrom: { name: 'api-keys', key: 'ingest' },
      },
    });
    expect(componentEnv(spec, 'api')).toMatchObject({
      API_KEYS: { secretKeyRef: { name: 'api-keys', key: 'operators' } },
      API_INGEST_KEYS: { secretKeyRef: { name: 'api-keys', key: 'ingest' } },
    });
    expect(Object.keys(componentEnv(spec, 'processor'))).not.toContain('API_KEYS');
    // Without them the API runs without keys, as the chart's defaults do.
    const plain = componentEnv(specOf(MINIMAL_SPEC), 'api');
    expect(Object.keys(plain).filter((k) => k.startsWith('API_') && k !== 'API_PORT')).toEqual([]);
    // A literal key list cannot be written: only a reference.
    const literal = parseSpec({ ...MINIMAL_SPEC, api: { keysFrom: 'facilities:abc' } });
    expect(literal.ok).toBe(false);
  });

  it('refuses a certificate without its key, and TLS material with tls false', () => {
    const kafka = { brokersFrom: { name: 'k', key: 'b' } };
    const problems = (k: object) => {
      const parsed = parseSpec({ ...MINIMAL_SPEC, kafka: { ...kafka, ...k } });
      return parsed.ok ? [] : parsed.problems;
    };
    expect(problems({ certFrom: { name: 'u', key: 'user.crt' } })).toEqual([
      'kafka.certFrom needs kafka.keyFrom',
    ]);
    expect(problems({ keyFrom: { name: 'u', key: 'user.key' } })).toEqual([
      'kafka.keyFrom needs kafka.certFrom',
    ]);
    expect(problems({ tls: 'false', caFrom: { name: 'c', key: 'ca.crt' } })).toEqual([
      'kafka.tls false contradicts kafka.caFrom/certFrom/keyFrom',
    ]);
  });

  it('runs every pod under the restricted pod security standard', () => {
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      expect(podOf(d).securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(containerOf(d).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(podOf(d).volumes.map((v) => v.name)).toContain('tmp');
    }
  });

  it('owns every object through a controller reference to the pipeline', () => {
    for (const o of objects) {
      expect(o.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'TelemetryPipeline', name: 'lobby', uid: 'uid-1', controller: true }),
      ]);
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'telemetry-pulse-operator' });
    }
  });

  it('sets the processor replicas the scaler chose, and the API replicas from the spec', () => {
    expect((byKind(objects, 'Deployment', 'lobby-processor').spec as { replicas: number }).replicas).toBe(3);
    expect((byKind(objects, 'Deployment', 'lobby-api').spec as { replicas: number }).replicas).toBe(1);
  });

  it('mounts alert rules from a ConfigMap and rolls the processors when they change', () => {
    const rule = { kind: 'silence', id: 'quiet', silentMs: 60_000, severity: 'warning' };
    const one = applied(pipeline({ ...MINIMAL_SPEC, alertRules: [rule] }));
    const two = applied(pipeline({ ...MINIMAL_SPEC, alertRules: [{ ...rule, silentMs: 120_000 }] }));
    const cm = byKind(one, 'ConfigMap');
    expect(JSON.parse(present((cm.data as Record<string, string>)['alert-rules.json']))).toEqual({
      rules: [rule],
    });
    expect(envOf(byKind(one, 'Deployment', 'lobby-processor'))['ALERT_RULES_FILE']).toBe(
      '/etc/telemetry-pulse/alert-rules.json',
    );
    const hash = (os: KubeObject[]) =>
      (
        byKind(os, 'Deployment', 'lobby-processor').spec as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations['telemetrypulse.io/alert-rules-hash'];
    expect(hash(one)).not.toBe(hash(two));
  });

  it('mounts notifications from a ConfigMap with their secrets from Secrets, and rolls the processors when they change', () => {
    const config = {
      channels: [{ name: 'hook', type: 'webhook', url: 'http://hooks:8080/x', secret_env: 'HOOK_SECRET' }],
    };
    const secretEnv = { HOOK_SECRET: { name: 'notify', key: 'hook' } };
    const one = applied(pipeline({ ...MINIMAL_SPEC, notifications: { config, secretEnv } }));
    const two = applied(
      pipeline({ ...MINIMAL_SPEC, notifications: { config: { ...config, poll_interval: '1s' }, secretEnv } }),
    );
    const cm = byKind(one, 'ConfigMap', 'lobby-notifications');
    expect(JSON.parse(present((cm.data as Record<string, string>)['notifications.yaml']))).toEqual(config);
    const processor = byKind(one, 'Deployment', 'lobby-processor');
    expect(envOf(processor)).toMatchObject({
      NOTIFICATIONS_CONFIG: '/etc/telemetry-pulse-notifications/notifications.yaml',
      HOOK_SECRET: { secretKeyRef: { name: 'notify', key: 'hook' } },
    });
    expect(podOf(processor).volumes.map((v) => v.name)).toEqual(['tmp', 'notifications']);
    expect(envOf(byKind(one, 'Deployment', 'lobby-api'))['HOOK_SECRET']).toBeUndefined();
    const hash = (os: KubeObject[]) =>
      (
        byKind(os, 'Deployment', 'lobby-processor').spec as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations['telemetrypulse.io/notifications-hash'];
    expect(hash(one)).toMatch(/./);
    expect(hash(one)).not.toBe(hash(two));
  });

  it('hands the processors to a KEDA ScaledObject when asked, leaving their replicas alone', () => {
    const keda = applied(
      pipeline({
        ...MINIMAL_SPEC,
        processor: { autoscaler: 'keda', maxReplicas: 12, targetLagPerReplica: 500 },
      }),
    );
    expect(
      (byKind(keda, 'Deployment', 'lobby-processor').spec as { replicas?: number }).replicas,
    ).toBeUndefined();
    expect(byKind(keda, 'ScaledObject').spec).toMatchObject({
      scaleTargetRef: { name: 'lobby-processor' },
      minReplicaCount: 1,
      maxReplicaCount: 6, // capped at the partitions
      triggers: [{ type: 'kafka', metadata: { lagThreshold: '500', consumerGroup: 'telemetry-processor' } }],
    });
  });

  it('exposes the API through the Service type and port of the spec', () => {
    const svc = byKind(
      applied(pipeline({ ...MINIMAL_SPEC, api: { service: { type: 'NodePort', port: 80 } } })),
      'Service',
      'lobby-api',
    );
    expect(svc.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] });
  });
});

describe('parseSpec', () => {
  it('applies the same defaults as the CRD', () => {
    expect(specOf(MINIMAL_SPEC)).toMatchObject({
      image: { registry: 'ghcr.io/telemetry-pulse', tag: '0.1.0', pullPolicy: 'IfNotPresent' },
      topic: { name: 'telemetry.events', partitions: 6 },
      simulator: { enabled: false, rate: 50 },
      processor: {
        minReplicas: 1,
        maxReplicas: 6,
        targetLagPerReplica: 1000,
        scaleDownStabilizationSeconds: 300,
        autoscaler: 'operator',
      },
      api: { replicas: 1, service: { type: 'ClusterIP', port: 8080 } },
    });
  });

  it.each([
    ['no connection at all', {}, ['kafka: ', 'database: ']],
    [
      'a literal broker list',
      { ...MINIMAL_SPEC, kafka: { brokers: 'k:9092', brokersFrom: { name: 'k', key: 'b' } } },
      ['kafka: Unrecognized key: "brokers"'],
    ],
    [
      'min above max',
      { ...MINIMAL_SPEC, processor: { minReplicas: 4, maxReplicas: 2 } },
      ['processor.minReplicas must not exceed processor.maxReplicas'],
    ],
    [
      'SASL without credentials',
      { ...MINIMAL_SPEC, kafka: { brokersFrom: { name: 'k', key: 'b' }, saslMechanism: 'plain' } },
      ['kafka.saslMechanism plain needs'],
    ],
    [
      'a zero target lag',
      { ...MINIMAL_SPEC, processor: { targetLagPerReplica: 0 } },
      ['processor.targetLagPerReplica: '],
    ],
    [
      'a notification secret not provided',
      {
        ...MINIMAL_SPEC,
        notifications: { config: { channels: [{ name: 'h', type: 'webhook', secret_env: 'HOOK_SECRET' }] } },
      },
      ['notifications.config.channels.0.secret_env: HOOK_SECRET is not in notifications.secretEnv'],
    ],
    [
      'SMTP credentials not provided',
      {
        ...MINIMAL_SPEC,
        notifications: {
          config: {
            channels: [
              { name: 'm', type: 'email', smtp: { username_env: 'SMTP_USER', password_env: 'SMTP_PASS' } },
            ],
          },
          secretEnv: { SMTP_USER: { name: 's', key: 'user' } },
        },
      },
      ['notifications.config.channels.0.smtp.password_env: SMTP_PASS is not in notifications.secretEnv'],
    ],
    [
      'a notification secret over a variable the operator sets',
      {
        ...MINIMAL_SPEC,
        notifications: {
          config: { channels: [{ name: 'h', type: 'alertmanager' }] },
          secretEnv: { DATABASE_URL: { name: 's', key: 'k' } },
        },
      },
      ['notifications.secretEnv.DATABASE_URL: the operator sets that variable itself'],
    ],
    [
      'notifications without a channel',
      { ...MINIMAL_SPEC, notifications: { config: { channels: [] } } },
      ['notifications.config.channels: '],
    ],
  ])('refuses %s, naming the field', (_what, raw, expected) => {
    const parsed = parseSpec(raw);
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    for (const text of expected) expect(problems.some((p) => p.includes(text))).toBe(true);
  });
});

import { BROKERS, testKafka, uniqueName, waitFor } from '../support/infra';
import { startKubeCluster, type KubeCluster } from '../support/kube-api-server';
import { installOperatorAccess, PIPELINES, startOperator, type OperatorProcess } from '../support/operator';

const NS = 'scaling';
const PARTITIONS = 3;
const BACKLOG = 3000; // 3000 / 500 per replica = 6 replicas wanted, capped at the 3 partitions
const WINDOW_S = 4;

type Status = {
  processor?: { desiredReplicas: number; replicas: number; lastScaleTime?: string };
  totalLag?: number;
};

/**
 * Lag-aware scaling with the real Kafka: a backlog in the pipeline's consumer group raises the processor
 * replicas (capped at the partition count); once the group has caught up they fall back to the minimum,
 * but only after the stabilisation window.
 */
describe('operator scales processors on real consumer lag', () => {
  let cluster: KubeCluster;
  let operator: OperatorProcess | undefined;
  const topic = uniqueName('it.operator-lag');
  const group = uniqueName('it-operator-lag');
  const kafka = testKafka();
  const admin = kafka.admin();

  const status = async (): Promise<Status> =>
    (await cluster.call<{ status?: Status }>('GET', `${PIPELINES}/namespaces/${NS}/telemetrypipelines/hall`))
      .body.status ?? {};
  const replicas = async (): Promise<number | undefined> =>
    (
      await cluster.call<{ spec?: { replicas?: number } }>(
        'GET',
        `/apis/apps/v1/namespaces/${NS}/deployments/hall-processor`,
      )
    ).body.spec?.replicas;
  const logs = (err: unknown): never => {
    throw new Error(`${String(err)}\n--- operator logs ---\n${operator?.logs().slice(-5000) ?? ''}`);
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    cluster = await startKubeCluster();
    await installOperatorAccess(cluster);
    await cluster.call('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'kafka' },
      stringData: { brokers: BROKERS.join(',') },
    });
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'postgres' },
      stringData: { url: 'postgres://unused/db' },
    });
    operator = await startOperator(cluster, 21466 + Math.floor(Math.random() * 500), {
      OPERATOR_LAG_INTERVAL: '500ms',
    });
    const r = await cluster.call('POST', `${PIPELINES}/namespaces/${NS}/telemetrypipelines`, {
      apiVersion: 'telemetrypulse.io/v1alpha1',
      kind: 'TelemetryPipeline',
      metadata: { name: 'hall' },
      spec: {
        kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
        database: { urlFrom: { name: 'postgres', key: 'url' } },
        topic: { name: topic, partitions: PARTITIONS },
        processor: {
          groupId: group,
          minReplicas: 1,
          maxReplicas: 10,
          targetLagPerReplica: 500,
          scaleDownStabilizationSeconds: WINDOW_S,
        },
      },
    });
    expect(r.status).toBe(201);
  }, 45 * 60_000);

  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('starts at the minimum while the topic is empty', async () => {
    const s = await waitFor(
      'a first status',
      async () => ((await status()).processor ? status() : undefined),
      30_000,
    ).catch(logs);
    expect(s).toMatchObject({ totalLag: 0, processor: { desiredReplicas: 1 } });
    expect(await replicas()).toBe(1);
  });

  it('scales up on a backlog, never above the partition count', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: BACKLOG }, (_, i) => ({
      key: `dev-${i % 30}`,
      value: `{"n":${i}}`,
    }));
    await producer.send({ topic, messages });
    await producer.disconnect();
    const s = await waitFor(
      '3 replicas',
      async () => {
        const now = await status();
        return now.processor?.desiredReplicas === PARTITIONS && (await replicas()) === PARTITIONS
          ? now
          : undefined;
      },
      30_000,
    ).catch(logs);
    expect(s.totalLag).toBe(BACKLOG);
    expect(s.processor?.lastScaleTime).toBeDefined();
  });

  it('scales back down once drained, but only after the stabilisation window', async () => {
    // Watch the status while draining: when the operator first saw no lag, and when the count fell.
    let zeroAt: number | undefined;
    let downAt: number | undefined;
    const watching = waitFor(
      'back to 1 replica',
      async () => {
        if (zeroAt === undefined && (await status()).totalLag === 0) zeroAt = Date.now();
        if ((await replicas()) === 1) {
          downAt = Date.now();
          zeroAt ??= downAt; // fell in the very pass that first saw no lag
        }
        return downAt;
      },
      40_000,
      100,
    );
    // Drain: the group commits the end of every partition, as processors that caught up would.
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    await watching.catch(logs);
    // The window holds the count up for WINDOW_S after the last high reading (at most one lag interval
    // before the first zero reading).
    expect((downAt ?? 0) - (zeroAt ?? 0)).toBeGreaterThanOrEqual((WINDOW_S - 1) * 1000);
    const events = await cluster.call<{ items: { reason: string }[] }>(
      'GET',
      `/api/v1/namespaces/${NS}/events`,
    );
    expect(events.body.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['ScaledUp', 'ScaledDown']),
    );
  });
});

import { BROKERS, uniqueName, waitFor } from '../support/infra';
import { startKubeCluster, type KubeCluster } from '../support/kube-api-server';
import { installOperatorAccess, PIPELINES, startOperator, type OperatorProcess } from '../support/operator';
import { documentedMetrics, labelSetsOf, startPrometheus, type Prometheus } from '../support/prometheus';
import { freePort } from '../support/reliability/process';

const NS = 'observed';
const SCRAPE_S = 2;

/**
 * The operator's half of issue 22, item 1: the operator (compiled, as the chart runs it) against a real
 * kube-apiserver and the real Kafka, with one TelemetryPipeline to reconcile, scraped by Debian's
 * Prometheus as job `telemetry-operator`, the job the chart's ServiceMonitor gives it (the compose
 * configuration in observability/prometheus runs no operator). The pipeline's e2e test scrapes the other
 * services (test/e2e/prometheus.test.ts).
 */
describe('the operator scraped by a real Prometheus', () => {
  let cluster: KubeCluster;
  let operator: OperatorProcess | undefined;
  let prometheus: Prometheus | undefined;
  const topic = uniqueName('kube.prom');

  beforeAll(async () => {
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
    operator = await startOperator(cluster, await freePort(), { POD_NAME: 'operator-observed' });
    prometheus = await startPrometheus(
      [
        'global:',
        `  scrape_interval: ${SCRAPE_S}s`,
        `  scrape_timeout: ${SCRAPE_S}s`,
        'scrape_configs:',
        '  - job_name: telemetry-operator',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${operator.port}']`,
      ].join('\n'),
    );
  }, 45 * 60_000); // the first run builds kube-apiserver and etcd

  afterAll(async () => {
    await prometheus?.stop();
    await operator?.stop();
    await cluster?.stop();
  });

  it('is up with no scrape error and exports every documented metric with its labels and type, and no other', async () => {
    const p = prometheus;
    if (!p) throw new Error('not started');
    const startS = Math.floor(Date.now() / 1000) - 60;
    const r = await cluster.call('POST', `${PIPELINES}/namespaces/${NS}/telemetrypipelines`, {
      apiVersion: 'telemetrypulse.io/v1alpha1',
      kind: 'TelemetryPipeline',
      metadata: { name: 'atrium' },
      spec: {
        kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
        database: { urlFrom: { name: 'postgres', key: 'url' } },
        topic: { name: topic, partitions: 3 },
      },
    });
    expect(r.status).toBe(201);

    const docs = documentedMetrics().filter((d) => d.service === 'operator');
    expect(docs.length).toBeGreaterThan(5);
    const missing = new Map(docs.map((d) => [d.name, d]));
    await waitFor(
      'a series of every documented operator metric',
      async () => {
        for (const d of [...missing.values()]) {
          if ((await labelSetsOf(p, d, startS)).length > 0) missing.delete(d.name);
        }
        return missing.size === 0 ? true : undefined;
      },
      90_000,
      2_000,
    ).catch(() =>
      expect([[...missing.keys()], operator?.logs().slice(-3000)]).toEqual([[], expect.anything()]),
    );

    const [target] = await p.targets();
    expect([target?.labels['job'], target?.health, target?.lastError]).toEqual([
      'telemetry-operator',
      'up',
      '',
    ]);
    const metadata = await p.api<Record<string, { type: string }[]>>('metadata');
    for (const d of docs) {
      expect([d.name, await labelSetsOf(p, d, startS)]).toEqual([d.name, [[...d.labels].sort().join(',')]]);
      expect([d.name, (metadata[d.name] ?? []).map((m) => m.type)]).toEqual([d.name, [d.type]]);
    }
    const documented = new Set(docs.map((d) => d.name));
    expect(Object.keys(metadata).filter((n) => n.startsWith('telemetry_') && !documented.has(n))).toEqual([]);
    // Its labels say which pipeline: the one reconciled here.
    const ready = await p.query('telemetry_operator_pipeline_ready');
    expect(ready.map((s) => [s.metric['namespace'], s.metric['pipeline']])).toEqual([[NS, 'atrium']]);
  }, 180_000);
});

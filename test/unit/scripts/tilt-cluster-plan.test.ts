/**
 * The decisions of scripts/tilt-cluster.ts (scripts/tilt-cluster/plan.ts), Tilt's helper on the project's own
 * cluster: its command line, which checkout's cluster a kubeconfig names, the dev image's podman build, the
 * dev tags it drops, the private Kafka's and PostgreSQL's settings. The run itself is recorded in
 * docs/kubernetes.md ("Tilt on the project's cluster").
 */
import {
  checkExpectedRef,
  clusterCheckout,
  devBuild,
  kafkaServerProperties,
  parseTiltClusterArgs,
  postgresHbaLines,
  serviceAddresses,
  staleDevTags,
  UsageError,
} from '../../../scripts/tilt-cluster/plan';
import { buildArgs } from '../../../scripts/images/plan';

describe('tilt-cluster: command line', () => {
  it('help without a command, and for help, --help and -h', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']])
      expect(parseTiltClusterArgs(argv)).toEqual({ command: 'help' });
  });

  it('image takes exactly one of the dev services', () => {
    expect(parseTiltClusterArgs(['image', 'processor'])).toEqual({
      command: 'image',
      service: 'processor',
      kubeconfig: undefined,
    });
    expect(parseTiltClusterArgs(['image', 'api', '--kubeconfig', '/k'])).toEqual({
      command: 'image',
      service: 'api',
      kubeconfig: '/k',
    });
    for (const argv of [
      ['image'],
      ['image', 'operator'],
      ['image', 'api', 'simulator'],
      ['image', 'api', '--kubeconfig'],
      ['image', 'api', '--kube', '/k'],
    ])
      expect(() => parseTiltClusterArgs(argv)).toThrow(
        new UsageError('image takes one service, one of processor, api, simulator, and --kubeconfig FILE'),
      );
  });

  it('services defaults to the host end of the node link and kind’s host ports', () => {
    expect(parseTiltClusterArgs(['services'])).toEqual({
      command: 'services',
      host: '10.250.0.1',
      kafkaPort: 19092,
      postgresPort: 15432,
      password: 'telemetry-dev',
    });
    expect(
      parseTiltClusterArgs([
        'services',
        '--host',
        '10.1.2.3',
        '--kafka-port',
        '29092',
        '--postgres-port',
        '25432',
      ]),
    ).toMatchObject({ host: '10.1.2.3', kafkaPort: 29092, postgresPort: 25432 });
  });

  it('names every problem of a services command line at once', () => {
    let error: unknown;
    try {
      parseTiltClusterArgs([
        'services',
        '--host',
        'node.local',
        '--kafka-port',
        '70000',
        '--postgres-port',
        'x',
        '--password',
        "it's",
        '--verbose',
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message.split('\n')).toEqual([
      'unknown option --verbose',
      '--host node.local is not an IPv4 address',
      '--kafka-port 70000 is not a port',
      '--postgres-port x is not a port',
      '--password: letters, digits, - and _ only (it goes into a URL and a SQL literal)',
    ]);
    expect(() => parseTiltClusterArgs(['services', '--kafka-port', '15432'])).toThrow(
      'Kafka and PostgreSQL need different ports',
    );
    expect(() => parseTiltClusterArgs(['serve'])).toThrow('unknown command serve');
  });
});

describe('tilt-cluster: which cluster', () => {
  it('is the checkout whose .local holds the admin kubeconfig scripts/cluster.sh wrote', () => {
    expect(clusterCheckout('/work/main/.local/cluster/state/pki/admin.kubeconfig')).toBe('/work/main');
  });

  it('is none for any other kubeconfig: unset, relative, several files, another file name', () => {
    for (const k of [
      undefined,
      '',
      '.local/cluster/state/pki/admin.kubeconfig',
      '/root/.kube/config',
      '/a/.local/cluster/state/pki/admin.kubeconfig:/root/.kube/config',
      '/a/.local/cluster/state/pki/kubelet.kubeconfig',
    ])
      expect([k, clusterCheckout(k)]).toEqual([k, undefined]);
  });
});

describe('tilt-cluster: the dev image', () => {
  it('takes Tilt’s EXPECTED_REF only when it names the service’s image', () => {
    const ref = 'ghcr.io/telemetry-pulse/processor:tilt-build-1764765600';
    expect(checkExpectedRef(ref, 'processor')).toBe(ref);
    expect(() => checkExpectedRef(undefined, 'processor')).toThrow(/EXPECTED_REF is not set/);
    for (const bad of [
      'ghcr.io/telemetry-pulse/api:tilt-build-1',
      'ghcr.io/telemetry-pulse/processor',
      'ghcr.io/telemetry-pulse/processor:bad tag',
      'GHCR.io/telemetry-pulse/processor:x',
    ])
      expect(() => checkExpectedRef(bad, 'processor')).toThrow(UsageError);
  });

  it('builds the <service>-dev target with the release build’s podman options', () => {
    const args = buildArgs(
      devBuild({
        service: 'api',
        image: 'ghcr.io/telemetry-pulse/api:tilt-build-1',
        base: 'localhost/telemetry-pulse-node:24.22.3',
        ulimits: ['--ulimit', 'nofile=1024:1024'],
        caFile: '/etc/ssl/ca.pem',
      }),
    );
    expect(args).toEqual([
      'build',
      '--runtime',
      'runc',
      '--format',
      'docker',
      '--ulimit',
      'nofile=1024:1024',
      '--build-arg',
      'NODE_IMAGE=localhost/telemetry-pulse-node:24.22.3',
      '--build-arg',
      'VERSION=dev',
      '--secret',
      'id=npm_ca,src=/etc/ssl/ca.pem',
      '--target',
      'api-dev',
      '--tag',
      'ghcr.io/telemetry-pulse/api:tilt-build-1',
      '--file',
      'Dockerfile',
      '.',
    ]);
  });

  it('drops only the earlier Tilt builds of the same image', () => {
    const current = 'ghcr.io/telemetry-pulse/api:tilt-build-300';
    expect(
      staleDevTags(current, [
        current,
        'ghcr.io/telemetry-pulse/api:tilt-build-200',
        'ghcr.io/telemetry-pulse/api:tilt-build-100',
        'ghcr.io/telemetry-pulse/api:0.1.0',
        'ghcr.io/telemetry-pulse/processor:tilt-build-200',
        'localhost/telemetry-pulse/api:tilt-build-200',
        '',
      ]),
    ).toEqual(['ghcr.io/telemetry-pulse/api:tilt-build-200', 'ghcr.io/telemetry-pulse/api:tilt-build-100']);
  });
});

describe('tilt-cluster: the private Kafka and PostgreSQL', () => {
  const options = { host: '10.250.0.1', kafkaPort: 19092, postgresPort: 15432, password: 'telemetry-dev' };

  it('Kafka: one KRaft node listening and advertised on the host address, the controller on loopback', () => {
    const props = kafkaServerProperties({
      host: '10.250.0.1',
      port: 19092,
      controllerPort: 19093,
      dataDir: '/d',
    });
    const lines = new Map(
      props
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(lines.get('listeners')).toBe('PLAINTEXT://10.250.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(lines.get('advertised.listeners')).toBe('PLAINTEXT://10.250.0.1:19092');
    expect(lines.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(lines.get('log.dirs')).toBe('/d');
    // The services make their topics themselves, as they must against a managed Kafka.
    expect(lines.get('auto.create.topics.enable')).toBe('false');
    expect(lines.get('transaction.state.log.replication.factor')).toBe('1');
  });

  it('PostgreSQL: passwords from the node link and the pod range, never trust', () => {
    expect(postgresHbaLines('10.250.0.1', '10.244.0.0/16')).toBe(
      'host all all 10.250.0.0/24 scram-sha-256\nhost all all 10.244.0.0/16 scram-sha-256\n',
    );
  });

  it('the addresses the pods and the DLQ tool use', () => {
    expect(serviceAddresses(options)).toEqual({
      brokers: '10.250.0.1:19092',
      databaseUrl: 'postgres://telemetry:telemetry-dev@10.250.0.1:15432/telemetry',
    });
  });
});

/**
 * The decisions of scripts/tilt-cluster.ts, Tilt's helper on the project's own cluster (scripts/cluster.sh):
 * its command line, which checkout's cluster a kubeconfig belongs to, the `podman build` of a <service>-dev
 * target, which old dev tags to drop, and the private Kafka's and PostgreSQL's settings. Pure: the script runs
 * them.
 */
/** Where scripts/cluster.sh keeps the admin kubeconfig, under the checkout that made the cluster. */
export const CLUSTER_KUBECONFIG = '.local/cluster/state/pki/admin.kubeconfig';

/** Written by `services` once Kafka and PostgreSQL both answer (under the checkout); the Tiltfile's probe. */
export const READY_FILE = '.local/tilt-cluster/ready';

/** The services Tilt builds a dev image of (the Dockerfile's <service>-dev targets). */
export const DEV_SERVICES = ['processor', 'api', 'simulator'] as const;
export type DevService = (typeof DEV_SERVICES)[number];

/** The private Kafka and PostgreSQL the dev pods use: on the host's end of the node link. */
export interface ServicesOptions {
  readonly host: string;
  readonly kafkaPort: number;
  readonly postgresPort: number;
  /** PostgreSQL role and database `telemetry`, with this password (a throwaway dev cluster's). */
  readonly password: string;
}

export type TiltClusterCommand =
  | { readonly command: 'help' }
  | { readonly command: 'image'; readonly service: DevService; readonly kubeconfig: string | undefined }
  | ({ readonly command: 'services' } & ServicesOptions);

export const USAGE = `Usage: node scripts/tilt-cluster.ts COMMAND   (run by the Tiltfile on the project's cluster)

Commands:
  image SERVICE [--kubeconfig FILE]
                  build the SERVICE-dev target of the Dockerfile with podman, tagged $EXPECTED_REF (Tilt's
                  custom_build sets it), and import it into the cluster's node (scripts/cluster.sh load-images
                  of the checkout whose admin kubeconfig FILE is; default $KUBECONFIG, but Tilt gives the
                  commands it runs a kubeconfig of its own there); SERVICE: ${DEV_SERVICES.join(', ')}
  services [--host ADDR] [--kafka-port N] [--postgres-port N] [--password PW]
                  run a private Kafka (one KRaft node) and PostgreSQL (role and database telemetry) on ADDR
                  [10.250.0.1, the host seen from the pods] ports [19092] and [15432] until stopped; their
                  data is removed on exit. Needs root, Java, the Kafka jars (scripts/infra.sh fetch) and
                  PostgreSQL's binaries.
  help            this text`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const PORT = /^\d{1,5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses the command line; throws UsageError naming every problem at once. */
export function parseTiltClusterArgs(argv: readonly string[]): TiltClusterCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h')
    return { command: 'help' };
  if (command === 'image') {
    const service = DEV_SERVICES.find((s) => s === rest[0]);
    const kubeconfig = rest[1] === '--kubeconfig' && rest.length === 3 ? rest[2] : undefined;
    if ((rest.length !== 1 && !kubeconfig) || !service)
      throw new UsageError(
        `image takes one service, one of ${DEV_SERVICES.join(', ')}, and --kubeconfig FILE`,
      );
    return { command: 'image', service, kubeconfig };
  }
  if (command !== 'services') throw new UsageError(`unknown command ${command}`);
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? '';
    if (!['--host', '--kafka-port', '--postgres-port', '--password'].includes(flag)) {
      problems.push(`unknown option ${flag}`);
      continue;
    }
    const value = rest[++i];
    if (value === undefined || value === '') problems.push(`${flag} needs a value`);
    else values.set(flag, value);
  }
  const host = values.get('--host') ?? '10.250.0.1';
  const octets = IPV4.exec(host)?.slice(1).map(Number);
  if (!octets || octets.some((o) => o > 255)) problems.push(`--host ${host} is not an IPv4 address`);
  const port = (flag: string, fallback: number): number => {
    const text = values.get(flag) ?? String(fallback);
    const n = Number(text);
    if (!PORT.test(text) || n < 1 || n > 65_535) problems.push(`${flag} ${text} is not a port`);
    return n;
  };
  const kafkaPort = port('--kafka-port', 19_092);
  const postgresPort = port('--postgres-port', 15_432);
  if (kafkaPort === postgresPort) problems.push('Kafka and PostgreSQL need different ports');
  const password = values.get('--password') ?? 'telemetry-dev';
  if (!/^[A-Za-z0-9_-]+$/.test(password))
    problems.push('--password: letters, digits, - and _ only (it goes into a URL and a SQL literal)');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { command: 'services', host, kafkaPort, postgresPort, password };
}

/**
 * The checkout that made the cluster a kubeconfig points at: scripts/cluster.sh writes its admin kubeconfig
 * under that checkout's .local, and only that checkout's script finds the node's containerd. Undefined for
 * any other kubeconfig (several files, another cluster's).
 */
export function clusterCheckout(kubeconfig: string | undefined): string | undefined {
  if (!kubeconfig || kubeconfig.includes(':')) return undefined;
  const suffix = `/${CLUSTER_KUBECONFIG}`;
  if (!kubeconfig.startsWith('/') || !kubeconfig.endsWith(suffix)) return undefined;
  return kubeconfig.slice(0, -suffix.length) || '/';
}

/** Tilt's EXPECTED_REF for a dev image: `<repository>/<service>:<tag>`, the service's own repository. */
export function checkExpectedRef(ref: string | undefined, service: DevService): string {
  if (!ref)
    throw new UsageError(
      'EXPECTED_REF is not set: this command is run by the Tiltfile (custom_build), which names the image',
    );
  const m =
    /^([a-z0-9]+(?:[._/-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*):([\w][\w.-]{0,127})$/.exec(
      ref,
    );
  if (!m?.[1] || !m[1].endsWith(`/${service}`))
    throw new UsageError(`EXPECTED_REF ${ref} is not an image <repository>/${service}:<tag>`);
  return ref;
}

/**
 * What scripts/images/plan.ts's buildArgs gets for a dev image: the <service>-dev target on the release
 * images' base, tagged as Tilt asked, with the layer cache (only the dist/ layers change between builds).
 */
export function devBuild(p: {
  readonly service: DevService;
  readonly image: string;
  readonly base: string;
  readonly ulimits: readonly string[];
  readonly caFile: string | undefined;
}): {
  target: string;
  image: string;
  base: string;
  version: string;
  ulimits: readonly string[];
  caFile: string | undefined;
  noCache: boolean;
} {
  const { service, ...rest } = p;
  return { ...rest, target: `${service}-dev`, version: 'dev', noCache: false };
}

/**
 * The earlier dev tags of the same repository, to untag once the new one is in the node: every build makes a
 * new `tilt-build-<seconds>` tag, and their top layers (the compiled dist/) would pile up in podman's store.
 */
export function staleDevTags(current: string, tags: readonly string[]): string[] {
  const repository = current.slice(0, current.lastIndexOf(':'));
  return tags.filter((t) => t !== current && t.startsWith(`${repository}:`) && /:tilt-build-\d+$/.test(t));
}

/** server.properties of the private broker: one KRaft node, its listener on `host`, topics made by the services. */
export function kafkaServerProperties(p: {
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
}): string {
  return [
    '# Written by scripts/tilt-cluster.ts services: the Tilt loop on the project cluster, removed on exit.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.controllerPort}`,
    'controller.listener.names=CONTROLLER',
    `listeners=PLAINTEXT://${p.host}:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${p.host}:${p.port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${p.dataDir}`,
    'num.partitions=6',
    // The processor and the simulator create their topics (ensureTopics), as against a managed Kafka.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/**
 * pg_hba.conf lines for the pods: they come from the pod network, masqueraded to the node's address on the
 * host link, so the link's /24 and the pod range, with passwords (scram), never trust.
 */
export function postgresHbaLines(host: string, podCidr: string): string {
  const link = `${host.split('.').slice(0, 3).join('.')}.0/24`;
  return `host all all ${link} scram-sha-256\nhost all all ${podCidr} scram-sha-256\n`;
}

/** The URLs the dev pods and the host use. */
export function serviceAddresses(o: ServicesOptions): { brokers: string; databaseUrl: string } {
  return {
    brokers: `${o.host}:${o.kafkaPort}`,
    databaseUrl: `postgres://telemetry:${o.password}@${o.host}:${o.postgresPort}/telemetry`,
  };
}

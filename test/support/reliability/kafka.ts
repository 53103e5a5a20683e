import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startFaultProxy, type FaultProxy } from '../fault-proxy';
import { REPO_ROOT as ROOT, alive, execFileP, freePort, sleep, until } from './process';

/**
 * The reliability suite's own single-node Kafka (KRaft, one JVM) from the jars scripts/infra.sh fetched.
 * Two listeners: DIRECT for the test's producers and admin, PROXIED advertised through a
 * {@link FaultProxy}, so a partition cuts only the processors' path.
 */

const KAFKA_VERSION = process.env.KAFKA_VERSION ?? '4.1.1';
const START_TIMEOUT_MS = 120_000;

export interface PrivateKafka {
  /** For the test's producers and admin: never goes through the fault proxy. */
  readonly directBrokers: string;
  /** For the processors: bootstrap and advertised address is the fault proxy. */
  readonly proxiedBrokers: string;
  readonly proxy: FaultProxy;
  readonly pid: () => number;
  /** SIGSTOP: the JVM freezes, its sockets stay open (the kernel still accepts connections). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** kill -9, then start it again on the same data and ports; resolves once it answers. */
  killAndRestart(downMs: number): Promise<void>;
  kafka(): Kafka;
  stop(): Promise<void>;
}

function kafkaLibs(): string {
  const libs = path.join(ROOT, '.local', 'kafka', KAFKA_VERSION, 'libs');
  if (!existsSync(path.join(libs, '.complete'))) {
    throw new Error(
      `no Kafka ${KAFKA_VERSION} jars in ${libs}: run scripts/reliability.sh (fetches them) or scripts/infra.sh up once`,
    );
  }
  return libs;
}

/**
 * Starts a broker of the project's Kafka jars (`libs`) on the server properties `props`, detached, its
 * logs under `dir`/logs (the project's log4j2 settings); returns its pid. Waiting for it is the caller's.
 */
export function spawnKafkaJvm(o: { libs: string; props: string; dir: string; jvmArgs: string[] }): number {
  const out = openSync(path.join(o.dir, 'logs', 'stdout.log'), 'a');
  const child = spawn(
    'java',
    [
      ...o.jvmArgs,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(ROOT, 'scripts', 'kafka', 'log4j2.yaml')}`,
      `-Dkafka.logs.dir=${path.join(o.dir, 'logs')}`,
      '-cp',
      `${o.libs}/*`,
      'kafka.Kafka',
      o.props,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  return child.pid ?? 0;
}
/**
 * Formats and starts a broker in `runDir`/kafka; its pid goes to `runDir`/kafka.pid. The DIRECT listener binds
 * and is advertised on `host` (loopback by default; the cluster test's host end of the node link, so pods
 * reach it too).
 */
export async function startPrivateKafka(runDir: string, host = '127.0.0.1'): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const dir = path.join(runDir, 'kafka');
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const [direct, internal, controller] = [await freePort(), await freePort(), await freePort()];
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: internal } });
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      '# Written by test/support/private-infra.ts for one reliability run.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      'controller.listener.names=CONTROLLER',
      `listeners=DIRECT://${host}:${direct},PROXIED://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller}`,
      // Clients that came in through the proxy are told to keep using it.
      `advertised.listeners=DIRECT://${host}:${direct},PROXIED://127.0.0.1:${proxy.port}`,
      'inter.broker.listener.name=DIRECT',
      'listener.security.protocol.map=DIRECT:PLAINTEXT,PROXIED:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=6',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=6',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = (args: string[]) => execFileP('java', ['-cp', `${libs}/*`, ...args], { maxBuffer: 1 << 24 });
  const { stdout: uuidOut } = await java(['kafka.tools.StorageTool', 'random-uuid']);
  const clusterId = uuidOut.trim().split('\n').pop() ?? '';
  await java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);

  let pid = 0;
  const launch = () => {
    const heap = (process.env.RELIABILITY_KAFKA_HEAP ?? '-Xms256m -Xmx768m').split(' ');
    pid = spawnKafkaJvm({ libs, props, dir, jvmArgs: [...heap, '-XX:MaxGCPauseMillis=20'] });
    writeFileSync(path.join(runDir, 'kafka.pid'), String(pid));
  };
  const admin = () =>
    new Kafka({
      clientId: 'reliability-infra',
      brokers: [`${host}:${direct}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
    }).admin();
  const answers = async () => {
    const a = admin();
    try {
      await a.connect();
      const cluster = await a.describeCluster();
      return cluster.brokers.length === 1 && cluster.controller !== null;
    } finally {
      await a.disconnect().catch(() => undefined);
    }
  };
  const waitAnswers = () =>
    until(`private Kafka (see ${dir}/logs) did not answer`, answers, START_TIMEOUT_MS);
  launch();
  await waitAnswers();

  const kill = async () => {
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      await until('the killed broker did not exit', async () => !alive(pid), 10_000);
    }
  };
  return {
    directBrokers: `${host}:${direct}`,
    proxiedBrokers: `127.0.0.1:${proxy.port}`,
    proxy,
    pid: () => pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    async killAndRestart(downMs) {
      await kill();
      await sleep(downMs);
      launch();
      await waitAnswers();
    },
    kafka: () =>
      new Kafka({
        clientId: 'reliability-test',
        brokers: [`${host}:${direct}`],
        logLevel: logLevel.NOTHING,
      }),
    async stop() {
      await kill();
      await proxy.close();
    },
  };
}

/**
 * Tilt's helper on the project's own cluster (scripts/cluster.sh; the Tiltfile's second branch, see
 * docs/kubernetes.md, "Tilt on the project's cluster"). There is no registry there: `image` builds a
 * <service>-dev image with podman and imports it into the node's containerd; `services` runs the private
 * Kafka and PostgreSQL the dev pods use, on the host's end of the node link. The decisions live in
 * scripts/tilt-cluster/plan.ts.
 *
 *   node scripts/tilt-cluster.ts image processor     # Tilt's custom_build, with EXPECTED_REF and KUBECONFIG
 *   node scripts/tilt-cluster.ts services            # Tilt's local_resource serve_cmd, until stopped
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { filterKafkajsNegativeTimeoutWarning } from '../services/shared/src/kafka/negative-timeout-warning.ts';
import {
  buildArgs,
  chooseBase,
  containerUlimits,
  localBaseTag,
  parseLimits,
  parseNodeImage,
  readDockerfile,
} from './images/plan.ts';
import {
  checkExpectedRef,
  clusterCheckout,
  CLUSTER_KUBECONFIG,
  devBuild,
  kafkaServerProperties,
  parseTiltClusterArgs,
  postgresHbaLines,
  READY_FILE,
  serviceAddresses,
  staleDevTags,
  UsageError,
  USAGE,
  type DevService,
  type ServicesOptions,
} from './tilt-cluster/plan.ts';

const ROOT = path.resolve(path.dirname(process.argv[1] ?? 'scripts/tilt-cluster.ts'), '..');
const READY = path.join(ROOT, READY_FILE);
const RUN_DIR = path.dirname(READY);
/** A run's Kafka pid and PostgreSQL home, so that the next run can stop what a killed one left behind. */
const KAFKA_PID = path.join(RUN_DIR, 'kafka.pid');
const PG_HOME = path.join(RUN_DIR, 'postgres.home');
const PG_HOME_PREFIX = 'telemetry-pulse-tilt-pg-';
const IMPORT_LOCK = path.join(tmpdir(), 'telemetry-pulse-cluster-import.lock');
const POD_CIDR = '10.244.0.0/16'; // scripts/cluster.sh's pod range (a /24 inside it)
const KAFKA_VERSION = process.env['KAFKA_VERSION'] ?? '4.1.1';
filterKafkajsNegativeTimeoutWarning(); // kafkajs's harmless warning on Node 24, as the services filter it

function log(message: string): void {
  process.stderr.write(`[tilt-cluster] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** A failure the user can act on: what went wrong, then what to do. */
class TiltClusterError extends Error {
  override readonly name = 'TiltClusterError';
  readonly hints: readonly string[];
  constructor(message: string, hints: readonly string[] = []) {
    super(message);
    this.hints = hints;
  }
}

/** Runs a command to completion, its output passed through (Tilt shows it in the resource's log). */
function run(
  command: string,
  args: readonly string[],
  opts: { quiet?: boolean; user?: string } = {},
): Promise<{ code: number; stdout: string }> {
  const [cmd, argv] = opts.user ? ['runuser', ['-u', opts.user, '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.user ? '/' : ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!opts.quiet) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function must(
  what: string,
  command: string,
  args: readonly string[],
  opts: { quiet?: boolean; user?: string; hints?: string[] } = {},
): Promise<string> {
  const r = await run(command, args, opts);
  if (r.code !== 0) throw new TiltClusterError(`${what} failed (exit ${r.code})`, opts.hints ?? []);
  return r.stdout;
}

// ---- image: podman build of <service>-dev, then into the node ------------------------------------------

/** The base image the release images build on, when podman has it (npm run images makes it once). */
async function devBase(): Promise<string> {
  const { nodeImage } = readDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const node = parseNodeImage(nodeImage);
  const exists = async (image: string) =>
    (await run('podman', ['image', 'exists', image], { quiet: true })).code === 0;
  const step = chooseBase({
    requested: process.env['TILT_NODE_IMAGE'] || undefined,
    nodeImage,
    haveNodeImage: await exists(nodeImage),
    haveLocalBase: node ? await exists(localBaseTag(node.version)) : false,
    rebuildBase: false,
  });
  if (step.kind !== 'use')
    throw new TiltClusterError(
      `no Node base image in podman's store (${nodeImage}, or ${step.kind === 'make' ? step.image : step.local})`,
      ['make it once: npm run images -- processor (pulls it, or builds it locally when no registry answers)'],
    );
  return step.image;
}

async function image(service: DevService, kubeconfig: string | undefined): Promise<void> {
  const ref = checkExpectedRef(process.env['EXPECTED_REF'], service);
  const checkout = clusterCheckout(kubeconfig);
  if (!checkout || !existsSync(path.join(checkout, CLUSTER_KUBECONFIG)))
    throw new TiltClusterError(
      `${kubeconfig ?? 'no kubeconfig'} is not the admin kubeconfig of a running scripts/cluster.sh cluster`,
      [
        'the Tiltfile passes --kubeconfig $KUBECONFIG as tilt saw it: export KUBECONFIG=$(scripts/cluster.sh kubeconfig)',
      ],
    );
  const started = Date.now();
  const base = await devBase();
  const ulimits = containerUlimits(parseLimits(readFileSync('/proc/self/limits', 'utf8')));
  const caFile = process.env['NODE_EXTRA_CA_CERTS'] || undefined;
  log(`${service}: podman build --target ${service}-dev on ${base} as ${ref}`);
  await must(
    `podman build --target ${service}-dev`,
    'podman',
    buildArgs(devBuild({ service, image: ref, base, ulimits, caFile })),
    {
      hints: [
        'an npm step failing on a certificate: set NODE_EXTRA_CA_CERTS to the CA bundle (passed as the npm_ca build secret)',
        'a missing dist/: the compile resource (tsc --build) runs first; run npx tsc --build by hand once',
      ],
    },
  );
  const built = Date.now();
  // One import at a time: Tilt builds two images at once, and cluster.sh load-images saves each through the
  // same archive file (podman save then fails: "docker-archive doesn't support modifying existing images").
  await must(
    'importing the image into the node',
    'flock',
    [IMPORT_LOCK, 'bash', path.join(checkout, 'scripts', 'cluster.sh'), 'load-images', ref],
    {
      hints: ['is the cluster up? scripts/cluster.sh status'],
    },
  );
  const tags = (
    await must('podman images', 'podman', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { quiet: true })
  ).split('\n');
  const stale = staleDevTags(ref, tags);
  // `podman untag IMAGE NAME`: only that name; a lone IMAGE would drop every name of an identical image too.
  for (const tag of stale) await run('podman', ['untag', tag, tag], { quiet: true });
  log(
    `${service}: built in ${seconds(started, built)} s, imported in ${seconds(built, Date.now())} s${stale.length ? `; ${stale.length} older dev tag(s) removed` : ''}`,
  );
}

function seconds(from: number, to: number): number {
  return Math.round((to - from) / 100) / 10;
}

// ---- services: a private Kafka and PostgreSQL for the dev pods ------------------------------------------

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const version = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  if (!version)
    throw new TiltClusterError(`no ${name} under ${base}`, [
      'install PostgreSQL once: scripts/infra.sh fetch',
    ]);
  return path.join(base, version, 'bin', name);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new TiltClusterError(`${what} within ${timeoutMs / 1000} s`);
}

interface Running {
  readonly stop: () => Promise<void>;
}

/** One KRaft broker from the project's Kafka jars, a child of this process; its data under `dir`. */
async function startKafka(
  o: ServicesOptions,
  dir: string,
  exited: (code: number | null) => void,
): Promise<Running> {
  const libs = path.join(ROOT, '.local', 'kafka', KAFKA_VERSION, 'libs');
  if (!existsSync(path.join(libs, '.complete')))
    throw new TiltClusterError(`no Kafka ${KAFKA_VERSION} jars in ${libs}`, [
      'fetch them once: scripts/infra.sh fetch',
    ]);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    kafkaServerProperties({
      host: o.host,
      port: o.kafkaPort,
      controllerPort: o.kafkaPort + 1,
      dataDir: path.join(dir, 'data'),
    }),
  );
  const cp = `${libs}/*`;
  const clusterId =
    (
      await must('kafka random-uuid', 'java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], {
        quiet: true,
      })
    )
      .trim()
      .split('\n')
      .pop() ?? '';
  await must(
    'kafka storage format',
    'java',
    ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props],
    { quiet: true },
  );
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(ROOT, 'scripts', 'kafka', 'log4j2.yaml')}`,
      `-Dkafka.logs.dir=${path.join(dir, 'logs')}`,
      '-cp',
      cp,
      'kafka.Kafka',
      props,
    ],
    { stdio: 'ignore' },
  );
  child.on('exit', exited);
  writeFileSync(KAFKA_PID, String(child.pid ?? ''));
  const brokers = [`${o.host}:${o.kafkaPort}`];
  await until(
    `Kafka on ${brokers[0]} (logs: ${path.join(dir, 'logs')}) did not answer`,
    async () => {
      const admin = new Kafka({
        clientId: 'tilt-cluster',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        return (await admin.describeCluster()).brokers.length === 1;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    120_000,
  );
  return {
    stop: async () => {
      child.removeAllListeners('exit');
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** initdb and pg_ctl start as the postgres user (the server refuses root), in a home it can enter. */
async function startPostgres(o: ServicesOptions): Promise<Running & { home: string }> {
  const home = mkdtempSync(path.join(tmpdir(), PG_HOME_PREFIX));
  writeFileSync(PG_HOME, home);
  const uid = Number((await must('id -u postgres', 'id', ['-u', 'postgres'], { quiet: true })).trim());
  const gid = Number((await must('id -g postgres', 'id', ['-g', 'postgres'], { quiet: true })).trim());
  chmodSync(home, 0o700);
  chownSync(home, uid, gid);
  const data = path.join(home, 'data');
  const logFile = path.join(home, 'postgres.log');
  const stop = async () => {
    if (existsSync(path.join(data, 'postmaster.pid')))
      await run(pgBin('pg_ctl'), ['-D', data, '-w', '-t', '60', '-m', 'fast', 'stop'], {
        quiet: true,
        user: 'postgres',
      });
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await configurePostgres(o, data, logFile, home);
  } catch (err) {
    // The home goes with the failed server: its log's end goes to Tilt's log first.
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-20) : [];
    for (const line of tail) process.stderr.write(`[postgres] ${line}\n`);
    await stop();
    throw err;
  }
  return { home, stop };
}

async function configurePostgres(
  o: ServicesOptions,
  data: string,
  logFile: string,
  home: string,
): Promise<void> {
  await must(
    'initdb',
    pgBin('initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { quiet: true, user: 'postgres' },
  );
  writeFileSync(path.join(data, 'pg_hba.conf'), postgresHbaLines(o.host, POD_CIDR), { flag: 'a' });
  const options = `-p ${o.postgresPort} -k ${home} -c listen_addresses=127.0.0.1,${o.host}`;
  await must(
    'pg_ctl start',
    pgBin('pg_ctl'),
    ['-D', data, '-w', '-t', '60', '-l', logFile, '-o', options, 'start'],
    {
      quiet: true,
      user: 'postgres',
      hints: [`is port ${o.postgresPort} taken, or ${o.host} not on this machine (scripts/cluster.sh up)?`],
    },
  );
  const admin = new pg.Client({
    connectionString: `postgres://postgres@127.0.0.1:${o.postgresPort}/postgres`,
  });
  await admin.connect();
  try {
    // The password is checked by parseTiltClusterArgs (letters, digits, - and _): safe in the literal.
    await admin.query(`CREATE ROLE telemetry LOGIN PASSWORD '${o.password}'`);
    await admin.query('CREATE DATABASE telemetry OWNER telemetry');
  } finally {
    await admin.end();
  }
}

/**
 * What an earlier run left when it was killed outright (SIGKILL leaves no time to stop): its broker, by the
 * pid it recorded and only if that process still runs our server.properties, and its PostgreSQL, by the home
 * it recorded. Their data was throwaway.
 */
async function stopLeftovers(): Promise<void> {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  const pid = Number(read(KAFKA_PID));
  const props = path.join(RUN_DIR, 'kafka', 'server.properties');
  const cmdline = pid > 0 ? read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ') : '';
  if (cmdline.includes(`kafka.Kafka ${props}`)) {
    log(`stopping the Kafka an earlier run left (pid ${pid})`);
    process.kill(pid, 'SIGKILL');
    await until('the earlier Kafka did not exit', async () => !existsSync(`/proc/${pid}`), 10_000);
  }
  const home = read(PG_HOME);
  if (home.startsWith(path.join(tmpdir(), PG_HOME_PREFIX)) && existsSync(home)) {
    log(`stopping the PostgreSQL an earlier run left (${home})`);
    const data = path.join(home, 'data');
    if (existsSync(path.join(data, 'postmaster.pid')))
      await run(pgBin('pg_ctl'), ['-D', data, '-w', '-m', 'immediate', 'stop'], {
        quiet: true,
        user: 'postgres',
      });
    rmSync(home, { recursive: true, force: true });
  }
}

async function services(o: ServicesOptions): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new TiltClusterError('services needs root (PostgreSQL runs as the postgres user)', [
      'run tilt as root, as scripts/cluster.sh is',
    ]);
  const local = Object.values(networkInterfaces()).flatMap((addresses) =>
    (addresses ?? []).map((a) => a.address),
  );
  if (!local.includes(o.host))
    throw new TiltClusterError(
      `${o.host} is no address of this machine: the servers could not listen there`,
      ['is the cluster up? scripts/cluster.sh up gives the host 10.250.0.1 on the link to the node'],
    );
  await stopLeftovers();
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const started = Date.now();
  const running: Running[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      rmSync(READY, { force: true });
      for (const r of running.reverse()) await r.stop().catch((err: unknown) => log(`stop: ${String(err)}`));
      // After a failure Kafka's logs stay for reading; the next start removes them.
      if (code === 0) rmSync(RUN_DIR, { recursive: true, force: true });
      log(code === 0 ? 'stopped; data removed' : `stopped after a failure; Kafka's logs kept in ${RUN_DIR}`);
      process.exit(code);
    })());
  // Tilt stops a served command with SIGTERM to its process group; a closed terminal sends SIGHUP.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  try {
    const postgres = await startPostgres(o);
    running.push(postgres);
    log(`PostgreSQL on ${o.host}:${o.postgresPort} (home ${postgres.home})`);
    running.push(
      await startKafka(o, path.join(RUN_DIR, 'kafka'), (code) => {
        log(`Kafka exited (code ${code}): see ${path.join(RUN_DIR, 'kafka', 'logs')}`);
        void stop(1);
      }),
    );
  } catch (err) {
    report(err);
    await stop(1);
    return;
  }
  const { brokers, databaseUrl } = serviceAddresses(o);
  writeFileSync(READY, `${brokers}\n`);
  log(`ready in ${seconds(started, Date.now())} s: KAFKA_BROKERS=${brokers} DATABASE_URL=${databaseUrl}`);
  // Served until a signal (or Kafka's exit) stops both: stop() exits the process, this never resolves.
  setInterval(() => undefined, 1 << 30);
  await new Promise<never>(() => undefined);
}

function report(err: unknown): void {
  if (err instanceof TiltClusterError || err instanceof UsageError) {
    log(`error: ${err.message}`);
    if (err instanceof TiltClusterError)
      for (const hint of err.hints) process.stderr.write(`[tilt-cluster]          ${hint}\n`);
  } else {
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

async function main(): Promise<number> {
  let command;
  try {
    command = parseTiltClusterArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command.command === 'image')
    await image(command.service, command.kubeconfig ?? process.env['KUBECONFIG']);
  else await services(command);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    report(err);
    process.exit(1);
  },
);

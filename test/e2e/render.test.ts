import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import {
  BROKERS,
  createScratchDatabase,
  testKafka,
  uniqueName,
  type ScratchDatabase,
} from '../support/infra';
import {
  componentOf,
  loadBlueprint,
  serviceEnvironment,
  type RenderService,
} from '../support/render-blueprint';
import { REPO_ROOT, freePort, until } from '../support/reliability/process';

/**
 * render.yaml as Render runs it (docs/deploy/render.md, "Deploying"), on this machine: the API's pre-deploy command,
 * then every service's command from the repository root (the images' WORKDIR holds the same tree) with only
 * the Blueprint's variables, the dashboard's values pointed at the local broker and a scratch database. The
 * local broker speaks plaintext, so KAFKA_SSL is the one Blueprint value replaced; the TLS and SASL modes
 * the hosted providers need are tested in test/integration/kafka-security.test.ts.
 */
const blueprint = loadBlueprint();
const service = (component: string): RenderService => {
  const found = blueprint.services.find((s) => componentOf(s) === component);
  if (!found) throw new Error(`render.yaml has no ${component}`);
  return found;
};

interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

/** A command as Render starts it: argv split on spaces, `node` being this Node (24), nothing inherited. */
function run(name: string, command: string, env: Record<string, string>): Running {
  const [program, ...args] = command.split(' ');
  const child = spawn(program === 'node' ? process.execPath : (program ?? ''), args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 200));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, output, exited };
}

describe('render.yaml run as Render runs it', () => {
  const topic = uniqueName('render.events');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('render-processor');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  const running: Running[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });

  afterAll(async () => {
    for (const r of running) r.child.kill('SIGKILL');
    await pool.end();
    await db.drop();
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('migrates, passes the health check, stores the simulator’s readings and stops cleanly on SIGTERM', async () => {
    // What a user enters in the dashboard; empty for what the provider does not use.
    const dashboard = { KAFKA_BROKERS: BROKERS.join(','), DATABASE_URL: db.url };
    // This machine's differences from Render: a plaintext broker, ports that may be taken (Render gives
    // each instance its own host), and topic and group names of this test's own.
    const envOf = (component: string, local: Record<string, string>): Record<string, string> => ({
      ...serviceEnvironment(blueprint, service(component), dashboard),
      KAFKA_SSL: 'false',
      ...local,
    });

    const api = service('api');
    const apiPort = await freePort();
    const apiEnv = envOf('api', {
      API_PORT: String(apiPort),
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
    });
    expect(apiEnv['API_TRUST_PROXY']).toBe('true'); // the Blueprint's own values are kept

    // 1. The pre-deploy command: the migrations, to completion, before anything starts.
    const migrate = run('pre-deploy', api.preDeployCommand ?? '', apiEnv);
    expect([await migrate.exited, migrate.output.slice(-5)]).toEqual([0, expect.any(Array)]);
    const applied = await pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(Number(applied.rows[0]?.n)).toBeGreaterThan(0);

    // 2. The API, until its health check answers as Render's does (HTTP 200 on healthCheckPath).
    running.push(run('api', api.dockerCommand ?? '', apiEnv));
    const health = `http://127.0.0.1:${apiPort}${api.healthCheckPath ?? '/'}`;
    await until('the API passes its health check', async () => (await fetch(health)).status === 200, 60_000);

    // 3. The workers: numInstances processors and one simulator, with their own commands.
    const processor = service('processor');
    for (let i = 0; i < (processor.numInstances ?? 1); i += 1) {
      const port = await freePort();
      const env = envOf('processor', {
        PROCESSOR_TOPIC: topic,
        PROCESSOR_DLQ_TOPIC: dlqTopic,
        PROCESSOR_GROUP_ID: group,
        PROCESSOR_PORT: String(port),
      });
      running.push(run(`processor-${i + 1}`, processor.dockerCommand ?? '', env));
    }
    const simPort = await freePort();
    const simulator = run(
      'simulator',
      service('simulator').dockerCommand ?? '',
      envOf('simulator', { SIM_TOPIC: topic, SIM_DLQ_TOPIC: dlqTopic, SIM_METRICS_PORT: String(simPort) }),
    );
    running.push(simulator);

    // 4. Readings flow: stored by the processors, served by the API.
    const stored = async (): Promise<number> =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM raw_events')).rows[0]?.n);
    await until('readings are stored', async () => (await stored()) >= 40, 90_000);
    const lag = (): Promise<number> => lagOf(topic, group);
    const kpis = (await (await fetch(`http://127.0.0.1:${apiPort}/kpis/live`)).json()) as unknown[];
    expect(kpis.length).toBeGreaterThan(0);

    // 5. A deploy's stop: SIGTERM, exit 0 within maxShutdownDelaySeconds (Render kills after that). The
    // simulator first; the processors once they have caught up with everything it sent.
    const stop = async (r: Running): Promise<void> => {
      r.child.kill('SIGTERM');
      const limitMs = (service(r.name.replace(/-\d+$/, '')).maxShutdownDelaySeconds ?? 30) * 1000;
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        r.exited,
        new Promise((resolve) => (timer = setTimeout(resolve, limitMs, 'still running'))),
      ]);
      clearTimeout(timer);
      expect([r.name, code, code === 0 ? [] : r.output.slice(-10)]).toEqual([r.name, 0, []]);
    };
    await stop(simulator);
    await until('the processors catch up with the topic', async () => (await lag()) === 0, 60_000);
    for (const r of running.filter((x) => x !== simulator)) await stop(r);
    expect(await lag()).toBe(0);
    expect(await stored()).toBeGreaterThanOrEqual(40);
  });
});

/** Messages of the topic not yet committed by the processors' group. */
async function lagOf(topic: string, group: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return ends.reduce((sum, end) => {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '0';
      return sum + Number(end.offset) - Math.max(0, Number(at));
    }, 0);
  } finally {
    await admin.disconnect();
  }
}

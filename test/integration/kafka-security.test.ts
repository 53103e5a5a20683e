import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseSpec } from '@telemetry-pulse/operator';
import { createPool, migrate } from '@telemetry-pulse/shared';
import { createLagSource } from '../../services/operator/src/adapters/kafka-lag';
import {
  createScratchDatabase,
  quietLogger,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { freePort } from '../support/reliability/process';
import { SASL_PASSWORD, SASL_USER, startSecureKafka, type SecureKafka } from '../support/secure-kafka';
import { makeTestPki, type TestPki } from '../support/test-pki';

/**
 * Every service through every security mode managed Kafka and Strimzi use, against a private broker
 * (test/support/secure-kafka.ts): SASL_SSL with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, and mTLS. The
 * services run as their built binaries (simulator, processor, API, DLQ tool) configured only by
 * environment, as in a pod; the operator's lag source runs in-process with the Secret values it would read.
 * Then the failures no retry can cure: each ends the process fast with one line naming broker and cause.
 */

const ROOT = path.join(__dirname, '..', '..');
const BIN = {
  simulator: path.join(ROOT, 'services', 'simulator', 'dist', 'main.js'),
  processor: path.join(ROOT, 'services', 'processor', 'dist', 'main.js'),
  api: path.join(ROOT, 'services', 'api', 'dist', 'main.js'),
  dlq: path.join(ROOT, 'services', 'processor', 'dist', 'dlq-cli.js'),
};
/** A fatal failure must end a service well inside this (kafkajs alone retries for a minute and more). */
const FATAL_WITHIN_MS = 15_000;

let pki: TestPki;
let kafka: SecureKafka;
let db: ScratchDatabase;
let dir: string;

beforeAll(async () => {
  for (const bin of Object.values(BIN)) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing; run \`npx tsc --build\` first`);
  }
  dir = mkdtempSync(path.join(tmpdir(), 'tp-kafka-security-'));
  pki = makeTestPki(path.join(dir, 'pki'));
  [kafka, db] = await Promise.all([startSecureKafka(path.join(dir, 'kafka'), pki), createScratchDatabase()]);
  const pool = createPool({ url: db.url, max: 1, applicationName: 'security-test', logger: quietLogger });
  await migrate(pool, quietLogger).finally(() => pool.end());
}, 150_000);

afterAll(async () => {
  await kafka?.stop();
  await db?.drop();
  if (dir && !process.env.KEEP_SECURITY_TEST) rmSync(dir, { recursive: true, force: true });
});

interface Mode {
  readonly name: string;
  readonly env: () => Record<string, string>;
  /** The operator's view: spec.kafka fields and the Secret values they point to. */
  readonly operator: () => { kafka: Record<string, unknown>; secrets: Record<string, string> };
}

const sasl = (mechanism: string): Mode => ({
  name: `SASL_SSL ${mechanism}`,
  env: () => ({
    KAFKA_BROKERS: kafka.saslSsl,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: SASL_USER,
    KAFKA_SASL_PASSWORD: SASL_PASSWORD,
    // As a mounted Secret: the file variant.
    KAFKA_SSL_CA_FILE: pki.ca.crt,
  }),
  operator: () => ({
    kafka: {
      brokersFrom: { name: 'kafka', key: 'brokers' },
      saslMechanism: mechanism,
      usernameFrom: { name: 'kafka', key: 'user' },
      passwordFrom: { name: 'kafka', key: 'password' },
      caFrom: { name: 'kafka-ca', key: 'ca.crt' },
    },
    secrets: {
      'kafka/brokers': kafka.saslSsl,
      'kafka/user': SASL_USER,
      'kafka/password': SASL_PASSWORD,
      'kafka-ca/ca.crt': pki.ca.crtPem,
    },
  }),
});

const MODES: Mode[] = [
  sasl('scram-sha-256'),
  sasl('scram-sha-512'),
  sasl('plain'),
  {
    name: 'SSL with a client certificate (mTLS)',
    // As Aiven's console hands them out: PEM text in variables.
    env: () => ({
      KAFKA_BROKERS: kafka.mtls,
      KAFKA_SSL_CA: pki.ca.crtPem,
      KAFKA_SSL_CERT: pki.client.crtPem,
      KAFKA_SSL_KEY: pki.client.keyPem,
    }),
    operator: () => ({
      kafka: {
        brokersFrom: { name: 'kafka', key: 'brokers' },
        caFrom: { name: 'cluster-ca', key: 'ca.crt' },
        certFrom: { name: 'user', key: 'user.crt' },
        keyFrom: { name: 'user', key: 'user.key' },
      },
      secrets: {
        'kafka/brokers': kafka.mtls,
        'cluster-ca/ca.crt': pki.ca.crtPem,
        'user/user.crt': pki.client.crtPem,
        'user/user.key': pki.client.keyPem,
      },
    }),
  },
];

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

function start(bin: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function finish(run: Run, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([run.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    run.child.kill('SIGKILL');
    throw new Error(
      `still running after ${timeoutMs} ms\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`,
    );
  }
  return result;
}

async function stopService(run: Run): Promise<void> {
  run.child.kill('SIGTERM');
  await finish(run, 20_000);
}

/** The msg of every error or fatal log line a service wrote. */
function errorLines(run: Run): string[] {
  return run
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((l) => l.level === 'error' || l.level === 'fatal')
    .map((l) => l.msg);
}

/** What the DLQ tool itself wrote to stderr (its client logs are off by default). */
function toolLines(run: Run): string[] {
  return run
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('telemetry-dlq:'));
}

/** The service ends fast, exit 1, with one error line: `kafka <broker>: <cause>`. */
async function expectOneFatalLine(run: Run, broker: string, cause: RegExp): Promise<void> {
  const started = Date.now();
  expect(await finish(run, FATAL_WITHIN_MS)).toBe(1);
  const lines = errorLines(run);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^kafka ${broker.replace(/\./g, '\\.')}: ${cause.source}`));
  expect(Date.now() - started).toBeLessThan(FATAL_WITHIN_MS);
}

async function count(sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(sql);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

async function operatorLag(mode: Mode, groupId: string, topic: string) {
  const { kafka: k, secrets } = mode.operator();
  const parsed = parseSpec({
    kafka: k,
    database: { urlFrom: { name: 'db', key: 'url' } },
    topic: { name: topic, partitions: 3 },
    processor: { groupId },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const source = createLagSource({ logger: quietLogger, timeoutMs: 20_000 });
  try {
    return await source.read('security/p', parsed.spec, (name, key) => secrets[`${name}/${key}`]);
  } finally {
    await source.close();
  }
}

describe('Kafka security: every service through every mode', () => {
  it.each(MODES)(
    '$name: simulator sends, processor stores, API ingests and reports lag, DLQ tool lists, operator reads lag',
    async (mode) => {
      const topic = uniqueName('sec.events');
      const dlqTopic = `${topic}.dlq`;
      const groupId = uniqueName('sec-processor');
      const env = mode.env();
      const before = await count('SELECT count(*)::int AS n FROM raw_events');

      const processor = start(BIN.processor, [], {
        ...env,
        DATABASE_URL: db.url,
        PROCESSOR_TOPIC: topic,
        PROCESSOR_DLQ_TOPIC: dlqTopic,
        PROCESSOR_GROUP_ID: groupId,
        PROCESSOR_TOPIC_PARTITIONS: '3',
        PROCESSOR_PORT: '0',
        PROCESSOR_HOST: '127.0.0.1',
        KAFKA_SESSION_TIMEOUT: '10s',
        KAFKA_HEARTBEAT_INTERVAL: '1s',
      });
      const apiPort = await freePort();
      const api = start(BIN.api, [], {
        ...env,
        DATABASE_URL: db.url,
        API_PORT: String(apiPort),
        API_HOST: '127.0.0.1',
        API_INGEST_ANONYMOUS: 'true',
        PROCESSOR_TOPIC: topic,
        PROCESSOR_GROUP_ID: groupId,
      });
      try {
        const sim = start(
          BIN.simulator,
          ['--count', '40', '--rate', '200', '--topic', topic, '--dlq-topic', dlqTopic, '--partitions', '3'],
          {
            ...env,
            SIM_METRICS_PORT: '0',
            SIM_METRICS_HOST: '127.0.0.1',
            SIM_ANOMALY_RATE: '0',
            SIM_DUPLICATE_RATE: '0',
            SIM_LATE_RATE: '0',
            SIM_OUT_OF_ORDER_RATE: '0',
            SIM_MALFORMED_RATE: '0',
          },
        );
        expect(await finish(sim, 60_000)).toBe(0);

        const url = `http://127.0.0.1:${apiPort}`;
        await waitFor(
          'the API answers',
          async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined),
          60_000,
        );
        const post = (body: unknown) =>
          fetch(`${url}/ingest`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const accepted = await post({
          device_id: 'dev-sec',
          site_id: 'site-0',
          zone_id: 'site-0-zone-0',
          sensor_type: 'co2',
          value: 600,
        });
        expect(accepted.status).toBe(201);
        // A poison message (sent over the test's own PLAINTEXT listener), so the DLQ tool has a letter to list.
        const producer = kafka.admin().producer();
        await producer.connect();
        await producer.send({ topic, messages: [{ key: 'dev-sec', value: 'not json' }] });
        await producer.disconnect();

        await waitFor(
          'the processor stored every reading',
          async () =>
            (await count('SELECT count(*)::int AS n FROM raw_events')) >= before + 41 ? true : undefined,
          60_000,
        );
        const status = await waitFor(
          'the API reports zero lag',
          async () => {
            const s = (await (await fetch(`${url}/api/v1/pipeline/status`)).json()) as {
              total_lag: number | null;
              lag_error: string | null;
            };
            return s.total_lag === 0 ? s : undefined;
          },
          30_000,
        );
        expect(status.lag_error).toBeNull();

        const listed = await waitFor(
          'the DLQ tool lists the dead letter',
          async () => {
            const dlq = start(BIN.dlq, ['list'], {
              ...env,
              PROCESSOR_DLQ_TOPIC: dlqTopic,
              DLQ_READ_TIMEOUT: '10s',
            });
            expect(await finish(dlq, 30_000)).toBe(0);
            return dlq.stdout().includes('1 of 1 dead letters matched.') ? dlq.stdout() : undefined;
          },
          60_000,
          1_000,
        );
        expect(listed).toContain('INVALID_JSON');

        const lag = await operatorLag(mode, groupId, topic);
        expect(lag).toEqual({ totalLag: 0, partitions: 3 });
      } finally {
        await stopService(processor);
        await stopService(api);
      }
      // A fresh broker may answer "coordinator loading" once; nothing about credentials or certificates.
      for (const run of [processor, api]) {
        expect(errorLines(run)).not.toContainEqual(
          expect.stringMatching(/SASL|TLS|SSL|certificate|kafka 127/),
        );
      }
    },
  );
});

describe('Kafka security: failures no retry can cure end the service with one line', () => {
  const simulate = (env: Record<string, string>) =>
    start(BIN.simulator, ['--count', '5', '--topic', uniqueName('sec.fail')], {
      SIM_METRICS_PORT: '0',
      SIM_METRICS_HOST: '127.0.0.1',
      ...env,
    });
  const saslEnv = (overrides: Record<string, string> = {}) => ({
    KAFKA_BROKERS: kafka.saslSsl,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: SASL_USER,
    KAFKA_SASL_PASSWORD: SASL_PASSWORD,
    KAFKA_SSL_CA: pki.ca.crtPem,
    ...overrides,
  });
  const mtlsEnv = (client: { crtPem: string; keyPem: string }, broker = kafka.mtls) => ({
    KAFKA_BROKERS: broker,
    KAFKA_SSL_CA: pki.ca.crtPem,
    KAFKA_SSL_CERT: client.crtPem,
    KAFKA_SSL_KEY: client.keyPem,
  });

  it('a wrong password: simulator, processor, API and DLQ tool each stop at once naming the broker', async () => {
    const env = saslEnv({ KAFKA_SASL_PASSWORD: 'wrong' });
    const cause = /SASL authentication failed: check KAFKA_SASL_USERNAME/;
    const processor = start(BIN.processor, [], {
      ...env,
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: uniqueName('sec.fail'),
      PROCESSOR_PORT: '0',
      PROCESSOR_HOST: '127.0.0.1',
    });
    const apiPort = await freePort();
    const api = start(BIN.api, [], {
      ...env,
      DATABASE_URL: db.url,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      API_INGEST_ANONYMOUS: 'true',
    });
    const sim = simulate(env);
    await expectOneFatalLine(sim, kafka.saslSsl, cause);
    await expectOneFatalLine(processor, kafka.saslSsl, cause);
    // The API meets the broker on its first ingest, or earlier through its own Kafka reads (consumer lag),
    // whichever comes first on a busy machine: keep offering it an ingest until it has stopped.
    let apiStopped = false;
    void api.exited.then(() => (apiStopped = true));
    const ingest = (async () => {
      while (!apiStopped) {
        await fetch(`http://127.0.0.1:${apiPort}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            device_id: 'd',
            site_id: 's',
            zone_id: 'z',
            sensor_type: 'co2',
            value: 500,
          }),
          signal: AbortSignal.timeout(2_000),
        }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await expectOneFatalLine(api, kafka.saslSsl, cause);
    await ingest;

    const dlq = start(BIN.dlq, ['list'], env);
    expect(await finish(dlq, FATAL_WITHIN_MS)).toBe(1);
    expect(toolLines(dlq)).toEqual([
      expect.stringMatching(new RegExp(`^telemetry-dlq: kafka ${kafka.saslSsl}: SASL authentication failed`)),
    ]);
  });

  it("an unknown CA (or none: Node's roots) stops the simulator and the DLQ tool", async () => {
    const unknown = saslEnv({ KAFKA_SSL_CA: pki.otherCa.crtPem });
    await expectOneFatalLine(
      simulate(unknown),
      kafka.saslSsl,
      /TLS: the broker's certificate is not signed by a trusted CA/,
    );
    const { KAFKA_SSL_CA: _ca, ...noCa } = saslEnv();
    await expectOneFatalLine(
      simulate(noCa),
      kafka.saslSsl,
      /TLS: the broker's certificate is not signed by a trusted CA/,
    );
    const dlq = start(BIN.dlq, ['list'], unknown);
    expect(await finish(dlq, FATAL_WITHIN_MS)).toBe(1);
    expect(toolLines(dlq)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^telemetry-dlq: kafka ${kafka.saslSsl}: TLS: the broker's certificate is not signed by a trusted CA`,
        ),
      ),
    ]);
  });

  it('an expired client certificate, or one from another CA, is refused by the broker: the processor and simulator stop', async () => {
    const refused = /TLS: the broker refused our client certificate/;
    const processor = start(BIN.processor, [], {
      ...mtlsEnv(pki.clientExpired),
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: uniqueName('sec.fail'),
      PROCESSOR_PORT: '0',
      PROCESSOR_HOST: '127.0.0.1',
    });
    await expectOneFatalLine(processor, kafka.mtls, refused);
    await expectOneFatalLine(simulate(mtlsEnv(pki.clientOtherCa)), kafka.mtls, refused);
  });

  it("the broker's certificate expired, or names another host: the simulator stops", async () => {
    await expectOneFatalLine(
      simulate(mtlsEnv(pki.client, kafka.expiredServer)),
      kafka.expiredServer,
      /TLS: the broker's certificate has expired/,
    );
    await expectOneFatalLine(
      simulate(mtlsEnv(pki.client, kafka.wrongName)),
      kafka.wrongName,
      /TLS: the broker's certificate does not name the host/,
    );
  });

  it('the operator: a wrong password fails the lag read at once with the cause (for the status), not after its timeout', async () => {
    const mode = sasl('scram-sha-512');
    const { kafka: k, secrets } = mode.operator();
    const parsed = parseSpec({ kafka: k, database: { urlFrom: { name: 'db', key: 'url' } } });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const source = createLagSource({ logger: quietLogger, timeoutMs: 60_000 });
    const started = Date.now();
    try {
      await expect(
        source.read('security/bad', parsed.spec, (name, key) =>
          name === 'kafka' && key === 'password' ? 'wrong' : secrets[`${name}/${key}`],
        ),
      ).rejects.toThrow(new RegExp(`^kafka ${kafka.saslSsl}: SASL authentication failed`));
    } finally {
      await source.close();
    }
    expect(Date.now() - started).toBeLessThan(FATAL_WITHIN_MS);
  });
});

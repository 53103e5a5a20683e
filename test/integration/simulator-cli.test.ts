import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BROKERS, testKafka, uniqueName, waitFor } from '../support/infra';
import { repeatedTopLevelKeys } from '../support/json-lines';

const MAIN = path.join(__dirname, '..', '..', 'services', 'simulator', 'dist', 'main.js');

/** The compiled CLI (`npx tsc --build` first; `npm test` does it). */
function cli(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing; run \`npx tsc --build\` first`);
  return spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('simulator CLI', () => {
  it('prints every option with its variable and default on --help, and exits 0', () => {
    const run = cli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: telemetry-simulator/);
    for (const text of [
      '--rate <value>, $SIM_RATE',
      '--count <value>, $SIM_COUNT',
      '--backfill <value>, $SIM_BACKFILL',
      '--malformed-rate <value>, $SIM_MALFORMED_RATE',
      '--brokers <value>, $KAFKA_BROKERS',
      '$KAFKA_SASL_PASSWORD',
      '(default: 6)',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });

  it('exits 2 naming every bad option, before touching the broker', () => {
    const run = cli(['--rate', 'fast', '--sites', '0'], {
      SIM_COMPRESSION: 'brotli', // not a Kafka codec
      KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^invalid configuration:/);
    expect(run.stderr).toContain('--rate / SIM_RATE');
    expect(run.stderr).toContain('--sites / SIM_SITES');
    expect(run.stderr).toContain('--compression / SIM_COMPRESSION');
    expect(run.stderr).toContain('Run with --help to see every option.');
  });

  it('exits 2 naming each bad TLS option (unreadable file, PEM expected, key without certificate)', () => {
    const run = cli(['--ssl-ca-file', '/nonexistent/ca.pem'], {
      KAFKA_SSL_CERT: '/etc/ssl/client.pem',
      KAFKA_SSL_KEY: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----',
      KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      '--ssl-ca-file / KAFKA_SSL_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)',
    );
    expect(run.stderr).toContain(
      'KAFKA_SSL_CERT: must be PEM text starting with -----BEGIN (for a path use KAFKA_SSL_CERT_FILE)',
    );
    expect(run.stderr).not.toContain('c2VjcmV0');
  });

  it('exits 2 on an unknown flag', () => {
    const run = cli(['--speed', '9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--speed'");
  });

  it('backfills with a progress line on stderr, then stops on SIGINT in a live run after flushing', async () => {
    const topic = uniqueName('telemetry.events.cli');
    const env = {
      KAFKA_BROKERS: BROKERS.join(','),
      SIM_TOPIC: topic,
      SIM_METRICS_PORT: '0',
      SIM_DLQ_TOPIC: `${topic}.dlq`,
      SIM_SITES: '1',
    };
    try {
      const backfill = cli(['--backfill', '2h', '--interval', '1m', '--seed', '4'], env);
      expect(backfill.status).toBe(0);
      expect(backfill.stderr).toMatch(/^sent [\d,]+ \(100\.0%\) \| [\d,]+ ev\/s \| ETA 0:00$/m);
      const finished = logLines(backfill.stdout).find((l) => l['msg'] === 'simulation finished');
      expect(finished).toMatchObject({ reason: 'backfill', seed: 4 });

      const live = spawn(process.execPath, [MAIN, '--rate', '200'], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      live.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor(
        'the live run to start',
        async () => (stdout.includes('simulation started') ? true : undefined),
        20_000,
        50,
      );
      await new Promise((r) => setTimeout(r, 1_000)); // let it send for a while
      const exited = new Promise<number | null>((resolve) => live.on('exit', (code) => resolve(code)));
      live.kill('SIGINT');
      expect(await exited).toBe(0);
      const lines = logLines(stdout);
      const stopped = lines.find((l) => l['msg'] === 'simulation stopped');
      expect(stopped).toMatchObject({ reason: 'stopped' });
      expect(Number(stopped?.['sent'])).toBeGreaterThan(50);
      expect(lines.at(-1)?.['msg']).toBe('stopped');
      // No line names a field twice (the ops server's once repeated `component`).
      const repeated = stdout
        .split('\n')
        .filter((l) => l.startsWith('{') && repeatedTopLevelKeys(l).length > 0);
      expect(repeated).toEqual([]);
      expect(lines.some((l) => l['msg'] === 'operations endpoints listening')).toBe(true);
    } finally {
      const admin = testKafka().admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

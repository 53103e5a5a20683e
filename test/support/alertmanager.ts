import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './infra';

/** Debian's prometheus-alertmanager (.ci/run installs it). */
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface TestAlertmanager {
  readonly url: string;
  get<T>(pathname: string): Promise<T>;
  logs(): string;
  stop(): Promise<void>;
}

/** A free loopback port (bound, read and released: the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A real Alertmanager on loopback with its own configuration (YAML text) and storage in a temp dir, gossip
 * off (`--cluster.listen-address=`).
 */
export async function startAlertmanager(configYaml: string): Promise<TestAlertmanager> {
  if (!existsSync(ALERTMANAGER_BIN)) {
    throw new Error(`${ALERTMANAGER_BIN} is missing: apt-get install prometheus-alertmanager`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'tp-am-'));
  await writeFile(path.join(dir, 'alertmanager.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let logs = '';
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const get = async <T>(pathname: string): Promise<T> => {
    const res = await fetch(`${url}${pathname}`);
    if (!res.ok) throw new Error(`GET ${pathname}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  await waitFor(
    'Alertmanager to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}: ${logs}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    30_000,
    100,
  );
  return {
    url,
    get,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startPrivateKafka, type PrivateKafka } from './reliability/kafka';
import { PG_HOME_FILE, pgCtl, startPrivatePostgres, type PrivatePostgres } from './reliability/postgres';
import { REPO_ROOT, alive, cmdline, readIfExists } from './reliability/process';

/**
 * The reliability suite's own Kafka broker and PostgreSQL, so its faults (SIGSTOP, kill -9, restart,
 * partitions) never touch the shared servers other engineers' tests and benchmarks use. Both run from
 * what scripts/infra.sh installed (the Kafka jars in .local/kafka/<version>/libs, Debian's PostgreSQL
 * binaries), on free loopback ports, with their state in .local/reliability/run-<pid>-<time>/ (as root,
 * PostgreSQL's under the system's temporary directory, named in that folder's pg.dir: the server runs as
 * postgres, which may not enter the checkout), removed by stop(). A run whose owner died is cleaned up by the
 * next start.
 *
 * The broker has two listeners: DIRECT for the test's producers and admin, PROXIED advertised through a
 * {@link FaultProxy}, so a partition cuts only the processors' path. PostgreSQL is reachable directly and
 * through a second proxy.
 */

export { freePort } from './reliability/process';
export type { PrivateKafka } from './reliability/kafka';
export type { PrivatePostgres } from './reliability/postgres';

export const RELIABILITY_DIR = path.join(REPO_ROOT, '.local', 'reliability');

export interface PrivateInfra {
  readonly runDir: string;
  readonly kafka: PrivateKafka;
  readonly postgres: PrivatePostgres;
  stop(): Promise<void>;
}

/** Stops the brokers and clusters of earlier runs whose owning process is gone, and removes their state. */
export async function cleanStaleRuns(): Promise<void> {
  if (!existsSync(RELIABILITY_DIR)) return;
  for (const name of readdirSync(RELIABILITY_DIR)) {
    const m = /^run-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(RELIABILITY_DIR, name);
    const kafkaPid = Number(readIfExists(path.join(dir, 'kafka.pid')));
    if (kafkaPid && alive(kafkaPid) && cmdline(kafkaPid).includes(dir)) process.kill(kafkaPid, 'SIGKILL');
    const pgHome = readIfExists(path.join(dir, PG_HOME_FILE)).trim() || dir;
    if (existsSync(path.join(pgHome, 'pg', 'postmaster.pid'))) {
      await pgCtl(path.join(pgHome, 'pg'), ['stop', '-m', 'immediate']).catch(() => undefined);
    }
    if (pgHome !== dir) rmSync(pgHome, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the private broker and PostgreSQL (in parallel); stop() ends both and removes their state. */
export async function startPrivateInfra(): Promise<PrivateInfra> {
  await cleanStaleRuns();
  const runDir = path.join(RELIABILITY_DIR, `run-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(runDir, { recursive: true });
  const [k, p] = await Promise.allSettled([startPrivateKafka(runDir), startPrivatePostgres(runDir)]);
  if (k.status === 'rejected' || p.status === 'rejected') {
    if (k.status === 'fulfilled') await k.value.stop();
    if (p.status === 'fulfilled') await p.value.stop();
    const reason = k.status === 'rejected' ? k.reason : (p as PromiseRejectedResult).reason;
    throw new Error(
      `could not start the private infrastructure (state kept in ${runDir}): ${String(reason)}`,
    );
  }
  const kafka = k.value;
  const postgres = p.value;
  return {
    runDir,
    kafka,
    postgres,
    async stop() {
      await Promise.allSettled([kafka.stop(), postgres.stop()]);
      if (process.env.RELIABILITY_KEEP) return;
      rmSync(runDir, { recursive: true, force: true });
      if (postgres.home !== runDir) rmSync(postgres.home, { recursive: true, force: true });
    },
  };
}

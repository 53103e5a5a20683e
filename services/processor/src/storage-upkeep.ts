import type { Logger, Pool } from '@telemetry-pulse/shared';
import {
  advanceHorizon,
  createRawPartition,
  forgetOtherTiers,
  dropRawPartition,
  listRawPartitions,
  purgeExpiredDefault,
} from './adapters/postgres/raw-partitions';
import { deletePublishedDeadLetters, deleteSettledTransitions } from './adapters/postgres/history';
import { deleteWindowsBefore } from './adapters/postgres/window-aggregates';
import {
  partitionsToCreate,
  partitionsToDrop,
  rawHorizonMs,
  windowHorizonMs,
  type StoragePolicy,
} from './domain/retention';

// Shared by every processor of a database: the one holding it runs the pass, the others skip theirs.
const STORAGE_LEADER_LOCK = 0x7e1e_0019;

export interface UpkeepReport {
  /** False when another processor held the leader lock: this one did nothing. */
  readonly leader: boolean;
  readonly created: readonly string[];
  /** Partitions dropped and how long each DROP held raw_events (ms, lock wait included). */
  readonly dropped: readonly { readonly name: string; readonly ms: number }[];
  /** Partitions still due that could not get their lock in time; tried again next pass. */
  readonly dropDeferred: readonly string[];
  readonly rawHorizonMs: number | null;
  readonly expiredDefaultRows: number;
  readonly windowsDeleted: number;
  /** Published dead letters past PROCESSOR_DEAD_LETTER_RETENTION. */
  readonly deadLettersDeleted: number;
  /** Settled alert transitions past PROCESSOR_NOTIFICATION_RETENTION (their deliveries went with them). */
  readonly transitionsDeleted: number;
}

export interface UpkeepOptions {
  /** Longest a DROP may wait for raw_events (every new batch waits behind it meanwhile). */
  readonly lockTimeoutMs?: number;
  readonly dropAttempts?: number;
}

/**
 * One storage pass, run by one processor at a time (a session advisory lock elects it): the raw horizon
 * advanced and committed, every partition from it to those ahead created, then the partitions wholly
 * before it dropped (oldest first, stopping at one that cannot get its lock), strays purged from the
 * default partition, then windows, published dead letters and settled alert notifications past their
 * retention deleted.
 */
export async function upkeepStorage(
  pool: Pool,
  policy: StoragePolicy,
  nowMs: number,
  log: Logger,
  opts: UpkeepOptions = {},
): Promise<UpkeepReport> {
  const client = await pool.connect();
  const report = {
    leader: false,
    created: [] as string[],
    dropped: [] as { name: string; ms: number }[],
    dropDeferred: [] as string[],
    rawHorizonMs: null as number | null,
    expiredDefaultRows: 0,
    windowsDeleted: 0,
    deadLettersDeleted: 0,
    transitionsDeleted: 0,
  };
  try {
    const { rows } = await client.query<{ leader: boolean }>('SELECT pg_try_advisory_lock($1) AS leader', [
      STORAGE_LEADER_LOCK,
    ]);
    if (rows[0]?.leader !== true) return report;
    report.leader = true;
    try {
      const horizon = await advanceHorizon(pool, 'raw', rawHorizonMs(nowMs, policy));
      report.rawHorizonMs = horizon;
      const existing = await listRawPartitions(client);
      // Every partition from the horizon on: none of these is due for dropping below.
      for (const range of partitionsToCreate(nowMs, horizon, policy, existing)) {
        if (await createRawPartition(client, range.fromMs, range.toMs)) {
          report.created.push(new Date(range.fromMs).toISOString());
        }
      }
      const due = partitionsToDrop(existing, horizon);
      for (const [i, p] of due.entries()) {
        const ms = await dropRawPartition(pool, p.name, {
          lockTimeoutMs: opts.lockTimeoutMs ?? 100,
          attempts: opts.dropAttempts ?? 20,
          pauseMs: 250,
        });
        if (ms === null) {
          report.dropDeferred.push(...due.slice(i).map((d) => d.name));
          break;
        }
        report.dropped.push({ name: p.name, ms });
      }
      report.expiredDefaultRows = await purgeExpiredDefault(pool, horizon);
      // Every width stored gets a row, kept-forever ones at -infinity: the API reads tiers from this table.
      for (const secs of policy.windowSeconds) {
        const keepMs = policy.windowRetentionMs.get(secs);
        const horizonMs = keepMs === undefined ? Number.NEGATIVE_INFINITY : windowHorizonMs(nowMs, keepMs);
        const before = await advanceHorizon(pool, String(secs), horizonMs);
        if (keepMs !== undefined) report.windowsDeleted += await deleteWindowsBefore(pool, secs, before);
      }
      await forgetOtherTiers(pool, policy.windowSeconds);
      report.deadLettersDeleted = await deletePublishedDeadLetters(
        pool,
        nowMs - policy.deadLetterRetentionMs,
      );
      report.transitionsDeleted = await deleteSettledTransitions(
        pool,
        nowMs - policy.notificationRetentionMs,
      );
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [STORAGE_LEADER_LOCK]);
    }
  } finally {
    client.release();
  }
  if (report.created.length || report.dropped.length || report.dropDeferred.length) {
    log.info(
      {
        created: report.created,
        dropped: report.dropped,
        deferred: report.dropDeferred,
        rawHorizon: new Date(report.rawHorizonMs ?? 0).toISOString(),
      },
      'raw partitions maintained',
    );
  }
  if (report.windowsDeleted || report.deadLettersDeleted || report.transitionsDeleted) {
    log.info(
      {
        windows: report.windowsDeleted,
        deadLetters: report.deadLettersDeleted,
        alertTransitions: report.transitionsDeleted,
      },
      'history past its retention deleted',
    );
  }
  if (report.dropDeferred.length) {
    log.warn({ deferred: report.dropDeferred }, 'raw partitions due for removal kept their lock; next pass');
  }
  return report;
}

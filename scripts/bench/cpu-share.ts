// Where the machine's CPU went during a measurement: every process on the machine, read from /proc at the
// start and the end, grouped by role (the benchmark's own children by pid, PostgreSQL backends by their
// application_name or backend type from pg_stat_activity, Kafka by its main class), as % of one core.
// Linux only; on another system (or without /proc) `snapshot` returns null and the report leaves it out.

import { readFileSync, readdirSync } from 'node:fs';
import type pg from 'pg';
import { procStat } from './common.ts';

const TICKS_PER_SECOND = 100; // USER_HZ

interface MachineTicks {
  busy: number;
  iowait: number;
  steal: number;
  all: number;
}

/** A labelled picture of the machine's processes at one moment. */
export interface Snapshot {
  at: number;
  procs: Map<number, { label: string; ticks: number }>;
  machine: MachineTicks;
}

/** % of one core per label between two snapshots, and the machine's busy, iowait and steal %. */
export interface Share {
  seconds: number;
  labels: { label: string; pct: number }[];
  machine: { busyPct: number; iowaitPct: number; stealPct: number };
}

/** { pid: { comm, ticks } } for every process readable right now. */
function processTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.set(Number(entry), procStat(entry));
    } catch {
      // the process ended between readdir and read
    }
  }
  return out;
}

/** Machine-wide busy, iowait and steal ticks from the first line of /proc/stat. */
function machineTicks(): MachineTicks {
  const [, ...f] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, _idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return {
    busy: user + nice + system + irq + softirq,
    iowait,
    steal,
    all: f.slice(0, 8).reduce((a, b) => a + b, 0),
  };
}

function isKafka(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

/**
 * A labelled picture of the machine's processes. `roles` maps pid -> label for the benchmark's own
 * processes; `pool` (optional) names the PostgreSQL backends.
 */
export async function snapshot(
  roles: ReadonlyMap<number | undefined, string>,
  pool?: pg.Pool,
): Promise<Snapshot | null> {
  let procs: Map<number, { comm: string; ticks: number }>;
  try {
    procs = processTicks();
  } catch {
    return null;
  }
  const backends = new Map<number, { app: string; type: string }>();
  if (pool) {
    const { rows } = await pool.query<{ pid: number; app: string; type: string }>(
      "SELECT pid, coalesce(application_name, '') AS app, coalesce(backend_type, '') AS type FROM pg_stat_activity",
    );
    for (const r of rows) backends.set(r.pid, r);
  }
  const label = (pid: number, { comm }: { comm: string }): string => {
    const role = roles.get(pid);
    if (role !== undefined) return role;
    const b = backends.get(pid);
    if (b) {
      if (b.type !== 'client backend')
        return b.type.startsWith('autovacuum') ? 'PostgreSQL autovacuum' : 'PostgreSQL background';
      if (b.app === 'telemetry-processor') return 'PostgreSQL: processor sessions';
      if (b.app.startsWith('telemetry-api')) return 'PostgreSQL: koa API sessions';
      if (b.app === 'bench-bare-http') return 'PostgreSQL: node:http sessions';
      return 'PostgreSQL: other sessions';
    }
    if (comm === 'postgres') return 'PostgreSQL background'; // postmaster, logger: not in pg_stat_activity
    if (comm === 'java' && isKafka(pid)) return 'Kafka';
    return 'other processes';
  };
  const labelled = new Map<number, { label: string; ticks: number }>();
  for (const [pid, p] of procs) labelled.set(pid, { label: label(pid, p), ticks: p.ticks });
  return { at: Date.now(), procs: labelled, machine: machineTicks() };
}

/**
 * % of one core per label between two snapshots. A process seen only at the end counts from 0; one that
 * ended before the second snapshot is lost (its last interval uncounted), which under-counts short-lived
 * connections a little.
 */
export function share(a: Snapshot | null, b: Snapshot | null): Share | null {
  if (!a || !b) return null;
  const seconds = (b.at - a.at) / 1000;
  const byLabel = new Map<string, number>();
  for (const [pid, p] of b.procs) {
    const before = a.procs.get(pid);
    const used = p.ticks - (before && before.label === p.label ? before.ticks : 0);
    byLabel.set(p.label, (byLabel.get(p.label) ?? 0) + used);
  }
  const pct = (ticks: number): number => (100 * ticks) / TICKS_PER_SECOND / seconds;
  const all = b.machine.all - a.machine.all;
  return {
    seconds,
    labels: [...byLabel].map(([label, ticks]) => ({ label, pct: pct(ticks) })).sort((x, y) => y.pct - x.pct),
    machine: {
      busyPct: (100 * (b.machine.busy - a.machine.busy)) / all,
      iowaitPct: (100 * (b.machine.iowait - a.machine.iowait)) / all,
      stealPct: (100 * (b.machine.steal - a.machine.steal)) / all,
    },
  };
}

/** One line: "processor 48%, PostgreSQL: processor sessions 40%, ..." (labels above 1 % of a core). */
export function describe(s: Share | null): string {
  if (!s) return 'not measured (no /proc)';
  const parts = s.labels.filter((l) => l.pct >= 1).map((l) => `${l.label} ${l.pct.toFixed(0)}%`);
  return (
    `${parts.join(', ')} (% of one core); machine ${s.machine.busyPct.toFixed(0)}% busy, ` +
    `iowait ${s.machine.iowaitPct.toFixed(1)}%, steal ${s.machine.stealPct.toFixed(1)}%`
  );
}

/**
 * The pure part of `npm run bench:notifications`: which reading each probe sends, and how the probes, the
 * transitions PostgreSQL recorded and the requests the receiver got are matched into latencies. No I/O, so
 * test/unit/scripts/bench-notification-probes.test.ts runs it.
 *
 * The probes lean on the processor's default `co2-high` rule (services/processor/src/domain/alerts/defaults.ts):
 * warning above 1000 ppm held for 2 min of event time, cleared at or below 900 ppm.
 */
import { percentile } from './figures.ts';

export const CO2_HIGH = 1_200; // ppm, above the warning trigger (1000) and below critical (1500)
export const CO2_CLEAR = 800; // ppm, at or below the clear threshold (900)
export const HELD_MS = 121_000; // event time between the two high readings: the rule's 2 min, and one second

export type ProbeKind = 'opened' | 'resolved';

/** One probe: the device whose alert it opens or resolves, and the kind of transition it should cause. */
export interface Probe {
  readonly device: string;
  readonly kind: ProbeKind;
}

/** The co2 readings a probe sends: event time and value. */
export interface ProbeReading {
  readonly tsEventMs: number;
  readonly value: number;
}

/**
 * The probe of tick `tick` (0, 1, 2, ...): even ticks open an alert on a new device, odd ones resolve the
 * alert the tick before opened. A new device per alert, so the rule's 5-minute cooldown after a resolve
 * never holds a probe back.
 */
export function probeAt(tick: number): Probe {
  const n = Math.floor(tick / 2);
  return { device: `probe-${n}`, kind: tick % 2 === 0 ? 'opened' : 'resolved' };
}

/**
 * The readings that make `probe` happen at wall time `nowMs`. An open sends a high reading dated
 * {@link HELD_MS} back and one dated now: the rule has held for its 2 min at the second one, which is the
 * reading that opens the alert. A resolve sends one reading under the clear threshold, dated now.
 */
export function probeReadings(probe: Probe, nowMs: number): ProbeReading[] {
  return probe.kind === 'opened'
    ? [
        { tsEventMs: nowMs - HELD_MS, value: CO2_HIGH },
        { tsEventMs: nowMs, value: CO2_HIGH },
      ]
    : [{ tsEventMs: nowMs, value: CO2_CLEAR }];
}

/** A probe as it was sent: when its readings went to the producer. */
export interface SentProbe extends Probe {
  readonly producedMs: number;
}

/** A transition PostgreSQL recorded (notification_transitions), for one of the probes' devices. */
export interface RecordedTransition {
  readonly transitionId: string;
  readonly device: string;
  readonly kind: string;
  /** created_at: now() of the transaction that made the transition. */
  readonly createdMs: number;
}

/** Latencies in ms, ascending, and the counts that say whether every probe made it. */
export interface ProbeLatencies {
  /** transaction of the transition -> first arrival at the receiver */
  readonly transactionToReceiver: number[];
  /** the probe's produce -> first arrival at the receiver */
  readonly produceToReceiver: number[];
  readonly sent: number;
  /** probes PostgreSQL recorded a transition of the expected kind for */
  readonly recorded: number;
  /** probes whose transition reached the receiver */
  readonly received: number;
  /** probes sent whose transition did not reach the receiver (not recorded, or recorded and not delivered) */
  readonly missing: number;
  /** transitions of the probes' devices that no probe asked for (there should be none) */
  readonly unexpected: number;
}

/**
 * Matches each sent probe with its device's transition of the same kind and that transition's first
 * arrival at the receiver (`arrivals`: transition id -> ms).
 */
export function matchProbes(
  sent: readonly SentProbe[],
  recorded: readonly RecordedTransition[],
  arrivals: ReadonlyMap<string, number>,
): ProbeLatencies {
  const byProbe = new Map<string, RecordedTransition>();
  let unexpected = 0;
  const wanted = new Set(sent.map((p) => `${p.device}/${p.kind}`));
  for (const t of recorded) {
    const key = `${t.device}/${t.kind}`;
    if (!wanted.has(key) || byProbe.has(key)) unexpected += 1;
    else byProbe.set(key, t);
  }
  const transactionToReceiver: number[] = [];
  const produceToReceiver: number[] = [];
  for (const p of sent) {
    const t = byProbe.get(`${p.device}/${p.kind}`);
    const at = t === undefined ? undefined : arrivals.get(t.transitionId);
    if (t === undefined || at === undefined) continue;
    transactionToReceiver.push(at - t.createdMs);
    produceToReceiver.push(at - p.producedMs);
  }
  const ascending = (a: number, b: number): number => a - b;
  return {
    transactionToReceiver: transactionToReceiver.sort(ascending),
    produceToReceiver: produceToReceiver.sort(ascending),
    sent: sent.length,
    recorded: byProbe.size,
    received: produceToReceiver.length,
    missing: sent.length - produceToReceiver.length,
    unexpected,
  };
}

/** p50, p99 and max of ascending latencies, as "p50 12 ms, p99 40 ms, max 52 ms" ("none" when empty). */
export function describeLatencies(sorted: readonly number[]): string {
  if (sorted.length === 0) return 'none';
  const ms = (v: number): string => `${Math.round(v)} ms`;
  return `p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1] ?? NaN)}`;
}

/** Items per second from `fromMs` to `toMs`; NaN when the span is not positive. */
export function perSecond(items: number, fromMs: number, toMs: number): number {
  return toMs > fromMs ? (items * 1000) / (toMs - fromMs) : NaN;
}

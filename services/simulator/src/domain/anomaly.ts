import type { SensorType } from '@telemetry-pulse/shared/core';
import type { Random } from './random';
import type { Readings } from './signals';

/**
 * Faults a real device shows for a while: a CO2 spike (someone breathing on the sensor, a cleaning agent),
 * a sensor stuck at one value, or the whole device going silent (power, Wi-Fi).
 */
export type AnomalyKind = 'co2-spike' | 'stuck' | 'silent';

/** An anomaly in progress on one device. */
export interface AnomalyEpisode {
  readonly kind: AnomalyKind;
  /** Device reports left, this one included. */
  readonly remaining: number;
  /** The stuck sensor, for `stuck`. */
  readonly sensor: SensorType;
  /** `co2-spike`: ppm added at the peak; `stuck`: the frozen value, once the first report has set it. */
  readonly amount: number | undefined;
  readonly length: number;
}

/** Episode lengths in device reports; at a 10 s interval a stuck sensor lasts 3–20 minutes. */
const LENGTHS: Record<AnomalyKind, readonly [number, number]> = {
  'co2-spike': [2, 6],
  stuck: [20, 120],
  silent: [10, 60],
};
const KINDS: readonly AnomalyKind[] = ['co2-spike', 'stuck', 'silent'];
const STUCKABLE: readonly SensorType[] = ['co2', 'temperature', 'humidity', 'occupancy'];
const MEAN_LENGTH = KINDS.reduce((sum, k) => sum + (LENGTHS[k][0] + LENGTHS[k][1]) / 2, 0) / KINDS.length;

/**
 * Chance that an idle device starts an episode on a report, chosen so that the long-run share of reports
 * inside an episode is `rate`: with mean length L, share = L / (L + (1 - p) / p), solved for p.
 */
export function episodeStartProbability(rate: number): number {
  if (rate <= 0) return 0;
  return Math.min(1, rate / (MEAN_LENGTH * (1 - rate) + rate));
}

/** Draws whether an idle device starts an episode on this report, and which. */
export function maybeStartEpisode(startProbability: number, random: Random): AnomalyEpisode | undefined {
  if (random.next() >= startProbability) return undefined;
  const kind = random.pick(KINDS);
  const sensor = random.pick(STUCKABLE);
  const [lo, hi] = LENGTHS[kind];
  const length = random.int(lo, hi);
  return {
    kind,
    sensor,
    remaining: length,
    length,
    amount: kind === 'co2-spike' ? random.between(1_500, 4_500) : undefined,
  };
}

/**
 * Applies an episode to one report. Returns the readings to send (`undefined` when silent), which sensors
 * carry the anomaly, and the episode as it continues (`undefined` once over).
 */
export function applyEpisode(
  episode: AnomalyEpisode,
  readings: Readings,
): { readings: Readings | undefined; anomalous: SensorType | undefined; next: AnomalyEpisode | undefined } {
  const next = episode.remaining > 1 ? { ...episode, remaining: episode.remaining - 1 } : undefined;
  switch (episode.kind) {
    case 'silent':
      return { readings: undefined, anomalous: undefined, next };
    case 'co2-spike': {
      // A triangular pulse: rises to the peak mid-episode and falls back, as a plume does.
      const step = episode.length - episode.remaining; // 0-based position in the episode
      const shape = 1 - Math.abs((2 * (step + 0.5)) / episode.length - 1);
      const added = Math.round((episode.amount ?? 0) * shape);
      return { readings: { ...readings, co2: readings.co2 + added }, anomalous: 'co2', next };
    }
    case 'stuck': {
      const frozen = episode.amount ?? readings[episode.sensor];
      return {
        readings: { ...readings, [episode.sensor]: frozen },
        anomalous: episode.sensor,
        next: next && { ...next, amount: frozen },
      };
    }
  }
}

import type { Producer } from 'kafkajs';

/**
 * Seeded, reproducible traffic for the reliability suite. Every reading's event_id encodes its sequence
 * number (the last 12 hex digits) under a tag of the scenario, so the invariants can tell in SQL which
 * readings were sent and which are missing without keeping millions of ids in memory. Each device's
 * readings rise in event time (ticks of `tickMs`), so the alert engine sees every device in order and a
 * replay of the rules over the raw rows must give the same alerts.
 */

/** mulberry32: a tiny, good-enough PRNG; the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FleetOptions {
  readonly seed: number;
  /** 8 hex digits naming the run and scenario; the first group of every event_id. */
  readonly tag: string;
  readonly devices: number;
  /** Event time of the first tick. */
  readonly startMs: number;
  readonly tickMs?: number; // event time between two readings of a device's sensor
  /** Share of messages sent as invalid JSON (dead letters), 0–1. */
  readonly malformedRate?: number;
  /** Keep every valid reading sent in `sent` (for resending); off for long runs. */
  readonly keep?: boolean;
}

export interface Message {
  readonly key: string;
  readonly value: string;
}

const SENSORS = ['co2', 'temperature', 'humidity', 'occupancy'] as const;
type Sensor = (typeof SENSORS)[number];
const WALK: Record<Sensor, { start: [number, number]; step: number; min: number; max: number }> = {
  co2: { start: [500, 1100], step: 90, min: 350, max: 2400 }, // ppm: crosses 1000 and 1500
  temperature: { start: [19, 25], step: 0.6, min: 14, max: 31 }, // °C: leaves 18–26
  humidity: { start: [35, 55], step: 2.5, min: 15, max: 85 }, // %: leaves 30–60
  occupancy: { start: [0, 20], step: 3, min: 0, max: 60 },
};

/** A fleet of random-walking devices; `next()` returns the next message, `valid`/`malformed` count them. */
export class Fleet {
  valid = 0;
  malformed = 0;
  readonly sent: Message[] = [];
  private readonly random: () => number;
  private readonly values: number[][];
  private readonly tickMs: number;
  private slot = 0; // position inside the current tick: device * 4 + sensor
  private tick = 0;

  constructor(readonly opts: FleetOptions) {
    if (!/^[0-9a-f]{8}$/.test(opts.tag)) throw new Error(`tag must be 8 hex digits, got ${opts.tag}`);
    this.random = seededRandom(opts.seed);
    this.tickMs = opts.tickMs ?? 10_000;
    this.values = Array.from({ length: opts.devices }, () =>
      SENSORS.map((s) => {
        const [lo, hi] = WALK[s].start;
        return lo + this.random() * (hi - lo);
      }),
    );
  }

  /** Event time the next reading will carry. */
  get eventTimeMs(): number {
    return this.opts.startMs + this.tick * this.tickMs;
  }

  next(): Message {
    if (this.random() < (this.opts.malformedRate ?? 0)) {
      const marker = `tp-bad-${this.opts.tag}-${this.malformed}`;
      this.malformed += 1;
      return { key: 'malformed', value: `{"marker":"${marker}", not json` };
    }
    const d = Math.floor(this.slot / SENSORS.length);
    const s = this.slot % SENSORS.length;
    const sensor = SENSORS[s] ?? 'co2';
    const walk = WALK[sensor];
    const row = this.values[d] ?? [];
    const current = row[s] ?? walk.min;
    const moved = Math.min(walk.max, Math.max(walk.min, current + (this.random() * 2 - 1) * walk.step));
    row[s] = moved;
    const value = sensor === 'occupancy' ? Math.round(moved) : Math.round(moved * 10) / 10;
    const ts = this.eventTimeMs;
    if (ts > Date.now() + 60_000) throw new Error('the fleet ran ahead of the wall clock: add devices');
    const event = {
      event_id: eventId(this.opts.tag, this.valid, this.random),
      device_id: `dev-${d}`,
      site_id: `site-${d % 3}`,
      zone_id: `site-${d % 3}-zone-${d % 7}`,
      sensor_type: sensor,
      value,
      ts_event: new Date(ts).toISOString(),
    };
    this.valid += 1;
    this.slot += 1;
    if (this.slot === this.opts.devices * SENSORS.length) {
      this.slot = 0;
      this.tick += 1;
    }
    const message = { key: event.device_id, value: JSON.stringify(event) };
    if (this.opts.keep) this.sent.push(message);
    return message;
  }
}

/** `tag-rrrr-4rrr-8rrr-seq` (a valid v4-shaped UUID); the last group is the sequence number in hex. */
function eventId(tag: string, seq: number, random: () => number): string {
  const hex = (n: number) =>
    Math.floor(random() * 16 ** n)
      .toString(16)
      .padStart(n, '0');
  return `${tag}-${hex(4)}-4${hex(3)}-8${hex(3)}-${seq.toString(16).padStart(12, '0')}`;
}

export interface LoadOptions {
  readonly topic: string;
  /** Messages to send in all (valid and malformed). */
  readonly total: number;
  readonly ratePerSec: number;
  readonly chunk?: number;
  /** Give up when one chunk cannot be sent for this long. */
  readonly sendDeadlineMs?: number;
}

export interface LoadStats {
  /** Messages acknowledged by the broker (every one, eventually: failed sends are retried). */
  acked: number;
  /** Send attempts that failed and were retried (the same messages again: duplicates are possible). */
  failedSends: number;
  startedAt: number;
  finishedAt: number;
}

export interface Load {
  readonly stats: LoadStats;
  readonly done: Promise<LoadStats>;
  /** Stops after the chunk in flight. */
  stop(): void;
}

/**
 * Sends `total` messages of `fleet` at `ratePerSec`, one chunk at a time, each retried until the broker
 * acknowledges it: so every message is accepted by Kafka (at least once), whatever the faults.
 */
export function startLoad(producer: Producer, fleet: Fleet, opts: LoadOptions): Load {
  const chunk = opts.chunk ?? 500;
  const stats: LoadStats = { acked: 0, failedSends: 0, startedAt: Date.now(), finishedAt: 0 };
  let stopped = false;
  const done = (async () => {
    let made = 0;
    while (made < opts.total && !stopped) {
      const dueAt = stats.startedAt + (made / opts.ratePerSec) * 1000;
      const wait = dueAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = Math.min(chunk, opts.total - made);
      const messages = Array.from({ length: n }, () => fleet.next());
      made += n;
      const giveUpAt = Date.now() + (opts.sendDeadlineMs ?? 180_000);
      for (;;) {
        try {
          await producer.send({ topic: opts.topic, messages });
          break;
        } catch (err) {
          stats.failedSends += 1;
          if (stopped) throw new Error('load stopped while a chunk was unsent');
          if (Date.now() > giveUpAt) throw new Error(`could not send a chunk for long: ${String(err)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      stats.acked += n;
    }
    stats.finishedAt = Date.now();
    return stats;
  })();
  done.catch(() => undefined); // observed by whoever awaits it
  return {
    stats,
    done,
    stop: () => {
      stopped = true;
    },
  };
}

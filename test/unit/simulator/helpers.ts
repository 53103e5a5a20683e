import {
  backfillTimeline,
  createMessageStream,
  NO_FAULTS,
  type FaultRates,
  type FleetShape,
  type MessageStream,
  type SimMessage,
} from '@telemetry-pulse/simulator';

/** A fixed instant (Wednesday 2025-01-15 00:00 UTC), so backfills are reproducible and land on known weekdays. */
export const WEDNESDAY_MIDNIGHT = Date.UTC(2025, 0, 15);

export const SMALL_FLEET: FleetShape = { sites: 2, zonesPerSite: 3, devicesPerZone: 2 };

/** A backfill stream ending at `endMs`. */
export function backfillStream(opts: {
  seed?: number;
  fleet?: FleetShape;
  faults?: Partial<FaultRates>;
  endMs?: number;
  spanMs: number;
  intervalMs: number;
}): MessageStream {
  return createMessageStream({
    seed: opts.seed ?? 1,
    fleet: opts.fleet ?? SMALL_FLEET,
    faults: { ...NO_FAULTS, ...opts.faults },
    timeline: backfillTimeline(opts.endMs ?? WEDNESDAY_MIDNIGHT, opts.spanMs, opts.intervalMs),
  });
}

/** Up to `limit` messages, fewer if the stream ends first. */
export function take(stream: MessageStream, limit = Infinity): SimMessage[] {
  const out: SimMessage[] = [];
  while (out.length < limit) {
    const m = stream.next();
    if (!m) break;
    out.push(m);
  }
  return out;
}

export function share(messages: readonly SimMessage[], kind: SimMessage['kind']): number {
  return messages.filter((m) => m.kind === kind).length / messages.length;
}

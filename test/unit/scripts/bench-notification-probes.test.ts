import {
  DEFAULT_ALERT_RULES,
  evaluateThreshold,
  type AlertReading,
  type ThresholdRule,
} from '@telemetry-pulse/processor';
import {
  describeLatencies,
  matchProbes,
  perSecond,
  probeAt,
  probeReadings,
  type RecordedTransition,
  type SentProbe,
} from '../../../scripts/bench/notification-probes';

const co2High = DEFAULT_ALERT_RULES.find((r): r is ThresholdRule => r.id === 'co2-high');

describe('notification benchmark probes (scripts/bench/notification-probes.ts)', () => {
  it('alternates between opening an alert on a new device and resolving it', () => {
    expect([0, 1, 2, 3, 4].map(probeAt)).toEqual([
      { device: 'probe-0', kind: 'opened' },
      { device: 'probe-0', kind: 'resolved' },
      { device: 'probe-1', kind: 'opened' },
      { device: 'probe-1', kind: 'resolved' },
      { device: 'probe-2', kind: 'opened' },
    ]);
  });

  it("opens the default co2-high rule's alert at the open's last reading and resolves it at the resolve's", () => {
    if (!co2High) throw new Error('the default rules have no co2-high');
    const now = Date.parse('2026-12-03T20:00:00Z');
    const reading = (r: { tsEventMs: number; value: number }, i: number): AlertReading => ({
      eventId: `e-${r.tsEventMs}-${i}`,
      deviceId: 'probe-0',
      siteId: 'site-probe',
      zoneId: 'zone-probe',
      sensorType: 'co2' as const,
      value: r.value,
      tsEventMs: r.tsEventMs,
    });
    const open = evaluateThreshold(co2High, undefined, probeReadings(probeAt(0), now).map(reading));
    expect(open.actions.map((a) => [a.type, a.atMs])).toEqual([['open', now]]);
    const resolve = evaluateThreshold(
      co2High,
      open.state,
      probeReadings(probeAt(1), now + 5_000).map(reading),
    );
    expect(resolve.actions.map((a) => [a.type, a.atMs])).toEqual([['resolve', now + 5_000]]);
  });

  it('matches probes with their transitions and first arrivals, counting what is missing or unexpected', () => {
    const sent: SentProbe[] = [
      { device: 'probe-0', kind: 'opened', producedMs: 1_000 },
      { device: 'probe-0', kind: 'resolved', producedMs: 6_000 },
      { device: 'probe-1', kind: 'opened', producedMs: 11_000 }, // recorded, never received
      { device: 'probe-1', kind: 'resolved', producedMs: 16_000 }, // never recorded
    ];
    const recorded: RecordedTransition[] = [
      { transitionId: '1', device: 'probe-0', kind: 'opened', createdMs: 1_100 },
      { transitionId: '2', device: 'probe-0', kind: 'resolved', createdMs: 6_050 },
      { transitionId: '3', device: 'probe-1', kind: 'opened', createdMs: 11_100 },
      { transitionId: '4', device: 'probe-1', kind: 'escalated', createdMs: 12_000 }, // nobody asked for it
    ];
    const arrivals = new Map([
      ['1', 1_400],
      ['2', 6_250],
      ['4', 12_100],
    ]);
    const m = matchProbes(sent, recorded, arrivals);
    expect(m).toEqual({
      transactionToReceiver: [200, 300],
      produceToReceiver: [250, 400],
      sent: 4,
      recorded: 3,
      received: 2,
      missing: 2,
      unexpected: 1,
    });
  });

  it('counts a second transition of the same kind on a probe device as unexpected', () => {
    const sent: SentProbe[] = [{ device: 'probe-0', kind: 'opened', producedMs: 0 }];
    const recorded: RecordedTransition[] = [
      { transitionId: '1', device: 'probe-0', kind: 'opened', createdMs: 10 },
      { transitionId: '2', device: 'probe-0', kind: 'opened', createdMs: 20 },
    ];
    expect(matchProbes(sent, recorded, new Map([['1', 30]]))).toMatchObject({ received: 1, unexpected: 1 });
  });

  it('describes latencies and rates, empty and zero-length spans included', () => {
    expect(describeLatencies([10, 20, 30, 40])).toBe('p50 30 ms, p99 40 ms, max 40 ms');
    expect(describeLatencies([])).toBe('none');
    expect(perSecond(1_000, 0, 2_000)).toBe(500);
    expect(perSecond(10, 5, 5)).toBeNaN();
  });
});

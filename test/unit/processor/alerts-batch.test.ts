import {
  DEFAULT_ALERT_RULES,
  INITIAL_THRESHOLD_STATE,
  evaluateThreshold,
  evaluateThresholdWork,
  firstReadingByDevice,
  groupThresholdWork,
  rearmResolvedByPeople,
  stateKey,
  withOpenAlert,
  type BatchReading,
  type ThresholdRule,
  type ThresholdState,
} from '../../../services/processor/src/domain/alerts';

/**
 * The alert rules' steps over one batch (domain/alerts/batch.ts), which the PostgreSQL adapter runs around
 * its reads and writes: grouping per (device, rule) in lock order, re-arming what people resolved, and
 * evaluating each pair against its stored state. The adapter runs them against PostgreSQL in test/integration/processor-alerts*.test.ts.
 */
const T0 = Date.UTC(2024, 4, 1, 12);
const MIN = 60_000;
const threshold = DEFAULT_ALERT_RULES.filter((r): r is ThresholdRule => r.kind === 'threshold');
const CO2 = threshold.find((r) => r.id === 'co2-high') as ThresholdRule;

let seq = 0;
function reading(
  deviceId: string,
  sensorType: BatchReading['sensorType'],
  value: number,
  atMs: number,
  lateness: BatchReading['lateness'] = 'on_time',
): BatchReading {
  seq += 1;
  return {
    eventId: `e-${seq}`,
    deviceId,
    siteId: 's',
    zoneId: 'z',
    sensorType,
    value,
    tsEventMs: T0 + atMs,
    lateness,
  };
}

describe('alert rules over a batch', () => {
  it('groups readings per (device, rule), sorted by device then rule, leaving out too-late ones', () => {
    const work = groupThresholdWork(threshold, [
      reading('dev-b', 'co2', 600, 0),
      reading('dev-a', 'temperature', 21, 0),
      reading('dev-a', 'co2', 700, 0),
      reading('dev-a', 'co2', 900, MIN),
      reading('dev-c', 'co2', 2000, 0, 'too_late'),
      reading('dev-a', 'occupancy', 3, 0),
    ]);
    expect(work.map((w) => [w.deviceId, w.rule.id, w.readings.map((r) => r.value)])).toEqual([
      ['dev-a', 'co2-high', [700, 900]],
      ['dev-a', 'temperature-comfort', [21]],
      ['dev-b', 'co2-high', [600]],
    ]);
  });

  it('re-arms an open state only when no unresolved alert row is left for it, without touching the input', () => {
    const openState: ThresholdState = {
      ...INITIAL_THRESHOLD_STATE,
      lastTsMs: T0,
      heldSinceMs: { warning: T0 - 3 * MIN },
      open: { severity: 'warning', openedAtMs: T0 - MIN, peak: 1200 },
    };
    const work = groupThresholdWork(threshold, [
      reading('dev-a', 'co2', 1200, MIN),
      reading('dev-b', 'co2', 1200, MIN),
      reading('dev-c', 'co2', 500, MIN),
    ]);
    const loaded = new Map([
      [stateKey('dev-a', 'co2-high'), openState],
      [stateKey('dev-b', 'co2-high'), openState],
      [stateKey('dev-c', 'co2-high'), INITIAL_THRESHOLD_STATE],
    ]);
    const open = withOpenAlert(work, loaded);
    expect(open.map((w) => w.deviceId)).toEqual(['dev-a', 'dev-b']);
    // dev-a's alert is still unresolved; dev-b's was resolved by a person.
    const { states, rearmed } = rearmResolvedByPeople(open, loaded, new Set([stateKey('dev-a', 'co2-high')]));
    expect([...rearmed]).toEqual([stateKey('dev-b', 'co2-high')]);
    expect(states.get(stateKey('dev-b', 'co2-high'))?.open).toBeNull();
    expect(states.get(stateKey('dev-a', 'co2-high'))).toBe(openState);
    expect(loaded.get(stateKey('dev-b', 'co2-high'))).toBe(openState);
  });

  it('evaluates each pair against its state, as evaluateThreshold does alone, and stores changed and re-armed states', () => {
    const high = [0, 1, 2, 3].map((m) => reading('dev-a', 'co2', 1200, m * MIN));
    const quiet = [reading('dev-b', 'co2', 500, 0)];
    const work = groupThresholdWork([CO2], [...high, ...quiet]);
    const rearmedKey = stateKey('dev-b', 'co2-high');
    const evaluation = evaluateThresholdWork(work, new Map(), new Set([rearmedKey]));
    const alone = evaluateThreshold(CO2, undefined, high);
    expect(evaluation.actions).toEqual(alone.actions);
    expect(evaluation.actions.map((a) => [a.type, a.deviceId])).toEqual([['open', 'dev-a']]);
    expect(evaluation.changed.map((c) => c.deviceId)).toEqual(['dev-a', 'dev-b']);
    expect(evaluation.skipped).toBe(0);
  });

  it("finds each device's earliest reading of the batch", () => {
    const first = firstReadingByDevice([
      { deviceId: 'a', tsEventMs: 30 },
      { deviceId: 'b', tsEventMs: 5 },
      { deviceId: 'a', tsEventMs: 10 },
    ]);
    expect(Object.fromEntries(first)).toEqual({ a: 10, b: 5 });
  });
});

import fc from 'fast-check';
import {
  DEFAULT_ALERT_RULES,
  evaluateThreshold,
  parseThresholdState,
  severityRank,
  type AlertReading,
  type ThresholdAction,
  type ThresholdLevel,
  type ThresholdRule,
  type ThresholdState,
} from '../../../services/processor/src/domain/alerts';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 2_000);
const T0 = Date.UTC(2024, 4, 1, 12); // epoch ms
const MIN = 60_000; // ms

const VALUE_RULES = DEFAULT_ALERT_RULES.filter((r): r is ThresholdRule => r.kind === 'threshold');

/** Values that matter to a rule: every trigger and clear, just either side of them, and anything between. */
function valueFor(rule: ThresholdRule): fc.Arbitrary<number> {
  const edges = rule.levels
    .flatMap((l) => [l.above, l.below])
    .flatMap((b) => (b ? [b.trigger, b.clear] : []));
  const near = edges.flatMap((e) => [e - 0.5, e, e + 0.5]);
  const lo = Math.min(...edges) - 10;
  const hi = Math.max(...edges) + 10;
  return fc.oneof(fc.constantFrom(...near), fc.integer({ min: Math.floor(lo), max: Math.ceil(hi) }));
}

/** A rule from the defaults with its timings varied (zero included). */
const ruleArb: fc.Arbitrary<ThresholdRule> = fc
  .record({
    base: fc.constantFrom(...VALUE_RULES),
    forMs: fc.constantFrom(0, 30_000, 2 * MIN, 5 * MIN),
    cooldownMs: fc.constantFrom(0, MIN, 5 * MIN),
  })
  .map(({ base, forMs, cooldownMs }) => ({ ...base, forMs, cooldownMs }));

interface Step {
  dtMs: number;
  value: number;
  cut: boolean; // start a new batch at this reading
  shuffleKey: number; // order inside its batch
}

/** A device's readings in delivery order: event time never decreases, sometimes repeats, sometimes gaps. */
function stepsFor(rule: ThresholdRule): fc.Arbitrary<Step[]> {
  // 0 repeats a millisecond; the odd constants land one millisecond either side of forMs and cooldownMs.
  const edges = fc.constantFrom(1, 29_999, 30_000, 59_999, MIN, 2 * MIN - 1, 2 * MIN, 5 * MIN - 1, 5 * MIN);
  const dtMs = fc.oneof(fc.constant(0), edges, fc.integer({ min: 1, max: 12 * MIN }));
  const step = fc.record({ dtMs, value: valueFor(rule), cut: fc.boolean(), shuffleKey: fc.nat() });
  return fc.array(step, { maxLength: 80 });
}

const scenario = ruleArb.chain((rule) => fc.record({ rule: fc.constant(rule), steps: stepsFor(rule) }));

function toReadings(rule: ThresholdRule, steps: readonly Step[]): AlertReading[] {
  let t = T0;
  return steps.map((s, i) => {
    t += s.dtMs;
    return {
      eventId: `e-${String(i).padStart(6, '0')}`,
      deviceId: 'dev-1',
      siteId: 'site-1',
      zoneId: 'zone-1',
      sensorType: rule.sensorType,
      value: s.value,
      tsEventMs: t,
    };
  });
}

/** The readings the engine evaluates: the first one of each event-time millisecond. */
const evaluated = (readings: readonly AlertReading[]) =>
  readings.filter((r, i) => i === 0 || r.tsEventMs > (readings[i - 1]?.tsEventMs ?? -Infinity));

const fires = (l: ThresholdLevel, v: number) =>
  (l.above !== undefined && v > l.above.trigger) || (l.below !== undefined && v < l.below.trigger);
const holds = (l: ThresholdLevel, v: number) =>
  (l.above !== undefined && v > l.above.clear) || (l.below !== undefined && v < l.below.clear);

describe('evaluateThreshold properties', () => {
  it('keeps one alert at a time, escalates only upward, and honours the cooldown', () => {
    fc.assert(
      fc.property(scenario, ({ rule, steps }) => {
        const { actions } = evaluateThreshold(rule, undefined, toReadings(rule, steps));
        let open: ThresholdAction | undefined;
        let severity = -1;
        let resolvedAtMs: number | undefined;
        for (const a of actions) {
          if (a.type === 'open') {
            expect(open).toBeUndefined();
            if (resolvedAtMs !== undefined)
              expect(a.atMs).toBeGreaterThanOrEqual(resolvedAtMs + rule.cooldownMs);
            open = a;
            severity = severityRank(a.severity);
          } else {
            expect(open).toBeDefined();
            if (a.type === 'escalate') {
              expect(severityRank(a.severity)).toBeGreaterThan(severity);
              severity = severityRank(a.severity);
            } else {
              open = undefined;
              resolvedAtMs = a.atMs;
            }
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('opens or escalates only after the level held for forMs, and resolves only outside every band', () => {
    fc.assert(
      fc.property(scenario, ({ rule, steps }) => {
        const readings = evaluated(toReadings(rule, steps));
        for (const a of evaluateThreshold(rule, undefined, readings).actions) {
          const idx = readings.findIndex((r) => r.tsEventMs === a.atMs);
          const upTo = readings.slice(0, idx + 1);
          if (a.type === 'resolve') {
            expect(rule.levels.some((l) => holds(l, a.value))).toBe(false);
            continue;
          }
          const level = rule.levels.find((l) => l.severity === a.severity);
          if (level === undefined) throw new Error(`no level ${a.severity}`);
          // The hold began at the first firing reading after the last reading outside the band.
          const lastOutside = upTo.map((r) => holds(level, r.value)).lastIndexOf(false);
          const start = upTo.slice(lastOutside + 1).find((r) => fires(level, r.value));
          expect(start).toBeDefined();
          expect(a.atMs - (start?.tsEventMs ?? Infinity)).toBeGreaterThanOrEqual(rule.forMs);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('does not flap: co2 between the warning clear and the critical trigger opens at most once and never resolves', () => {
    const co2 = VALUE_RULES.find((r) => r.id === 'co2-high');
    if (co2 === undefined) throw new Error('co2-high missing');
    const value = fc.oneof(
      fc.constantFrom(950, 1050, 900.5, 1499),
      fc.double({ min: 900.001, max: 1500, noNaN: true }),
    );
    const step = fc.record({
      dtMs: fc.integer({ min: 1, max: 5 * MIN }),
      value,
      cut: fc.constant(false),
      shuffleKey: fc.constant(0),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const kinds = evaluateThreshold(co2, undefined, toReadings(co2, steps)).actions.map((a) => a.type);
        expect(kinds.filter((k) => k === 'open').length).toBeLessThanOrEqual(1);
        expect(kinds).not.toContain('resolve');
        expect(kinds).not.toContain('escalate');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('changes nothing when readings already covered by the saved state are delivered again', () => {
    fc.assert(
      fc.property(
        scenario.chain((s) => fc.record({ s: fc.constant(s), pick: fc.subarray(s.steps.map((_, i) => i)) })),
        ({ s: { rule, steps }, pick }) => {
          const readings = toReadings(rule, steps);
          const first = evaluateThreshold(rule, undefined, readings);
          const stored = roundTrip(first.state);
          const replay = evaluateThreshold(
            rule,
            stored,
            pick.map((i) => readings[i] as AlertReading),
          );
          expect(replay.actions).toEqual([]);
          expect(replay.changed).toBe(false);
          expect(replay.state).toEqual(first.state);
          expect(replay.skippedOutOfOrder).toBe(pick.length);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives the same actions and state whatever the batches, the order inside them and a jsonb round trip', () => {
    fc.assert(
      fc.property(scenario, ({ rule, steps }) => {
        const readings = toReadings(rule, steps);
        const whole = evaluateThreshold(rule, undefined, readings);

        const batches: { reading: AlertReading; key: number }[][] = [];
        steps.forEach((s, i) => {
          const reading = readings[i] as AlertReading;
          const last = batches.at(-1);
          if (s.cut || last === undefined) batches.push([{ reading, key: s.shuffleKey }]);
          else last.push({ reading, key: s.shuffleKey });
        });
        let state: ThresholdState | undefined;
        const actions: ThresholdAction[] = [];
        let skipped = 0;
        for (const batch of batches) {
          const shuffled = [...batch].sort((a, b) => a.key - b.key).map((b) => b.reading);
          const r = evaluateThreshold(rule, state, shuffled);
          state = roundTrip(r.state);
          actions.push(...r.actions);
          skipped += r.skippedOutOfOrder;
        }
        expect(actions).toEqual(whole.actions);
        expect(skipped).toBe(whole.skippedOutOfOrder);
        expect(state ?? whole.state).toEqual(whole.state);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/** What the state looks like after a trip through `alert_rule_state.state` (jsonb). */
function roundTrip(state: ThresholdState): ThresholdState {
  const parsed = parseThresholdState(JSON.parse(JSON.stringify(state)));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.state;
}

import {
  DEFAULT_ALERT_RULES,
  INITIAL_THRESHOLD_STATE,
  evaluateThreshold,
  parseThresholdState,
  rearmAfterPersonResolved,
  rulesForSensor,
  type AlertReading,
  type ThresholdRule,
} from '../../../services/processor/src/domain/alerts';

const T0 = Date.UTC(2024, 4, 1, 12); // epoch ms
const S = 1_000; // ms
const MIN = 60 * S;

const rule = (sensor: 'co2' | 'temperature' | 'humidity'): ThresholdRule => {
  const found = rulesForSensor(DEFAULT_ALERT_RULES, sensor)[0];
  if (found === undefined) throw new Error(`no default rule for ${sensor}`);
  return found;
};
const CO2 = rule('co2');

let seq = 0;
/** A reading `atMs` after T0. */
function at(atMs: number, value: number, sensorType: AlertReading['sensorType'] = 'co2'): AlertReading {
  seq += 1;
  return {
    eventId: `e-${String(seq).padStart(6, '0')}`,
    deviceId: 'dev-1',
    siteId: 'site-1',
    zoneId: 'zone-1',
    sensorType,
    value,
    tsEventMs: T0 + atMs,
  };
}

/** Readings every `stepMs` from `fromMs` while `< toMs`, all of one value. */
function steady(
  fromMs: number,
  toMs: number,
  value: number,
  stepMs = 30 * S,
  sensorType?: AlertReading['sensorType'],
) {
  const out: AlertReading[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) out.push(at(t, value, sensorType));
  return out;
}

describe('evaluateThreshold: scripted co2 sequence (readings every 30 s)', () => {
  // 0-5 min 800; 5-8 min 1100; 8-11 min 1600; then 1450, 1200, 950, 850; then 1100 from 13 min.
  const readings = [
    ...steady(0, 5 * MIN, 800),
    ...steady(5 * MIN, 8 * MIN, 1100),
    ...steady(8 * MIN, 11 * MIN, 1600),
    at(11 * MIN, 1450), // critical hold band (> 1400): no change
    at(11 * MIN + 30 * S, 1200), // below critical clear: stays critical, never de-escalates
    at(12 * MIN, 950), // above warning clear 900: still open
    at(12 * MIN + 30 * S, 850), // resolves; cooldown until 17.5 min
    ...steady(13 * MIN, 19 * MIN, 1100), // holds from 13 min; sustained at 15 min, inside the cooldown
  ];
  const result = evaluateThreshold(CO2, undefined, readings);

  it('opens once, escalates, resolves, and reopens only when the cooldown is over', () => {
    expect(result.actions).toEqual([
      {
        type: 'open',
        ruleId: 'co2-high',
        deviceId: 'dev-1',
        siteId: 'site-1',
        zoneId: 'zone-1',
        sensorType: 'co2',
        severity: 'warning',
        atMs: T0 + 7 * MIN, // 1100 since 5 min, held 2 min
        value: 1100,
        threshold: 1000,
        message: 'co2 above 1000 ppm on dev-1 (site-1/zone-1): 1100 ppm',
      },
      {
        type: 'escalate',
        ruleId: 'co2-high',
        deviceId: 'dev-1',
        severity: 'critical',
        atMs: T0 + 10 * MIN, // 1600 since 8 min, held 2 min
        value: 1600,
        threshold: 1500,
        message: 'co2 above 1500 ppm on dev-1 (site-1/zone-1): 1600 ppm',
      },
      {
        type: 'resolve',
        ruleId: 'co2-high',
        deviceId: 'dev-1',
        atMs: T0 + 12 * MIN + 30 * S,
        value: 850,
        peak: 1600,
      },
      {
        type: 'open',
        ruleId: 'co2-high',
        deviceId: 'dev-1',
        siteId: 'site-1',
        zoneId: 'zone-1',
        sensorType: 'co2',
        severity: 'warning',
        atMs: T0 + 17 * MIN + 30 * S, // resolve (12.5 min) + cooldown 5 min; held since 13 min
        value: 1100,
        threshold: 1000,
        message: 'co2 above 1000 ppm on dev-1 (site-1/zone-1): 1100 ppm',
      },
    ]);
    expect(result.skippedOutOfOrder).toBe(0);
  });

  it('leaves a JSON-storable state describing the open alert', () => {
    expect(result.state).toEqual({
      v: 1,
      lastTsMs: T0 + 18 * MIN + 30 * S,
      heldSinceMs: { warning: T0 + 13 * MIN },
      open: { severity: 'warning', openedAtMs: T0 + 17 * MIN + 30 * S, peak: 1100 },
      cooldownUntilMs: T0 + 17 * MIN + 30 * S,
    });
    expect(JSON.parse(JSON.stringify(result.state))).toEqual(result.state);
    expect(parseThresholdState(JSON.parse(JSON.stringify(result.state)))).toEqual({
      ok: true,
      state: result.state,
    });
  });

  it('gives the same result fed one reading at a time, in reverse order within each call', () => {
    let state = INITIAL_THRESHOLD_STATE;
    const actions = [];
    for (const reading of readings) {
      const step = evaluateThreshold(CO2, state, [reading]);
      state = step.state;
      actions.push(...step.actions);
    }
    expect(actions).toEqual(result.actions);
    expect(state).toEqual(result.state);
    expect(evaluateThreshold(CO2, undefined, [...readings].reverse())).toEqual(result);
  });
});

describe('evaluateThreshold: table', () => {
  const TEMP = rule('temperature');
  const HUM = rule('humidity');
  const kinds = (rule: ThresholdRule, readings: AlertReading[]) =>
    evaluateThreshold(rule, undefined, readings).actions.map(
      (a) => `${a.type}${'severity' in a ? `:${a.severity}` : ''}@${(a.atMs - T0) / S}s`,
    );

  it.each<[string, ThresholdRule, () => AlertReading[], string[]]>([
    ['nothing while below every trigger', CO2, () => steady(0, 10 * MIN, 999), []],
    [
      'nothing when the condition holds for less than forMs',
      CO2,
      () => [...steady(0, 2 * MIN, 1100), at(2 * MIN, 800)],
      [],
    ],
    ['opens at the reading that completes forMs', CO2, () => steady(0, 3 * MIN, 1100), ['open:warning@120s']],
    [
      'waits for the full forMs',
      CO2,
      () => [at(0, 1100), at(2 * MIN - 1, 1100), at(2 * MIN, 1100)],
      ['open:warning@120s'],
    ],
    [
      'opens directly as critical when both levels held',
      CO2,
      () => steady(0, 3 * MIN, 1600),
      ['open:critical@120s'],
    ],
    [
      'does not flap between trigger and clear (950 <-> 1050)',
      CO2,
      () => steady(0, 30 * MIN, 0).map((r, i) => ({ ...r, value: i % 2 === 0 ? 1050 : 950 })),
      ['open:warning@120s'],
    ],
    [
      'restarts the clock when a reading leaves the band',
      CO2,
      () => [...steady(0, 90 * S, 1100), at(90 * S, 900), ...steady(2 * MIN, 5 * MIN, 1100)],
      ['open:warning@240s'],
    ],
    [
      'does not reset the clock across a gap without readings',
      CO2,
      () => [at(0, 1100), at(10 * MIN, 1050)],
      ['open:warning@600s'],
    ],
    [
      'escalates only once the critical level has held forMs',
      CO2,
      () => [
        ...steady(0, 3 * MIN, 1100),
        ...steady(3 * MIN, 4 * MIN, 1600),
        at(4 * MIN, 1300),
        ...steady(5 * MIN, 8 * MIN, 1600),
      ],
      ['open:warning@120s', 'escalate:critical@420s'],
    ],
    [
      'resolves only past the lowest clear threshold',
      CO2,
      () => [...steady(0, 3 * MIN, 1100), at(3 * MIN, 901), at(4 * MIN, 900)],
      ['open:warning@120s', 'resolve@240s'],
    ],
    [
      'temperature: cold room',
      TEMP,
      () => steady(0, 6 * MIN, 17.5, 30 * S, 'temperature'),
      ['open:warning@300s'],
    ],
    [
      'reopens no sooner than resolve + cooldownMs (inclusive)',
      CO2,
      () => [
        ...steady(0, 3 * MIN, 1100),
        at(3 * MIN, 800),
        at(4 * MIN, 1100),
        at(8 * MIN - 1, 1100),
        at(8 * MIN, 1100),
      ],
      ['open:warning@120s', 'resolve@180s', 'open:warning@480s'],
    ],
    [
      'temperature: warm room resolves at 25.5 °C',
      TEMP,
      () => [
        ...steady(0, 6 * MIN, 26.5, 30 * S, 'temperature'),
        at(6 * MIN, 25.6, 'temperature'),
        at(7 * MIN, 25.5, 'temperature'),
      ],
      ['open:warning@300s', 'resolve@420s'],
    ],
    [
      'humidity: both sides hold one episode',
      HUM,
      () => [
        ...steady(0, 6 * MIN, 65, MIN, 'humidity'),
        at(6 * MIN, 20, 'humidity'),
        at(7 * MIN, 33, 'humidity'),
      ],
      ['open:warning@300s', 'resolve@420s'],
    ],
    [
      'ignores readings of other sensors',
      CO2,
      () => [...steady(0, 3 * MIN, 1100), ...steady(0, 3 * MIN, 5, 30 * S, 'temperature')],
      ['open:warning@120s'],
    ],
  ])('%s', (_name, rule, make, expected) => {
    expect(kinds(rule, make())).toEqual(expected);
  });

  it('reports the lowest value as the peak of a cold alert', () => {
    const r = evaluateThreshold(TEMP, undefined, [
      ...steady(0, 6 * MIN, 17, 30 * S, 'temperature'),
      at(6 * MIN, 15.5, 'temperature'),
      at(7 * MIN, 19, 'temperature'),
    ]);
    expect(r.actions.at(-1)).toMatchObject({ type: 'resolve', value: 19, peak: 15.5 });
  });

  it('skips and counts readings at or before the last evaluated event time', () => {
    const first = evaluateThreshold(CO2, undefined, steady(0, 3 * MIN, 1100));
    const late = [at(MIN, 800), at(2 * MIN + 30 * S, 800), at(2 * MIN + 30 * S, 850)];
    const again = evaluateThreshold(CO2, first.state, [...late, at(3 * MIN, 800)]);
    expect(again.skippedOutOfOrder).toBe(3);
    expect(again.actions).toEqual([
      { type: 'resolve', ruleId: 'co2-high', deviceId: 'dev-1', atMs: T0 + 3 * MIN, value: 800, peak: 1100 },
    ]);
  });

  it('treats a second reading in the same millisecond as out of order', () => {
    const r = evaluateThreshold(CO2, undefined, [at(0, 1100), at(0, 800), at(2 * MIN, 1100)]);
    expect(r.skippedOutOfOrder).toBe(1);
    expect(r.actions).toHaveLength(1);
  });

  it('moves only the clock on quiet readings, skipping a repeat of the same millisecond among them', () => {
    const r = evaluateThreshold(CO2, undefined, [at(0, 800), at(0, 810), at(30 * S, 820)]);
    expect(r).toEqual({
      state: { ...INITIAL_THRESHOLD_STATE, lastTsMs: T0 + 30 * S },
      actions: [],
      skippedOutOfOrder: 1,
      changed: true,
    });
    // The quiet clock judges the next reading of the same call too.
    expect(evaluateThreshold(CO2, r.state, [at(30 * S, 1100), at(31 * S, 1100)]).skippedOutOfOrder).toBe(1);
  });

  it('resolves an open alert on a normal reading even when its stored state holds no level', () => {
    // E.g. a state stored before its rule's levels changed: a normal reading is not quiet while one is open.
    const state = {
      ...INITIAL_THRESHOLD_STATE,
      lastTsMs: T0,
      open: { severity: 'warning' as const, openedAtMs: T0, peak: 1100 },
    };
    const r = evaluateThreshold(CO2, state, [at(30 * S, 800)]);
    expect(r.actions).toEqual([
      { type: 'resolve', ruleId: 'co2-high', deviceId: 'dev-1', atMs: T0 + 30 * S, value: 800, peak: 1100 },
    ]);
    expect(r.state.open).toBeNull();
  });

  it('changes nothing when every reading was already evaluated', () => {
    const readings = steady(0, 3 * MIN, 1100);
    const first = evaluateThreshold(CO2, undefined, readings);
    const replay = evaluateThreshold(CO2, first.state, readings);
    expect(replay).toEqual({
      state: first.state,
      actions: [],
      skippedOutOfOrder: readings.length,
      changed: false,
    });
    expect(evaluateThreshold(CO2, undefined, [])).toEqual({
      state: INITIAL_THRESHOLD_STATE,
      actions: [],
      skippedOutOfOrder: 0,
      changed: false,
    });
  });

  it('refuses readings of several devices in one call', () => {
    expect(() => evaluateThreshold(CO2, undefined, [at(0, 1), { ...at(1, 1), deviceId: 'dev-2' }])).toThrow(
      /one device per call/,
    );
  });

  it('names the trigger crossed on the side the value lies (cold room: the lower one)', () => {
    const cold = evaluateThreshold(
      rule('temperature'),
      undefined,
      steady(0, 6 * MIN, 17.5, 30 * S, 'temperature'),
    );
    expect(cold.actions[0]).toMatchObject({ type: 'open', value: 17.5, threshold: 18 });
    const warm = evaluateThreshold(
      rule('temperature'),
      undefined,
      steady(0, 6 * MIN, 26.5, 30 * S, 'temperature'),
    );
    expect(warm.actions[0]).toMatchObject({ type: 'open', value: 26.5, threshold: 26 });
  });

  it('uses a configured message template', () => {
    const custom = { ...CO2, message: '{severity}: CO2 {value} {unit} in {zoneId} (over {threshold})' };
    expect(evaluateThreshold(custom, undefined, steady(0, 3 * MIN, 1234.567)).actions[0]).toMatchObject({
      message: 'warning: CO2 1234.57 ppm in zone-1 (over 1000)',
    });
  });

  it.each([
    ['another version', { ...INITIAL_THRESHOLD_STATE, v: 2 }, /v/],
    ['a non-object', 'x', /root/],
    ['an unknown severity', { ...INITIAL_THRESHOLD_STATE, heldSinceMs: { fatal: 1 } }, /heldSinceMs/],
  ])('refuses a stored state of %s', (_name, json, problem) => {
    const parsed = parseThresholdState(json);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});

// Issue 14, item 5: a person resolving an alert while its condition held left the engine believing in an
// open alert: no new alert ever opened for the episode, and its escalation updated no row (lost).
describe('rearmAfterPersonResolved', () => {
  /** Feeds `readings`, a person resolves whatever is open, then `after` is fed to the re-armed state. */
  function resolvedByPersonBetween(readings: AlertReading[], after: AlertReading[]) {
    const before = evaluateThreshold(CO2, undefined, readings);
    expect(before.state.open).not.toBeNull();
    return evaluateThreshold(CO2, rearmAfterPersonResolved(CO2, before.state), after);
  }

  it('opens a new alert when the condition still holds for the rule duration after the resolve', () => {
    // warning opens at 2 min; the person resolves after the reading at 3 min; still 1100 afterwards
    const out = resolvedByPersonBetween(
      steady(0, 3 * MIN + 1, 1100),
      steady(3 * MIN + 30 * S, 6 * MIN, 1100),
    );
    expect(out.actions).toEqual([
      expect.objectContaining({ type: 'open', severity: 'warning', atMs: T0 + 5 * MIN }),
    ]);
    expect(out.state.open).toEqual({ severity: 'warning', openedAtMs: T0 + 5 * MIN, peak: 1100 });
  });

  it('opens nothing when the condition clears after the resolve, and applies no cooldown', () => {
    const cleared = resolvedByPersonBetween(
      steady(0, 3 * MIN + 1, 1100),
      steady(3 * MIN + 30 * S, 5 * MIN, 850),
    );
    expect(cleared.actions).toEqual([]); // no resolve of an alert that no longer exists
    expect(cleared.state).toMatchObject({ open: null, heldSinceMs: {}, cooldownUntilMs: null });
  });

  it('never loses an escalation: a critical level building at the resolve opens when it would have escalated', () => {
    // warning opens at 2 min; 1600 from 2.5 min (critical held since then); resolved after 3 min
    const out = resolvedByPersonBetween(
      [...steady(0, 2 * MIN + 1, 1100), ...steady(2 * MIN + 30 * S, 3 * MIN + 1, 1600)],
      steady(3 * MIN + 30 * S, 6 * MIN, 1600),
    );
    // critical sustained at 4.5 min, as the escalation would have been; the warning clock restarted at 3 min
    expect(out.actions).toEqual([
      expect.objectContaining({ type: 'open', severity: 'critical', atMs: T0 + 4 * MIN + 30 * S }),
    ]);
  });

  it('escalates the new alert later, as any other', () => {
    const out = resolvedByPersonBetween(steady(0, 3 * MIN + 1, 1100), [
      ...steady(3 * MIN + 30 * S, 5 * MIN + 1, 1100),
      ...steady(5 * MIN + 30 * S, 8 * MIN, 1600),
    ]);
    expect(out.actions.map((a) => [a.type, 'severity' in a ? a.severity : null, a.atMs - T0])).toEqual([
      ['open', 'warning', 5 * MIN],
      ['escalate', 'critical', 7 * MIN + 30 * S],
    ]);
  });

  it('leaves a state without an open alert as it is', () => {
    const state = evaluateThreshold(CO2, undefined, steady(0, MIN, 1100)).state;
    expect(rearmAfterPersonResolved(CO2, state)).toBe(state);
    expect(rearmAfterPersonResolved(CO2, INITIAL_THRESHOLD_STATE)).toBe(INITIAL_THRESHOLD_STATE);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DEFAULT_ALERT_RULES,
  describeRules,
  parseAlertRules,
  rulesForSensor,
  silenceRules,
} from '../../../services/processor/src/domain/alerts';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 2_000);
const EXAMPLE_FILE = join(__dirname, '../../../services/processor/alert-rules.example.json');

const co2 = {
  kind: 'threshold',
  id: 'co2-high',
  sensorType: 'co2',
  levels: [
    { severity: 'warning', above: { trigger: 1000, clear: 900 } },
    { severity: 'critical', above: { trigger: 1500, clear: 1400 } },
  ],
  forMs: 120_000,
  cooldownMs: 300_000,
};
const temp = {
  kind: 'threshold',
  id: 'temp',
  sensorType: 'temperature',
  levels: [{ severity: 'warning', below: { trigger: 18, clear: 18.5 }, above: { trigger: 26, clear: 25.5 } }],
  forMs: 0,
  cooldownMs: 0,
};
const level = (severity: string, above: [number, number]) => ({
  severity,
  above: { trigger: above[0], clear: above[1] },
});

describe('parseAlertRules', () => {
  it('accepts the built-in defaults unchanged and deep-freezes the result', () => {
    const parsed = parseAlertRules({ rules: DEFAULT_ALERT_RULES });
    expect(parsed).toEqual({ ok: true, rules: DEFAULT_ALERT_RULES });
    expect(Object.isFrozen(DEFAULT_ALERT_RULES[0])).toBe(true);
    if (parsed.ok) expect(Object.isFrozen(parsed.rules[0])).toBe(true);
  });

  it('reads services/processor/alert-rules.example.json as exactly the defaults', () => {
    const parsed = parseAlertRules(JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')));
    expect(parsed).toEqual({ ok: true, rules: DEFAULT_ALERT_RULES });
  });

  it('fills in the silence rule defaults', () => {
    expect(parseAlertRules({ rules: [{ kind: 'silence' }] })).toEqual({
      ok: true,
      rules: [{ kind: 'silence', id: 'device-silent', silentMs: 300_000, severity: 'warning' }],
    });
  });

  it('accepts an empty rule set (alerting off)', () => {
    expect(parseAlertRules({ rules: [] })).toEqual({ ok: true, rules: [] });
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object', [], /^\(root\): /],
    ['a file without rules', {}, /^rules: /],
    ['an unknown top-level key', { rules: [], rule: [] }, /rule/],
    ['a misspelt option', { rules: [{ ...co2, forMS: 1 }] }, /^rules\[0\] \(co2-high\): .*forMS/],
    ['an unknown kind', { rules: [{ ...co2, kind: 'rate' }] }, /^rules\[0\] \(co2-high\)\.kind: /],
    ['an unknown sensor type', { rules: [{ ...co2, sensorType: 'noise' }] }, /\.sensorType: /],
    ['an upper-case id', { rules: [{ ...co2, id: 'CO2' }] }, /\.id: must be 1-64 lower-case/],
    ['a negative duration', { rules: [{ ...co2, forMs: -1 }] }, /\.forMs: /],
    [
      'a fractional duration',
      { rules: [{ ...co2, cooldownMs: 1.5 }] },
      /\.cooldownMs: must be a whole number/,
    ],
    [
      'a zero silentMs',
      { rules: [{ kind: 'silence', silentMs: 0 }] },
      /\(device-silent\)\.silentMs: must be more than 0/,
    ],
    ['no levels', { rules: [{ ...co2, levels: [] }] }, /\.levels: /],
    [
      'a level without sides',
      { rules: [{ ...co2, levels: [{ severity: 'warning' }] }] },
      /needs "above", "below"/,
    ],
    [
      'duplicate ids',
      { rules: [co2, { ...temp, id: 'co2-high' }] },
      /^rules\[1\] \(co2-high\)\.id: .*must be unique/,
    ],
    [
      'an above clear over its trigger',
      { rules: [{ ...co2, levels: [level('warning', [1000, 1100])] }] },
      /levels\[0\]\.above\.clear: must be below above\.trigger \(1000\)/,
    ],
    [
      'an above clear equal to its trigger',
      { rules: [{ ...co2, levels: [level('warning', [1000, 1000])] }] },
      /does not flap/,
    ],
    [
      'a below clear under its trigger',
      { rules: [{ ...temp, levels: [{ severity: 'warning', below: { trigger: 18, clear: 17 } }] }] },
      /levels\[0\]\.below\.clear: must be above below\.trigger \(18\)/,
    ],
    [
      'overlapping sides',
      {
        rules: [
          {
            ...temp,
            levels: [
              { severity: 'warning', below: { trigger: 18, clear: 26 }, above: { trigger: 26, clear: 25.5 } },
            ],
          },
        ],
      },
      /below\.clear: must be below above\.clear \(25\.5\)/,
    ],
    [
      'a threshold outside the sensor range',
      { rules: [{ ...co2, levels: [level('warning', [20_000, 900])] }] },
      /outside the co2 range 0\.\.10000 ppm/,
    ],
    [
      'a critical trigger not beyond the warning one',
      { rules: [{ ...co2, levels: [level('warning', [1000, 900]), level('critical', [1000, 950])] }] },
      /levels\[1\]\.above\.trigger: must be beyond the warning trigger \(1000\)/,
    ],
    [
      'a critical clear inside the warning one',
      { rules: [{ ...co2, levels: [level('warning', [1000, 900]), level('critical', [1500, 800])] }] },
      /levels\[1\]\.above\.clear: must not be inside the warning clear \(900\)/,
    ],
    [
      'levels out of order',
      { rules: [{ ...co2, levels: [level('critical', [1500, 1400]), level('warning', [1000, 900])] }] },
      /"warning" must be more severe than "critical"/,
    ],
    [
      'the same severity twice',
      { rules: [{ ...co2, levels: [level('warning', [1000, 900]), level('warning', [1500, 1400])] }] },
      /more severe/,
    ],
    [
      'a critical side the warning level lacks',
      {
        rules: [
          {
            ...temp,
            levels: [
              { severity: 'warning', above: { trigger: 26, clear: 25 } },
              { severity: 'critical', below: { trigger: 10, clear: 12 } },
            ],
          },
        ],
      },
      /levels\[1\]\.below: the warning level before it needs "below" too/,
    ],
    [
      'an unknown placeholder',
      { rules: [{ ...co2, message: '{device} at {value}' }] },
      /unknown placeholder\(s\) \{device\}; use ruleId/,
    ],
    [
      'a value placeholder in a silence message',
      { rules: [{ kind: 'silence', message: '{value}' }] },
      /\{value\}/,
    ],
  ])('refuses %s', (_name, json, problem) => {
    const parsed = parseAlertRules(json);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it('reports every problem of every rule at once', () => {
    const parsed = parseAlertRules({
      rules: [
        { ...co2, forMs: -1 },
        { ...temp, levels: [{ severity: 'warning', above: { trigger: 26, clear: 27 } }] },
        co2,
        co2,
      ],
    });
    expect(parsed).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^rules\[0\] \(co2-high\)\.forMs: /),
        expect.stringMatching(/^rules\[1\] \(temp\)\.levels\[0\]\.above\.clear: /),
        expect.stringMatching(/^rules\[3\] \(co2-high\)\.id: .*unique/),
      ],
    });
  });

  it('never throws, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ rules: fc.array(fc.jsonValue()) })), (json) => {
        const parsed = parseAlertRules(json);
        expect(parsed.ok ? parsed.rules : parsed.problems.length).toBeTruthy();
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('rule helpers', () => {
  it('picks the value rules of a sensor and the silence rules', () => {
    expect(rulesForSensor(DEFAULT_ALERT_RULES, 'co2').map((r) => r.id)).toEqual(['co2-high']);
    expect(rulesForSensor(DEFAULT_ALERT_RULES, 'occupancy')).toEqual([]);
    expect(silenceRules(DEFAULT_ALERT_RULES).map((r) => r.id)).toEqual(['device-silent']);
  });

  it('describes the defaults for the README', () => {
    expect(describeRules(DEFAULT_ALERT_RULES).split('\n')).toEqual([
      '- `co2-high` (co2): warning above 1000 ppm (clears at or below 900 ppm), critical above 1500 ppm (clears at or below 1400 ppm); sustained 2m; cooldown 5m. Stale air: ventilation is not keeping up with occupancy.',
      '- `temperature-comfort` (temperature): warning below 18 C (clears at or above 18.5 C) or above 26 C (clears at or below 25.5 C); sustained 5m; cooldown 10m. Room temperature outside the comfort range.',
      '- `humidity-comfort` (humidity): warning below 30 % (clears at or above 32 %) or above 60 % (clears at or below 58 %); sustained 5m; cooldown 10m. Relative humidity outside the comfort range (dry air or mould risk).',
      '- `device-silent`: warning when a device has sent nothing for more than 5m of event time; resolved by its next reading. A device stopped reporting: power, battery or network.',
    ]);
  });

  it('says when timings are zero or there are no rules', () => {
    const parsed = parseAlertRules({ rules: [temp] });
    expect(parsed.ok && describeRules(parsed.rules)).toMatch(/opens on the first reading; no cooldown\.$/);
    expect(describeRules([])).toBe('- (no alert rules: alerting is off)');
  });
});

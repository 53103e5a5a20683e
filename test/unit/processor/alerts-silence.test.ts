import {
  DEFAULT_ALERT_RULES,
  findSilentDevices,
  resolveSilence,
  silenceRules,
  type DeviceLiveness,
  type SilenceRule,
} from '../../../services/processor/src/domain/alerts';

const RULE = silenceRules(DEFAULT_ALERT_RULES)[0] as SilenceRule;
const NOW = Date.UTC(2024, 4, 1, 12); // the partition's event time, epoch ms
const MIN = 60_000; // ms

const device = (deviceId: string, silentForMs: number, hasOpenAlert = false): DeviceLiveness => ({
  deviceId,
  siteId: 'site-1',
  zoneId: 'zone-1',
  lastSeenMs: NOW - silentForMs,
  hasOpenAlert,
});

describe('findSilentDevices', () => {
  it.each<[string, DeviceLiveness, boolean]>([
    ['a device seen just now', device('d', 0), false],
    ['a device silent for exactly silentMs', device('d', 5 * MIN), false],
    ['a device silent one millisecond longer', device('d', 5 * MIN + 1), true],
    ['a device silent for an hour', device('d', 60 * MIN), true],
    ['a silent device that already has an alert', device('d', 60 * MIN, true), false],
    ['a device ahead of the reference (another partition ran ahead)', device('d', -MIN), false],
  ])('%s -> alert: %p', (_name, d, expected) => {
    expect(findSilentDevices(RULE, [d], NOW).length).toBe(expected ? 1 : 0);
  });

  it('opens at the event time the device became silent, in input order', () => {
    const actions = findSilentDevices(
      RULE,
      [device('b', 20 * MIN), device('a', MIN), device('c', 6 * MIN)],
      NOW,
    );
    expect(actions).toEqual([
      {
        type: 'open',
        ruleId: 'device-silent',
        deviceId: 'b',
        siteId: 'site-1',
        zoneId: 'zone-1',
        severity: 'warning',
        atMs: NOW - 15 * MIN,
        lastSeenMs: NOW - 20 * MIN,
        message: 'no reading from b (site-1/zone-1) for more than 5m; last at 2024-05-01T11:40:00.000Z',
      },
      expect.objectContaining({ deviceId: 'c', atMs: NOW - MIN }),
    ]);
  });

  it('uses the configured id, duration, severity and message', () => {
    const rule: SilenceRule = {
      kind: 'silence',
      id: 'gone',
      silentMs: 60 * MIN,
      severity: 'critical',
      message: '{deviceId} gone {silentFor}',
    };
    expect(findSilentDevices(rule, [device('d', 30 * MIN), device('e', 61 * MIN)], NOW)).toEqual([
      expect.objectContaining({ ruleId: 'gone', deviceId: 'e', severity: 'critical', message: 'e gone 1h' }),
    ]);
  });
});

describe('resolveSilence', () => {
  it('resolves an open silence alert at the first new reading', () => {
    expect(resolveSilence(RULE, { deviceId: 'd', hasOpenAlert: true }, NOW)).toEqual({
      type: 'resolve',
      ruleId: 'device-silent',
      deviceId: 'd',
      atMs: NOW,
    });
  });

  it('does nothing for a device without one', () => {
    expect(resolveSilence(RULE, { deviceId: 'd', hasOpenAlert: false }, NOW)).toBeNull();
  });
});

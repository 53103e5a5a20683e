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
  personResolvedOpenedAtMs: null,
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

// Issue 14, item 5: a silence alert resolved by a person used to be reopened by the next batch, for the
// same silence, again and again until the device spoke.
describe('findSilentDevices after a person resolved the alert', () => {
  const silentFor = 20 * MIN; // silent since NOW - 20 min; its alert opened at NOW - 15 min
  const withDismissed = (openedAtMs: number | null): DeviceLiveness => ({
    ...device('d', silentFor),
    personResolvedOpenedAtMs: openedAtMs,
  });

  it.each<[string, number | null, boolean]>([
    ['no alert was ever resolved by a person', null, true],
    ['a person resolved the alert of this silence', NOW - 15 * MIN, false],
    ['a person resolved an alert of an earlier silence', NOW - 15 * MIN - 1, true],
    ['a person resolved one of an earlier silence long ago', NOW - 30 * 24 * 60 * MIN, true],
  ])('%s -> alert: %p', (_name, openedAtMs, expected) => {
    expect(findSilentDevices(RULE, [withDismissed(openedAtMs)], NOW).length).toBe(expected ? 1 : 0);
  });

  it('stays dismissed however far the partition clock moves, until the device speaks again', () => {
    const dismissed = withDismissed(NOW - 15 * MIN);
    for (const later of [NOW, NOW + MIN, NOW + 24 * 60 * MIN]) {
      expect(findSilentDevices(RULE, [dismissed], later)).toEqual([]);
    }
    // It spoke at NOW + 1 min and went silent again: a new silence, a new alert at NOW + 6 min.
    const spoke = { ...dismissed, lastSeenMs: NOW + MIN };
    expect(findSilentDevices(RULE, [spoke], NOW + 7 * MIN)).toEqual([
      expect.objectContaining({ deviceId: 'd', atMs: NOW + 6 * MIN }),
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

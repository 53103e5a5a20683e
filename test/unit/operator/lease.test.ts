import { leaseStep, microTime, releasedLease } from '../../../services/operator/src/domain/lease';

const NOW = Date.parse('2026-11-27T10:00:30Z');
const held = (holder: string, renewedSecondsAgo: number, transitions = 2) => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: '2026-11-27T09:00:00.000000Z',
  renewTime: microTime(NOW - renewedSecondsAgo * 1000),
  leaseTransitions: transitions,
});

describe('leaseStep', () => {
  it.each([
    ['no Lease yet: create it', undefined, 'a', 'create', 0],
    ['our own Lease: renew it, keeping the acquire time', held('a', 5), 'a', 'renew', 2],
    ['another holder renewing: follow', held('b', 5), 'a', 'follow', undefined],
    ['another holder silent past the duration: take over', held('b', 16), 'a', 'takeover', 3],
    ['exactly at expiry: take over', held('b', 15), 'a', 'takeover', 3],
    [
      'released (no holder): take over at once',
      { ...held('', 0), leaseDurationSeconds: 1 },
      'a',
      'takeover',
      3,
    ],
  ])('%s', (_what, lease, me, kind, transitions) => {
    const step = leaseStep(lease, me, NOW, 15_000);
    expect(step.kind).toBe(kind);
    if (step.kind === 'follow') {
      expect(step.holder).toBe('b');
    } else {
      expect(step.spec).toMatchObject({
        holderIdentity: me,
        leaseDurationSeconds: 15,
        leaseTransitions: transitions,
      });
      expect(step.spec.renewTime).toBe('2026-11-27T10:00:30.000000Z');
    }
  });

  it('keeps the acquire time when renewing and resets it when taking over', () => {
    const renew = leaseStep(held('a', 1), 'a', NOW, 15_000);
    const take = leaseStep(held('b', 60), 'a', NOW, 15_000);
    expect(renew.kind !== 'follow' && renew.spec.acquireTime).toBe('2026-11-27T09:00:00.000000Z');
    expect(take.kind !== 'follow' && take.spec.acquireTime).toBe('2026-11-27T10:00:30.000000Z');
  });

  it('releases by clearing the holder, so a standby takes over on its next try', () => {
    const released = releasedLease(held('a', 1), NOW);
    expect(leaseStep(released, 'b', NOW + 1, 15_000).kind).toBe('takeover');
  });
});

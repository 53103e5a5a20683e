/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews `renewTime`;
 * anyone may take a Lease whose holder has not renewed it for `leaseDurationSeconds`. Every write carries
 * the resourceVersion read, so of two replicas racing for the same Lease the API server accepts one (the
 * other gets 409 Conflict and stays a follower).
 */

export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

export type LeaseStep =
  | { readonly kind: 'create'; readonly spec: LeaseSpec }
  | { readonly kind: 'renew'; readonly spec: LeaseSpec }
  | { readonly kind: 'takeover'; readonly spec: LeaseSpec }
  | { readonly kind: 'follow'; readonly holder: string };

/** RFC 3339 with microseconds, the MicroTime format the API server expects. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** What replica `me` should do with the Lease as read (undefined: it does not exist). */
export function leaseStep(
  lease: LeaseSpec | undefined,
  me: string,
  now: number,
  durationMs: number,
): LeaseStep {
  const seconds = Math.ceil(durationMs / 1000);
  const fresh = (transitions: number, acquired = now): LeaseSpec => ({
    holderIdentity: me,
    leaseDurationSeconds: seconds,
    acquireTime: microTime(acquired),
    renewTime: microTime(now),
    leaseTransitions: transitions,
  });
  if (lease === undefined) return { kind: 'create', spec: fresh(0) };
  const transitions = lease.leaseTransitions ?? 0;
  if (lease.holderIdentity === me) {
    const acquired = lease.acquireTime ? Date.parse(lease.acquireTime) : now;
    return { kind: 'renew', spec: fresh(transitions, acquired) };
  }
  const renewed = lease.renewTime ? Date.parse(lease.renewTime) : 0;
  const expiresAt = renewed + (lease.leaseDurationSeconds ?? 0) * 1000;
  if (!lease.holderIdentity || expiresAt <= now) return { kind: 'takeover', spec: fresh(transitions + 1) };
  return { kind: 'follow', holder: lease.holderIdentity };
}

/** The Lease spec a leader writes on a clean stop, so a standby takes over at once instead of waiting. */
export function releasedLease(lease: LeaseSpec, now: number): LeaseSpec {
  return { ...lease, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) };
}

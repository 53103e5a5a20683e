import { SPEC_HASH_ANNOTATION } from '../../../services/operator/src/domain/names';
import { contains, reconcile, type Action } from '../../../services/operator/src/domain/reconcile';
import { FINALIZER, type KubeObject } from '../../../services/operator/src/domain/types';
import { applied, byKind, edited, MINIMAL_SPEC, pipeline, present } from './fixtures';

const summary = (actions: readonly Action[]) =>
  actions.map((a) =>
    a.type === 'apply' || a.type === 'delete'
      ? `${a.type}:${a.reason}:${a.object.kind}/${a.object.metadata.name}`
      : a.type,
  );

/** What the API server adds to what was applied: defaults, status, uid, resourceVersion. */
function asStored(o: KubeObject): KubeObject {
  return edited(o, (c) => {
    Object.assign(c.metadata, { uid: `uid-${c.metadata.name}`, resourceVersion: '7', generation: 1 });
    if (c.kind === 'Deployment') {
      const spec = c.spec as {
        strategy?: unknown;
        template: { spec: { containers: Record<string, unknown>[] } };
      };
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      spec.template.spec.containers.forEach((ctr) => (ctr.terminationMessagePath = '/dev/termination-log'));
      (c as { status?: unknown }).status = { readyReplicas: 1 };
    }
  });
}

const live = pipeline();
const stored = applied(live).map(asStored);
const SIM_ON = { ...MINIMAL_SPEC, simulator: { enabled: true } };

describe('reconcile', () => {
  it.each<[string, ReturnType<typeof pipeline>, KubeObject[], string[]]>([
    [
      'fresh create: finalizer first, then every object',
      pipeline(MINIMAL_SPEC, { finalizers: [] }),
      [],
      [
        'addFinalizer',
        'apply:create:ServiceAccount/lobby-workload',
        'apply:create:Deployment/lobby-processor',
        'apply:create:Service/lobby-processor',
        'apply:create:Deployment/lobby-api',
        'apply:create:Service/lobby-api',
      ],
    ],
    ['in sync, with server defaults and status added: nothing to do', live, stored, []],
    [
      'spec change: the simulator switched on is created, the rest stays',
      pipeline(SIM_ON),
      stored,
      ['apply:create:Deployment/lobby-simulator'],
    ],
    [
      'spec change: the simulator switched off is deleted',
      live,
      applied(pipeline(SIM_ON)).map(asStored),
      ['delete:obsolete:Deployment/lobby-simulator'],
    ],
    [
      'spec change: a new image tag updates every Deployment',
      pipeline({ ...MINIMAL_SPEC, image: { tag: '2.0.0' } }),
      stored,
      ['apply:update:Deployment/lobby-processor', 'apply:update:Deployment/lobby-api'],
    ],
    [
      'drift: an image edited by hand is put back',
      live,
      stored.map((o) =>
        o.metadata.name === 'lobby-api' && o.kind === 'Deployment'
          ? edited(o, (c) => {
              (
                c.spec as { template: { spec: { containers: { image: string }[] } } }
              ).template.spec.containers = [{ image: 'evil/api:1' }];
            })
          : o,
      ),
      ['apply:drift:Deployment/lobby-api'],
    ],
    [
      'drift: a Deployment deleted by hand is recreated',
      live,
      stored.filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'lobby-processor')),
      ['apply:create:Deployment/lobby-processor'],
    ],
    [
      'an env var added by hand is not the operator to remove (apply would keep it): nothing to do',
      live,
      stored.map((o) =>
        o.kind === 'Deployment' && o.metadata.name === 'lobby-api'
          ? edited(o, (c) => {
              const ctr = (c.spec as { template: { spec: { containers: { env: unknown[] }[] } } }).template
                .spec.containers[0];
              present(ctr).env.push({ name: 'NODE_OPTIONS', value: '--trace-warnings' });
            })
          : o,
      ),
      [],
    ],
    [
      'a spec change that only removes an env var still updates (the spec hash differs)',
      pipeline(MINIMAL_SPEC),
      applied(
        pipeline({
          ...MINIMAL_SPEC,
          alertRules: [{ kind: 'silence', id: 'quiet', silentMs: 60000 }],
        }),
      )
        .filter((o) => o.kind !== 'ConfigMap')
        .map(asStored),
      ['apply:update:Deployment/lobby-processor'],
    ],
    [
      'drift: a label removed by hand is restored',
      live,
      stored.map((o) =>
        o.kind === 'Service' && o.metadata.name === 'lobby-api'
          ? edited(o, (c) => Object.assign(c.metadata, { labels: {} }))
          : o,
      ),
      ['apply:drift:Service/lobby-api'],
    ],
    [
      'deletion with the finalizer: every owned object is deleted first',
      pipeline(MINIMAL_SPEC, { deletionTimestamp: '2026-11-27T10:00:00Z' }),
      stored.slice(0, 2),
      ['delete:cleanup:ServiceAccount/lobby-workload', 'delete:cleanup:Deployment/lobby-processor'],
    ],
    [
      'deletion with the finalizer: objects already going are waited for, not deleted again',
      pipeline(MINIMAL_SPEC, { deletionTimestamp: '2026-11-27T10:00:00Z' }),
      [
        edited(present(stored[0]), (c) =>
          Object.assign(c.metadata, { deletionTimestamp: '2026-11-27T10:00:01Z' }),
        ),
      ],
      [],
    ],
    [
      'deletion with the finalizer: nothing left, the finalizer goes',
      pipeline(MINIMAL_SPEC, { deletionTimestamp: '2026-11-27T10:00:00Z' }),
      [],
      ['removeFinalizer'],
    ],
    [
      'deletion after the finalizer went: nothing to do',
      pipeline(MINIMAL_SPEC, { deletionTimestamp: '2026-11-27T10:00:00Z', finalizers: [] }),
      stored,
      [],
    ],
  ])('%s', (_what, p, observed, expected) => {
    const objects = p.metadata.deletionTimestamp ? [] : applied(p);
    expect(summary(reconcile({ pipeline: p.metadata, objects }, observed))).toEqual(expected);
  });

  it('takes quantities the API server rewrote in canonical form for what was applied, not for drift', () => {
    const p = pipeline({
      ...MINIMAL_SPEC,
      processor: { resources: { requests: { cpu: 0.5, memory: '0.5Gi' }, limits: { cpu: '1000m' } } },
    });
    const canonical = applied(p)
      .map(asStored)
      .map((o) =>
        o.kind === 'Deployment' && o.metadata.name === 'lobby-processor'
          ? edited(o, (c) => {
              const ctr = (c.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
                .template.spec.containers[0];
              Object.assign(present(ctr), {
                resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1' } },
              });
            })
          : o,
      );
    expect(summary(reconcile({ pipeline: p.metadata, objects: applied(p) }, canonical))).toEqual([]);
    const raised = canonical.map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'lobby-processor'
        ? edited(o, (c) => {
            const ctr = (c.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template
              .spec.containers[0];
            Object.assign(present(ctr), { resources: { requests: { cpu: '2', memory: '512Mi' } } });
          })
        : o,
    );
    expect(summary(reconcile({ pipeline: p.metadata, objects: applied(p) }, raised))).toEqual([
      'apply:drift:Deployment/lobby-processor',
    ]);
  });

  it('tells a spec change from drift by the hash the operator stamped', () => {
    const d = byKind(applied(live), 'Deployment', 'lobby-api');
    expect(d.metadata.annotations?.[SPEC_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    const next = byKind(
      applied(pipeline({ ...MINIMAL_SPEC, api: { replicas: 3 } })),
      'Deployment',
      'lobby-api',
    );
    expect(next.metadata.annotations?.[SPEC_HASH_ANNOTATION]).not.toBe(
      d.metadata.annotations?.[SPEC_HASH_ANNOTATION],
    );
  });

  it('keeps the finalizer constant in one place', () => {
    expect(FINALIZER).toBe('telemetrypulse.io/cleanup');
  });
});

describe('contains', () => {
  it.each([
    ['extra keys in the actual object', { a: 1, b: 2 }, { a: 1 }, true],
    ['a differing scalar', { a: 1 }, { a: 2 }, false],
    ['a missing key', {}, { a: 1 }, false],
    ['lists of different length', { l: [1, 2] }, { l: [1] }, false],
    [
      'a named item someone else added (server-side apply keeps it)',
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'EXTRA', value: 'x' },
        ],
      },
      { env: [{ name: 'A', value: '1' }] },
      true,
    ],
    [
      'named items in another order',
      {
        env: [
          { name: 'B', value: '2' },
          { name: 'A', value: '1' },
        ],
      },
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      true,
    ],
    [
      'a named item removed',
      { env: [{ name: 'A', value: '1' }] },
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      false,
    ],
    [
      'a named item changed',
      { env: [{ name: 'A', value: 'hijacked' }] },
      { env: [{ name: 'A', value: '1' }] },
      false,
    ],
    ['unnamed items: more is a difference', { l: [{ x: 1 }, { x: 2 }] }, { l: [{ x: 1 }] }, false],
    ['list items compared in order, each as a subset', { l: [{ x: 1, y: 2 }] }, { l: [{ x: 1 }] }, true],
    ['a number the server wrote as text', { port: '1' }, { port: 1 }, true],
    [
      'a resource quantity in canonical form',
      { resources: { requests: { cpu: '500m' } } },
      { resources: { requests: { cpu: 0.5 } } },
      true,
    ],
    [
      'a limit in canonical form',
      { resources: { limits: { memory: '512Mi' } } },
      { resources: { limits: { memory: '0.5Gi' } } },
      true,
    ],
    [
      'a resource quantity of another amount',
      { resources: { requests: { cpu: '1' } } },
      { resources: { requests: { cpu: '500m' } } },
      false,
    ],
    [
      'a resource quantity gone',
      { resources: { requests: {} } },
      { resources: { requests: { cpu: '1' } } },
      false,
    ],
    ['amounts elsewhere compare by text', { data: { cpu: '500m' } }, { data: { cpu: '0.5' } }, false],
    ['an object where a list is wanted', { l: {} }, { l: [] }, false],
    ['null wanted, value present', { a: 1 }, { a: null }, false],
  ])('%s', (_what, actual, wanted, expected) => {
    expect(contains(actual, wanted)).toBe(expected);
  });
});

import {
  CRASH_RECENT_MS,
  deploymentProblems,
  LAST_WORDS_MAX,
  lastWords,
  podProblems,
} from '../../../services/operator/src/domain/health';
import type { KubeObject } from '../../../services/operator/src/domain/types';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const ago = (ms: number) => new Date(T0 - ms).toISOString();

type ContainerStatus = Record<string, unknown>;

function pod(name: string, component: string, statuses: ContainerStatus[], meta = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'buildings',
      labels: { 'app.kubernetes.io/component': component, 'telemetrypulse.io/pipeline': 'lobby' },
      ...meta,
    },
    status: { containerStatuses: statuses },
  };
}

const crashed = (restartCount: number, waiting?: string, finishedAt = ago(5_000)): ContainerStatus => ({
  name: 'processor',
  ready: false,
  restartCount,
  state: waiting
    ? { waiting: { reason: waiting, message: 'back-off 40s restarting failed container' } }
    : { running: {} },
  lastState: {
    terminated: { exitCode: 1, reason: 'Error', message: 'fatal: connection refused', finishedAt },
  },
});

const running: ContainerStatus = { name: 'api', ready: true, restartCount: 0, state: { running: {} } };

describe('podProblems', () => {
  it.each<[string, KubeObject[], string[]]>([
    ['running and ready', [pod('lobby-api-1', 'api', [running])], []],
    ['no status yet (pending)', [{ ...pod('lobby-api-1', 'api', []), status: {} }], []],
    [
      'CrashLoopBackOff after two restarts',
      [pod('lobby-processor-1', 'processor', [crashed(2, 'CrashLoopBackOff')])],
      ['ProcessorCrashLooping'],
    ],
    [
      'one crash only: a dependency may not have been up yet',
      [pod('lobby-processor-1', 'processor', [crashed(1, 'CrashLoopBackOff')])],
      [],
    ],
    [
      'running again between crashes, not ready, last crash recent: still looping',
      [pod('lobby-processor-1', 'processor', [crashed(5)])],
      ['ProcessorCrashLooping'],
    ],
    [
      'restarted long ago, now merely not ready',
      [pod('lobby-processor-1', 'processor', [crashed(5, undefined, ago(CRASH_RECENT_MS + 1))])],
      [],
    ],
    [
      'restarted often but ready again',
      [pod('lobby-processor-1', 'processor', [{ ...crashed(5), ready: true }])],
      [],
    ],
    [
      'ErrImagePull',
      [pod('lobby-api-1', 'api', [{ name: 'api', state: { waiting: { reason: 'ErrImagePull' } } }])],
      ['ApiImagePullFailing'],
    ],
    [
      'ImagePullBackOff',
      [pod('lobby-api-1', 'api', [{ name: 'api', state: { waiting: { reason: 'ImagePullBackOff' } } }])],
      ['ApiImagePullFailing'],
    ],
    [
      'CreateContainerConfigError (a Secret key missing)',
      [
        pod('lobby-simulator-1', 'simulator', [
          { name: 'simulator', state: { waiting: { reason: 'CreateContainerConfigError' } } },
        ]),
      ],
      ['SimulatorConfigInvalid'],
    ],
    [
      'ContainerCreating is only slow',
      [pod('lobby-api-1', 'api', [{ name: 'api', state: { waiting: { reason: 'ContainerCreating' } } }])],
      [],
    ],
    [
      'a pod being deleted is not counted',
      [
        pod('lobby-processor-1', 'processor', [crashed(4, 'CrashLoopBackOff')], {
          deletionTimestamp: ago(1000),
        }),
      ],
      [],
    ],
    [
      'several components: processor first, whatever the pod order',
      [
        pod('lobby-api-1', 'api', [{ name: 'api', state: { waiting: { reason: 'ErrImagePull' } } }]),
        pod('lobby-processor-1', 'processor', [crashed(3, 'CrashLoopBackOff')]),
      ],
      ['ProcessorCrashLooping', 'ApiImagePullFailing'],
    ],
  ])('%s', (_what, pods, reasons) => {
    expect(podProblems(pods, T0).map((p) => p.reason)).toEqual(reasons);
  });

  it("says which pod and container, and what the kubelet or the container's last termination said", () => {
    expect(
      podProblems(
        [
          pod('lobby-processor-1', 'processor', [crashed(3, 'CrashLoopBackOff')]),
          pod('lobby-api-1', 'api', [
            {
              name: 'api',
              state: {
                waiting: {
                  reason: 'CreateContainerConfigError',
                  message: "couldn't find key url in Secret buildings/postgres",
                },
              },
            },
          ]),
        ],
        T0,
      ),
    ).toEqual([
      {
        reason: 'ProcessorCrashLooping',
        message:
          'processor pod lobby-processor-1: container processor restarted 3 times, last exit code 1 (Error): fatal: connection refused',
      },
      {
        reason: 'ApiConfigInvalid',
        message:
          "api pod lobby-api-1: container api CreateContainerConfigError: couldn't find key url in Secret buildings/postgres",
      },
    ]);
  });

  it('makes one problem per component, naming the first pod by name and counting the others', () => {
    const pods = ['c', 'a', 'b'].map((x) =>
      pod(`lobby-processor-${x}`, 'processor', [crashed(3, 'CrashLoopBackOff')]),
    );
    const problems = podProblems(pods, T0);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^processor pod lobby-processor-a: .* \(and 2 more pods\)$/);
    expect(podProblems([...pods].reverse(), T0)).toEqual(problems);
  });
});

describe('lastWords', () => {
  it('picks the fatal line out of a log tail, skipping the stack frames after it', () => {
    const tail = [
      '{"level":"info","time":1,"service":"processor","msg":"connecting to PostgreSQL"}',
      'fatal: error: password authentication failed for user "telemetry"',
      '    at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:285:98)',
      '    at Parser.handlePacket (/app/node_modules/pg-protocol/dist/parser.js:122:29)',
      '',
    ].join('\n');
    expect(lastWords(tail)).toBe('fatal: error: password authentication failed for user "telemetry"');
  });

  it('shows a JSON log line as its level, message and error', () => {
    const line = JSON.stringify({
      level: 'fatal',
      time: 1,
      service: 'processor',
      err: { type: 'Error', message: 'SASL authentication failed', stack: 'Error: SASL…\n  at x' },
      msg: 'kafka broker-0:9092',
    });
    expect(lastWords(`{"level":"info","msg":"starting"}\n${line}\n`)).toBe(
      'fatal: kafka broker-0:9092: SASL authentication failed',
    );
  });

  it('takes the last line when none looks like an error, and cuts long lines', () => {
    expect(lastWords('starting\nlistening on 9464\n')).toBe('listening on 9464');
    const long = lastWords(`error: ${'x'.repeat(1000)}`);
    expect(long).toHaveLength(LAST_WORDS_MAX);
    expect(long.endsWith('…')).toBe(true);
    expect(lastWords('')).toBe('');
  });
});

describe('deploymentProblems', () => {
  const deployment = (generation: number, status: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'lobby-api',
      generation,
      labels: { 'app.kubernetes.io/component': 'api' },
    },
    status,
  });
  const deadline = {
    type: 'Progressing',
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
    message: 'ReplicaSet "lobby-api-7c9" has timed out progressing.',
  };

  it.each<[string, KubeObject, string[]]>([
    [
      'progressing normally',
      deployment(2, {
        observedGeneration: 2,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      }),
      [],
    ],
    [
      'past its progress deadline',
      deployment(2, { observedGeneration: 2, conditions: [deadline] }),
      ['ApiProgressDeadlineExceeded'],
    ],
    [
      'a deadline of a spec since replaced (not observed yet)',
      deployment(3, { observedGeneration: 2, conditions: [deadline] }),
      [],
    ],
    [
      'pods refused (quota)',
      deployment(2, {
        observedGeneration: 2,
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'pods "lobby-api-x" is forbidden: exceeded quota',
          },
        ],
      }),
      ['ApiReplicaFailure'],
    ],
  ])('%s', (_what, d, reasons) => {
    expect(deploymentProblems(d).map((p) => p.reason)).toEqual(reasons);
  });
});

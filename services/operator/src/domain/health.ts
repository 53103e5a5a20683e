import type { Component } from './names';
import type { KubeObject, Problem } from './types';

/**
 * What the pods and Deployments of a pipeline say about it beyond replica counts: a container that keeps
 * crashing, an image that cannot be pulled, a container the kubelet cannot create (a missing Secret key),
 * a rollout past its progress deadline. Each one blocks progress, so it makes the pipeline Stalled.
 */

type ProblemKind = 'CrashLooping' | 'ImagePullFailing' | 'ConfigInvalid';

/** Kubelet waiting reasons that no wait cures: the image or the container's configuration is wrong. */
const WAITING: Readonly<Record<string, ProblemKind>> = {
  ErrImagePull: 'ImagePullFailing',
  ImagePullBackOff: 'ImagePullFailing',
  InvalidImageName: 'ImagePullFailing',
  CreateContainerConfigError: 'ConfigInvalid',
  CreateContainerError: 'ConfigInvalid',
};
/** One crash may be a dependency not up yet (the kubelet backs off after the first); two are a loop. */
export const CRASH_LOOP_RESTARTS = 2;
/** A container restarting that often counts as looping while its last crash is this recent. */
export const CRASH_RECENT_MS = 10 * 60_000;
/** Longest excerpt of a container's last words kept in a condition message. */
export const LAST_WORDS_MAX = 300;

const COMPONENT_LABEL = 'app.kubernetes.io/component';
const ORDER: readonly string[] = ['processor', 'api', 'simulator'] satisfies Component[];
const KINDS: readonly ProblemKind[] = ['CrashLooping', 'ImagePullFailing', 'ConfigInvalid'];

interface ContainerStatus {
  readonly name?: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
  readonly lastState?: {
    readonly terminated?: {
      readonly exitCode?: number;
      readonly reason?: string;
      readonly message?: string;
      readonly finishedAt?: string;
    };
  };
}

interface Finding {
  readonly component: string;
  readonly kind: ProblemKind;
  readonly pod: string;
  readonly detail: string;
}

/**
 * Problems of the pipeline's pods, one per component and kind (`ProcessorCrashLooping`), in a stable order
 * so the first reason does not flap between passes. The message names the first pod, its container and
 * what the kubelet or the container's last termination said.
 */
export function podProblems(pods: readonly KubeObject[], now: number): Problem[] {
  const findings = pods
    .filter((p) => p.metadata.deletionTimestamp === undefined)
    .flatMap((pod) => {
      const status = (pod.status ?? {}) as {
        containerStatuses?: ContainerStatus[];
        initContainerStatuses?: ContainerStatus[];
      };
      const component = pod.metadata.labels?.[COMPONENT_LABEL] ?? 'component';
      return [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].flatMap(
        (c): Finding[] => {
          const found = containerProblem(c, now);
          return found ? [{ component, pod: pod.metadata.name, ...found }] : [];
        },
      );
    })
    .sort(
      (a, b) =>
        rank(ORDER, a.component) - rank(ORDER, b.component) ||
        a.component.localeCompare(b.component) ||
        rank(KINDS, a.kind) - rank(KINDS, b.kind) ||
        a.pod.localeCompare(b.pod),
    );
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.component}/${f.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()].map((group) => {
    const [first, ...others] = group as [Finding, ...Finding[]];
    const more = new Set(others.map((f) => f.pod).filter((p) => p !== first.pod)).size;
    return {
      reason: `${capitalise(first.component)}${first.kind}`,
      message:
        `${first.component} pod ${first.pod}: ${first.detail}` +
        (more > 0 ? ` (and ${more} more pod${more === 1 ? '' : 's'})` : ''),
    };
  });
}

function containerProblem(c: ContainerStatus, now: number): Omit<Finding, 'component' | 'pod'> | undefined {
  const name = c.name ?? 'container';
  const waiting = c.state?.waiting;
  const kind = waiting?.reason ? WAITING[waiting.reason] : undefined;
  if (kind && waiting?.reason) {
    const why = waiting.message ? `: ${lastWords(waiting.message)}` : '';
    return { kind, detail: `container ${name} ${waiting.reason}${why}` };
  }
  const last = c.lastState?.terminated;
  const restarts = c.restartCount ?? 0;
  if (!last || c.ready === true || restarts < CRASH_LOOP_RESTARTS) return undefined;
  const finished = last.finishedAt ? Date.parse(last.finishedAt) : Number.NaN;
  const backingOff = waiting?.reason === 'CrashLoopBackOff';
  if (!backingOff && !(now - finished <= CRASH_RECENT_MS)) return undefined;
  const exit = `last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`;
  const words = last.message ? `: ${lastWords(last.message)}` : '';
  return {
    kind: 'CrashLooping',
    detail: `container ${name} restarted ${restarts} times, ${exit}${words}`,
  };
}

/**
 * The line of a container's termination message (with `FallbackToLogsOnError`, the tail of its log) that
 * says what went wrong: the last error-looking line, stack frames skipped, a JSON log line shown as its
 * message and error, cut to {@link LAST_WORDS_MAX} characters.
 */
export function lastWords(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^at\s/.test(l))
    .map(readable);
  const chosen = [...lines].reverse().find((l) => ERROR_WORDS.test(l)) ?? lines.at(-1) ?? '';
  return chosen.length > LAST_WORDS_MAX ? `${chosen.slice(0, LAST_WORDS_MAX - 1)}…` : chosen;
}

const ERROR_WORDS = /error|fatal|fail|refused|denied|invalid|cannot|unable|timed? ?out/i;

/** A pino JSON line as `message: error message`; any other line as it is. */
function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
    if (typeof entry.msg !== 'string') return line;
    const err = typeof entry.err?.message === 'string' ? entry.err.message : undefined;
    const level = typeof entry.level === 'string' ? `${entry.level}: ` : '';
    return `${level}${entry.msg}${err && !entry.msg.includes(err) ? `: ${err}` : ''}`;
  } catch {
    return line;
  }
}

/** A Deployment past its progress deadline or unable to create pods, once its controller saw the spec. */
export function deploymentProblems(d: KubeObject): Problem[] {
  const status = (d.status ?? {}) as {
    observedGeneration?: number;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
  if ((status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return [];
  const component = capitalise(d.metadata.labels?.[COMPONENT_LABEL] ?? 'component');
  return (status.conditions ?? []).flatMap((c): Problem[] => {
    const what = `Deployment ${d.metadata.name}: ${c.message ?? c.reason ?? ''}`;
    if (c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded')
      return [{ reason: `${component}ProgressDeadlineExceeded`, message: what }];
    if (c.type === 'ReplicaFailure' && c.status === 'True')
      return [{ reason: `${component}ReplicaFailure`, message: what }];
    return [];
  });
}

const rank = (list: readonly string[], item: string): number => {
  const i = list.indexOf(item);
  return i === -1 ? list.length : i;
};

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

import { DLQ_HEADERS } from '../../domain/dlq-headers';
import { headerText, letterRef, replayCountOf, type DeadLetter } from './dead-letter';

/** Set on every replayed message: `<dlq topic>:<partition>:<offset>` of the dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'x-replayed-from';

/**
 * Headers the processor adds when dead-lettering. They describe that one failure, so a replayed message
 * must not carry them: the next failure would otherwise report a stale error and origin.
 */
const FAILURE_HEADER_PREFIXES = ['x-error-', 'x-original-'] as const;
const FAILURE_HEADERS: ReadonlySet<string> = new Set([DLQ_HEADERS.consumerGroup, DLQ_HEADERS.attempts]);
/** Rewritten on every replay. */
const REPLAY_HEADERS: ReadonlySet<string> = new Set([DLQ_HEADERS.replayCount, REPLAYED_FROM_HEADER]);

/** Why a matching dead letter was not replayed; a closed set so summaries can count by it. */
export type SkipReason = 'replay-limit' | 'invalid-replay-count' | 'target-is-dlq' | 'target-missing';

export const SKIP_REASONS: readonly SkipReason[] = [
  'replay-limit',
  'invalid-replay-count',
  'target-is-dlq',
  'target-missing',
];

export interface ReplayPolicy {
  readonly dlqTopic: string;
  /** `--target-topic`; when unset each letter goes back to its `x-original-topic`. */
  readonly targetTopic: string | undefined;
  /** For letters without `x-original-topic` (the default events topic). */
  readonly fallbackTopic: string;
  /** Letters already replayed this often are refused: a message that keeps failing must not loop forever. */
  readonly maxReplays: number;
  /** Whether a topic exists on the cluster (auto-creation is off, so sending to a missing one fails). */
  readonly topicExists: (topic: string) => boolean;
}

export type ReplayDecision =
  | {
      readonly action: 'replay';
      readonly targetTopic: string;
      /** The replay count the re-published message carries. */
      readonly replayCount: number;
      readonly headers: Readonly<Record<string, Buffer | string>>;
    }
  | { readonly action: 'skip'; readonly reason: SkipReason; readonly detail: string };

/** Where a letter goes back to: the override, else its original topic, else the fallback. */
export function replayTargetOf(
  letter: DeadLetter,
  policy: Pick<ReplayPolicy, 'targetTopic' | 'fallbackTopic'>,
): string {
  return policy.targetTopic ?? headerText(letter, DLQ_HEADERS.originalTopic) ?? policy.fallbackTopic;
}

/**
 * The headers a replayed message carries: the original message's own headers (which the processor copied
 * onto the dead letter) without the failure ones, plus the new replay count and where it was replayed from.
 */
export function replayHeaders(
  letter: DeadLetter,
  dlqTopic: string,
  replayCount: number,
): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (FAILURE_HEADERS.has(name) || REPLAY_HEADERS.has(name)) continue;
    if (FAILURE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    out[name] = value;
  }
  out[DLQ_HEADERS.replayCount] = String(replayCount);
  out[REPLAYED_FROM_HEADER] = `${dlqTopic}:${letterRef(letter)}`;
  return out;
}

/** Replay or skip one matching dead letter, and why. */
export function decideReplay(letter: DeadLetter, policy: ReplayPolicy): ReplayDecision {
  const previous = replayCountOf(letter);
  if (!previous.ok) {
    return {
      action: 'skip',
      reason: 'invalid-replay-count',
      detail: `${DLQ_HEADERS.replayCount} is ${JSON.stringify(previous.raw)}, not a whole number`,
    };
  }
  if (previous.count >= policy.maxReplays) {
    return {
      action: 'skip',
      reason: 'replay-limit',
      detail: `already replayed ${previous.count} times (--max-replays ${policy.maxReplays})`,
    };
  }
  const targetTopic = replayTargetOf(letter, policy);
  if (targetTopic === policy.dlqTopic) {
    return {
      action: 'skip',
      reason: 'target-is-dlq',
      detail: `target topic ${targetTopic} is the DLQ itself`,
    };
  }
  if (!policy.topicExists(targetTopic)) {
    return { action: 'skip', reason: 'target-missing', detail: `target topic ${targetTopic} does not exist` };
  }
  const replayCount = previous.count + 1;
  return {
    action: 'replay',
    targetTopic,
    replayCount,
    headers: replayHeaders(letter, policy.dlqTopic, replayCount),
  };
}

/** Running totals of a replay, for the progress line and the final summary. */
export interface ReplayTally {
  read: number;
  matched: number;
  replayed: number;
  skipped: Record<SkipReason, number>;
}

export function emptyTally(): ReplayTally {
  return {
    read: 0,
    matched: 0,
    replayed: 0,
    skipped: { 'replay-limit': 0, 'invalid-replay-count': 0, 'target-is-dlq': 0, 'target-missing': 0 },
  };
}

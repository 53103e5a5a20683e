import type { MessageProducer, OutboundMessage } from '@telemetry-pulse/shared';
import { PROGRESS_EVERY_MS, type CommandDeps } from './deps';
import type { DeadLetter } from '../domain/dead-letter';
import { DlqToolError, describeError } from '../domain/errors';
import { matchesFilter } from '../domain/filter';
import type { ReplayConfig } from '../config/command-config';
import { createProgressLine } from './progress';
import { decideReplay, emptyTally, type ReplayDecision, type ReplayPolicy } from '../domain/replay';
import { formatDecision, formatReplayProgress, formatReplaySummary } from '../domain/replay-report';
import { checkPartition, countInRanges, wholePartitions } from '../domain/source';

type Replayable = { letter: DeadLetter; decision: Extract<ReplayDecision, { action: 'replay' }> };

/**
 * `replay`: re-publishes matching dead letters with their original key and value, one fetched batch at a
 * time (sent and acknowledged before the next is read), reporting every skip. Nothing is committed, so
 * running it again replays the same letters again; the loop guard and x-replayed-from make that visible.
 */
export async function runReplay(config: ReplayConfig, deps: CommandDeps): Promise<void> {
  const partitions = await deps.source.partitions();
  checkPartition(partitions, config.filter.partition, config.dlqTopic);
  const ranges = wholePartitions(partitions, config.filter.partition);
  const total = countInRanges(ranges);
  const existing = await deps.source.topics();
  const policy: ReplayPolicy = {
    dlqTopic: config.dlqTopic,
    targetTopic: config.targetTopic,
    fallbackTopic: config.fallbackTopic,
    maxReplays: config.maxReplays,
    topicExists: (t) => existing.has(t),
  };
  const progress = createProgressLine({ everyMs: PROGRESS_EVERY_MS, now: deps.now, write: deps.err });
  const tally = emptyTally();
  const limitReached = (planned: number): boolean =>
    config.limit !== undefined && tally.replayed + planned >= config.limit;

  let producer: MessageProducer | undefined;
  if (!config.dryRun) {
    producer = deps.createProducer();
    await producer.connect().catch((err: unknown) => {
      throw new DlqToolError(`connecting the producer failed: ${describeError(err)}`, { cause: err });
    });
  }
  try {
    await deps.source.read(ranges, async (letters) => {
      const batch: Replayable[] = [];
      for (const letter of letters) {
        if (limitReached(batch.length)) break;
        tally.read += 1;
        if (!matchesFilter(letter, config.filter)) continue;
        tally.matched += 1;
        const decision = decideReplay(letter, policy);
        if (decision.action === 'skip') {
          tally.skipped[decision.reason] += 1;
          deps.out(formatDecision(letter, decision, config.dryRun));
        } else {
          batch.push({ letter, decision });
        }
      }
      if (producer) await send(producer, batch, tally.replayed);
      for (const { letter, decision } of batch) deps.out(formatDecision(letter, decision, config.dryRun));
      tally.replayed += batch.length;
      progress.update(() => formatReplayProgress(tally, total, config.dryRun));
      return limitReached(0) ? 'stop' : 'more';
    });
  } finally {
    // Every send was acknowledged before this point; a failed send is the error worth reporting.
    await producer?.disconnect().catch(() => undefined);
  }
  deps.out(formatReplaySummary(tally, total, config.dryRun));
}

/** Sends one batch, grouped by target topic (order within a topic kept), acknowledged by all replicas. */
async function send(producer: MessageProducer, batch: readonly Replayable[], before: number): Promise<void> {
  const byTopic = new Map<string, OutboundMessage[]>();
  for (const { letter, decision } of batch) {
    const messages = byTopic.get(decision.targetTopic) ?? [];
    messages.push({ key: letter.key, value: letter.value, headers: decision.headers });
    byTopic.set(decision.targetTopic, messages);
  }
  for (const [topic, messages] of byTopic) {
    try {
      await producer.send(topic, messages);
    } catch (err) {
      throw new DlqToolError(
        `sending to ${topic} failed after ${before} letters were replayed (running again replays ` +
          `those again; each carries x-replayed-from): ${describeError(err)}`,
        { cause: err },
      );
    }
  }
}

import { escapeControls } from './bytes';
import { letterRef, type DeadLetter } from './dead-letter';
import { readTail } from './format';
import { SKIP_REASONS, type ReplayDecision, type ReplayTally } from './replay';

/** One line per decision worth reporting: every skip, and every replay of a dry run. */
export function formatDecision(letter: DeadLetter, decision: ReplayDecision, dryRun: boolean): string {
  const ref = letterRef(letter);
  if (decision.action === 'skip') {
    return `skipped ${ref}  ${decision.reason}: ${escapeControls(decision.detail)}`;
  }
  const verb = dryRun ? 'would replay' : 'replayed';
  return `${verb} ${ref} -> ${escapeControls(decision.targetTopic)}  (x-replay-count ${decision.replayCount})`;
}

function skippedText(tally: ReplayTally): string {
  const parts = SKIP_REASONS.filter((r) => tally.skipped[r] > 0).map((r) => `${r} ${tally.skipped[r]}`);
  const total = SKIP_REASONS.reduce((sum, r) => sum + tally.skipped[r], 0);
  return parts.length > 0 ? `skipped ${total} (${parts.join(', ')})` : 'skipped 0';
}

/** Final line of `replay`. */
export function formatReplaySummary(tally: ReplayTally, total: number, dryRun: boolean): string {
  const done = dryRun ? `dry run: would replay ${tally.replayed}` : `replayed ${tally.replayed}`;
  const matched = `${tally.matched} of ${tally.read} dead letters matched${readTail(tally.read, total)}`;
  return `${done}, ${skippedText(tally)}; ${matched}${dryRun ? '; nothing was sent' : ''}.`;
}

function readText(read: number, total: number): string {
  const pct = total > 0 ? Math.floor((read / total) * 100) : 100;
  return `${read}/${total} dead letters read (${pct}%)`;
}

export function formatReplayProgress(tally: ReplayTally, total: number, dryRun: boolean): string {
  const verb = dryRun ? 'would replay' : 'replayed';
  return `replay: ${readText(tally.read, total)}, ${verb} ${tally.replayed}, ${skippedText(tally)}`;
}

export function formatListProgress(read: number, total: number, matched: number): string {
  return `list: ${readText(read, total)}, ${matched} matched`;
}

import { PROGRESS_EVERY_MS, type CommandDeps } from './deps';
import { originOf } from '../domain/dead-letter';
import { matchesFilter } from '../domain/filter';
import { formatListLine, formatListSummary, letterToJson } from '../domain/format';
import type { ListConfig } from '../config/command-config';
import { createProgressLine } from './progress';
import { formatListProgress } from '../domain/replay-report';
import { checkPartition, countInRanges, wholePartitions } from '../domain/source';

/**
 * `list`: every matching dead letter (up to `limit`) as a line or a JSON object, then a count by error
 * code over all matches. Reads the whole range even past the limit, so the summary is complete.
 */
export async function runList(config: ListConfig, deps: CommandDeps): Promise<void> {
  const partitions = await deps.source.partitions();
  checkPartition(partitions, config.filter.partition, config.dlqTopic);
  const ranges = wholePartitions(partitions, config.filter.partition);
  const total = countInRanges(ranges);
  const progress = createProgressLine({ everyMs: PROGRESS_EVERY_MS, now: deps.now, write: deps.err });
  const byCode = new Map<string, number>();
  let read = 0;
  let matched = 0;
  let shown = 0;
  await deps.source.read(ranges, async (letters) => {
    for (const letter of letters) {
      read += 1;
      if (!matchesFilter(letter, config.filter)) continue;
      matched += 1;
      const code = originOf(letter).errorCode ?? '(none)';
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
      if (config.limit !== 0 && shown >= config.limit) continue;
      shown += 1;
      deps.out(config.json ? JSON.stringify(letterToJson(letter, config.dlqTopic)) : formatListLine(letter));
    }
    progress.update(() => formatListProgress(read, total, matched));
    return 'more';
  });
  // With --json stdout holds only JSON lines, so the summary goes to stderr.
  (config.json ? deps.err : deps.out)(formatListSummary({ read, total, matched, shown, byCode }));
}

import { formatHelp, type OptionSpecs } from '@telemetry-pulse/shared';
import type { DlqCommandName } from '../config/argv';
import { commonOptionSpecs, inspectOptionSpecs, listOptionSpecs, replayOptionSpecs } from '../config/options';

const SUMMARY = `Lists, inspects and replays the processor's dead letters. Reads the DLQ topic from its start to its
current end and stops; commits nothing and leaves no consumer group behind.

Commands:
  list                          One line per dead letter and a count by error code.
  inspect <partition>:<offset>  Every header, the key and the value of one dead letter.
  replay                        Re-publish matching dead letters to the topic they came from.

Run "telemetry-dlq <command> --help" for a command's own options and examples.`;

interface CommandHelp {
  readonly usage: string;
  readonly summary: string;
  readonly specs: OptionSpecs;
  readonly examples: readonly string[];
}

const COMMAND_HELP: Record<DlqCommandName, CommandHelp> = {
  list: {
    usage: 'telemetry-dlq list [options]',
    summary: `One line per matching dead letter: partition:offset, dead-letter time, error code, original
topic/partition@offset, replay count and a preview of the value; then the count by error code.`,
    specs: listOptionSpecs,
    examples: [
      'telemetry-dlq list',
      'telemetry-dlq list --error SCHEMA_VIOLATION --error INVALID_JSON --since 2h',
      'telemetry-dlq list --since 2025-01-01T00:00Z --until 2025-01-02 --limit 0 --json | jq .errorCode',
    ],
  },
  inspect: {
    usage: 'telemetry-dlq inspect <partition>:<offset> [options]   (<offset> alone on a one-partition DLQ)',
    summary: `Prints every header, the key and the value of one dead letter: as text when it is valid UTF-8,
else as base64 (and says so).`,
    specs: inspectOptionSpecs,
    examples: ['telemetry-dlq inspect 0:42', 'telemetry-dlq inspect 42 --json'],
  },
  replay: {
    usage: 'telemetry-dlq replay [options]',
    summary: `Re-publishes matching dead letters with their original key and value to --target-topic, or else
to the topic each came from. The failure headers (x-error-*, x-original-*, x-consumer-group,
x-attempt-count) are dropped, x-replay-count is incremented and x-replayed-from names the dead letter.
Letters already replayed --max-replays times are skipped and reported, so a message that keeps failing
cannot loop. Try --dry-run first.`,
    specs: replayOptionSpecs,
    examples: [
      'telemetry-dlq replay --error FUTURE_EVENT_TIME --dry-run',
      'telemetry-dlq replay --error FUTURE_EVENT_TIME --since 1h',
      'telemetry-dlq replay --partition 0 --limit 10 --target-topic telemetry.events.retry',
    ],
  },
};

/** `telemetry-dlq --help`: the commands and the options they share. */
export function globalHelp(): string {
  return formatHelp('telemetry-dlq <command> [options]', SUMMARY, commonOptionSpecs);
}

/** `telemetry-dlq <command> --help`. */
export function commandHelp(command: DlqCommandName): string {
  const h = COMMAND_HELP[command];
  const examples = h.examples.map((e) => `  ${e}`).join('\n');
  return `${formatHelp(h.usage, h.summary, h.specs)}\n\nExamples:\n${examples}`;
}

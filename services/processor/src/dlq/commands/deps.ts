import type { MessageProducer } from '@telemetry-pulse/shared';
import type { DlqSource } from '../domain/source';

/** What a command needs; commands.ts wires the real ones, unit tests may pass literals. */
export interface CommandDeps {
  readonly source: DlqSource;
  /** A line of the command's result (stdout). */
  readonly out: (line: string) => void;
  /** Progress, notices and anything that must not mix with the result (stderr). */
  readonly err: (line: string) => void;
  readonly now: () => number;
  /** Only `replay` sends; a dry run never calls it. */
  readonly createProducer: () => MessageProducer;
}

/** A long run reports progress this often, on stderr. */
export const PROGRESS_EVERY_MS = 2_000;

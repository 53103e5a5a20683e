import { ConfigError } from '@telemetry-pulse/shared/core';

export const COMMANDS = ['list', 'inspect', 'replay'] as const;
export type DlqCommandName = (typeof COMMANDS)[number];

export type CommandLine =
  | { readonly command: 'help'; readonly topic: DlqCommandName | undefined }
  | { readonly command: DlqCommandName; readonly args: readonly string[] };

function isCommand(word: string | undefined): word is DlqCommandName {
  return (COMMANDS as readonly string[]).includes(word ?? '');
}

/**
 * Splits `telemetry-dlq <command> [options]`. The command comes first so each command can have its own
 * options and help; `help [command]`, `--help` and `-h` ask for help.
 */
export function splitCommand(argv: readonly string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new ConfigError([`missing command: one of ${COMMANDS.join(', ')}`]);
  if (first === '--help' || first === '-h') return { command: 'help', topic: undefined };
  if (first === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !isCommand(topic))
      throw new ConfigError([`unknown command ${JSON.stringify(topic)}`]);
    return { command: 'help', topic };
  }
  if (isCommand(first)) return { command: first, args: rest };
  const hint = first.startsWith('-') ? ' (the command comes first: telemetry-dlq list --error X)' : '';
  throw new ConfigError([
    `unknown command ${JSON.stringify(first)}${hint}; expected one of ${COMMANDS.join(', ')}`,
  ]);
}

/**
 * Folds every `--<flag> v` / `--<flag>=v` into one `--<flag> v1,v2` at the first one's place, so a
 * repeatable flag works with the shared parser (whose last occurrence would otherwise win silently).
 * A value that looks like a flag is left alone for the parser to report.
 */
export function mergeRepeatedFlag(argv: readonly string[], flag: string): string[] {
  const name = `--${flag}`;
  const values: string[] = [];
  const out: string[] = [];
  let at = -1;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === name && next !== undefined && !next.startsWith('-')) {
      if (at < 0) at = out.length;
      values.push(next);
      i += 1;
    } else if (arg.startsWith(`${name}=`)) {
      if (at < 0) at = out.length;
      values.push(arg.slice(name.length + 1));
    } else {
      out.push(arg);
    }
  }
  if (values.length > 0) out.splice(at, 0, name, values.join(','));
  return out;
}

/** `inspect`'s address: `<partition>:<offset>`, or `<offset>` alone when the topic has one partition. */
export interface LetterAddress {
  readonly partition: number | undefined;
  readonly offset: string;
}

export function parseLetterAddress(text: string): LetterAddress | undefined {
  const m = /^(?:(\d{1,6}):)?(\d{1,19})$/.exec(text.trim());
  if (!m || m[2] === undefined) return undefined;
  return { partition: m[1] === undefined ? undefined : Number(m[1]), offset: BigInt(m[2]).toString() };
}

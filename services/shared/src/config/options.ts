import { parseArgs } from 'node:util';
import type { z } from 'zod';

/**
 * One configuration option, settable by command-line flag and/or environment variable.
 * Values arrive as text (or `undefined` when unset) and the schema coerces, validates and defaults them.
 */
export interface OptionSpec<T = unknown> {
  /** Long flag without dashes, e.g. `rate` for `--rate`; omit for environment-only options. */
  readonly flag?: string;
  readonly env?: string;
  /** A flag that takes no value (`--dry-run`); its presence means `"true"`. */
  readonly boolean?: boolean;
  readonly help: string;
  /** Shown in `--help` and docs; the schema applies it. */
  readonly defaultText?: string;
  /** Never printed back (passwords). */
  readonly secret?: boolean;
  readonly schema: z.ZodType<T, string | undefined>;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type ConfigOf<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** Start-up refused: every problem with the configuration, reported together. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type ParsedOptions<S extends OptionSpecs> =
  { help: true } | { help: false; config: ConfigOf<S>; positionals: string[] };

/**
 * Parses argv then environment (flags win) against the specs. Throws {@link ConfigError} listing every
 * problem at once, including unknown flags. Returns a frozen config.
 */
export function parseOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  opts: { allowPositionals?: boolean } = {},
): ParsedOptions<S> {
  const flagDefs: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const spec of Object.values(specs)) {
    if (spec.flag) flagDefs[spec.flag] = { type: spec.boolean ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: flagDefs,
      strict: true,
      allowPositionals: opts.allowPositionals ?? false,
    });
  } catch (err) {
    throw new ConfigError([err instanceof Error ? err.message : String(err)]);
  }
  if (parsed.values['help'] === true) return { help: true };

  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = spec.flag ? parsed.values[spec.flag] : undefined;
    const raw = fromFlag !== undefined ? String(fromFlag) : spec.env ? env[spec.env] : undefined;
    const text = raw === '' ? undefined : raw;
    const result = spec.schema.safeParse(text);
    if (result.success) {
      out[key] = result.data;
    } else {
      const source = [spec.flag && `--${spec.flag}`, spec.env].filter(Boolean).join(' / ');
      const shown = spec.secret || text === undefined ? '' : ` (got ${JSON.stringify(text)})`;
      problems.push(`${source}: ${result.error.issues.map((i) => i.message).join('; ')}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { help: false, config: Object.freeze(out) as ConfigOf<S>, positionals: parsed.positionals };
}

/** `--help` text: usage line, summary and one entry per option with its variable and default. */
export function formatHelp(usage: string, summary: string, specs: OptionSpecs): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options (flags win over environment variables):'];
  for (const spec of Object.values(specs)) {
    const names = [spec.flag && `--${spec.flag}${spec.boolean ? '' : ' <value>'}`, spec.env && `$${spec.env}`]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${names}`);
    lines.push(
      `      ${spec.help}${spec.defaultText !== undefined ? ` (default: ${spec.defaultText})` : ''}`,
    );
  }
  lines.push('  -h, --help', '      Show this help and exit.');
  return lines.join('\n');
}

/** Markdown table of the options, for docs/configuration.md and docs/dlq.md (scripts/docs.ts). */
export function formatOptionsTable(
  specs: Readonly<Record<string, Pick<OptionSpec, 'flag' | 'env' | 'defaultText' | 'help'>>>,
): string {
  const rows = ['| Flag | Environment | Default | Meaning |', '| --- | --- | --- | --- |'];
  for (const spec of Object.values(specs)) {
    rows.push(
      `| ${spec.flag ? `\`--${spec.flag}\`` : ''} | ${spec.env ? `\`${spec.env}\`` : ''} | ${
        spec.defaultText !== undefined ? `\`${spec.defaultText}\`` : ''
      } | ${spec.help} |`,
    );
  }
  return rows.join('\n');
}

/**
 * The API benchmark's command line, parsed and checked once (pure: test/unit/scripts/bench-figures.test.ts).
 */
import { parseArgs } from 'node:util';
import { durationMs } from '../figures.ts';
import { PACINGS, isPacing } from '../load.ts';

const OPTIONS = {
  'rows-small': { type: 'string', default: '5000000' },
  'rows-large': { type: 'string', default: '50000000' },
  'load-budget': { type: 'string', default: '25m' },
  interval: { type: 'string', default: '30s' },
  rate: { type: 'string', default: '200' },
  connections: { type: 'string', default: '10' },
  duration: { type: 'string', default: '15s' },
  warmup: { type: 'string', default: '2s' },
  'ingest-rate': { type: 'string', default: '15000' },
  pacing: { type: 'string', default: 'even' },
  'processor-nice': { type: 'string', default: '10' },
  rounds: { type: 'string', default: '3' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ApiArgs = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** The options as given (strings, for the report) and the numbers checked from them. */
export interface ApiOptions {
  readonly args: ApiArgs;
  readonly help: boolean;
  readonly nice: number;
  readonly stepS: number;
  readonly rounds: number;
  readonly rowsSmall: number;
  readonly rowsLarge: number;
  readonly budgetMs: number;
  readonly warmupS: number;
  readonly seconds: number;
}

/** Parses `argv`; throws one message saying what is wrong. */
export function parseApiOptions(argv: readonly string[]): ApiOptions {
  const { values: args } = parseArgs({ args: [...argv], options: OPTIONS });
  if (args.help === true) {
    const none = NaN; // --help answers before anything else is read
    return {
      args,
      help: true,
      nice: none,
      stepS: none,
      rounds: none,
      rowsSmall: none,
      rowsLarge: none,
      budgetMs: none,
      warmupS: none,
      seconds: none,
    };
  }
  const checked = {
    args,
    help: false,
    nice: Number(args['processor-nice']),
    stepS: durationMs(args.interval) / 1000,
    rounds: Number(args.rounds),
    rowsSmall: Number(args['rows-small']),
    rowsLarge: Number(args['rows-large']),
    budgetMs: durationMs(args['load-budget']),
    warmupS: durationMs(args.warmup) / 1000,
    seconds: durationMs(args.duration) / 1000,
  };
  if (!isPacing(args.pacing)) throw new Error(`--pacing must be one of ${PACINGS.join(', ')}`);
  if (!Number.isInteger(checked.nice) || checked.nice < 0 || checked.nice > 19)
    throw new Error('--processor-nice must be 0-19');
  if (!Number.isInteger(checked.stepS) || 900 % checked.stepS !== 0)
    throw new Error('--interval must divide 15m');
  if (!Number.isInteger(checked.rounds) || checked.rounds < 1)
    throw new Error('--rounds must be a positive whole number');
  return checked;
}

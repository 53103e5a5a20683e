// Fixed-rate HTTP load as its own process, printing one JSON summary: the reliability soak probes the
// API with it, so the probe's timers do not share an event loop with the test's Kafka producer (whose
// pauses would otherwise be counted as the API's latency).
//
//   node scripts/bench/http-load.ts --origin http://127.0.0.1:3000 --path /api/v1/alerts --rate 200
import { parseArgs } from 'node:util';
import { durationMs } from './figures.ts';
import { PACINGS, isPacing, loadAt } from './load.ts';

const HELP = `Usage: node scripts/bench/http-load.ts --origin URL --path P [--path P ...] [options]

Sends GET requests at a fixed rate, cycling through the paths, and prints one JSON object:
{ rate, p50, p90, p99, max, mean, failed, cpuMsPerRequest, sendLagP99?, sendLagMax?,
  byPath?: [{ path, p50, p99, max }] } (times in ms; the last three and byPath with even pacing).

  --origin URL       server to load, e.g. http://127.0.0.1:3000 (required)
  --path P           request path with its query; repeat for a rotation (at least one)
  --rate N           requests/s (default 200)
  --duration D       how long to send (default 5s; 500ms, 5s, 1m)
  --connections N    keep-alive connections (default 10)
  --pacing P         ${PACINGS.join(' or ')} (default even: open loop, latency from each request's due
                     time; see scripts/bench/load.ts)
  --pid N            the server's process id, for its CPU time per request (default: none, reported 0)
  -h, --help         this text
`;

function fail(message: string): never {
  process.stderr.write(`http-load: ${message}\n${HELP}`);
  process.exit(2);
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive whole number, got '${text}'`);
  return n;
}

const OPTIONS = {
  origin: { type: 'string' },
  path: { type: 'string', multiple: true },
  rate: { type: 'string', default: '200' },
  duration: { type: 'string', default: '5s' },
  connections: { type: 'string', default: '10' },
  pacing: { type: 'string', default: 'even' },
  pid: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!args.origin) fail('--origin is required');
  try {
    new URL(args.origin);
  } catch {
    fail(`--origin must be a URL, got '${args.origin}'`);
  }
  if (!args.path?.length) fail('at least one --path is required');
  if (!isPacing(args.pacing)) fail(`--pacing must be one of ${PACINGS.join(', ')}`);
  let seconds = 0;
  try {
    seconds = durationMs(args.duration) / 1000;
  } catch {
    fail(`--duration must be like 500ms, 5s or 1m, got '${args.duration}'`);
  }
  if (!(seconds > 0)) fail(`--duration must be positive, got '${args.duration}'`);
  const server = {
    origin: args.origin,
    pid: args.pid === undefined ? undefined : positiveInt('pid', args.pid),
  };
  const result = await loadAt(args.pacing, server, args.path, seconds, {
    rate: positiveInt('rate', args.rate),
    connections: positiveInt('connections', args.connections),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`http-load: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

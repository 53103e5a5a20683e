/**
 * Reads a service's log lines on stdin and writes them for people (scripts/dev-log/format.ts): what
 * `npm start` pipes each service through when its output is a terminal. JSON stays JSON elsewhere.
 *
 *   node scripts/dev-log.ts NAME [--width N] [--no-color]
 */
import { createInterface } from 'node:readline';
import { formatLine } from './dev-log/format.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h') || args[0] === undefined) {
  console.log(
    'Usage: node scripts/dev-log.ts NAME [--width N] [--no-color]   (reads JSON log lines on stdin)',
  );
  process.exit(args[0] === undefined ? 2 : 0);
}
const widthAt = args.indexOf('--width');
const options = {
  name: args[0],
  nameWidth: widthAt >= 0 ? Number(args[widthAt + 1]) || 0 : 0,
  // NO_COLOR (no-color.org) and --no-color turn colours off; the lines stay readable.
  color: !args.includes('--no-color') && !process.env['NO_COLOR'],
};
// Ctrl-C reaches the whole process group: keep relaying until the service's last line (stdin closes).
process.on('SIGINT', () => undefined);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => process.stdout.write(`${formatLine(line, options)}\n`));

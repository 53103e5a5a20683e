/**
 * `npm start`'s readable output (scripts/dev-log.ts): one JSON log line of a service (pino) as a line for
 * people, `time service LEVEL message key=value…`, coloured when asked. Lines that are not JSON (progress and
 * status lines) pass through under the service's name. Kept free of I/O for test/unit/scripts/dev-log.test.ts.
 */

export interface FormatOptions {
  readonly name: string; // the service, as start.sh names it
  readonly color: boolean;
  readonly nameWidth: number;
}

const ANSI = {
  reset: 0,
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
};
type Color = keyof typeof ANSI;

const LEVEL_COLORS: Record<string, Color> = {
  fatal: 'red',
  error: 'red',
  warn: 'yellow',
  info: 'green',
  debug: 'gray',
  trace: 'gray',
};
const NAME_COLORS: readonly Color[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];

// Fields every line has, shown in the line's head or not at all.
const HEAD_FIELDS = new Set(['time', 'level', 'service', 'msg', 'pid', 'hostname', 'trace_id', 'span_id']);

function paint(color: boolean, c: Color, text: string): string {
  return color ? `\u001b[${ANSI[c]}m${text}\u001b[0m` : text;
}

/** A stable colour per service name. */
function nameColor(name: string): Color {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return NAME_COLORS[h % NAME_COLORS.length] ?? 'cyan';
}

/** `value` as a field shows it: strings bare unless they hold spaces, the rest as JSON. */
function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

interface SerializedError {
  readonly type?: string;
  readonly message?: string;
  readonly stack?: string;
  readonly code?: unknown;
}

/** HH:MM:SS of an ISO time, local to the reader's clock as the status line is. */
function clock(time: unknown, now: Date): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : now;
  const t = Number.isNaN(d.getTime()) ? now : d;
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** One output line (or several, for an error's stack) for one input line. */
export function formatLine(line: string, opts: FormatOptions, now = new Date()): string {
  const name = paint(opts.color, nameColor(opts.name), opts.name.padEnd(opts.nameWidth));
  let entry: unknown;
  try {
    entry = line.startsWith('{') ? JSON.parse(line) : undefined;
  } catch {
    entry = undefined;
  }
  if (entry === null || typeof entry !== 'object' || typeof (entry as { msg?: unknown }).msg !== 'string') {
    // A line that starts with its own time (the status line) keeps it rather than getting a second one.
    const own = /^(\d\d:\d\d:\d\d) (.*)$/s.exec(line);
    const time = own?.[1] ?? clock(undefined, now);
    return `${paint(opts.color, 'dim', time)} ${name} ${own?.[2] ?? line}`;
  }
  const e = entry as Record<string, unknown>;
  const level = typeof e['level'] === 'string' ? e['level'] : 'info';
  const levelText = paint(opts.color, LEVEL_COLORS[level] ?? 'green', level.toUpperCase().padEnd(5));
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(e)) {
    if (HEAD_FIELDS.has(key)) continue;
    if (key === 'err' && value !== null && typeof value === 'object') {
      const err = value as SerializedError;
      fields.push(`err=${fieldValue(`${err.type ?? 'Error'}: ${err.message ?? ''}`)}`);
      if ((level === 'error' || level === 'fatal') && err.stack) {
        stack = `\n${err.stack
          .split('\n')
          .slice(1, 6)
          .map((l) => `    ${l.trim()}`)
          .join('\n')}`;
      }
      continue;
    }
    fields.push(`${key}=${fieldValue(value)}`);
  }
  const message =
    level === 'error' || level === 'fatal'
      ? paint(opts.color, 'bold', e['msg'] as string)
      : (e['msg'] as string);
  const tail = fields.length > 0 ? ` ${paint(opts.color, 'dim', fields.join(' '))}` : '';
  return `${paint(opts.color, 'dim', clock(e['time'], now))} ${name} ${levelText} ${message}${tail}${stack ? paint(opts.color, 'dim', stack) : ''}`;
}

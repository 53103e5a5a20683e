/**
 * `npm start`'s readable lines (scripts/dev-log/format.ts): a service's JSON log line as time, service,
 * level, message and fields; coloured only when asked; other lines passed through under the service's name.
 */
import { formatLine } from '../../../scripts/dev-log/format';

const plain = { name: 'processor', color: false, nameWidth: 9 };
const at = new Date(2026, 11, 3, 10, 50, 1); // local time, as the formatter shows it

describe('dev log lines', () => {
  it('shows time, service, level, message and the line own fields, not the ones every line has', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: at.toISOString(),
      service: 'processor',
      pid: 42,
      hostname: 'h',
      partition: 3,
      what: 'apply batch',
      ok: true,
      msg: 'partition paused until the failure clears',
    });
    expect(formatLine(line, plain)).toBe(
      '10:50:01 processor WARN  partition paused until the failure clears partition=3 what="apply batch" ok=true',
    );
  });

  it("shows an error's type, message and the top of its stack", () => {
    const line = JSON.stringify({
      level: 'error',
      time: at.toISOString(),
      err: {
        type: 'Error',
        message: 'connect ECONNREFUSED',
        stack: 'Error: connect ECONNREFUSED\n    at a (x.js:1)',
      },
      msg: 'transient failure; retrying',
    });
    expect(formatLine(line, { ...plain, nameWidth: 0 }).split('\n')).toEqual([
      '10:50:01 processor ERROR transient failure; retrying err="Error: connect ECONNREFUSED"',
      '    at a (x.js:1)',
    ]);
  });

  it('passes other lines through under the service name, stamped now', () => {
    expect(formatLine('backfill 10% (1200 sent)', plain, at)).toBe(
      '10:50:01 processor backfill 10% (1200 sent)',
    );
    expect(formatLine('{not json', plain, at)).toBe('10:50:01 processor {not json');
    expect(formatLine('17:52:10 raw readings 1490', { ...plain, name: 'status' }, at)).toBe(
      '17:52:10 status    raw readings 1490',
    );
  });

  it('colours time, name and level only when asked', () => {
    const line = JSON.stringify({ level: 'error', time: at.toISOString(), msg: 'boom' });
    expect(formatLine(line, plain)).not.toContain('\u001b[');
    const coloured = formatLine(line, { ...plain, color: true });
    expect(coloured).toContain('\u001b[31mERROR');
    expect(coloured.replace(new RegExp(String.fromCharCode(27) + '\\[[0-9]+m', 'g'), '')).toBe(
      formatLine(line, plain),
    );
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isKafkajsNegativeTimeout } from '../../../services/shared/src/kafka/negative-timeout-warning';

const REPO = path.resolve(__dirname, '..', '..', '..');
const FILTER = path.join(REPO, 'services', 'shared', 'src', 'kafka', 'negative-timeout-warning.ts');
const MESSAGE = '-1796280230887 is a negative number.\nTimeout duration was set to 1.';
const KAFKAJS_STACK = `Error
    at new Timeout (node:internal/timers:233:17)
    at setTimeout (node:timers:125:19)
    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)`;

describe('isKafkajsNegativeTimeout', () => {
  it("recognises kafkajs's negative request-queue timer", () => {
    expect(isKafkajsNegativeTimeout('TimeoutNegativeWarning', MESSAGE, KAFKAJS_STACK)).toBe(true);
  });

  it.each([
    ['raised elsewhere', 'TimeoutNegativeWarning', MESSAGE, 'Error\n    at ours (/app/dist/main.js:1:1)'],
    ['another warning from kafkajs', 'DeprecationWarning', MESSAGE, KAFKAJS_STACK],
    ['another text', 'TimeoutNegativeWarning', 'NaN is not a number.', KAFKAJS_STACK],
  ])('lets through the same warning %s', (_what, name, message, stack) => {
    expect(isKafkajsNegativeTimeout(name, message, stack)).toBe(false);
  });
});

/**
 * Node prints warnings from its own process object, which jest's sandbox does not expose, so the filter runs
 * in a plain Node 24 process (it strips the types of the .ts file itself) with the real kafkajs request queue.
 * Node reports a negative timer once per process, hence one process per source.
 */
function warningsPrinted(withFilter: boolean, source: 'kafkajs' | 'ours'): string {
  const kafkajs = `
    const RequestQueue = require('kafkajs/src/network/requestQueue');
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 't', broker: 'b', logger });
    queue.scheduleCheckPendingRequests(); // what kafkajs does when a producer connects
    queue.destroy();`;
  const script = `
    if (${withFilter}) require(${JSON.stringify(FILTER)}).filterKafkajsNegativeTimeoutWarning();
    ${source === 'kafkajs' ? kafkajs : 'clearTimeout(setTimeout(() => {}, -5));'}
    process.emitWarning('something else', 'OtherWarning');
  `;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: REPO,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 30_000,
  });
  expect(run.status).toBe(0);
  return run.stderr;
}

describe('filterKafkajsNegativeTimeoutWarning', () => {
  it("silences kafkajs's negative-timeout warning and nothing else", () => {
    const stderr = warningsPrinted(true, 'kafkajs');
    expect(stderr).not.toMatch(/TimeoutNegativeWarning/);
    expect(stderr).toMatch(/OtherWarning: something else/);
  });

  it("still reports a negative timer that is not kafkajs's", () => {
    expect(warningsPrinted(true, 'ours')).toMatch(/TimeoutNegativeWarning: -5 is a negative number/);
  });

  it('is needed: without it Node 24 prints the warning kafkajs causes', () => {
    expect(warningsPrinted(false, 'kafkajs')).toMatch(
      /TimeoutNegativeWarning: -\d{10,} is a negative number/,
    );
  });
});

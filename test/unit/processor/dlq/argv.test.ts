import { ConfigError, parseOptions } from '@telemetry-pulse/shared';
import {
  mergeRepeatedFlag,
  parseLetterAddress,
  splitCommand,
} from '../../../../services/processor/src/dlq/config/argv';
import { toListConfig, toReplayConfig } from '../../../../services/processor/src/dlq/config/command-config';
import { listOptionSpecs, replayOptionSpecs } from '../../../../services/processor/src/dlq/config/options';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('splitCommand', () => {
  it('takes the command first and leaves its options', () => {
    expect(splitCommand(['list', '--error', 'X'])).toEqual({ command: 'list', args: ['--error', 'X'] });
    expect(splitCommand(['inspect', '0:4'])).toEqual({ command: 'inspect', args: ['0:4'] });
  });

  it('answers --help, -h and help [command]', () => {
    expect(splitCommand(['--help'])).toEqual({ command: 'help', topic: undefined });
    expect(splitCommand(['-h', 'list'])).toEqual({ command: 'help', topic: undefined });
    expect(splitCommand(['help', 'replay'])).toEqual({ command: 'help', topic: 'replay' });
  });

  it('refuses a missing or unknown command with a hint', () => {
    expect(problems(() => splitCommand([]))).toEqual(['missing command: one of list, inspect, replay']);
    expect(problems(() => splitCommand(['purge']))[0]).toMatch(/unknown command "purge"/);
    expect(problems(() => splitCommand(['--error', 'X', 'list']))[0]).toMatch(/the command comes first/);
    expect(problems(() => splitCommand(['help', 'purge']))[0]).toMatch(/unknown command "purge"/);
  });
});

describe('mergeRepeatedFlag', () => {
  it('folds repeated and = forms into one comma list at the first place', () => {
    expect(mergeRepeatedFlag(['--json', '--error', 'A', '--limit', '5', '--error=B,C'], 'error')).toEqual([
      '--json',
      '--error',
      'A,B,C',
      '--limit',
      '5',
    ]);
  });

  it('leaves argv alone without the flag, after --, and when the value is missing', () => {
    expect(mergeRepeatedFlag(['--json'], 'error')).toEqual(['--json']);
    expect(mergeRepeatedFlag(['--error', 'A', '--', '--error', 'B'], 'error')).toEqual([
      '--error',
      'A',
      '--',
      '--error',
      'B',
    ]);
    expect(mergeRepeatedFlag(['--error', '--json'], 'error')).toEqual(['--error', '--json']);
  });
});

describe('parseLetterAddress', () => {
  it.each([
    ['0:42', { partition: 0, offset: '42' }],
    ['42', { partition: undefined, offset: '42' }],
    ['3:007', { partition: 3, offset: '7' }],
  ])('reads %s', (text, address) => {
    expect(parseLetterAddress(text)).toEqual(address);
  });

  it.each(['', 'a:1', '1:', '-1', '0:1:2', '1.5'])('refuses %j', (text) => {
    expect(parseLetterAddress(text)).toBeUndefined();
  });
});

describe('options', () => {
  const list = (argv: string[], env: Record<string, string> = {}) => {
    const parsed = parseOptions(listOptionSpecs, mergeRepeatedFlag(argv, 'error'), env);
    if (parsed.help) throw new Error('unexpected help');
    return toListConfig(parsed.config, NOW);
  };
  const replay = (argv: string[], env: Record<string, string> = {}) => {
    const parsed = parseOptions(replayOptionSpecs, mergeRepeatedFlag(argv, 'error'), env);
    if (parsed.help) throw new Error('unexpected help');
    return toReplayConfig(parsed.config, NOW);
  };

  it('defaults list to the DLQ topic, 100 lines and no filter', () => {
    const c = list([]);
    expect(c).toMatchObject({
      dlqTopic: 'telemetry.events.dlq',
      limit: 100,
      json: false,
      filter: { errorCodes: [], sinceMs: undefined, untilMs: undefined, partition: undefined },
    });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('builds the filter from flags, with relative and absolute times', () => {
    const c = list([
      '--error',
      'a',
      '--error',
      'b,c',
      '--since',
      '2h',
      '--until',
      '2025-06-01T11:00Z',
      '--partition',
      '3',
    ]);
    expect(c.filter).toEqual({
      errorCodes: ['A', 'B', 'C'],
      sinceMs: NOW - 7_200_000,
      untilMs: Date.UTC(2025, 5, 1, 11),
      partition: 3,
    });
  });

  it('reads connection and topic from the environment, flags winning', () => {
    const env = { KAFKA_BROKERS: 'k1:9092,k2:9092', PROCESSOR_DLQ_TOPIC: 'site.dlq', DLQ_MAX_REPLAYS: '5' };
    expect(list([], env)).toMatchObject({ dlqTopic: 'site.dlq', kafka: { brokers: ['k1:9092', 'k2:9092'] } });
    expect(list(['--dlq-topic', 'other.dlq'], env).dlqTopic).toBe('other.dlq');
    expect(replay([], env)).toMatchObject({
      maxReplays: 5,
      dryRun: false,
      limit: undefined,
      targetTopic: undefined,
    });
  });

  it('reports every problem at once', () => {
    const found = problems(() =>
      replay(['--since', 'soon', '--until', '24', '--max-replays', '0', '--limit', 'x']),
    );
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toMatch(
      /--since: must be a duration like 2h[^\n]*\(got "soon"\)\n--until: give a unit/,
    );
    expect(found.join('\n')).toMatch(/--limit: .*\n--max-replays \/ DLQ_MAX_REPLAYS/);
  });

  it('refuses --since after --until, and replaying into the DLQ itself', () => {
    expect(problems(() => list(['--since', '1h', '--until', '2h']))).toEqual([
      '--since must be earlier than --until',
    ]);
    expect(problems(() => replay(['--target-topic', 'telemetry.events.dlq']))).toEqual([
      '--target-topic must differ from --dlq-topic',
    ]);
  });

  it('needs both SASL credentials when a mechanism is set', () => {
    expect(problems(() => list([], { KAFKA_SASL_MECHANISM: 'scram-sha-256' }))[0]).toMatch(
      /KAFKA_SASL_USERNAME/,
    );
  });
});

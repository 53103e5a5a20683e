import { ConfigError, formatHelp, opt, parseDurationMs, parseOptions } from '@telemetry-pulse/shared';

const specs = {
  rate: {
    flag: 'rate',
    env: 'SIM_RATE',
    help: 'Events per second.',
    defaultText: '50',
    schema: opt.int(50, 0, 1_000_000),
  },
  backfill: {
    flag: 'backfill',
    env: 'SIM_BACKFILL',
    help: 'History to emit.',
    schema: opt.optionalDuration(),
  },
  dryRun: { flag: 'dry-run', boolean: true, help: 'Do nothing.', schema: opt.bool(false) },
  share: { flag: 'share', help: 'A fraction.', schema: opt.rate(0) },
};

describe('parseOptions', () => {
  it('applies defaults, lets flags win over the environment and freezes the result', () => {
    const parsed = parseOptions(specs, ['--rate', '7', '--dry-run', '--share', '5%'], {
      SIM_RATE: '9',
      SIM_BACKFILL: '2h',
    });
    if (parsed.help) throw new Error('unexpected help');
    expect(parsed.config).toEqual({ rate: 7, backfill: 7_200_000, dryRun: true, share: 0.05 });
    expect(Object.isFrozen(parsed.config)).toBe(true);
  });

  it('reports every problem at once', () => {
    expect.assertions(3);
    try {
      parseOptions(specs, ['--rate=-1', '--backfill', 'soon'], {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(2);
      expect((err as ConfigError).message).toMatch(/--rate \/ SIM_RATE.*\n.*--backfill/s);
    }
  });

  it('refuses unknown flags and answers --help', () => {
    expect(() => parseOptions(specs, ['--rat', '1'], {})).toThrow(ConfigError);
    expect(parseOptions(specs, ['--help'], {})).toEqual({ help: true });
    expect(formatHelp('sim', 'Simulates.', specs)).toMatch(
      /--rate <value>, \$SIM_RATE\n\s+Events per second. \(default: 50\)/,
    );
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['250', 250],
    ['5 minutes', undefined],
  ])('parses duration %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));
});

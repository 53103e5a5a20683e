import { ConfigError, parseOptions } from '@telemetry-pulse/shared/core';
import { operatorOptionSpecs, toOperatorConfig } from '../../../services/operator/src/config';

const parse = (env: Record<string, string>, argv: string[] = []) => {
  const parsed = parseOptions(operatorOptionSpecs, argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return toOperatorConfig(parsed.config);
};

describe('operator options', () => {
  it("reads the chart's environment: namespace, leader election, Lease and pod identity", () => {
    const config = parse({
      OPERATOR_WATCH_NAMESPACE: 'buildings',
      OPERATOR_LEADER_ELECTION: 'false',
      OPERATOR_LEASE_NAME: 'tp-operator',
      POD_NAME: 'tp-operator-7d9f-abcde',
      POD_NAMESPACE: 'telemetry',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      watchNamespace: 'buildings',
      leaderElection: false,
      leaseName: 'tp-operator',
      leaseNamespace: 'telemetry', // POD_NAMESPACE when OPERATOR_LEASE_NAMESPACE is unset
      identity: 'tp-operator-7d9f-abcde',
      port: 9466,
      logLevel: 'debug',
    });
  });

  it('defaults to every namespace, leader election on, and a Lease in default', () => {
    expect(parse({})).toMatchObject({
      watchNamespace: '',
      leaderElection: true,
      leaseNamespace: 'default',
      lagIntervalMs: 15_000,
    });
  });

  it('refuses lease timings that would let two leaders act at once, naming every problem', () => {
    expect(() =>
      parse({ OPERATOR_LEASE_DURATION: '5s', OPERATOR_RENEW_DEADLINE: '5s', OPERATOR_RETRY_PERIOD: '6s' }),
    ).toThrow(ConfigError);
    try {
      parse({ OPERATOR_LEASE_DURATION: '5s', OPERATOR_RENEW_DEADLINE: '5s', OPERATOR_RETRY_PERIOD: '6s' });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'OPERATOR_RENEW_DEADLINE must be shorter than OPERATOR_LEASE_DURATION',
        'OPERATOR_RETRY_PERIOD must be shorter than OPERATOR_RENEW_DEADLINE',
      ]);
    }
  });
});

import { parseOptions } from '@telemetry-pulse/shared';
import {
  checkNotificationRetention,
  parseNotificationsConfig,
  processorOptionSpecs,
  toProcessorConfig,
} from '@telemetry-pulse/processor';

/** PROCESSOR_ROLLUPS beside PROCESSOR_WINDOWS: the chart's HPA example aggregates 1 h windows from raw. */
function config(env: Record<string, string>) {
  const parsed = parseOptions(processorOptionSpecs, [], {
    KAFKA_BROKERS: 'k:9092',
    DATABASE_URL: 'postgres://x/y',
    ...env,
  });
  if (parsed.help) throw new Error('help');
  return toProcessorConfig(parsed.config);
}

describe('processor roll-up options', () => {
  it('rolls up 1 h and 1 d from the 15 m windows by default', () => {
    expect(config({}).rollups).toEqual([3600, 86_400]);
  });

  it('takes a roll-up width that is also a window as that window, not as an error', () => {
    const c = config({ PROCESSOR_WINDOWS: '5m,15m,1h' });
    expect(c.windows).toEqual([300, 900, 3600]);
    expect(c.rollups).toEqual([86_400]);
  });

  it('still refuses a roll-up that no window divides', () => {
    expect(() => config({ PROCESSOR_WINDOWS: '7m', PROCESSOR_ROLLUPS: '1h' })).toThrow(/not a multiple/);
  });

  it('refuses a raw retention that would keep more than a thousand partitions, naming a width that fits', () => {
    expect(() => config({ PROCESSOR_RAW_RETENTION: '1100d' })).toThrow(
      'PROCESSOR_RAW_RETENTION with PROCESSOR_RAW_PARTITION keeps 1103 raw partitions, more than 1000: use partitions of at least 2d',
    );
    expect(config({ PROCESSOR_RAW_RETENTION: '1100d', PROCESSOR_RAW_PARTITION: '2d' }).rawRetentionMs).toBe(
      1100 * 86_400_000,
    );
  });
});

describe('notification retention against the dispatcher max age', () => {
  const notifications = (maxAge: string) => {
    const parsed = parseNotificationsConfig({
      max_age: maxAge,
      channels: [{ name: 'am', type: 'alertmanager', url: 'http://am:9093' }],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return parsed.config;
  };

  it('keeps transitions 30 days by default, longer than the default 24 h max age', () => {
    const retention = config({}).notificationRetentionMs;
    expect(retention).toBe(30 * 86_400_000);
    expect(() => checkNotificationRetention(retention, notifications('24h'))).not.toThrow();
    expect(() => checkNotificationRetention(retention, undefined)).not.toThrow();
  });

  it('refuses a retention within the max age: a deleted transition would be routed and sent again', () => {
    const retention = config({ PROCESSOR_NOTIFICATION_RETENTION: '2d' }).notificationRetentionMs;
    expect(() => checkNotificationRetention(retention, notifications('3d'))).toThrow(
      'PROCESSOR_NOTIFICATION_RETENTION (2d) must exceed NOTIFICATIONS_CONFIG max_age (3d)',
    );
  });
});

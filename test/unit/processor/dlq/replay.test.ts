import type { DeadLetter } from '../../../../services/processor/src/dlq/domain/dead-letter';
import { replayCountOf } from '../../../../services/processor/src/dlq/domain/dead-letter';
import {
  decideReplay,
  replayHeaders,
  replayTargetOf,
  type ReplayPolicy,
} from '../../../../services/processor/src/dlq/domain/replay';

const PROCESSOR_HEADERS = {
  'x-error-code': 'SCHEMA_VIOLATION',
  'x-error-message': 'value: expected number',
  'x-original-topic': 'telemetry.events',
  'x-original-partition': '4',
  'x-original-offset': '1234',
  'x-original-timestamp': '2025-06-01T10:00:00.000Z',
  'x-consumer-group': 'telemetry-processor',
  'x-attempt-count': '1',
};

function letter(headers: Record<string, string> = {}): DeadLetter {
  const all: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries({ ...PROCESSOR_HEADERS, ...headers })) all[k] = Buffer.from(v);
  return {
    partition: 2,
    offset: '41',
    timestampMs: 0,
    key: Buffer.from('dev-1'),
    value: Buffer.from('{"value":"high"}'),
    headers: all,
  };
}

const policy: ReplayPolicy = {
  dlqTopic: 'telemetry.events.dlq',
  targetTopic: undefined,
  fallbackTopic: 'telemetry.events',
  maxReplays: 3,
  topicExists: () => true,
};

describe('replayHeaders', () => {
  it('drops the failure headers, keeps the message own ones, sets the count and the origin', () => {
    const headers = replayHeaders(
      letter({ traceparent: '00-abc-def-01', 'x-error-stack': 'at …', 'x-replay-count': '1' }),
      'telemetry.events.dlq',
      2,
    );
    expect(Object.keys(headers).sort()).toEqual(['traceparent', 'x-replay-count', 'x-replayed-from']);
    expect(headers['traceparent']?.toString()).toBe('00-abc-def-01');
    expect(headers['x-replay-count']).toBe('2');
    expect(headers['x-replayed-from']).toBe('telemetry.events.dlq:2:41');
  });

  it('replaces an older x-replayed-from rather than keeping two origins', () => {
    const headers = replayHeaders(letter({ 'x-replayed-from': 'old:0:1' }), 'dlq', 1);
    expect(headers['x-replayed-from']).toBe('dlq:2:41');
  });
});

describe('decideReplay', () => {
  it('replays a fresh letter to its original topic with replay count 1', () => {
    const d = decideReplay(letter(), policy);
    expect(d).toMatchObject({ action: 'replay', targetTopic: 'telemetry.events', replayCount: 1 });
    if (d.action === 'replay') expect(d.headers['x-replay-count']).toBe('1');
  });

  it('increments an existing replay count', () => {
    expect(decideReplay(letter({ 'x-replay-count': '2' }), policy)).toMatchObject({ replayCount: 3 });
  });

  it.each([
    ['3', 3],
    ['4', 3],
    ['1', 1],
  ])('refuses a letter replayed %s times when the limit is %i (the loop guard)', (count, maxReplays) => {
    expect(decideReplay(letter({ 'x-replay-count': count }), { ...policy, maxReplays })).toEqual({
      action: 'skip',
      reason: 'replay-limit',
      detail: `already replayed ${count} times (--max-replays ${maxReplays})`,
    });
  });

  it.each(['-1', 'three', '1.5', ''])(
    'refuses an unreadable replay count %j rather than reading it as 0',
    (count) => {
      expect(decideReplay(letter({ 'x-replay-count': count }), policy)).toMatchObject({
        action: 'skip',
        reason: 'invalid-replay-count',
      });
    },
  );

  it('sends to --target-topic when set, else the original topic, else the fallback', () => {
    const noOrigin = letter();
    const { 'x-original-topic': _dropped, ...rest } = noOrigin.headers;
    expect(replayTargetOf(letter(), { ...policy, targetTopic: 'retry' })).toBe('retry');
    expect(replayTargetOf(letter({ 'x-original-topic': 'site-a.events' }), policy)).toBe('site-a.events');
    expect(replayTargetOf({ ...noOrigin, headers: rest }, policy)).toBe('telemetry.events');
  });

  it('never sends a letter back into the DLQ, nor to a topic that does not exist', () => {
    expect(decideReplay(letter({ 'x-original-topic': 'telemetry.events.dlq' }), policy)).toMatchObject({
      action: 'skip',
      reason: 'target-is-dlq',
    });
    expect(decideReplay(letter(), { ...policy, topicExists: () => false })).toMatchObject({
      action: 'skip',
      reason: 'target-missing',
      detail: 'target topic telemetry.events does not exist',
    });
  });
});

describe('replayCountOf', () => {
  it('is 0 without the header and the number with it', () => {
    const { 'x-replay-count': _none, ...headers } = letter({ 'x-replay-count': '0' }).headers;
    expect(replayCountOf({ ...letter(), headers })).toEqual({ ok: true, count: 0 });
    expect(replayCountOf(letter({ 'x-replay-count': ' 12 ' }))).toEqual({ ok: true, count: 12 });
  });
});

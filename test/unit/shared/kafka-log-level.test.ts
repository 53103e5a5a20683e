import { logLevel } from 'kafkajs';
import { kafkajsLogMethod, STARTUP_CHATTER } from '../../../services/shared/src/kafka/log-level';

/**
 * A fresh broker answers "coordinator loading" and "coordinator not available" for a second or two, which
 * kafkajs logs as errors and retries (issue 20, item 7): debug lines here; every other entry keeps its level.
 */
describe('kafkajs log levels', () => {
  it("writes a broker's retriable start-up answers at debug", () => {
    for (const error of STARTUP_CHATTER) {
      const response = 'Response FindCoordinator(key: 10, version: 2)';
      expect(kafkajsLogMethod(logLevel.ERROR, response, { broker: 'b:9092', error })).toBe('debug');
    }
  });

  it('reads the answer at the end of a message too (a send kafkajs retries)', () => {
    const message = 'Failed to send messages: This server is not the leader for that topic-partition';
    expect(kafkajsLogMethod(logLevel.ERROR, message, { retryCount: 0 })).toBe('debug');
  });

  it('keeps every other entry at its own level', () => {
    const response = 'Response Metadata(key: 3, version: 6)';
    const refused = { error: 'Connection error: connect ECONNREFUSED' };
    expect(kafkajsLogMethod(logLevel.ERROR, response, refused)).toBe('error');
    expect(kafkajsLogMethod(logLevel.ERROR, 'Failed to send messages: Broker not connected', {})).toBe(
      'error',
    );
    expect(kafkajsLogMethod(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', {})).toBe('error');
    expect(kafkajsLogMethod(logLevel.WARN, response, { error: STARTUP_CHATTER[0] })).toBe('warn');
    expect(kafkajsLogMethod(logLevel.INFO, 'Starting', {})).toBe('info');
    expect(kafkajsLogMethod(logLevel.DEBUG, 'Request', {})).toBe('debug');
  });

  it('names the messages kafkajs really sends for those error codes', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { errorCodes } = require('kafkajs/src/protocol/error') as {
      errorCodes: { type: string; message: string }[];
    };
    const messages = new Map(errorCodes.map((e) => [e.type, e.message]));
    expect(STARTUP_CHATTER).toEqual([
      messages.get('GROUP_LOAD_IN_PROGRESS'),
      messages.get('GROUP_COORDINATOR_NOT_AVAILABLE'),
      messages.get('NOT_COORDINATOR_FOR_GROUP'),
      messages.get('LEADER_NOT_AVAILABLE'),
      messages.get('REBALANCE_IN_PROGRESS'),
      messages.get('NOT_LEADER_FOR_PARTITION'),
      'Topic creation errors', // kafkajs' own wrapper (protocol/requests/createTopics), not a protocol error
    ]);
  });
});

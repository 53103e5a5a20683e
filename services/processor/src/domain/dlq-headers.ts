/** Header names on every dead letter; the DLQ tool filters and replays by them. */
export const DLQ_HEADERS = {
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  originalTimestamp: 'x-original-timestamp',
  consumerGroup: 'x-consumer-group',
  attempts: 'x-attempt-count',
  replayCount: 'x-replay-count',
} as const;

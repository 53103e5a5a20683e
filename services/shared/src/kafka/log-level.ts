import { logLevel } from 'kafkajs';

/** The pino method for each kafkajs log level. */
const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Answers a broker gives while it starts, or while it moves a group's coordinator or a partition's leader:
 * retriable, retried by kafkajs within a second or two, and normal on every fresh broker. kafkajs logs each
 * as an error line (`Response FindCoordinator …`); they are debug lines here, so a start reads clean.
 */
export const STARTUP_CHATTER: readonly string[] = [
  "The coordinator is loading and hence can't process requests for this group", // GROUP_LOAD_IN_PROGRESS
  'The group coordinator is not available', // GROUP_COORDINATOR_NOT_AVAILABLE
  'This is not the correct coordinator for this group', // NOT_COORDINATOR_FOR_GROUP
  'There is no leader for this topic-partition as we are in the middle of a leadership election', // LEADER_NOT_AVAILABLE
  'The group is rebalancing, so a rejoin is needed', // REBALANCE_IN_PROGRESS
  'This server is not the leader for that topic-partition', // NOT_LEADER_FOR_PARTITION, a new topic's first sends
  // Two clients creating the same topic at once (the processor and the simulator at start-up): kafkajs logs
  // the broker's TOPIC_ALREADY_EXISTS under this name and carries on; any other creation failure is thrown
  // by admin.createTopics, so ensureTopics reports it as the service's own error.
  'Topic creation errors',
];

/**
 * The level a kafkajs log entry is written at: its own, except a broker's normal start-up chatter, whether
 * kafkajs names the answer in the entry's `error` field (`Response Produce …`) or at the end of its message
 * (`Failed to send messages: …`, before a retry). A failure that outlasts kafkajs' retries is thrown to the
 * caller, which logs it as its own error.
 */
export function kafkajsLogMethod(
  level: number,
  message: string,
  fields: Readonly<Record<string, unknown>>,
): 'error' | 'warn' | 'info' | 'debug' {
  if (level === logLevel.ERROR) {
    const error = fields['error'];
    const said = typeof error === 'string' ? error : message.slice(message.lastIndexOf(': ') + 2);
    if (STARTUP_CHATTER.includes(said)) return 'debug';
  }
  return LEVELS[level] ?? 'info';
}

/**
 * A runtime failure the tool explains itself (broker unreachable, topic or offset missing, send failed):
 * printed as one plain line and exit code 1. Anything else is a bug and keeps its stack trace.
 */
export class DlqToolError extends Error {
  readonly code = 'DLQ_TOOL_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DlqToolError';
  }
}

/** `err`'s message followed by its causes' (kafkajs nests the socket error two levels down). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth += 1) {
    const message = e instanceof Error ? e.message : String(e);
    if (!parts.some((p) => p.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}

// kafkajs wraps the socket error (KafkaJSNumberOfRetriesExceeded > KafkaJSConnectionError > ECONNREFUSED).
const CONNECTION_ERRORS = /KafkaJSConnection|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN/;
const AUTH_ERRORS = /SASL|Authentication/i;

/** A Kafka client failure as a DlqToolError that says what to check; `what` names the step that failed. */
export function kafkaFailure(what: string, err: unknown, brokers: readonly string[]): DlqToolError {
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 4; e = e.cause) {
    chain.push(`${e.name} ${e.message}`);
  }
  const text = chain.join(' ');
  const detail = describeError(err);
  if (CONNECTION_ERRORS.test(text)) {
    return new DlqToolError(`cannot reach Kafka at ${brokers.join(',')} (set KAFKA_BROKERS): ${detail}`, {
      cause: err,
    });
  }
  if (AUTH_ERRORS.test(text)) {
    return new DlqToolError(`Kafka refused the credentials (check KAFKA_SASL_*): ${detail}`, { cause: err });
  }
  return new DlqToolError(`${what} failed: ${detail}`, { cause: err });
}

/** Where readings travel: the events topic (keyed by device_id) and its dead-letter topic. */
export const DEFAULT_TOPIC = 'telemetry.events';
export const DEFAULT_DLQ_TOPIC = 'telemetry.events.dlq';

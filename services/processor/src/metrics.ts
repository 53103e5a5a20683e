import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The processor's Prometheus metrics; labels are bounded (no event or device ids). */
export function createProcessorMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    consumed: new Counter({
      name: 'telemetry_processor_events_consumed_total',
      help: 'Records read from the events topic.',
      registers: [registry],
    }),
    stored: new Counter({
      name: 'telemetry_processor_events_stored_total',
      help: 'Readings inserted as new raw rows.',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'telemetry_processor_events_duplicate_total',
      help: 'Valid readings whose event id was already stored or repeated in the batch.',
      registers: [registry],
    }),
    rawCopyFallbacks: new Counter({
      name: 'telemetry_processor_raw_copy_fallbacks_total',
      help: 'Batches whose COPY of raw readings met an id already stored and were stored by INSERT ... ON CONFLICT instead.',
      registers: [registry],
    }),
    late: new Counter({
      name: 'telemetry_processor_events_late_total',
      help: 'Stored readings behind the partition watermark, by lateness (late or too_late).',
      labelNames: ['lateness'] as const,
      registers: [registry],
    }),
    expired: new Counter({
      name: 'telemetry_processor_events_expired_total',
      help: 'Valid readings older than the raw retention (their partition is dropped): counted, not stored.',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'telemetry_processor_events_dead_lettered_total',
      help: 'Records sent to the dead-letter topic, by error code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    skippedReplayed: new Counter({
      name: 'telemetry_processor_records_skipped_total',
      help: 'Records skipped because the database already holds their effects (redelivery after a crash or rebalance).',
      registers: [registry],
    }),
    windowRevisions: new Counter({
      name: 'telemetry_processor_window_revisions_total',
      help: 'Updates to windows that were already final (late readings).',
      registers: [registry],
    }),
    windowsFinalised: new Counter({
      name: 'telemetry_processor_windows_finalised_total',
      help: 'Windows marked final by the watermark.',
      registers: [registry],
    }),
    alertTransitions: new Counter({
      name: 'telemetry_processor_alert_transitions_total',
      help: 'Alert lifecycle changes made by the engine, by rule and action.',
      labelNames: ['rule', 'action'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'telemetry_processor_retries_total',
      help: 'Batch attempts that failed transiently and were retried.',
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: 'telemetry_processor_batch_failures_total',
      help: 'Batch attempts that failed for a reason that is not transient (a bug); the partition retries after a pause, then isolates the failing records.',
      registers: [registry],
    }),
    deadLettersRefused: new Counter({
      name: 'telemetry_processor_dead_letters_refused_total',
      help: 'Dead letters the dead-letter topic refused (too large for it, invalid), by error code; kept in PostgreSQL (dead_letters.publish_error).',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    stuckPartitions: new Gauge({
      name: 'telemetry_processor_stuck_partitions',
      help: 'Partitions whose batch failed (not transiently) and has not been applied since.',
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'telemetry_processor_batch_size',
      help: 'Records per processed batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'telemetry_processor_batch_duration_seconds',
      help: 'Time from receiving a batch to committing its offset, retries included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    txDuration: new Histogram({
      name: 'telemetry_processor_db_transaction_duration_seconds',
      help: 'Duration of one batch transaction attempt.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    pausedPartitions: new Gauge({
      name: 'telemetry_processor_paused_partitions',
      help: 'Partitions paused while their batch waits for the database.',
      registers: [registry],
    }),
    watermarkLag: new Gauge({
      name: 'telemetry_processor_watermark_age_seconds',
      help: 'Wall clock minus the partition watermark.',
      labelNames: ['partition'] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'telemetry_processor_consumer_lag',
      help: "High watermark minus the group's committed offset, per partition, from the Kafka admin API (every instance reports the whole topic).",
      labelNames: ['partition'] as const,
      registers: [registry],
    }),
    openAlerts: new Gauge({
      name: 'telemetry_processor_open_alerts',
      help: 'Alerts not resolved yet, by severity, from PostgreSQL (every instance reports the same figure).',
      labelNames: ['severity'] as const,
      registers: [registry],
    }),
    notificationsSent: new Counter({
      name: 'telemetry_processor_notifications_sent_total',
      help: 'Notifications a receiver accepted, by channel (a digest counts each notification in it).',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    notificationsFailed: new Counter({
      name: 'telemetry_processor_notifications_failed_total',
      help: 'Failed delivery attempts, by channel; each is retried with backoff until the channel gives up.',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    notificationsDead: new Counter({
      name: 'telemetry_processor_notifications_dead_total',
      help: "Notifications given up on after the channel's last attempt (or refused as malformed), by channel.",
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    notificationBacklog: new Gauge({
      name: 'telemetry_processor_notification_backlog',
      help: "Notifications pending on a channel (due or held), read by the channel's active dispatcher.",
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    notificationOldestAge: new Gauge({
      name: 'telemetry_processor_notification_oldest_pending_seconds',
      help: 'Age of the oldest pending notification of a channel (0 when none).',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    notificationLatency: new Histogram({
      name: 'telemetry_processor_notification_latency_seconds',
      help: "From the alert transition's transaction to the receiver accepting it, by channel.",
      labelNames: ['channel'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
  };
  return m;
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The simulator's Prometheus metrics; labels are bounded (sensor type and message kind, never a device id). */
export function createSimulatorMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    produced: new Counter({
      name: 'telemetry_simulator_events_produced_total',
      help: 'Messages acknowledged by the broker, by sensor type and outcome (the injected message kind).',
      labelNames: ['sensor_type', 'outcome'] as const,
      registers: [registry],
    }),
    sendFailures: new Counter({
      name: 'telemetry_simulator_send_failures_total',
      help: 'Produce requests (batches) the broker did not acknowledge.',
      registers: [registry],
    }),
    produceDuration: new Histogram({
      name: 'telemetry_simulator_produce_duration_seconds',
      help: 'Time from handing a batch to the producer until the broker acknowledged it.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'telemetry_simulator_batch_size',
      help: 'Messages per produce request.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
  };
}

export type SimulatorMetrics = ReturnType<typeof createSimulatorMetrics>;

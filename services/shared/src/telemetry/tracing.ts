import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';

/** What a service keeps from {@link startTracing}: call `shutdown()` last in its graceful stop. */
export interface Tracing {
  /** True when spans are recorded and exported; false when tracing is off (every API call is a no-op). */
  readonly enabled: boolean;
  /** Exports every ended span now (spans wait for the resource detectors, even with a simple processor). */
  forceFlush(): Promise<void>;
  /** Exports the spans still buffered, then stops the SDK. Idempotent; resolves at once when off. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** `service.name` of the resource, unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  /** The OTEL_* variables (the composition root passes `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Exports every span at once to this exporter instead of OTLP (tests, debugging); enables tracing. */
  readonly exporter?: SpanExporter;
}

/** Health and scrape endpoints are polled every few seconds; their spans would drown the real ones. */
const UNTRACED_PATHS = new Set(['/metrics', '/healthz', '/livez', '/readyz']);

/**
 * Whether the environment asks for OTLP trace export: an OTLP endpoint is set, or `OTEL_TRACES_EXPORTER`
 * names `otlp`; `OTEL_TRACES_EXPORTER=none` and `OTEL_SDK_DISABLED=true` switch it off. Off by default, so a
 * plain `npm start` pays nothing for tracing.
 */
export function tracingRequested(env: TracingOptions['env']): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/**
 * Starts the OpenTelemetry Node SDK for traces only (metrics stay with prom-client, logs with pino):
 * HTTP, koa and pg are instrumented automatically, Kafka by hand in the shared producer and consumer.
 * Must run before `pg`, `http` or `koa` are first required, which is why `runService` (service.ts) calls
 * it before it loads the service's definition. The OTLP/HTTP exporter reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables, the batch processor `OTEL_BSP_*`, the sampler `OTEL_TRACES_SAMPLER*`.
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (opts.exporter === undefined && !tracingRequested(opts.env)) {
    return { enabled: false, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
  }
  const sdk = new NodeSDK({
    serviceName: opts.env['OTEL_SERVICE_NAME'] || opts.serviceName,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      new KoaInstrumentation(),
      // Queries outside a traced operation (migrations, maintenance timers) would each start a lone trace.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
    ...(opts.exporter
      ? { spanProcessors: [new SimpleSpanProcessor({ exporter: opts.exporter })] }
      : { traceExporter: new OTLPTraceExporter() }),
    // Metrics are prom-client's and logs pino's: keep the SDK from exporting either on its own.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    forceFlush: async () => {
      const global = trace.getTracerProvider();
      const provider: object = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
      if ('forceFlush' in provider && typeof provider.forceFlush === 'function') await provider.forceFlush();
    },
    shutdown: () => (stopping ??= sdk.shutdown()),
  };
}

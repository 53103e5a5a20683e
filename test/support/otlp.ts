import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One span of an OTLP JSON trace export (ids in hex, as both the services' OTLP/HTTP JSON exporter and the
 * collector's file exporter write them), with its resource's service.name and its attributes flattened.
 */
export interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  /** Nanoseconds since the epoch, as a decimal string (OTLP JSON's int64). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  links?: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
export const SPAN_KIND_PRODUCER = 4;
export const SPAN_KIND_CONSUMER = 5;

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type KeyValue = { key: string; value: AnyValue };
/** An ExportTraceServiceRequest in OTLP's JSON encoding. */
export interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      spans?: (Omit<OtlpSpan, 'service' | 'attributes'> & { attributes?: KeyValue[] })[];
    }[];
  }[];
}

const flatten = (attrs: KeyValue[] = []) =>
  Object.fromEntries(
    attrs.map((a) => [
      a.key,
      a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue,
    ]),
  );

/** The spans of one export request. An empty parent id (the collector writes "") means a root span. */
export function spansOf(payload: OtlpExport): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of payload.resourceSpans ?? []) {
    const service = String(flatten(rs.resource?.attributes)['service.name']);
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        const { parentSpanId, ...rest } = s;
        spans.push({
          ...rest,
          ...(parentSpanId ? { parentSpanId } : {}),
          service,
          attributes: flatten(s.attributes),
        });
      }
  }
  return spans;
}

/** The SQL a database span ran, under either generation of the `db.*` conventions. */
export const statementOf = (s: OtlpSpan): string =>
  String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '');

/** Whether `span` is `ancestor` or sits under it, following parent ids through `spans`. */
export function descendsFrom(span: OtlpSpan, ancestor: OtlpSpan, spans: readonly OtlpSpan[]): boolean {
  const seen = new Set<string>();
  for (let cur: OtlpSpan | undefined = span; cur && !seen.has(cur.spanId);) {
    if (cur.spanId === ancestor.spanId && cur.traceId === ancestor.traceId) return true;
    seen.add(cur.spanId);
    const parent: string | undefined = cur.parentSpanId;
    cur = parent ? spans.find((p) => p.spanId === parent && p.traceId === span.traceId) : undefined;
  }
  return false;
}

/** Whether `span` has a span link to `target`. */
export const linksTo = (span: OtlpSpan, target: { traceId: string; spanId: string }): boolean =>
  (span.links ?? []).some((l) => l.traceId === target.traceId && l.spanId === target.spanId);

/**
 * A tiny OTLP/HTTP JSON receiver in the test process: what the services export when
 * OTEL_EXPORTER_OTLP_ENDPOINT points at it. test/support/otel-collector.ts runs a real collector instead.
 */
export function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body) as OtlpExport));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }),
    ),
  );
}

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { waitFor } from './infra';
import { spansOf, type OtlpExport, type OtlpSpan } from './otlp';
import { freePort } from './reliability/process';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The collector that tools/otelcol.sh built for the current tools/otelcol sources. Never built here: a cold
 * build takes minutes (scripts/test.sh builds it beside the other tools), so a missing one fails the test
 * with the command to run.
 */
export function otelcolPath(): string {
  try {
    return execFileSync('bash', [path.join(ROOT, 'tools', 'otelcol.sh'), '--check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`the OpenTelemetry Collector is not built:\n${stderr}`);
  }
}

export interface Collector {
  /** Base URL of its OTLP/HTTP receiver, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Every span its file exporter has written so far. */
  spans(): OtlpSpan[];
  /** The collector's own log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts tools/otelcol on loopback with a generated configuration: the OTLP receiver over HTTP on a free
 * port, traces written by the file exporter as OTLP JSON (one export request a line, flushed every 100 ms),
 * the collector's own metrics off so it opens no other port. Resolves once the receiver answers.
 */
export async function startCollector(): Promise<Collector> {
  const bin = otelcolPath();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-otelcol-'));
  const output = path.join(dir, 'traces.jsonl');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
    exporters: { file: { path: output, flush_interval: '100ms' } },
    service: {
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
      pipelines: { traces: { receivers: ['otlp'], exporters: ['file'] } },
    },
  };
  writeFileSync(path.join(dir, 'config.yaml'), toYaml(config));
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  const child = spawn(bin, [`--config=${path.join(dir, 'config.yaml')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'the collector to accept OTLP/HTTP',
      async () => {
        if (child.exitCode !== null) throw new Error(`otelcol exited ${child.exitCode}: ${log}`);
        // An empty export request: the receiver answers 200 once its pipeline is running.
        const res = await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return res.status === 200 ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    spans: () => {
      if (!existsSync(output)) return [];
      // The last line may be half-written between two flushes: only whole lines are read.
      const lines = readFileSync(output, 'utf8').split('\n').slice(0, -1);
      return lines.filter((l) => l.trim() !== '').flatMap((l) => spansOf(JSON.parse(l) as OtlpExport));
    },
    logs: () => log,
    stop,
  };
}

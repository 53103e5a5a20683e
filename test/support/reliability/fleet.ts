import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../private-infra';

/**
 * Real processor processes (services/processor/dist/main.js) for the reliability suite, so kill -9 is a
 * real kill -9. Each one logs to its own file in the run's directory and serves /readyz and /metrics on
 * its own port.
 */

const MAIN = path.join(__dirname, '..', '..', '..', 'services', 'processor', 'dist', 'main.js');

export interface ProcessorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly opsPort: number;
  readonly exited: Promise<number | null>;
  alive(): boolean;
}

export interface ProcessorFleet {
  readonly members: ProcessorProcess[];
  start(): Promise<ProcessorProcess>;
  /** Signals one member and waits for it to exit (SIGTERM: a graceful leave). */
  stop(member: ProcessorProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  stopAll(): Promise<void>;
  /** Members whose /readyz does not answer 200 (empty when all are ready). */
  notReady(): Promise<string[]>;
  /** Sum of a counter over the live members' /metrics. */
  counter(name: string): Promise<number>;
  /** Resident set size of each live member, bytes. */
  rss(): number[];
  /** Lines of all members' logs matching `pattern`. */
  logLines(pattern: RegExp): string[];
}

export function httpGet(
  port: number,
  route: string,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${route} timed out`)));
    req.on('error', reject);
  });
}

/**
 * `env(name)` gives each member's environment; `name` is unique within the fleet (processor-1, …).
 * `nice` above 0 starts members through nice(1), so every thread runs at that niceness (Linux keeps one
 * per thread; setpriority on the pid would reach the main thread only). nice execs node, so the child's
 * pid is node's and kill -9 still reaches the processor itself.
 */
export function createProcessorFleet(
  logDir: string,
  env: (name: string) => Record<string, string>,
  { nice = 0 }: { nice?: number } = {},
): ProcessorFleet {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`niceness must be 0-19, got ${nice}`);
  const members: ProcessorProcess[] = [];
  const logs: string[] = [];
  let started = 0;

  return {
    members,
    async start() {
      const name = `processor-${(started += 1)}`;
      const opsPort = await freePort();
      const logFile = path.join(logDir, `${name}.log`);
      logs.push(logFile);
      const out = openSync(logFile, 'a');
      const childEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(OTEL_|KAFKA_|PROCESSOR_|DATABASE_URL)/.test(k)) childEnv[k] = v;
      }
      const command = nice > 0 ? 'nice' : process.execPath;
      const args = nice > 0 ? ['-n', String(nice), process.execPath, MAIN] : [MAIN];
      const child = spawn(command, args, {
        env: { ...childEnv, PROCESSOR_PORT: String(opsPort), PROCESSOR_HOST: '127.0.0.1', ...env(name) },
        stdio: ['ignore', out, out],
      });
      let exitCode: number | null | undefined;
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => {
          exitCode = code;
          resolve(code);
        }),
      );
      const member: ProcessorProcess = { name, child, opsPort, exited, alive: () => exitCode === undefined };
      members.push(member);
      return member;
    },
    async stop(member, signal) {
      if (member.alive()) member.child.kill(signal);
      const timer = setTimeout(() => member.child.kill('SIGKILL'), 30_000); // a stuck graceful stop
      await member.exited;
      clearTimeout(timer);
      members.splice(members.indexOf(member), 1);
    },
    async stopAll() {
      await Promise.all([...members].map((m) => this.stop(m, 'SIGTERM')));
    },
    async notReady() {
      const out: string[] = [];
      for (const m of members) {
        const ok = await httpGet(m.opsPort, '/readyz').then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ok) out.push(m.name);
      }
      return out;
    },
    async counter(name) {
      let sum = 0;
      for (const m of members) {
        const { body } = await httpGet(m.opsPort, '/metrics');
        for (const line of body.split('\n')) {
          if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
            sum += Number(line.slice(line.lastIndexOf(' ') + 1));
          }
        }
      }
      return sum;
    },
    rss() {
      return members
        .filter((m) => m.alive())
        .map((m) => {
          const status = readFileSync(`/proc/${m.child.pid}/status`, 'utf8');
          return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
        });
    },
    logLines(pattern) {
      return logs.flatMap((f) => {
        try {
          return readFileSync(f, 'utf8')
            .split('\n')
            .filter((l) => pattern.test(l));
        } catch {
          return [];
        }
      });
    },
  };
}

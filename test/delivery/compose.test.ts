import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { apiOptionSpecs, toApiConfig } from '@telemetry-pulse/api';
import { processorOptionSpecs, toProcessorConfig } from '@telemetry-pulse/processor';
import { databaseOptionSpecs, parseOptions, type OptionSpecs } from '@telemetry-pulse/shared';
import { parseSimulatorConfig, simulatorOptionSpecs } from '@telemetry-pulse/simulator';

/**
 * docker-compose.yml (docs/deploy/compose.md), loaded offline the way `docker compose config` loads it
 * (compose-go, through tools/delivery-check): schema, interpolation and references are valid; every image
 * it builds comes from the root Dockerfile; every variable it passes to a service is one that service reads
 * and parses; health checks and depends_on conditions bring the stack up in order; the Prometheus, Grafana
 * and OpenTelemetry Collector files it mounts point at its own services.
 */
const ROOT = path.join(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

interface DependsOn {
  readonly condition: string;
}
interface ComposeService {
  readonly image?: string;
  readonly build?: { context: string; dockerfile: string; target?: string };
  readonly command?: string[] | null;
  readonly environment?: Record<string, string | null>;
  readonly depends_on?: Record<string, DependsOn>;
  readonly healthcheck?: { test?: string[]; disable?: boolean };
  readonly restart?: string;
  readonly read_only?: boolean;
  readonly tmpfs?: string[];
  readonly cap_drop?: string[];
  readonly security_opt?: string[];
  readonly deploy?: { replicas?: number };
  readonly container_name?: string;
  readonly ports?: { target: number; published: string; host_ip?: string }[];
  readonly expose?: string[];
  readonly volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
}
interface ComposeProject {
  readonly name: string;
  readonly services: Record<string, ComposeService>;
}

let checker: string;
/** `docker compose config` of the files, as JSON; the environment is only what `env` gives. */
function composeConfig(
  files: string[],
  env: Record<string, string> = {},
  extra: string[] = [],
): ComposeProject {
  const run = spawnSync(checker, ['compose', ...extra, ...files], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env },
  });
  if (run.status !== 0) throw new Error(run.stderr.trim());
  return JSON.parse(run.stdout) as ComposeProject;
}

/** The standard OpenTelemetry variables the services' Node SDK reads (docs/observability.md, "Tracing"). */
const OTEL_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_RESOURCE_ATTRIBUTES',
];
const envNames = (specs: OptionSpecs): string[] =>
  Object.values(specs).flatMap((s) => (s.env ? [s.env] : []));

interface Reader {
  readonly program: string;
  readonly variables: ReadonlySet<string>;
  /** Parses the variables with the program's own option parser; throws its ConfigError. */
  readonly parse: (env: Record<string, string>) => unknown;
}
const MIGRATE: Reader = {
  program: 'services/shared/dist/migrate-cli.js',
  variables: new Set([...envNames(databaseOptionSpecs), 'LOG_LEVEL']),
  parse: (env) => parseOptions({ ...databaseOptionSpecs }, [], env),
};
const READERS: Record<string, Reader> = {
  processor: {
    program: 'services/processor/dist/main.js',
    variables: new Set([...envNames(processorOptionSpecs), ...OTEL_VARIABLES]),
    parse: (env) => {
      const parsed = parseOptions(processorOptionSpecs, [], env);
      return parsed.help ? parsed : toProcessorConfig(parsed.config);
    },
  },
  api: {
    program: 'services/api/dist/main.js',
    variables: new Set([...envNames(apiOptionSpecs), ...OTEL_VARIABLES]),
    parse: (env) => {
      const parsed = parseOptions(apiOptionSpecs, [], env);
      return parsed.help ? parsed : toApiConfig(parsed.config);
    },
  },
  simulator: {
    program: 'services/simulator/dist/main.js',
    variables: new Set([...envNames(simulatorOptionSpecs), ...OTEL_VARIABLES]),
    parse: (env) => parseSimulatorConfig([], env),
  },
};

/** The program a service built from this repository runs, by image target and command; none for others. */
export function readerOf(service: ComposeService): Reader | undefined {
  if (!service.build || path.resolve(service.build.context) !== ROOT) return undefined;
  if (service.command?.some((arg) => arg === MIGRATE.program)) return MIGRATE;
  const reader = READERS[service.build.target ?? ''];
  if (!reader) throw new Error(`no known program for target ${service.build.target}`);
  return reader;
}

/** Variables passed to a service of this repository that its program does not read. */
export function unknownVariables(project: ComposeProject): string[] {
  return Object.entries(project.services).flatMap(([name, service]) => {
    const reader = readerOf(service);
    if (!reader) return [];
    return Object.keys(service.environment ?? {})
      .filter((v) => !reader.variables.has(v))
      .map((v) => `${name}: ${v}`);
  });
}

/** Broken start-up order: a condition its dependency cannot meet. */
export function orderProblems(
  project: ComposeProject,
  imageHealthcheck: (target: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
      const target = project.services[dep];
      if (!target) {
        problems.push(`${name} depends on unknown ${dep}`);
        continue;
      }
      const hasHealthcheck = target.healthcheck
        ? !target.healthcheck.disable
        : !!target.build?.target && imageHealthcheck(target.build.target);
      if (condition === 'service_healthy' && !hasHealthcheck) {
        problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no health check`);
      }
      if (condition === 'service_completed_successfully' && target.restart !== 'no') {
        problems.push(
          `${name} waits for ${dep} to complete, but ${dep} restarts (${target.restart ?? 'default'})`,
        );
      }
    }
  }
  return problems;
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
/** Whether a Dockerfile stage (or the one it builds on) declares a HEALTHCHECK. */
function imageHealthcheck(target: string): boolean {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const body = stages.find((s) => new RegExp(`^\\S+ AS ${target}\\n`).test(s));
  if (!body) return false;
  if (/^HEALTHCHECK /m.test(body)) return true;
  const base = /^(\S+) AS/.exec(body)?.[1] ?? '';
  return base !== target && stages.some((s) => s.startsWith(`${base} `)) ? imageHealthcheck(base) : false;
}

let project: ComposeProject;
// The first run builds tools/delivery-check from the Go module proxy: minutes on a cold machine.
const BUILD_TIMEOUT_MS = 600_000;
beforeAll(() => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
  project = composeConfig([COMPOSE_FILE]);
}, BUILD_TIMEOUT_MS);

describe('docker-compose.yml, loaded as `docker compose config` does', () => {
  it('has the whole pipeline: broker and console, database and migration, services, metrics and traces', () => {
    expect(Object.keys(project.services).sort()).toEqual(
      [
        'api',
        'console',
        'grafana',
        'jaeger',
        'migrate',
        'otel-collector',
        'postgres',
        'processor',
        'prometheus',
        'redpanda',
        'simulator',
      ].sort(),
    );
    expect(project.name).toBe('telemetry-pulse');
  });

  it('loads the same with .env.example, which names every variable the file interpolates', () => {
    expect(composeConfig([COMPOSE_FILE], {}, ['-env-file', path.join(ROOT, '.env.example')])).toEqual(
      project,
    );
    const interpolated = new Set(
      [...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/(?<!\$)\$\{([A-Z0-9_]+)/g)].map((m) => m[1]),
    );
    const documented = new Set(
      [...readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map(
        (m) => m[1],
      ),
    );
    expect([...interpolated].sort()).toEqual([...documented].sort());
  });

  it('keeps the original PostgreSQL (admin / password / telemetry on 5432), overridable', () => {
    expect(project.services['postgres']?.environment).toMatchObject({
      POSTGRES_USER: 'admin',
      POSTGRES_PASSWORD: 'password',
      POSTGRES_DB: 'telemetry',
    });
    expect(project.services['postgres']?.ports).toEqual([
      expect.objectContaining({ target: 5432, published: '5432' }),
    ]);
    const custom = composeConfig([COMPOSE_FILE], { POSTGRES_PASSWORD: 's3cret', POSTGRES_HOST_PORT: '5544' });
    expect(custom.services['processor']?.environment?.['DATABASE_URL']).toBe(
      'postgres://admin:s3cret@postgres:5432/telemetry',
    );
    expect(custom.services['postgres']?.ports?.[0]?.published).toBe('5544');
  });

  it('rejects what docker compose rejects: an unknown key, an undefined dependency', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    try {
      const typo = path.join(dir, 'typo.yml');
      writeFileSync(typo, 'services:\n  processor:\n    enviroment:\n      LOG_LEVEL: debug\n');
      expect(() => composeConfig([COMPOSE_FILE, typo])).toThrow(/enviroment/);
      const dangling = path.join(dir, 'dangling.yml');
      writeFileSync(
        dangling,
        'services:\n  api:\n    depends_on:\n      kafka:\n        condition: service_healthy\n',
      );
      expect(() => composeConfig([COMPOSE_FILE, dangling])).toThrow(/undefined service "kafka"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml: images and variables', () => {
  it('pins every image to a version (PostgreSQL’s are major.minor)', () => {
    for (const [name, s] of Object.entries(project.services)) {
      expect([name, s.image]).toEqual([name, expect.stringMatching(/:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/)]);
    }
  });

  it('builds each of its images from a target of the root Dockerfile, named ghcr.io/telemetry-pulse/<target>', () => {
    const built = Object.entries(project.services).filter(([, s]) => s.build);
    expect(built.map(([n]) => n).sort()).toEqual(['api', 'migrate', 'processor', 'simulator']);
    for (const [name, s] of built) {
      const file = path.join(s.build?.context ?? '', s.build?.dockerfile ?? '');
      expect([name, existsSync(file)]).toEqual([name, true]);
      expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${s.build?.target}$`, 'm'));
      expect(s.image).toBe(`ghcr.io/telemetry-pulse/${s.build?.target}:0.1.0`);
    }
  });

  it('passes each service only variables its program reads', () => {
    expect(unknownVariables(project)).toEqual([]);
  });

  it('the variable check rejects a misspelled variable and one meant for another service', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    try {
      const extra = path.join(dir, 'extra.yml');
      writeFileSync(
        extra,
        'services:\n  processor:\n    environment:\n      PROCESSOR_CONCURENCY: "4"\n' +
          '  migrate:\n    environment:\n      KAFKA_BROKERS: redpanda:9092\n' +
          '  simulator:\n    environment:\n      SIM_RATE: "10"\n',
      );
      expect(unknownVariables(composeConfig([COMPOSE_FILE, extra])).sort()).toEqual([
        'migrate: KAFKA_BROKERS',
        'processor: PROCESSOR_CONCURENCY',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands each service values its own option parser accepts', () => {
    for (const [name, s] of Object.entries(project.services)) {
      const reader = readerOf(s);
      if (!reader) continue;
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? '']));
      let problem = '';
      try {
        reader.parse(env);
      } catch (err) {
        problem = String(err);
      }
      expect([name, problem]).toEqual([name, '']);
    }
    // …and refuse what the services would refuse at start-up.
    expect(() => READERS['processor']?.parse({ DATABASE_URL: 'mysql://db/telemetry' })).toThrow(/postgres/);
  });

  it('names only OpenTelemetry variables docs/observability.md documents', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'observability.md'), 'utf8');
    for (const v of OTEL_VARIABLES.filter((x) => !x.endsWith('_ARG'))) expect(doc).toContain(`\`${v}\``);
  });
});

describe('docker-compose.yml: start-up order and hardening', () => {
  it('meets every depends_on condition: health checks where health is awaited, one-shot jobs that exit', () => {
    expect(orderProblems(project, imageHealthcheck)).toEqual([]);
  });

  it('the order check catches a wait on a service without a health check or a job that restarts', () => {
    const broken: ComposeProject = {
      ...project,
      services: {
        ...project.services,
        jaeger: { ...project.services['jaeger'] },
        api: { ...project.services['api'], depends_on: { jaeger: { condition: 'service_healthy' } } },
        migrate: { ...project.services['migrate'], restart: 'unless-stopped' },
      },
    };
    expect(orderProblems(broken, imageHealthcheck)).toEqual([
      'api waits for jaeger to be healthy, but jaeger has no health check',
      'processor waits for migrate to complete, but migrate restarts (unless-stopped)',
    ]);
  });

  it('starts processor and API after the migration, migration after PostgreSQL, clients after Redpanda', () => {
    const cond = (svc: string, dep: string): string | undefined =>
      project.services[svc]?.depends_on?.[dep]?.condition;
    expect(cond('migrate', 'postgres')).toBe('service_healthy');
    for (const svc of ['processor', 'api'])
      expect(cond(svc, 'migrate')).toBe('service_completed_successfully');
    for (const svc of ['processor', 'simulator', 'api', 'console'])
      expect(cond(svc, 'redpanda')).toBe('service_healthy');
    expect(cond('grafana', 'prometheus')).toBe('service_healthy');
  });

  it('runs two processor replicas in one group, unpublished, and the API on host port 3000', () => {
    const processor = project.services['processor'];
    expect(processor?.deploy?.replicas).toBe(2);
    expect(processor?.container_name).toBeUndefined();
    expect(processor?.ports).toBeUndefined();
    const published = Object.entries(project.services).flatMap(([n, s]) =>
      (s.ports ?? []).map((p) => ({ n, host: `${p.host_ip}:${p.published}`, target: p.target })),
    );
    expect(published.find((p) => p.n === 'api')).toMatchObject({ host: '127.0.0.1:3000', target: 8080 });
    expect(published.find((p) => p.n === 'console')).toMatchObject({ host: '127.0.0.1:8080', target: 8080 });
    expect(new Set(published.map((p) => p.host)).size).toBe(published.length);
  });

  it('hardens the services it builds: read-only root, /tmp only, no capabilities, no privilege escalation', () => {
    for (const [name, s] of Object.entries(project.services).filter(([, x]) => x.build)) {
      expect([name, s.read_only, s.tmpfs, s.cap_drop, s.security_opt]).toEqual([
        name,
        true,
        ['/tmp'],
        ['ALL'],
        ['no-new-privileges:true'],
      ]);
    }
  });

  it('mounts only files that exist', () => {
    for (const [name, s] of Object.entries(project.services)) {
      for (const v of (s.volumes ?? []).filter((x) => x.type === 'bind')) {
        expect([name, v.source, existsSync(v.source), v.read_only]).toEqual([name, v.source, true, true]);
      }
    }
  });
});

describe('docker-compose.yml: the observability files it mounts', () => {
  const mount = (service: string, target: string): string => {
    const v = project.services[service]?.volumes?.find((x) => x.target === target);
    if (!v) throw new Error(`${service} mounts nothing at ${target}`);
    return v.source;
  };
  const portOf = (service: string): number => {
    const reader = readerOf(project.services[service] ?? {});
    const defaults: Record<string, number> = {
      processor: processorOptionSpecs.port.schema.parse(undefined),
      api: apiOptionSpecs.port.schema.parse(undefined),
      simulator: simulatorOptionSpecs.metricsPort.schema.parse(undefined),
    };
    expect(reader).toBeDefined();
    return defaults[service] ?? 0;
  };

  it('Prometheus scrapes every processor replica, the API and the simulator, with the rules’ job names', () => {
    const config = parseYaml(readFileSync(mount('prometheus', '/etc/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; type: string; port: number }[];
      }[];
    };
    const jobs = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c]));
    expect(jobs['telemetry-processor']?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['processor'], type: 'A', port: portOf('processor') }),
    ]);
    expect(jobs['telemetry-api']?.static_configs).toEqual([{ targets: [`api:${portOf('api')}`] }]);
    expect(jobs['telemetry-simulator']?.static_configs).toEqual([
      { targets: [`simulator:${portOf('simulator')}`] },
    ]);
    const rules = readFileSync(
      path.join(ROOT, 'observability', 'prometheus', 'rules', 'telemetry-pulse.rules.yaml'),
      'utf8',
    );
    for (const job of rules.matchAll(/job="([^"]+)"/g)) expect(Object.keys(jobs)).toContain(job[1]);
    expect(config.rule_files).toEqual(['rules/*.rules.yaml']);
    expect(mount('prometheus', '/etc/prometheus/rules')).toBe(
      path.join(ROOT, 'observability', 'prometheus', 'rules'),
    );
  });

  it('Grafana is provisioned with the dashboards and datasources that reach this stack’s services', () => {
    const provider = parseYaml(
      readFileSync(
        path.join(mount('grafana', '/etc/grafana/provisioning/dashboards'), 'telemetry-pulse.yaml'),
        'utf8',
      ),
    ) as { providers: { options: { path: string } }[] };
    const dashboardsAt = provider.providers[0]?.options.path ?? '';
    expect(mount('grafana', dashboardsAt)).toBe(path.join(ROOT, 'observability', 'grafana', 'dashboards'));
    const sources = parseYaml(
      readFileSync(
        path.join(mount('grafana', '/etc/grafana/provisioning/datasources'), 'telemetry-pulse.yaml'),
        'utf8',
      ),
    ) as { datasources: { type: string; url: string; user?: string }[] };
    for (const ds of sources.datasources) {
      const host = new URL(ds.url.includes('://') ? ds.url : `tcp://${ds.url}`).hostname;
      expect(Object.keys(project.services)).toContain(host);
    }
    // The read-only role the PostgreSQL datasource logs in as is created with the password Grafana has.
    const grafanaEnv = project.services['grafana']?.environment ?? {};
    expect(grafanaEnv['TELEMETRY_PG_PASSWORD']).toBe(
      project.services['postgres']?.environment?.['TELEMETRY_PG_PASSWORD'],
    );
    expect(sources.datasources.find((d) => d.type.includes('postgres'))?.user).toBe('telemetry');
    expect(mount('postgres', '/docker-entrypoint-initdb.d/10-grafana-reader.sh')).toBe(
      path.join(ROOT, 'observability', 'postgres', 'grafana-reader.sh'),
    );
  });

  it('the services send traces to the collector, which forwards them to Jaeger', () => {
    const config = parseYaml(readFileSync(mount('otel-collector', '/etc/otelcol/config.yaml'), 'utf8')) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      processors: Record<string, unknown>;
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; processors: string[]; exporters: string[] } } };
    };
    const { traces } = config.service.pipelines;
    for (const r of traces.receivers) expect(Object.keys(config.receivers)).toContain(r);
    for (const p of traces.processors) expect(Object.keys(config.processors)).toContain(p);
    for (const e of traces.exporters) {
      expect(new URL(`grpc://${config.exporters[e]?.endpoint}`).hostname).toBe('jaeger');
    }
    const httpPort = config.receivers.otlp.protocols.http.endpoint.split(':')[1];
    for (const [name, s] of Object.entries(project.services)) {
      const endpoint = s.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT'];
      if (endpoint) expect([name, endpoint]).toEqual([name, `http://otel-collector:${httpPort}`]);
    }
    expect(project.services['otel-collector']?.expose).toContain(httpPort);
  });
});

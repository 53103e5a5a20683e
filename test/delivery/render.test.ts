import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseConnectionString } from 'pg-connection-string';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { apiOptionSpecs, toApiConfig } from '@telemetry-pulse/api';
import { processorOptionSpecs, toProcessorConfig } from '@telemetry-pulse/processor';
import { parseOptions, type OptionSpecs } from '@telemetry-pulse/shared';
import { parseSimulatorConfig, simulatorOptionSpecs } from '@telemetry-pulse/simulator';

/**
 * render.yaml (README, "Render (Upstash Kafka + Neon PostgreSQL)"): valid against a strict JSON Schema of the
 * Blueprint fields it uses (test/delivery/schemas), each service given exactly variables it reads, secrets
 * left to the dashboard (sync: false), and a Neon URL plus Upstash's SASL/SCRAM over TLS accepted by the
 * services' own option parsers.
 */
const ROOT = path.join(__dirname, '..', '..');
const RENDER_FILE = path.join(ROOT, 'render.yaml');
const SCHEMA = path.join(__dirname, 'schemas', 'render-blueprint.schema.json');

interface EnvVar {
  readonly key: string;
  readonly value?: string;
  readonly sync?: boolean;
  readonly generateValue?: boolean;
}
interface RenderService {
  readonly type: string;
  readonly name: string;
  readonly runtime: string;
  readonly image?: { url: string };
  readonly numInstances?: number;
  readonly healthCheckPath?: string;
  readonly preDeployCommand?: string;
  readonly envVars: EnvVar[];
}
interface Blueprint {
  readonly services: RenderService[];
}

const blueprint = parseYaml(readFileSync(RENDER_FILE, 'utf8')) as Blueprint;
const envNames = (specs: OptionSpecs): string[] =>
  Object.values(specs).flatMap((s) => (s.env ? [s.env] : []));

/** The variables each image's program reads, and its own parser (throws the service's ConfigError). */
const READERS: Record<
  string,
  { variables: ReadonlySet<string>; parse: (env: Record<string, string>) => unknown }
> = {
  api: {
    variables: new Set(envNames(apiOptionSpecs)),
    parse: (env) => {
      const parsed = parseOptions(apiOptionSpecs, [], env);
      if (parsed.help) throw new Error('help');
      return toApiConfig(parsed.config);
    },
  },
  processor: {
    variables: new Set(envNames(processorOptionSpecs)),
    parse: (env) => {
      const parsed = parseOptions(processorOptionSpecs, [], env);
      if (parsed.help) throw new Error('help');
      return toProcessorConfig(parsed.config);
    },
  },
  simulator: {
    variables: new Set(envNames(simulatorOptionSpecs)),
    parse: (env) => {
      const parsed = parseSimulatorConfig([], env);
      if (parsed.help) throw new Error('help');
      return parsed.config;
    },
  },
};

/** Which program a service runs: the component of its image, ghcr.io/telemetry-pulse/<component>:<tag>. */
function componentOf(service: RenderService): string {
  const m = /^ghcr\.io\/telemetry-pulse\/([a-z]+):/.exec(service.image?.url ?? '');
  if (!m?.[1] || !READERS[m[1]]) throw new Error(`${service.name}: not an image of this project`);
  return m[1];
}

/** Variables a service is given that its program does not read. */
export function unknownRenderVariables(b: Blueprint): string[] {
  return b.services.flatMap((s) => {
    const reader = READERS[componentOf(s)];
    return s.envVars.filter((v) => !reader?.variables.has(v.key)).map((v) => `${s.name}: ${v.key}`);
  });
}

let checker: string;
function validate(...docs: string[]): { file: string; valid: boolean; errors?: string }[] {
  const run = spawnSync(checker, ['schema', SCHEMA, ...docs], { encoding: 'utf8' });
  if (!run.stdout) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { file: string; valid: boolean; errors?: string }[];
}

// The first run builds tools/delivery-check from the Go module proxy: minutes on a cold machine.
const BUILD_TIMEOUT_MS = 600_000;
beforeAll(() => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
}, BUILD_TIMEOUT_MS);

describe('render.yaml against the Blueprint schema', () => {
  it('is valid', () => {
    expect(validate(RENDER_FILE)).toEqual([{ file: RENDER_FILE, valid: true }]);
  });

  it('the schema rejects a misspelled field, a number value, a worker health check, a latest tag, a free worker', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'render-'));
    const variant = (name: string, change: (b: Blueprint) => unknown): string => {
      const copy = JSON.parse(JSON.stringify(blueprint)) as Blueprint;
      change(copy);
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, toYaml(copy));
      return file;
    };
    const api = (b: Blueprint): Record<string, unknown> =>
      b.services[0] as unknown as Record<string, unknown>;
    const worker = (b: Blueprint): Record<string, unknown> =>
      b.services[1] as unknown as Record<string, unknown>;
    try {
      const files = [
        variant('misspelled', (b) => (api(b)['healthcheckPath'] = '/readyz')),
        variant('number', (b) => ((b.services[0]?.envVars[0] as { value: unknown }).value = 10000)),
        variant('worker-health', (b) => (worker(b)['healthCheckPath'] = '/healthz')),
        variant('latest', (b) => (api(b)['image'] = { url: 'ghcr.io/telemetry-pulse/api:latest' })),
        variant('free-worker', (b) => (worker(b)['plan'] = 'free')),
        variant('secret-and-value', (b) =>
          b.services[0]?.envVars.push({ key: 'X', value: 'a', sync: false }),
        ),
      ];
      const results = validate(...files);
      expect(results.map((r) => [path.basename(r.file), r.valid])).toEqual(
        files.map((f) => [path.basename(f), false]),
      );
      expect(results[0]?.errors).toMatch(/healthcheckPath/);
      expect(results[1]?.errors).toMatch(/want string/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('render.yaml services', () => {
  it('runs the API as a web service, the processor and the simulator as workers, from the released images', () => {
    const chart = parseYaml(
      readFileSync(path.join(ROOT, 'charts', 'telemetry-pulse', 'Chart.yaml'), 'utf8'),
    ) as {
      appVersion: string;
    };
    expect(blueprint.services.map((s) => [s.type, componentOf(s), s.image?.url])).toEqual([
      ['web', 'api', `ghcr.io/telemetry-pulse/api:${chart.appVersion}`],
      ['worker', 'processor', `ghcr.io/telemetry-pulse/processor:${chart.appVersion}`],
      ['worker', 'simulator', `ghcr.io/telemetry-pulse/simulator:${chart.appVersion}`],
    ]);
    expect(new Set(blueprint.services.map((s) => s.name)).size).toBe(blueprint.services.length);
  });

  it('gives each service only variables its program reads', () => {
    expect(unknownRenderVariables(blueprint)).toEqual([]);
    const typo = JSON.parse(JSON.stringify(blueprint)) as Blueprint;
    typo.services[1]?.envVars.push({ key: 'KAFKA_SASL_MECHANSIM', value: 'plain' });
    typo.services[2]?.envVars.push({ key: 'DATABASE_URL', sync: false }); // the simulator has no database
    expect(unknownRenderVariables(typo)).toEqual([
      'telemetry-pulse-processor: KAFKA_SASL_MECHANSIM',
      'telemetry-pulse-simulator: DATABASE_URL',
    ]);
  });

  it('connects every service to Kafka with SASL/SCRAM over TLS, and the API and processor to PostgreSQL', () => {
    const keys = (s: RenderService): string[] => s.envVars.map((v) => v.key);
    for (const s of blueprint.services) {
      expect(keys(s)).toEqual(
        expect.arrayContaining([
          'KAFKA_BROKERS',
          'KAFKA_SASL_MECHANISM',
          'KAFKA_SASL_USERNAME',
          'KAFKA_SASL_PASSWORD',
        ]),
      );
      expect(s.envVars.find((v) => v.key === 'KAFKA_SASL_MECHANISM')?.value).toBe('scram-sha-256');
      expect(s.envVars.find((v) => v.key === 'KAFKA_SSL')?.value).toBe('true');
      expect(keys(s).includes('DATABASE_URL')).toBe(componentOf(s) !== 'simulator');
    }
  });

  it('commits no secret: credentials and connection strings are entered in the dashboard (sync: false)', () => {
    const secret = /^(DATABASE_URL|KAFKA_BROKERS|KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD|API_KEYS)$/;
    for (const s of blueprint.services) {
      for (const v of s.envVars.filter((x) => secret.test(x.key))) {
        expect([s.name, v]).toEqual([s.name, { key: v.key, sync: false }]);
      }
      for (const v of s.envVars.filter((x) => x.value !== undefined)) {
        expect([s.name, v.key, v.value]).not.toEqual([
          s.name,
          v.key,
          expect.stringMatching(/:\/\/|password/i),
        ]);
      }
    }
  });

  it('serves the API on Render’s port, checks /readyz before a deploy takes traffic, migrates before it', () => {
    const api = blueprint.services.find((s) => s.type === 'web');
    expect(api?.envVars.find((v) => v.key === 'API_PORT')?.value).toBe('10000');
    expect(api?.healthCheckPath).toBe('/readyz');
    expect(api?.preDeployCommand).toBe('node services/shared/dist/migrate-cli.js');
    expect(existsSync(path.join(ROOT, 'services', 'shared', 'src', 'migrate-cli.ts'))).toBe(true);
    const apiStage = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
      .split(/^FROM /m)
      .find((s) => / AS api\n/.test(s));
    expect(apiStage).toContain('COPY --from=build /app/services/shared/dist services/shared/dist');
    expect(apiStage).toContain('COPY services/shared/migrations services/shared/migrations');
  });

  it('runs no more processors than the topic has partitions', () => {
    const processor = blueprint.services.find((s) => componentOf(s) === 'processor');
    expect(processor?.numInstances).toBeLessThanOrEqual(
      processorOptionSpecs.partitions.schema.parse(undefined),
    );
  });
});

describe('render.yaml with a Neon database and Upstash Kafka, through the services’ own parsers', () => {
  const NEON =
    'postgresql://neondb_owner:npg_secret@ep-cool-darkness-a1b2c3d4.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require';
  const UPSTASH = {
    KAFKA_BROKERS: 'fine-mole-12345-eu1-kafka.upstash.io:9092',
    KAFKA_SASL_USERNAME: 'ZmluZS1tb2xl',
    KAFKA_SASL_PASSWORD: 'c2VjcmV0',
  };
  /** What a user pastes into Render's dashboard for the sync: false variables. */
  const dashboard: Record<string, string> = { ...UPSTASH, DATABASE_URL: NEON, API_KEYS: '' };
  const envOf = (s: RenderService): Record<string, string> =>
    Object.fromEntries(s.envVars.map((v) => [v.key, v.value ?? dashboard[v.key] ?? '']));

  it.each(['api', 'processor', 'simulator'])(
    '%s starts with TLS and SCRAM-SHA-256 to the brokers',
    (component) => {
      const service = blueprint.services.find((s) => componentOf(s) === component) as RenderService;
      const config = READERS[component]?.parse(envOf(service)) as {
        kafka: { brokers: string[]; ssl: boolean; sasl?: { mechanism: string; username: string } };
        databaseUrl?: string;
      };
      expect(config.kafka).toEqual({
        brokers: [UPSTASH.KAFKA_BROKERS],
        clientId: expect.any(String),
        ssl: true,
        sasl: {
          mechanism: 'scram-sha-256',
          username: UPSTASH.KAFKA_SASL_USERNAME,
          password: UPSTASH.KAFKA_SASL_PASSWORD,
        },
      });
      if (component !== 'simulator') expect(config.databaseUrl).toBe(NEON);
    },
  );

  it('a Neon URL with sslmode=require (or verify-full) makes pg connect over verified TLS', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined); // pg's sslmode notice
    try {
      for (const url of [NEON, NEON.replace('sslmode=require', 'sslmode=verify-full')]) {
        const pg = parseConnectionString(url);
        expect(pg).toMatchObject({
          host: 'ep-cool-darkness-a1b2c3d4.eu-central-1.aws.neon.tech',
          database: 'neondb',
        });
        expect(pg.ssl).toEqual({}); // TLS with Node's certificate checks, not rejectUnauthorized: false
      }
      expect(parseConnectionString(NEON.replace(/\?.*$/, '')).ssl).toBeUndefined(); // no sslmode: no TLS
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses SASL without credentials, as it would on Render with the dashboard values missing', () => {
    const processor = blueprint.services.find((s) => componentOf(s) === 'processor') as RenderService;
    const env = { ...envOf(processor), KAFKA_SASL_PASSWORD: '' };
    expect(() => READERS['processor']?.parse(env)).toThrow(
      /needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
  });
});

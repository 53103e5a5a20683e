import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { apiOptionSpecs, toApiConfig } from '@telemetry-pulse/api';
import { processorOptionSpecs, toProcessorConfig } from '@telemetry-pulse/processor';
import { parseOptions, type OptionSpecs } from '@telemetry-pulse/shared';
import { parseSimulatorConfig, simulatorOptionSpecs } from '@telemetry-pulse/simulator';
import {
  RENDER_FILE,
  componentOf as imageComponent,
  loadBlueprint,
  serviceEnvironment,
  serviceVariables,
  type Blueprint,
  type EnvVar,
  type KeyedVar,
  type RenderService,
} from '../support/render-blueprint';
import { makeTestPki } from '../support/test-pki';

/**
 * render.yaml (docs/deploy/render.md): valid against a strict JSON Schema of the Blueprint fields it uses
 * (test/delivery/schemas), each service given exactly variables it reads (its own and its environment
 * groups'), secrets left to the dashboard (sync: false), and what a user pastes for Neon and for each Kafka
 * provider the docs describe accepted by the services' own option parsers.
 */
const ROOT = path.join(__dirname, '..', '..');
const SCHEMA = path.join(__dirname, 'schemas', 'render-blueprint.schema.json');

const blueprint = loadBlueprint();
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

/** Which program a service runs, one this test has a parser for. */
function componentOf(service: RenderService): string {
  const component = imageComponent(service);
  if (!READERS[component]) throw new Error(`${service.name}: no parser for ${component}`);
  return component;
}

/** Variables a service is given that its program does not read. */
export function unknownRenderVariables(b: Blueprint): string[] {
  return b.services.flatMap((s) => {
    const reader = READERS[componentOf(s)];
    return serviceVariables(b, s)
      .filter((v) => !reader?.variables.has(v.key))
      .map((v) => `${s.name}: ${v.key}`);
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
        variant('number', (b) => ((b.services[0]?.envVars[2] as { value: unknown }).value = 10000)),
        variant('worker-health', (b) => (worker(b)['healthCheckPath'] = '/healthz')),
        variant('latest', (b) => (api(b)['image'] = { url: 'ghcr.io/telemetry-pulse/api:latest' })),
        variant('free-worker', (b) => (worker(b)['plan'] = 'free')),
        variant('secret-and-value', (b) =>
          b.services[0]?.envVars.push({ key: 'X', value: 'a', sync: false }),
        ),
        variant('group-and-key', (b) =>
          b.services[0]?.envVars.push({ fromGroup: 'telemetry-pulse-kafka', key: 'X' } as EnvVar),
        ),
        variant('group-reference-in-group', (b) =>
          b.envVarGroups?.[0]?.envVars.push({ fromGroup: 'telemetry-pulse-postgres' } as unknown as KeyedVar),
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
  const variables = (s: RenderService): KeyedVar[] => serviceVariables(blueprint, s);
  const find = (s: RenderService, key: string): KeyedVar | undefined =>
    variables(s).find((v) => v.key === key);

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

  it('starts each service with its image’s own command', () => {
    const stages = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').split(/^FROM /m);
    for (const s of blueprint.services) {
      const stage = stages.find((x) => new RegExp(` AS ${componentOf(s)}\\n`).test(x)) ?? '';
      const cmd = /^CMD (\[.*\])$/m.exec(stage)?.[1];
      expect([s.name, s.dockerCommand]).toEqual([s.name, (JSON.parse(cmd ?? '[]') as string[]).join(' ')]);
    }
  });

  it('gives each service only variables its program reads, each once', () => {
    expect(unknownRenderVariables(blueprint)).toEqual([]);
    const typo = JSON.parse(JSON.stringify(blueprint)) as Blueprint;
    typo.services[1]?.envVars.push({ key: 'KAFKA_SASL_MECHANSIM', value: 'plain' });
    typo.services[2]?.envVars.push({ fromGroup: 'telemetry-pulse-postgres' }); // the simulator has no database
    expect(unknownRenderVariables(typo)).toEqual([
      'telemetry-pulse-processor: KAFKA_SASL_MECHANSIM',
      'telemetry-pulse-simulator: DATABASE_URL',
      'telemetry-pulse-simulator: DATABASE_POOL_MAX',
    ]);
    const twice = JSON.parse(JSON.stringify(blueprint)) as Blueprint;
    twice.services[0]?.envVars.push({ key: 'KAFKA_SSL', value: 'false' });
    expect(() => unknownRenderVariables(twice)).toThrow('telemetry-pulse-api: KAFKA_SSL is given twice');
    const missing = JSON.parse(JSON.stringify(blueprint)) as Blueprint;
    missing.services[0]?.envVars.push({ fromGroup: 'telemetry-pulse-kakfa' });
    expect(() => unknownRenderVariables(missing)).toThrow('no environment group telemetry-pulse-kakfa');
  });

  it('connects every service to Kafka over TLS with the same settings, and the API and processor to PostgreSQL', () => {
    const used = new Set(
      blueprint.services.flatMap((s) => s.envVars.flatMap((v) => ('fromGroup' in v ? [v.fromGroup] : []))),
    );
    expect([...used].sort()).toEqual((blueprint.envVarGroups ?? []).map((g) => g.name).sort());
    for (const s of blueprint.services) {
      expect(s.envVars).toContainEqual({ fromGroup: 'telemetry-pulse-kafka' });
      expect(find(s, 'KAFKA_SSL')?.value).toBe('true');
      expect(find(s, 'DATABASE_URL') !== undefined).toBe(componentOf(s) !== 'simulator');
    }
  });

  it('commits no secret and no provider choice: connection details are entered in the dashboard (sync: false)', () => {
    const entered =
      /^(DATABASE_URL|KAFKA_BROKERS|KAFKA_SASL_(MECHANISM|USERNAME|PASSWORD)|KAFKA_SSL_(CA|CERT|KEY)|API_KEYS)$/;
    for (const s of blueprint.services) {
      for (const v of variables(s).filter((x) => entered.test(x.key))) {
        expect([s.name, v]).toEqual([s.name, { key: v.key, sync: false }]);
      }
      for (const v of variables(s).filter((x) => x.value !== undefined)) {
        expect([s.name, v.key, v.value]).not.toEqual([
          s.name,
          v.key,
          expect.stringMatching(/:\/\/|password|BEGIN/i),
        ]);
      }
    }
  });

  it('serves the API on Render’s port, checks /readyz before a deploy takes traffic, migrates before it', () => {
    const api = blueprint.services.find((s) => s.type === 'web') as RenderService;
    expect(find(api, 'API_PORT')?.value).toBe('10000');
    expect(api.healthCheckPath).toBe('/readyz');
    expect(api.preDeployCommand).toBe('node services/shared/dist/migrate-cli.js');
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

/**
 * PEM as providers hand it out: real certificates and a real key (made by openssl for this run), since the
 * services parse them at start-up and check that key and certificate belong together.
 */
const PKI = makeTestPki(mkdtempSync(path.join(os.tmpdir(), 'tp-render-pki-')));
afterAll(() => rmSync(PKI.dir, { recursive: true, force: true }));

/**
 * What a user pastes into Render's dashboard for each provider docs/deploy/render.md describes (the sync: false
 * variables; the rest left empty, as Render leaves them).
 */
const PROVIDERS: Record<string, Record<string, string>> = {
  'Aiven, client certificates': {
    KAFKA_BROKERS: 'kafka-telemetry-myproject.e.aivencloud.com:12345',
    KAFKA_SSL_CA: PKI.ca.crtPem,
    KAFKA_SSL_CERT: PKI.client.crtPem,
    KAFKA_SSL_KEY: PKI.client.keyPem,
  },
  'Aiven, SASL/SCRAM': {
    KAFKA_BROKERS: 'kafka-telemetry-myproject.e.aivencloud.com:12350',
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'avnadmin',
    KAFKA_SASL_PASSWORD: 'AVNS_secret',
    KAFKA_SSL_CA: PKI.ca.crtPem,
  },
  'Confluent Cloud, SASL/PLAIN': {
    KAFKA_BROKERS: 'pkc-12345.europe-west3.gcp.confluent.cloud:9092',
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: 'ABCDEFGHIJKLMNOP',
    KAFKA_SASL_PASSWORD: 'cflt-secret',
  },
  'Redpanda Serverless, SASL/SCRAM': {
    KAFKA_BROKERS: 'd0abc123.any.eu-central-1.mpx.prd.cloud.redpanda.com:9092',
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'telemetry',
    KAFKA_SASL_PASSWORD: 'rp-secret',
  },
};
const NEON =
  'postgresql://neondb_owner:npg_secret@ep-cool-darkness-a1b2c3d4.eu-central-1.aws.neon.tech/neondb?sslmode=verify-full&channel_binding=require';

interface ParsedKafka {
  readonly brokers: string[];
  readonly ssl: boolean;
  readonly sasl?: { mechanism: string; username: string; password: string };
}

describe.each(Object.keys(PROVIDERS))('render.yaml with Neon and %s', (provider) => {
  const dashboard: Record<string, string> = {
    ...PROVIDERS[provider],
    DATABASE_URL: NEON,
    API_KEYS: '',
  };
  const envOf = (s: RenderService): Record<string, string> => serviceEnvironment(blueprint, s, dashboard);

  it.each(['api', 'processor', 'simulator'])(
    '%s starts with TLS and the provider’s credentials',
    (component) => {
      const service = blueprint.services.find((s) => componentOf(s) === component) as RenderService;
      const config = READERS[component]?.parse(envOf(service)) as {
        kafka: ParsedKafka;
        databaseUrl?: string;
      };
      const given = PROVIDERS[provider] ?? {};
      expect(config.kafka.brokers).toEqual([given['KAFKA_BROKERS']]);
      expect(config.kafka.sasl).toEqual(
        given['KAFKA_SASL_MECHANISM']
          ? {
              mechanism: given['KAFKA_SASL_MECHANISM'],
              username: given['KAFKA_SASL_USERNAME'],
              password: given['KAFKA_SASL_PASSWORD'],
            }
          : undefined,
      );
      expect(config.kafka.ssl).toBe(true);
      const tls = JSON.stringify(config.kafka);
      for (const key of ['KAFKA_SSL_CA', 'KAFKA_SSL_CERT', 'KAFKA_SSL_KEY']) {
        if (given[key]) expect(tls).toContain(JSON.stringify(given[key]).slice(1, -1));
      }
      if (component !== 'simulator') expect(config.databaseUrl).toBe(NEON);
    },
  );
});

describe('render.yaml with the dashboard values missing', () => {
  const processor = blueprint.services.find((s) => componentOf(s) === 'processor') as RenderService;
  const envOf = (dashboard: Record<string, string>): Record<string, string> =>
    serviceEnvironment(blueprint, processor, dashboard);

  it('refuses SASL without a password', () => {
    const env = envOf({
      ...PROVIDERS['Confluent Cloud, SASL/PLAIN'],
      KAFKA_SASL_PASSWORD: '',
      DATABASE_URL: NEON,
    });
    expect(() => READERS['processor']?.parse(env)).toThrow(
      /needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
  });

  it('refuses a client certificate without its key', () => {
    const env = envOf({ ...PROVIDERS['Aiven, client certificates'], KAFKA_SSL_KEY: '', DATABASE_URL: NEON });
    expect(() => READERS['processor']?.parse(env)).toThrow(
      /KAFKA_SSL_CERT.*KAFKA_SSL_KEY|KAFKA_SSL_KEY.*KAFKA_SSL_CERT/,
    );
  });
});

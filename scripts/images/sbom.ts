/**
 * A CycloneDX 1.5 SBOM of the packages installed under an app directory: what is really in the image, read
 * from each package's package.json, with the lock file's integrity as the hash. Runs in the Dockerfile's
 * <target>-deps stages, bind-mounted for that step only:
 *
 *   node scripts/images/sbom.ts /app services/processor >/app/sbom.cdx.json
 *
 * Not `npm sbom`: over a `npm ci --omit=dev --workspace` tree it fails (ESBOMPROBLEMS: the other workspaces and
 * the root's dev dependencies are missing), and with --package-lock-only it leaves out installed packages that
 * dev dependencies share (pg-protocol, pg-types, debug… in npm 11). Self-contained: only node: modules.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One installed package; `path` is relative to the app directory, as the lock file's `packages` keys. */
export interface InstalledPackage {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly license: string | undefined;
}

interface Manifest {
  name?: string;
  version?: string;
  license?: string | { type?: string };
}

/** Every package under <app>/node_modules and <app>/services/<x>/node_modules, nested ones too; symlinks (the workspaces) aside. */
export function listInstalled(appDir: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue; // .bin, .package-lock.json
      const full = path.join(dir, entry);
      if (entry.startsWith('@')) {
        walk(full);
        continue;
      }
      if (lstatSync(full).isSymbolicLink()) continue;
      const manifestFile = path.join(full, 'package.json');
      if (existsSync(manifestFile)) {
        const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
        if (m.name && m.version) {
          const license = typeof m.license === 'string' ? m.license : m.license?.type;
          found.push({ path: path.relative(appDir, full), name: m.name, version: m.version, license });
        }
      }
      walk(path.join(full, 'node_modules'));
    }
  };
  walk(path.join(appDir, 'node_modules'));
  const services = path.join(appDir, 'services');
  if (existsSync(services))
    for (const w of readdirSync(services).sort()) walk(path.join(services, w, 'node_modules'));
  return found;
}

/** The package URL of an npm package: pkg:npm/%40scope/name@version. */
export function purl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

/** `sha512-<base64>` (an npm integrity) as CycloneDX hashes. */
function hashesOf(integrity: string | undefined): { alg: string; content: string }[] {
  const m = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity ?? '');
  return m?.[1] ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

/**
 * The SBOM document. One component per name@version (a package installed at two paths is one component);
 * no timestamp and a serial number derived from the content, so the same tree gives the same bytes.
 */
export function cyclonedx(
  app: { readonly name: string; readonly version: string },
  installed: readonly InstalledPackage[],
  lockPackages: Readonly<Record<string, { integrity?: string }>>,
): Record<string, unknown> {
  const byRef = new Map<string, Record<string, unknown>>();
  for (const p of installed) {
    const ref = `${p.name}@${p.version}`;
    if (byRef.has(ref)) continue;
    const component: Record<string, unknown> = {
      type: 'library',
      'bom-ref': ref,
      name: p.name,
      version: p.version,
      purl: purl(p.name, p.version),
      hashes: hashesOf(lockPackages[p.path]?.integrity),
    };
    if (p.license) component['licenses'] = [{ expression: p.license }];
    byRef.set(ref, component);
  }
  const components = [...byRef.keys()].sort().map((ref) => byRef.get(ref));
  const digest = createHash('sha256')
    .update(JSON.stringify([app, components]))
    .digest('hex');
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      component: {
        type: 'application',
        'bom-ref': `${app.name}@${app.version}`,
        name: app.name,
        version: app.version,
      },
      tools: { components: [{ type: 'application', name: 'telemetry-pulse scripts/images/sbom.ts' }] },
    },
    components,
  };
}

function main(argv: readonly string[]): void {
  const [appDir, workspace] = argv;
  if (!appDir || !workspace || argv.includes('--help')) {
    process.stderr.write(
      'usage: node scripts/images/sbom.ts APP_DIR WORKSPACE   (e.g. /app services/processor)\n',
    );
    process.exit(argv.includes('--help') ? 0 : 2);
  }
  const app = JSON.parse(readFileSync(path.join(appDir, workspace, 'package.json'), 'utf8')) as Manifest;
  const lock = JSON.parse(readFileSync(path.join(appDir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { integrity?: string }>;
  };
  const doc = cyclonedx(
    { name: app.name ?? workspace, version: app.version ?? '0.0.0' },
    listInstalled(appDir),
    lock.packages,
  );
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

// Run as a script (node .../sbom.ts), not when a test imports it.
if (path.basename(process.argv[1] ?? '') === 'sbom.ts') main(process.argv.slice(2));

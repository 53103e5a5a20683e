/**
 * The SBOM writer the Dockerfile's <target>-deps stages run (scripts/images/sbom.ts): what it lists from an
 * installed tree, and the document it makes of it.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cyclonedx, listInstalled, purl } from '../../../scripts/images/sbom';

let app: string;

function pkg(dir: string, manifest: Record<string, unknown>): void {
  mkdirSync(path.join(app, dir), { recursive: true });
  writeFileSync(path.join(app, dir, 'package.json'), JSON.stringify(manifest));
}

beforeAll(() => {
  app = mkdtempSync(path.join(os.tmpdir(), 'sbom-'));
  pkg('node_modules/pg', { name: 'pg', version: '8.23.1', license: 'MIT' });
  pkg('node_modules/@opentelemetry/core', {
    name: '@opentelemetry/core',
    version: '3.1.0',
    license: 'Apache-2.0',
  });
  pkg('node_modules/@opentelemetry/sdk-node/node_modules/@opentelemetry/core', {
    name: '@opentelemetry/core',
    version: '3.1.1',
    license: { type: 'Apache-2.0' },
  });
  pkg('node_modules/debug', { name: 'debug', version: '4.4.3' });
  pkg('node_modules/@opentelemetry/sdk-node', { name: '@opentelemetry/sdk-node', version: '0.301.0' });
  pkg('services/processor/node_modules/debug', { name: 'debug', version: '4.4.3' }); // the same name@version again
  pkg('services/processor', { name: '@telemetry-pulse/processor', version: '0.1.0' });
  mkdirSync(path.join(app, 'node_modules/@telemetry-pulse'), { recursive: true });
  symlinkSync('../../services/processor', path.join(app, 'node_modules/@telemetry-pulse/processor'));
  mkdirSync(path.join(app, 'node_modules/.bin'));
});

afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('the image SBOM', () => {
  it('lists every installed package, nested and per workspace, but not the symlinked workspaces', () => {
    expect(listInstalled(app).map((p) => `${p.path} ${p.name}@${p.version} ${p.license ?? '-'}`)).toEqual([
      'node_modules/@opentelemetry/core @opentelemetry/core@3.1.0 Apache-2.0',
      'node_modules/@opentelemetry/sdk-node @opentelemetry/sdk-node@0.301.0 -',
      'node_modules/@opentelemetry/sdk-node/node_modules/@opentelemetry/core @opentelemetry/core@3.1.1 Apache-2.0',
      'node_modules/debug debug@4.4.3 -',
      'node_modules/pg pg@8.23.1 MIT',
      'services/processor/node_modules/debug debug@4.4.3 -',
    ]);
  });

  it('makes one CycloneDX component per name@version, with purl, license and the lock file hash', () => {
    const integrity = `sha512-${Buffer.from('abc').toString('base64')}`;
    const doc = cyclonedx({ name: '@telemetry-pulse/processor', version: '0.1.0' }, listInstalled(app), {
      'node_modules/pg': { integrity },
    }) as { bomFormat: string; specVersion: string; components: Record<string, unknown>[] };
    expect(doc.bomFormat).toBe('CycloneDX');
    expect(doc.specVersion).toBe('1.5');
    expect(doc.components.map((c) => c['bom-ref'])).toEqual([
      '@opentelemetry/core@3.1.0',
      '@opentelemetry/core@3.1.1',
      '@opentelemetry/sdk-node@0.301.0',
      'debug@4.4.3',
      'pg@8.23.1',
    ]);
    expect(doc.components.find((c) => c['name'] === 'pg')).toEqual({
      type: 'library',
      'bom-ref': 'pg@8.23.1',
      name: 'pg',
      version: '8.23.1',
      purl: 'pkg:npm/pg@8.23.1',
      hashes: [{ alg: 'SHA-512', content: '616263' }],
      licenses: [{ expression: 'MIT' }],
    });
  });

  it('gives the same bytes for the same tree (no timestamp; the serial number follows the content)', () => {
    const a = JSON.stringify(cyclonedx({ name: 'x', version: '1' }, listInstalled(app), {}));
    const b = JSON.stringify(cyclonedx({ name: 'x', version: '1' }, listInstalled(app), {}));
    const other = JSON.stringify(cyclonedx({ name: 'x', version: '2' }, listInstalled(app), {}));
    expect(a).toBe(b);
    expect(JSON.parse(a).serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(JSON.parse(other).serialNumber).not.toBe(JSON.parse(a).serialNumber);
  });

  it('writes scoped package URLs with an encoded @', () => {
    expect(purl('@opentelemetry/core', '3.1.0')).toBe('pkg:npm/%40opentelemetry/core@3.1.0');
    expect(purl('pg', '8.23.1')).toBe('pkg:npm/pg@8.23.1');
  });
});

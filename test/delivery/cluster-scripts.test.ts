import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatProblems, validateManifests } from '../support/kube';

/**
 * scripts/cluster.sh and its parts, checked without starting a cluster (that is `npm run test:cluster`):
 * usage, refusals, shellcheck, and the manifests it applies against the Kubernetes schemas.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const script = (...p: string[]) => path.join(ROOT, 'scripts', ...p);
const bash = (...args: string[]) => spawnSync('bash', args, { encoding: 'utf8', cwd: ROOT });

describe('scripts/cluster.sh', () => {
  it('--help lists every command', () => {
    const help = bash(script('cluster.sh'), '--help');
    expect(help.status).toBe(0);
    for (const cmd of [
      'up',
      'down [--keep-logs]',
      'status',
      'logs [COMPONENT]',
      'load-images',
      'kubeconfig',
      'kubectl',
      'ctr',
      'keda [build|render|uninstall]',
    ]) {
      expect(help.stdout).toContain(`  ${cmd}`);
    }
  });

  it('refuses an unknown command with its usage and exit code 2', () => {
    const r = bash(script('cluster.sh'), 'start');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: scripts/cluster.sh COMMAND');
  });

  it('refuses an unknown keda command, naming the ones it has', () => {
    const r = bash(script('cluster.sh'), 'keda', 'upgrade');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("keda: unknown command 'upgrade'");
    expect(r.stderr).toContain('scripts/cluster.sh keda [install|build|render|uninstall]');
  });

  it('names the component it does not know, in logs and in the build', () => {
    const logs = bash(script('cluster.sh'), 'logs', 'kube-dns');
    expect(logs.status).toBe(1);
    expect(logs.stderr).toMatch(/no log for 'kube-dns'/);
    const build = bash(script('kubernetes', 'build.sh'), 'kube-dns');
    expect(build.status).toBe(2);
    expect(build.stderr).toContain("no component 'kube-dns' (one of: kube-apiserver etcd");
  });

  it('builds one main package per component it names', () => {
    const help = bash(script('kubernetes', 'build.sh'), '--help').stdout;
    const names = /every one of them:\n\s*(.+)\)/.exec(help)?.[1]?.trim().split(/\s+/) ?? [];
    expect(names.length).toBe(7);
    for (const n of names) {
      expect(readFileSync(script('kubernetes', n, 'main.go'), 'utf8')).toContain('package main');
    }
  });

  it('passes shellcheck (when installed)', () => {
    const files = [
      'cluster.sh',
      'test-cluster.sh',
      'kubernetes/build.sh',
      'cluster/pki.sh',
      'cluster/images.sh',
      'cluster/keda.sh',
    ];
    const check = spawnSync('shellcheck', ['-x', ...files.map((f) => script(f))], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    if (check.error) {
      expect((check.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      return;
    }
    expect([check.status, check.stdout]).toEqual([0, '']);
  });

  it('applies manifests that are valid Kubernetes objects', async () => {
    const coredns = readFileSync(script('cluster', 'manifests', 'coredns.yaml'), 'utf8')
      .replace('__COREDNS_IMAGE__', 'localhost/telemetry-pulse-cluster/coredns:1.12.1')
      .replace('__DNS_IP__', '10.96.0.10')
      .replace('__CLUSTER_DOMAIN__', 'cluster.local')
      .replace(/^ *__FORWARD__$/m, '');
    const rbac = readFileSync(script('cluster', 'manifests', 'kube-router-rbac.yaml'), 'utf8');
    expect(formatProblems(await validateManifests(`${coredns}\n---\n${rbac}`))).toBe('');
  });
});

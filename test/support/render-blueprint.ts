import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** render.yaml, read as Render reads it: the fields the project uses (test/delivery/schemas checks them). */
export const RENDER_FILE = path.join(__dirname, '..', '..', 'render.yaml');

export interface KeyedVar {
  readonly key: string;
  readonly value?: string;
  readonly sync?: boolean;
  readonly generateValue?: boolean;
}
export type EnvVar = KeyedVar | { readonly fromGroup: string };
export interface RenderService {
  readonly type: string;
  readonly name: string;
  readonly runtime: string;
  readonly image?: { url: string };
  readonly numInstances?: number;
  readonly healthCheckPath?: string;
  readonly preDeployCommand?: string;
  readonly dockerCommand?: string;
  readonly maxShutdownDelaySeconds?: number;
  readonly envVars: EnvVar[];
}
export interface EnvVarGroup {
  readonly name: string;
  readonly envVars: KeyedVar[];
}
export interface Blueprint {
  readonly services: RenderService[];
  readonly envVarGroups?: EnvVarGroup[];
}

export function loadBlueprint(file = RENDER_FILE): Blueprint {
  return parseYaml(readFileSync(file, 'utf8')) as Blueprint;
}

/**
 * A service's variables as Render sets them: its environment groups' and its own, in the order listed.
 * Throws on a group that is not declared and on a key given twice (Render would silently pick one).
 */
export function serviceVariables(b: Blueprint, service: RenderService): KeyedVar[] {
  const vars = service.envVars.flatMap((v): KeyedVar[] => {
    if (!('fromGroup' in v)) return [v];
    const group = b.envVarGroups?.find((g) => g.name === v.fromGroup);
    if (!group) throw new Error(`${service.name}: no environment group ${v.fromGroup}`);
    return group.envVars;
  });
  const seen = new Set<string>();
  for (const v of vars) {
    if (seen.has(v.key)) throw new Error(`${service.name}: ${v.key} is given twice`);
    seen.add(v.key);
  }
  return vars;
}

/**
 * The environment Render gives a service: committed values as written, `sync: false` ones as entered in the
 * dashboard (empty when not entered, as a user leaves the ones their provider does not use).
 */
export function serviceEnvironment(
  b: Blueprint,
  service: RenderService,
  dashboard: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    serviceVariables(b, service).map((v) => [v.key, v.value ?? dashboard[v.key] ?? '']),
  );
}

/** Which program a service runs: the component of its image, ghcr.io/telemetry-pulse/<component>:<tag>. */
export function componentOf(service: RenderService): string {
  const m = /^ghcr\.io\/telemetry-pulse\/([a-z]+):/.exec(service.image?.url ?? '');
  if (!m?.[1]) throw new Error(`${service.name}: not an image of this project`);
  return m[1];
}

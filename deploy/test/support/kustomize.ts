import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { repoRoot } from './services';

/**
 * Just enough of kustomize to check what the Deployments will see, without the binary:
 * `resources` (files and directories, recursively), configMapGenerator and
 * secretGenerator (`envs`, `files`, `literals`, `behavior: merge|replace`) and
 * `replicas`. Secrets come from the committed examples: `secret.env` is read as
 * `secret.example.env` next to it (`cart-secret.env` as `cart-secret.example.env`), and a
 * `files` source (a PEM key) as a placeholder.
 */

export const k8sRoot = path.join(repoRoot, 'deploy', 'k8s');

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  envs?: string[];
  files?: string[];
  literals?: string[];
}

export interface Kustomization {
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  replicas?: { name: string; count: number }[];
  /** Not applied by `render`; tests read the patch files themselves. */
  patches?: { path?: string; patch?: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export interface Rendered {
  manifests: Manifest[];
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

export function readKustomization(dir: string): Kustomization {
  return parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

/** Kustomize's env-file rules: KEY=value lines, `#` comments, quotes kept as they are. */
export function parseEnvFile(file: string): Record<string, string> {
  const data: Record<string, string> = {};
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq <= 0) {
        throw new Error(`${file}:${index + 1}: expected KEY=value (a bare KEY reads the shell)`);
      }
      data[line.slice(0, eq)] = line.slice(eq + 1);
    });
  return data;
}

/** Where the committed stand-in of a git-ignored secret env file lives. */
export function exampleOf(envFile: string): string {
  return envFile.replace(/secret\.env$/, 'secret.example.env');
}

function generatorData(dir: string, generator: Generator, secret: boolean): Record<string, string> {
  const data: Record<string, string> = {};
  for (const envs of generator.envs ?? []) {
    const file = path.join(dir, secret ? exampleOf(envs) : envs);
    if (!existsSync(file)) throw new Error(`${path.relative(repoRoot, file)} is missing`);
    Object.assign(data, parseEnvFile(file));
  }
  for (const source of generator.files ?? []) {
    const eq = source.indexOf('=');
    const key = eq > 0 ? source.slice(0, eq) : path.basename(source);
    const file = eq > 0 ? source.slice(eq + 1) : source;
    // Secret files (PEM keys) are git-ignored and have no committed example.
    data[key] = secret ? `<contents of ${file}>` : readFileSync(path.join(dir, file), 'utf8');
  }
  for (const literal of generator.literals ?? []) {
    const eq = literal.indexOf('=');
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  return data;
}

function applyGenerators(
  dir: string,
  generators: Generator[] | undefined,
  into: Map<string, Record<string, string>>,
  secret: boolean,
): void {
  for (const generator of generators ?? []) {
    const data = generatorData(dir, generator, secret);
    const existing = into.get(generator.name);
    if (generator.behavior === 'merge' || generator.behavior === 'replace') {
      if (!existing) throw new Error(`${dir}: ${generator.behavior} of unknown ${generator.name}`);
      into.set(generator.name, generator.behavior === 'merge' ? { ...existing, ...data } : data);
    } else {
      if (existing) throw new Error(`${dir}: ${generator.name} is generated twice`);
      into.set(generator.name, data);
    }
  }
}

/** Renders a kustomization folder (base or overlay) into manifests and generated data. */
export function render(dir: string): Rendered {
  const kustomization = readKustomization(dir);
  const rendered: Rendered = { manifests: [], configMaps: new Map(), secrets: new Map() };
  for (const resource of kustomization.resources ?? []) {
    const target = path.join(dir, resource);
    if (statSync(target).isDirectory()) {
      const inner = render(target);
      rendered.manifests.push(...inner.manifests);
      inner.configMaps.forEach((data, name) => rendered.configMaps.set(name, data));
      inner.secrets.forEach((data, name) => rendered.secrets.set(name, data));
      continue;
    }
    for (const doc of parseAllDocuments(readFileSync(target, 'utf8'))) {
      const manifest = doc.toJS() as Manifest | null;
      if (!manifest) continue;
      rendered.manifests.push(manifest);
      if (manifest.kind === 'ConfigMap') {
        rendered.configMaps.set(manifest.metadata.name, { ...manifest.data });
      } else if (manifest.kind === 'Secret') {
        const decoded = Object.fromEntries(
          Object.entries(manifest.data ?? {}).map(([k, v]) => [
            k,
            Buffer.from(v, 'base64').toString(),
          ]),
        );
        rendered.secrets.set(manifest.metadata.name, { ...decoded, ...manifest.stringData });
      }
    }
  }
  applyGenerators(dir, kustomization.configMapGenerator, rendered.configMaps, false);
  applyGenerators(dir, kustomization.secretGenerator, rendered.secrets, true);
  for (const { name, count } of kustomization.replicas ?? []) {
    const deployment = rendered.manifests.find(
      (m) => m.kind === 'Deployment' && m.metadata.name === name,
    );
    if (!deployment?.spec) throw new Error(`${dir}: replicas for unknown Deployment ${name}`);
    deployment.spec.replicas = count;
  }
  return rendered;
}

export interface HttpProbe {
  httpGet?: { path?: string; port?: string | number };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      configMapKeyRef?: { name: string; key: string };
      secretKeyRef?: { name: string; key: string };
    };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
}

export interface PodSpec {
  containers: Container[];
}

/** The pod spec of a Deployment or Job. */
export function podSpecOf(manifest: Manifest): PodSpec {
  const template = (manifest.spec as { template?: { spec?: PodSpec } } | undefined)?.template;
  if (!template?.spec)
    throw new Error(`${manifest.kind} ${manifest.metadata.name} has no pod spec`);
  return template.spec;
}

/** The environment a container starts with: envFrom in order, then env on top. */
export function containerEnvironment(
  container: Container,
  rendered: Rendered,
): Record<string, string> {
  const lookup = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> => {
    const data = (kind === 'ConfigMap' ? rendered.configMaps : rendered.secrets).get(name);
    if (!data)
      throw new Error(`${container.name} refers to ${kind} ${name}, which is not rendered`);
    return data;
  };
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      Object.assign(environment, lookup('ConfigMap', source.configMapRef.name));
    if (source.secretRef) Object.assign(environment, lookup('Secret', source.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    let value = variable.value;
    if (ref?.configMapKeyRef)
      value = lookup('ConfigMap', ref.configMapKeyRef.name)[ref.configMapKeyRef.key];
    if (ref?.secretKeyRef) value = lookup('Secret', ref.secretKeyRef.name)[ref.secretKeyRef.key];
    if (value === undefined)
      throw new Error(`${container.name}: ${variable.name} resolves to nothing`);
    environment[variable.name] = value;
  }
  return environment;
}

/** A probe's HTTP port as a number (a named port is looked up on the container). */
export function probePort(container: Container, probe: HttpProbe): number | undefined {
  const port = probe.httpGet?.port;
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

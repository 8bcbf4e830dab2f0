// deploy/k8s, checked without a cluster or the kustomize binary: what each Deployment and
// Job starts with (ConfigMaps + the committed secret examples) against the service's
// config schema, the probes, resources, Services, and what the overlays change.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  containerEnvironment,
  k8sRoot,
  podSpecOf,
  probePort,
  render,
  type Manifest,
  type Rendered,
} from './support/kustomize';
import {
  apiPorts,
  checkEnvironment,
  portVariable,
  readPackageJson,
  whyNotAWorkspace,
  workspaceOfName,
} from './support/services';

const base = render(path.join(k8sRoot, 'base'));
const overlays: Record<string, Rendered> = {
  dev: render(path.join(k8sRoot, 'overlays/dev')),
  prod: render(path.join(k8sRoot, 'overlays/prod')),
};

const ofKind = (rendered: Rendered, kind: string) =>
  rendered.manifests.filter((manifest) => manifest.kind === kind);
const deploymentNames = ofKind(base, 'Deployment').map((d) => d.metadata.name);
const byName = (rendered: Rendered, kind: string, name: string): Manifest =>
  ofKind(rendered, kind).find((m) => m.metadata.name === name)!;

describe('deploy/k8s/base', () => {
  it('deploys the router and the users subgraph, and migrates users with a Job', () => {
    expect(deploymentNames).toEqual(expect.arrayContaining(['router', 'users']));
    expect(ofKind(base, 'Job').map((job) => job.metadata.name)).toContain('users-migrate');
  });

  it('keeps secret.env and the signing keys out of git', () => {
    const ignored = readFileSync(path.join(k8sRoot, '.gitignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['secret.env', '*.pem']));
  });
});

describe.each(deploymentNames)('Deployment %s', (name) => {
  const workspace = workspaceOfName(name);
  const port = apiPorts[workspace]!;
  const deployment = byName(base, 'Deployment', name);
  const container = podSpecOf(deployment).containers[0]!;

  it('runs an existing workspace that has an API.md port', () => {
    expect(whyNotAWorkspace(workspace)).toBeUndefined();
    expect(port).toBeDefined();
  });

  it.each(['base', 'dev', 'prod'])(
    "starts, in %s, with an environment that satisfies its workspace's config schema",
    (where) => {
      const rendered = where === 'base' ? base : overlays[where]!;
      const own = podSpecOf(byName(rendered, 'Deployment', name)).containers[0]!;
      const check = checkEnvironment(workspace, containerEnvironment(own, rendered));
      expect(check.problems).toEqual([]);
    },
  );

  it('listens on its API.md port, and its Service forwards that port', () => {
    expect(containerEnvironment(container, base)[portVariable(workspace)]).toBe(String(port));
    expect(container.ports?.map((p) => p.containerPort)).toEqual([port]);
    const service = byName(base, 'Service', name);
    const spec = service?.spec as
      { selector: Record<string, string>; ports: { port: number }[] } | undefined;
    expect(spec?.ports.map((p) => p.port)).toEqual([port]);
    expect(spec?.selector).toEqual(
      (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels,
    );
  });

  it('probes liveness (and start-up) on /healthz and readiness on /readyz', () => {
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    if (container.startupProbe) expect(container.startupProbe.httpGet?.path).toBe('/healthz');
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
    ]) {
      if (probe) expect(probePort(container, probe)).toBe(port);
    }
  });

  it('requests and limits CPU and memory', () => {
    for (const kind of ['requests', 'limits'] as const) {
      expect(Object.keys(container.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
  });
});

describe('Job users-migrate', () => {
  const job = byName(base, 'Job', 'users-migrate');
  const container = podSpecOf(job).containers[0]!;
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const workspace = command[command.indexOf('--workspace') + 1]!;

  it("runs its workspace's migrate script", () => {
    expect(command.slice(0, 3)).toEqual(['npm', 'run', 'migrate']);
    expect(whyNotAWorkspace(workspace)).toBeUndefined();
    expect(readPackageJson(workspace).scripts?.migrate).toBeDefined();
  });

  it('uses the image of the service it migrates, with an environment its schema accepts', () => {
    const deployment = byName(base, 'Deployment', path.basename(workspace));
    expect(container.image).toBe(podSpecOf(deployment).containers[0]!.image);
    const check = checkEnvironment(workspace, containerEnvironment(container, base));
    expect(check.problems).toEqual([]);
  });
});

describe('overlays', () => {
  const nodeEnv = (rendered: Rendered) => rendered.configMaps.get('shop-common')?.NODE_ENV;

  it('dev runs with NODE_ENV=development', () => {
    expect(nodeEnv(overlays.dev!)).toBe('development');
  });

  it('prod runs with NODE_ENV=production and at least two replicas of every Deployment', () => {
    expect(nodeEnv(overlays.prod!)).toBe('production');
    for (const deployment of ofKind(overlays.prod!, 'Deployment')) {
      const replicas = (deployment.spec as { replicas?: number }).replicas ?? 1;
      expect({ name: deployment.metadata.name, enough: replicas >= 2 }).toEqual({
        name: deployment.metadata.name,
        enough: true,
      });
    }
  });

  it('prod protects every Deployment with a PodDisruptionBudget', () => {
    const budgets = ofKind(overlays.prod!, 'PodDisruptionBudget').map(
      (pdb) =>
        (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels[
          'app.kubernetes.io/name'
        ],
    );
    expect(budgets.sort()).toEqual([...deploymentNames].sort());
  });
});

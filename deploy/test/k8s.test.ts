// deploy/k8s, checked without a cluster or the kustomize binary: what each Deployment and
// Job starts with (ConfigMaps + the committed secret examples) against the service's
// config schema, the probes, resources, Services, and what the overlays change.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  containerEnvironment,
  exampleOf,
  k8sRoot,
  podSpecOf,
  probePort,
  readKustomization,
  render,
  type Manifest,
  type Rendered,
} from './support/kustomize';
import {
  apiPorts,
  checkEnvironment,
  ordersClientPairing,
  portVariable,
  readPackageJson,
  subgraphUrlVariable,
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
const jobNames = (rendered: Rendered) => ofKind(rendered, 'Job').map((job) => job.metadata.name);
/** Everything that runs a container, with the render it belongs to. */
const workloads = Object.entries({ base, ...overlays }).flatMap(([where, rendered]) =>
  [...ofKind(rendered, 'Deployment'), ...ofKind(rendered, 'Job')].map(
    (manifest) =>
      [`${where}: ${manifest.kind} ${manifest.metadata.name}`, manifest, rendered] as const,
  ),
);

/** .gitignore patterns without a slash, which match a file name in any folder. */
function ignoredByGit(fileName: string): boolean {
  return readFileSync(path.join(k8sRoot, '.gitignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.includes('/'))
    .some((pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(fileName),
    );
}

describe('deploy/k8s/base', () => {
  it('deploys the router and the subgraphs, and migrates users and orders with Jobs', () => {
    expect(deploymentNames).toEqual(
      expect.arrayContaining(['router', 'users', 'products', 'cart', 'orders']),
    );
    expect(jobNames(base)).toEqual(expect.arrayContaining(['users-migrate', 'orders-migrate']));
  });

  it('keeps the secret env files and the signing keys out of git, and their examples in', () => {
    const sources = (readKustomization(path.join(k8sRoot, 'base')).secretGenerator ?? []).flatMap(
      (generator) => [
        ...(generator.envs ?? []),
        ...(generator.files ?? []).map((file) => file.slice(file.indexOf('=') + 1)),
      ],
    );
    expect(sources).toEqual(
      expect.arrayContaining([
        'secret.env',
        'products-secret.env',
        'cart-secret.env',
        'orders-secret.env',
      ]),
    );
    for (const source of sources) {
      expect({ source, ignored: ignoredByGit(source) }).toEqual({ source, ignored: true });
      if (source.endsWith('.env')) {
        // The committed stand-in that the tests read (and operators copy): tracked.
        const example = exampleOf(source);
        expect({ example, differs: example !== source }).toEqual({ example, differs: true });
        expect({ example, ignored: ignoredByGit(example) }).toEqual({ example, ignored: false });
      }
    }
  });

  it('routes the router to every subgraph Deployment by its Service', () => {
    const router = containerEnvironment(
      podSpecOf(byName(base, 'Deployment', 'router')).containers[0]!,
      base,
    );
    for (const name of deploymentNames.filter((other) => other !== 'router')) {
      const variable = subgraphUrlVariable(name);
      expect({ variable, url: router[variable] }).toEqual({
        variable,
        url: `http://${name}:${apiPorts[workspaceOfName(name)]}/graphql`,
      });
    }
  });
});

describe.each(Object.entries({ base, ...overlays }))('%s: orders', (_where, rendered) => {
  const environment = (name: string) =>
    containerEnvironment(podSpecOf(byName(rendered, 'Deployment', name)).containers[0]!, rendered);

  it("OAuth client is listed in users' OAUTH_CLIENTS with its secret and scopes", () => {
    expect(ordersClientPairing(environment('orders'), environment('users'))).toEqual({
      clientId: 'orders',
      listed: true,
      secretMatches: true,
      missingScopes: [],
    });
  });

  it('reads its OAuth client secret and Stripe keys from its own Secret, not a ConfigMap', () => {
    const secrets = rendered.secrets.get('orders-secrets') ?? {};
    for (const variable of [
      'ORDERS_DATABASE_URL',
      'OAUTH_CLIENT_SECRET',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ]) {
      expect({ variable, inSecret: variable in secrets }).toEqual({ variable, inSecret: true });
      for (const [name, data] of rendered.configMaps) {
        expect({ variable, configMap: name, present: variable in data }).toEqual({
          variable,
          configMap: name,
          present: false,
        });
      }
    }
  });

  it('calls the users, products and cart Services themselves and users for its tokens', () => {
    expect(environment('orders')).toMatchObject({
      USERS_URL: 'http://users:4001/graphql',
      PRODUCTS_URL: 'http://products:4002/graphql',
      CART_URL: 'http://cart:4003/graphql',
      OAUTH_TOKEN_URL: 'http://users:4001/oauth/token',
    });
  });
});

describe.each(workloads)('%s', (_label, manifest, rendered) => {
  it('points every in-cluster *_URL at a Service of the same render, on a port it exposes', () => {
    for (const container of podSpecOf(manifest).containers) {
      for (const [variable, value] of Object.entries(containerEnvironment(container, rendered))) {
        if (!variable.endsWith('_URL')) continue;
        const url = new URL(value);
        // A bare name is a Service of this namespace; a dotted one is outside (a managed
        // database, the examples' *.example.internal).
        if (url.hostname.includes('.')) continue;
        const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
        const service = byName(rendered, 'Service', url.hostname);
        const ports = (service?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? [];
        expect({ variable, port, exposed: ports.map((p) => p.port) }).toEqual({
          variable,
          port,
          exposed: expect.arrayContaining([port]),
        });
      }
    }
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

const jobs = [
  ...jobNames(base).map((name) => ['base', name] as const),
  ...jobNames(overlays.dev!)
    .filter((name) => !jobNames(base).includes(name))
    .map((name) => ['overlays/dev', name] as const),
];

describe.each(jobs)('%s: Job %s', (where, name) => {
  const rendered = where === 'base' ? base : overlays.dev!;
  const job = byName(rendered, 'Job', name);
  const container = podSpecOf(job).containers[0]!;
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  const script = command[2]!;
  const workspace = command[command.indexOf('--workspace') + 1]!;
  const deployment = byName(rendered, 'Deployment', path.basename(workspace));
  const environment = containerEnvironment(container, rendered);

  it("runs an npm script of its workspace, once (the Job's name ends with the script)", () => {
    expect(command.slice(0, 2)).toEqual(['npm', 'run']);
    expect(whyNotAWorkspace(workspace)).toBeUndefined();
    expect(readPackageJson(workspace).scripts?.[script]).toBeDefined();
    expect(name).toBe(`${path.basename(workspace)}-${script}`);
    expect(
      (job.spec as { template: { spec: { restartPolicy?: string } } }).template.spec.restartPolicy,
    ).toBe('Never');
  });

  it('uses the image of the service it prepares, with an environment its schema accepts', () => {
    expect(container.image).toBe(podSpecOf(deployment).containers[0]!.image);
    const check = checkEnvironment(workspace, environment);
    expect(check.problems).toEqual([]);
  });

  it('prepares the store that the service uses (same settings)', () => {
    const theirs = containerEnvironment(podSpecOf(deployment).containers[0]!, rendered);
    for (const [variable, value] of Object.entries(environment)) {
      expect({ variable, value }).toEqual({ variable, value: theirs[variable] });
    }
  });

  it('requests and limits CPU and memory', () => {
    for (const kind of ['requests', 'limits'] as const) {
      expect(Object.keys(container.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
  });
});

describe('overlays', () => {
  const nodeEnv = (rendered: Rendered) => rendered.configMaps.get('shop-common')?.NODE_ENV;

  it('dev runs with NODE_ENV=development', () => {
    expect(nodeEnv(overlays.dev!)).toBe('development');
  });

  it('dev loads the demo catalog; the base and prod never do', () => {
    expect(jobNames(overlays.dev!)).toContain('products-seed');
    expect(jobNames(base)).not.toContain('products-seed');
    expect(jobNames(overlays.prod!)).not.toContain('products-seed');
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

  it('prod spreads the replicas of every Deployment over nodes', () => {
    const dir = path.join(k8sRoot, 'overlays/prod');
    const files = (readKustomization(dir).patches ?? []).flatMap((patch) => patch.path ?? []);
    const spread = files.flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))
        .map((doc) => doc.toJS() as Manifest)
        .filter((patch) => patch.kind === 'Deployment')
        .filter((patch) => {
          const constraints = (
            patch.spec as
              { template?: { spec?: { topologySpreadConstraints?: unknown[] } } } | undefined
          )?.template?.spec?.topologySpreadConstraints;
          return (constraints ?? []).length > 0;
        })
        .map((patch) => patch.metadata.name),
    );
    expect(spread.sort()).toEqual([...deploymentNames].sort());
  });
});

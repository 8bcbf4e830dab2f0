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
import { BOARD_PATH } from '../../router/src/queue-board/session';
import { WEBHOOKS } from '../../router/src/webhooks';
import {
  apiPorts,
  BROWSER_URLS,
  checkEnvironment,
  clientPairing,
  declares,
  OAUTH_SCOPES,
  portVariable,
  postgresDatabasesOf,
  readPackageJson,
  settingOf,
  stockHoldWindow,
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
/** A service's queue workers apart from its API (`<service>-worker`, test/scaling.test.ts). */
const isWorker = (manifest: Manifest) =>
  manifest.metadata.labels?.['app.kubernetes.io/component'] === 'worker';
/** The API Deployments: one per workspace, each behind its Service. */
const deploymentNames = ofKind(base, 'Deployment')
  .filter((d) => !isWorker(d))
  .map((d) => d.metadata.name);
const allDeploymentNames = ofKind(base, 'Deployment').map((d) => d.metadata.name);
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

/** The environment a Deployment's first container starts with, in one render. */
const environmentIn = (rendered: Rendered, name: string) =>
  containerEnvironment(podSpecOf(byName(rendered, 'Deployment', name)).containers[0]!, rendered);

/**
 * What each service must read from its own Secret and never from a ConfigMap (which any
 * pod of the namespace may mount, and `kubectl describe` prints).
 */
const secretVariables: Record<string, string[]> = {
  users: ['USERS_DATABASE_URL', 'REDIS_URL', 'ADMIN_PASSWORD', 'OAUTH_CLIENTS', 'JWT_PRIVATE_KEYS'],
  products: ['MONGODB_URL', 'PRODUCTS_DATABASE_URL'],
  cart: ['REDIS_URL'],
  orders: [
    'ORDERS_DATABASE_URL',
    'REDIS_URL',
    'OAUTH_CLIENT_SECRET',
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'PAYPAL_CLIENT_SECRET',
  ],
  delivery: [
    'DELIVERY_DATABASE_URL',
    'REDIS_URL',
    'OAUTH_CLIENT_SECRET',
    'CARRIER_API_KEY',
    'CARRIER_WEBHOOK_SECRET',
  ],
  notifications: ['MONGODB_URL', 'REDIS_URL', 'OAUTH_CLIENT_SECRET', 'SMTP_URL', 'SMS_AUTH_TOKEN'],
  router: ['REDIS_URL', 'QUEUE_BOARD_SESSION_SECRET'],
};

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
  it('deploys the router and the subgraphs, and migrates users, products, orders and delivery with Jobs', () => {
    expect(deploymentNames).toEqual(
      expect.arrayContaining([
        'router',
        'users',
        'products',
        'cart',
        'orders',
        'delivery',
        'notifications',
      ]),
    );
    expect(jobNames(base)).toEqual(
      expect.arrayContaining([
        'users-migrate',
        'products-migrate',
        'orders-migrate',
        'delivery-migrate',
      ]),
    );
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
        'delivery-secret.env',
        'notifications-secret.env',
        'router-secret.env',
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

const renders = Object.entries({ base, ...overlays });

describe.each(
  renders.flatMap(([where, rendered]) =>
    Object.keys(OAUTH_SCOPES).map((workspace) => [where, workspace, rendered] as const),
  ),
)('%s: the OAuth client of %s', (_where, workspace, rendered) => {
  const name = path.basename(workspace);

  it("is listed in users' OAUTH_CLIENTS with its secret and the scopes it needs", () => {
    expect(
      clientPairing(workspace, environmentIn(rendered, name), environmentIn(rendered, 'users')),
    ).toEqual({ clientId: name, listed: true, secretMatches: true, missingScopes: [] });
  });

  it('gets its tokens from the users Service', () => {
    expect(environmentIn(rendered, name).OAUTH_TOKEN_URL).toBe('http://users:4001/oauth/token');
  });
});

describe.each(
  renders.flatMap(([where, rendered]) =>
    Object.keys(secretVariables).map((name) => [where, name, rendered] as const),
  ),
)('%s: %s', (_where, name, rendered) => {
  it('reads its credentials from its own Secret, never from a ConfigMap', () => {
    const deployment = podSpecOf(byName(rendered, 'Deployment', name)).containers[0]!;
    const ownSecrets = (deployment.envFrom ?? []).flatMap((source) =>
      source.secretRef ? [source.secretRef.name] : [],
    );
    expect(ownSecrets).toEqual([`${name}-secrets`]);
    const secrets = rendered.secrets.get(`${name}-secrets`) ?? {};
    for (const variable of secretVariables[name]!) {
      expect({ variable, inSecret: variable in secrets }).toEqual({ variable, inSecret: true });
      for (const [configMap, data] of rendered.configMaps) {
        expect({ variable, configMap, present: variable in data }).toEqual({
          variable,
          configMap,
          present: false,
        });
      }
    }
  });
});

describe.each(renders)('%s: subgraphs calling each other', (_where, rendered) => {
  it('orders calls the users, products and cart Services themselves', () => {
    expect(environmentIn(rendered, 'orders')).toMatchObject({
      USERS_URL: 'http://users:4001/graphql',
      PRODUCTS_URL: 'http://products:4002/graphql',
      CART_URL: 'http://cart:4003/graphql',
    });
  });

  it('delivery calls the orders Service itself', () => {
    expect(environmentIn(rendered, 'delivery').ORDERS_URL).toBe('http://orders:4004/graphql');
  });

  it('notifications calls the users and orders Services themselves', () => {
    expect(environmentIn(rendered, 'notifications')).toMatchObject({
      USERS_URL: 'http://users:4001/graphql',
      ORDERS_URL: 'http://orders:4004/graphql',
    });
  });
});

describe.each(renders)('%s: PostgreSQL databases', (_where, rendered) => {
  const databasesOf = (name: string) => postgresDatabasesOf(environmentIn(rendered, name));
  const owners = deploymentNames.filter((name) => Object.keys(databasesOf(name)).length > 0);

  it('are used by users, products, orders and delivery', () => {
    expect(owners).toEqual(expect.arrayContaining(['users', 'products', 'orders', 'delivery']));
  });

  it('are each migrated by a Job named after the service that owns it', () => {
    for (const name of owners) {
      expect({ name, migrated: jobNames(rendered).includes(`${name}-migrate`) }).toEqual({
        name,
        migrated: true,
      });
    }
  });
});

describe.each(renders)('%s: stock holds', (_where, rendered) => {
  it("products keeps a checkout's held units for longer than orders' checkout may take", () => {
    const { claimMs, checkoutMs } = stockHoldWindow(
      environmentIn(rendered, 'products'),
      environmentIn(rendered, 'orders'),
    );
    expect(claimMs).toBeGreaterThan(checkoutMs);
  });
});

describe.each(renders)('%s: queues (BullMQ)', (_where, rendered) => {
  const queueDeployments = deploymentNames.filter((name) =>
    declares(workspaceOfName(name), 'QUEUE_PREFIX'),
  );

  it('are used by users, orders, delivery and notifications', () => {
    expect(queueDeployments).toEqual(
      expect.arrayContaining(['users', 'orders', 'delivery', 'notifications']),
    );
  });

  it.each(['QUEUE_PREFIX', 'REDIS_URL'])(
    'every producer and worker uses the same %s, or jobs never reach their workers',
    (variable) => {
      const values = Object.fromEntries(
        queueDeployments.map((name) => [
          name,
          settingOf(workspaceOfName(name), environmentIn(rendered, name), variable),
        ]),
      );
      // Every service against users' value, so a failure names the one that differs.
      const expected = values.users;
      expect(values).toEqual(Object.fromEntries(Object.keys(values).map((n) => [n, expected])));
    },
  );

  it('read QUEUE_PREFIX from the one shared ConfigMap, not each its own', () => {
    for (const name of queueDeployments) {
      const envFrom = podSpecOf(byName(rendered, 'Deployment', name)).containers[0]!.envFrom ?? [];
      expect({ name, shared: envFrom.some((s) => s.configMapRef?.name === 'shop-queues') }).toEqual(
        { name, shared: true },
      );
    }
    const holders = [...rendered.configMaps]
      .filter(([, data]) => 'QUEUE_PREFIX' in data)
      .map(([configMap]) => configMap);
    expect(holders).toEqual(['shop-queues']);
  });
});

describe.each(workloads)('%s', (_label, manifest, rendered) => {
  it('points every in-cluster *_URL at a Service of the same render, on a port it exposes', () => {
    for (const container of podSpecOf(manifest).containers) {
      for (const [variable, value] of Object.entries(containerEnvironment(container, rendered))) {
        // Empty: the provider's own API (PAYPAL_API_URL unset).
        if (!variable.endsWith('_URL') || value === '' || BROWSER_URLS.has(variable)) continue;
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

  it('runs an existing workspace that has a docs/api.md port', () => {
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

  it('listens on its docs/api.md port, and its Service forwards that port', () => {
    expect(containerEnvironment(container, base)[portVariable(workspace)]).toBe(String(port));
    // Besides the metrics port, which no Service forwards (scaling.test.ts checks it).
    expect(
      container.ports?.filter((p) => p.name !== 'metrics').map((p) => p.containerPort),
    ).toEqual([port]);
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
    expect(budgets.sort()).toEqual([...allDeploymentNames].sort());
  });

  it('prod runs delivery on several pods, so subscribers hear events recorded elsewhere', () => {
    const delivery = byName(overlays.prod!, 'Deployment', 'delivery');
    expect((delivery.spec as { replicas?: number }).replicas).toBeGreaterThanOrEqual(2);
    const environment = environmentIn(overlays.prod!, 'delivery');
    expect(settingOf('subgraphs/delivery', environment, 'PUBSUB_CHANNEL_PREFIX')).toBeTruthy();
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
    expect(spread.sort()).toEqual([...allDeploymentNames].sort());
  });
});

describe('prod: the router Ingress', () => {
  interface IngressPath {
    path: string;
    pathType: string;
    backend: { service: { name: string; port: { number?: number; name?: string } } };
  }
  interface IngressSpec {
    ingressClassName?: string;
    rules: { host?: string; http: { paths: IngressPath[] } }[];
  }
  const ingresses = ofKind(overlays.prod!, 'Ingress');
  const paths = ingresses.flatMap((ingress) =>
    (ingress.spec as unknown as IngressSpec).rules.flatMap((rule) => rule.http.paths),
  );

  it('routes /graphql and every webhook the router relays to the router Service', () => {
    const routed = paths
      .filter((p) => p.backend.service.name === 'router')
      .map((p) => p.path)
      .sort();
    expect(routed).toEqual(['/graphql', ...WEBHOOKS.map((webhook) => webhook.path)].sort());
    for (const p of paths) {
      expect({ path: p.path, port: p.backend.service.port.number }).toEqual({
        path: p.path,
        port: apiPorts[workspaceOfName(p.backend.service.name)],
      });
    }
  });

  it('does not publish the queue board: ADMINs reach it through a port-forward', () => {
    expect(
      settingOf('router', environmentIn(overlays.prod!, 'router'), 'QUEUE_BOARD_ENABLED'),
    ).toBe(true);
    for (const p of paths) {
      const reaches =
        p.path === BOARD_PATH ||
        (p.pathType !== 'Exact' && BOARD_PATH.startsWith(p.path.replace(/\/?$/, '/')));
      expect({ path: p.path, reachesTheBoard: reaches }).toEqual({
        path: p.path,
        reachesTheBoard: false,
      });
    }
  });

  it('keeps quiet WebSocket subscriptions open much longer than the router keep-alive', () => {
    const keepAliveMs = Number(
      settingOf('router', environmentIn(overlays.prod!, 'router'), 'SUBSCRIPTION_KEEPALIVE_MS'),
    );
    for (const ingress of ingresses) {
      const spec = ingress.spec as unknown as IngressSpec;
      expect(spec.ingressClassName).toBe('nginx');
      const annotations =
        (ingress.metadata as { annotations?: Record<string, string> }).annotations ?? {};
      for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
        const seconds = Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`]);
        expect({ timeout, longEnough: seconds * 1000 >= 10 * keepAliveMs }).toEqual({
          timeout,
          longEnough: true,
        });
      }
    }
  });
});

// docker-compose.yml, checked without Docker: every Node service's environment against its
// own config schema, health checks, dependencies, ports (docs/api.md) and the workspaces built.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  loadTelemetryConfig,
  tracesProtocol,
  tracingWanted,
} from '../../packages/telemetry/src/config';
import {
  buildArgsOf,
  buildOf,
  dependenciesOf,
  environmentOf,
  healthCommand,
  loadCompose,
  portsOf,
  type ComposeService,
} from './support/compose';
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
  repoRoot,
  settingOf,
  stockHoldWindow,
  subgraphUrlVariable,
  whyNotAWorkspace,
  workspaceOfName,
} from './support/services';

const { services } = loadCompose();
const names = Object.keys(services);
const service = (name: string) => services[name]!;

/** Services built from the shared Dockerfile, the SERVICE build arg naming their workspace. */
const nodeServices = names.filter((name) => buildArgsOf(service(name)).SERVICE !== undefined);
const workspaceOf = (name: string) => buildArgsOf(service(name)).SERVICE!;
/** The Dockerfile stage a service is built from; the last one (runtime) by default. */
const targetOf = (name: string) => buildOf(service(name))?.target ?? 'runtime';
/** One-shot jobs: a target other than runtime (migrate, seed) runs `npm run <target>` once. */
const jobs = nodeServices.filter((name) => targetOf(name) !== 'runtime');
const longRunning = nodeServices.filter((name) => !jobs.includes(name));
const infrastructure = names.filter((name) => !nodeServices.includes(name));

/** The ports the infrastructure images listen on inside the compose network. */
const infrastructurePorts: Record<string, number[]> = {
  postgres: [5432],
  mongo: [27017],
  redis: [6379],
  'stripe-mock': [12111, 12112],
  mailpit: [1025, 8025],
};
const defaultPorts: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'rediss:': 6379,
  'mongodb:': 27017,
  'http:': 80,
  'https:': 443,
};

const dockerfileStages = [
  ...readFileSync(path.join(repoRoot, 'deploy/docker/Dockerfile'), 'utf8').matchAll(
    /^FROM\s+\S+\s+AS\s+(\S+)/gim,
  ),
].map((match) => match[1]);

describe('docker-compose.yml', () => {
  it('builds the router and the subgraphs, migrates users, products, orders and delivery, seeds the catalog', () => {
    expect(longRunning).toEqual(
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
    expect(jobs).toEqual(
      expect.arrayContaining([
        'users-migrate',
        'products-migrate',
        'orders-migrate',
        'delivery-migrate',
        'products-seed',
      ]),
    );
  });

  it('routes the router to every subgraph of this file by its service name', () => {
    const router = environmentOf(service('router'));
    for (const name of longRunning.filter((other) => other !== 'router')) {
      const variable = subgraphUrlVariable(name);
      expect({ variable, url: router[variable] }).toEqual({
        variable,
        url: `http://${name}:${apiPorts[workspaceOf(name)]}/graphql`,
      });
      expect(dependenciesOf(service('router'))[name]).toBe('service_healthy');
    }
  });

  it.each(infrastructure)('%s (infrastructure) has a healthcheck and a pinned image', (name) => {
    expect(healthCommand(service(name))).toBeDefined();
    expect(service(name).image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
  });

  it.each(names)(
    '%s depends only on services of this file, with conditions they can meet',
    (name) => {
      for (const [target, condition] of Object.entries(dependenciesOf(service(name)))) {
        expect({ target, defined: names.includes(target) }).toEqual({ target, defined: true });
        if (condition === 'service_healthy') {
          expect({ target, healthcheck: healthCommand(service(target)) !== undefined }).toEqual({
            target,
            healthcheck: true,
          });
        } else if (condition === 'service_completed_successfully') {
          expect({ target, oneShot: jobs.includes(target) }).toEqual({ target, oneShot: true });
        } else {
          expect(condition).toBe('service_started');
        }
      }
    },
  );

  it.each(longRunning)('%s waits for the infrastructure it depends on to be healthy', (name) => {
    for (const [target, condition] of Object.entries(dependenciesOf(service(name)))) {
      if (infrastructure.includes(target))
        expect({ target, condition }).toEqual({ target, condition: 'service_healthy' });
    }
  });
});

describe.each(nodeServices)('%s (built from deploy/docker/Dockerfile)', (name) => {
  const workspace = workspaceOf(name);

  it('builds an existing workspace directory (build arg SERVICE)', () => {
    expect(whyNotAWorkspace(workspace)).toBeUndefined();
  });

  it('builds from the repository root with the shared Dockerfile and one of its stages', () => {
    const build = buildOf(service(name))!;
    expect(build.context).toBe('.');
    expect(build.dockerfile).toBe('deploy/docker/Dockerfile');
    if (build.target !== undefined) expect(dockerfileStages).toContain(build.target);
  });

  it("has an environment that satisfies its workspace's config schema", () => {
    const check = checkEnvironment(workspace, environmentOf(service(name)));
    expect(check.problems).toEqual([]);
  });

  it('points every *_URL variable at a service of this file, on a port it listens on', () => {
    for (const [variable, value] of Object.entries(environmentOf(service(name)))) {
      // Empty: not configured, or the provider's own API (CARRIER_API_URL, PAYPAL_API_URL).
      if (!variable.endsWith('_URL') || value === '' || BROWSER_URLS.has(variable)) continue;
      const url = new URL(value);
      // A dotted name is a third party on the internet (SMS_API_URL's Twilio), reached over
      // TLS; only the services of this file are called by their bare names.
      if (url.hostname.includes('.')) {
        expect({ variable, protocol: url.protocol }).toEqual({ variable, protocol: 'https:' });
        continue;
      }
      const port = url.port ? Number(url.port) : defaultPorts[url.protocol];
      const host = url.hostname;
      const listens = nodeServices.includes(host)
        ? [apiPorts[workspaceOf(host)]]
        : (infrastructurePorts[host] ?? []);
      expect({ variable, host, defined: names.includes(host) }).toEqual({
        variable,
        host,
        defined: true,
      });
      expect({ variable, port, listens: listens.includes(port) }).toEqual({
        variable,
        port,
        listens: true,
      });
    }
  });
});

describe.each(longRunning)('%s (a long-running Node service)', (name) => {
  const workspace = workspaceOf(name);
  const port = apiPorts[workspace];

  it('is named after its workspace folder and has a docs/api.md port', () => {
    expect(workspaceOfName(name)).toBe(workspace);
    expect(port).toBeDefined();
  });

  it('listens on its docs/api.md port and publishes it', () => {
    expect(environmentOf(service(name))[portVariable(workspace)]).toBe(String(port));
    expect(buildArgsOf(service(name)).PORT).toBe(String(port));
    expect(portsOf(service(name))).toContainEqual(
      expect.objectContaining({ published: port, target: port }),
    );
  });

  it('has a healthcheck on its own /healthz or /readyz', () => {
    expect(healthCommand(service(name))).toMatch(
      new RegExp(`http://(127\\.0\\.0\\.1|localhost):${port}/(healthz|readyz)\\b`),
    );
  });
});

describe.each(jobs)('%s (a one-shot job)', (name) => {
  const waiting = longRunning.filter(
    (other) => dependenciesOf(service(other))[name] === 'service_completed_successfully',
  );

  it('runs the script of its Dockerfile target (npm run <target>) that its workspace defines', () => {
    expect(readPackageJson(workspaceOf(name)).scripts?.[targetOf(name)]).toBeDefined();
  });

  it('completes before a service that needs it starts, and is not restarted', () => {
    expect(waiting).not.toEqual([]);
    expect(service(name).restart ?? 'no').toBe('no');
    expect(healthCommand(service(name))).toBeUndefined();
    expect(portsOf(service(name))).toEqual([]);
  });

  it('prepares the store that the services waiting for it use (same settings)', () => {
    const own = environmentOf(service(name));
    for (const other of waiting) {
      expect(workspaceOf(other)).toBe(workspaceOf(name));
      const theirs = environmentOf(service(other));
      for (const [variable, value] of Object.entries(own)) {
        expect({ variable, value }).toEqual({ variable, value: theirs[variable] });
      }
    }
  });
});

describe('tokens', () => {
  it.each(['JWT_ISSUER', 'JWT_AUDIENCE'])(
    'every service that signs or verifies tokens reads the same %s',
    (variable) => {
      const values = new Set(
        longRunning
          .map((name) => environmentOf(service(name))[variable])
          .filter((value) => value !== undefined),
      );
      expect(values.size).toBe(1);
    },
  );
});

describe('deploy/docker/postgres/init-databases.sql', () => {
  it('creates every database that a *_DATABASE_URL of this file names', () => {
    const sql = readFileSync(
      path.join(repoRoot, 'deploy/docker/postgres/init-databases.sql'),
      'utf8',
    );
    const created = [...sql.matchAll(/CREATE DATABASE (\w+)/gi)].map((m) => m[1]);
    for (const name of nodeServices) {
      for (const [variable, database] of Object.entries(
        postgresDatabasesOf(environmentOf(service(name))),
      )) {
        expect({ variable, created }).toEqual({
          variable,
          created: expect.arrayContaining([database]),
        });
      }
    }
  });
});

describe('PostgreSQL databases', () => {
  const databasesOf = (name: string) => postgresDatabasesOf(environmentOf(service(name)));
  const owners = longRunning.filter((name) => Object.keys(databasesOf(name)).length > 0);

  it('are owned by users, products, orders and delivery', () => {
    expect(owners).toEqual(expect.arrayContaining(['users', 'products', 'orders', 'delivery']));
  });

  it.each(owners)(
    '%s starts once PostgreSQL is healthy and its own migration has completed',
    (name) => {
      expect(dependenciesOf(service(name))).toMatchObject({
        postgres: 'service_healthy',
        [`${name}-migrate`]: 'service_completed_successfully',
      });
      expect(targetOf(`${name}-migrate`)).toBe('migrate');
    },
  );

  it("belong to one service each (no service reads another one's store)", () => {
    const ownersOf: Record<string, string[]> = {};
    for (const name of owners) {
      for (const database of new Set(Object.values(databasesOf(name)))) {
        (ownersOf[database] ??= []).push(name);
      }
    }
    for (const [database, names] of Object.entries(ownersOf)) {
      expect({ database, names }).toEqual({ database, names: [names[0]] });
    }
  });
});

/** A service's environment as written, before interpolation. */
function rawEnvironmentOf(entry: ComposeService): Record<string, string> {
  const environment = entry.environment;
  if (!environment || Array.isArray(environment)) return {};
  return Object.fromEntries(
    Object.entries(environment).flatMap(([key, value]) =>
      value === null ? [] : [[key, String(value)]],
    ),
  );
}

describe.each(Object.keys(OAUTH_SCOPES).map((workspace) => path.basename(workspace)))(
  '%s: OAuth client at users',
  (name) => {
    const own = environmentOf(service(name));
    const users = environmentOf(service('users'));

    it("is listed in users' OAUTH_CLIENTS with its secret and the scopes it needs", () => {
      expect(clientPairing(workspaceOf(name), own, users)).toEqual({
        clientId: name,
        listed: true,
        secretMatches: true,
        missingScopes: [],
      });
    });

    it('has a secret that is one expression both sides read, so `.env` changes both', () => {
      const secret = rawEnvironmentOf(service(name)).OAUTH_CLIENT_SECRET!;
      expect(secret).toMatch(/^\$\{[A-Z_]+:-[^}]{16,}\}$/);
      expect(rawEnvironmentOf(service('users')).OAUTH_CLIENTS).toContain(
        `${own.OAUTH_CLIENT_ID}:${secret}:`,
      );
    });

    it('asks users for its tokens', () => {
      expect(own.OAUTH_TOKEN_URL).toBe('http://users:4001/oauth/token');
      expect(dependenciesOf(service(name)).users).toBe('service_healthy');
    });
  },
);

describe('queues (BullMQ)', () => {
  const queueServices = longRunning.filter((name) => declares(workspaceOf(name), 'QUEUE_PREFIX'));

  it('are used by users, orders, delivery and notifications', () => {
    expect(queueServices).toEqual(
      expect.arrayContaining(['users', 'orders', 'delivery', 'notifications']),
    );
  });

  it.each(['QUEUE_PREFIX', 'REDIS_URL'])(
    'every producer and worker uses the same %s, or jobs never reach their workers',
    (variable) => {
      const values = Object.fromEntries(
        queueServices.map((name) => [
          name,
          settingOf(workspaceOf(name), environmentOf(service(name)), variable),
        ]),
      );
      // Every service against users' value, so a failure names the one that differs.
      const expected = values.users;
      expect(values).toEqual(Object.fromEntries(Object.keys(values).map((n) => [n, expected])));
    },
  );
});

describe('orders', () => {
  const orders = environmentOf(service('orders'));

  it('calls the users, products and cart subgraphs themselves and users for its tokens', () => {
    expect(orders).toMatchObject({
      USERS_URL: 'http://users:4001/graphql',
      PRODUCTS_URL: 'http://products:4002/graphql',
      CART_URL: 'http://cart:4003/graphql',
      OAUTH_TOKEN_URL: 'http://users:4001/oauth/token',
      JWKS_URL: 'http://users:4001/.well-known/jwks.json',
    });
  });

  it('pays against stripe-mock by default, with secret-like values overridable from `.env`', () => {
    expect(orders.STRIPE_API_URL).toBe('http://stripe-mock:12111');
    expect(dependenciesOf(service('orders'))['stripe-mock']).toBe('service_healthy');
    const raw = rawEnvironmentOf(service('orders'));
    for (const variable of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'OAUTH_CLIENT_SECRET']) {
      expect({ variable, value: raw[variable] }).toEqual({
        variable,
        value: expect.stringMatching(/^\$\{[A-Z_]+:-.+\}$/),
      });
      expect({ variable, empty: orders[variable] === '' }).toEqual({ variable, empty: false });
    }
  });

  it('uses Redis for its queues (REDIS_URL) when its config reads one', () => {
    expect(orders.REDIS_URL).toBe('redis://redis:6379');
    expect(dependenciesOf(service('orders')).redis).toBe('service_healthy');
  });

  it('runs without PayPal by default, its credentials overridable from `.env`', () => {
    const raw = rawEnvironmentOf(service('orders'));
    for (const variable of ['PAYPAL_CLIENT_ID', 'PAYPAL_CLIENT_SECRET']) {
      expect({ variable, value: raw[variable] }).toEqual({
        variable,
        value: `\${${variable}:-}`,
      });
    }
  });
});

describe('products', () => {
  const products = environmentOf(service('products'));

  it('keeps its catalog in MongoDB and its stock ledger in its own PostgreSQL database', () => {
    expect(products).toMatchObject({
      MONGODB_URL: 'mongodb://mongo:27017',
      PRODUCTS_DB_NAME: 'catalog',
      PRODUCTS_DATABASE_URL: expect.stringMatching(/^postgres:\/\/[^/]*@postgres:5432\/products$/),
    });
    expect(dependenciesOf(service('products')).mongo).toBe('service_healthy');
  });

  it('seeds the demo catalog only once the stock ledger is migrated (the seed writes stock)', () => {
    expect(dependenciesOf(service('products-seed'))).toMatchObject({
      'products-migrate': 'service_completed_successfully',
      postgres: 'service_healthy',
      mongo: 'service_healthy',
    });
  });

  it("keeps a checkout's held units for longer than orders' checkout may take", () => {
    const { claimMs, checkoutMs } = stockHoldWindow(products, environmentOf(service('orders')));
    expect(claimMs).toBeGreaterThan(checkoutMs);
  });
});

describe('delivery', () => {
  const delivery = environmentOf(service('delivery'));

  it('reads orders itself and waits for its migration, Postgres and Redis', () => {
    expect(delivery.ORDERS_URL).toBe('http://orders:4004/graphql');
    expect(dependenciesOf(service('delivery'))).toMatchObject({
      'delivery-migrate': 'service_completed_successfully',
      postgres: 'service_healthy',
      redis: 'service_healthy',
      orders: 'service_healthy',
    });
  });

  it('takes the carrier settings from `.env` (no carrier by default)', () => {
    const raw = rawEnvironmentOf(service('delivery'));
    for (const variable of ['CARRIER_API_URL', 'CARRIER_API_KEY', 'CARRIER_WEBHOOK_SECRET']) {
      expect({ variable, value: raw[variable] }).toEqual({
        variable,
        value: expect.stringMatching(new RegExp(`^\\$\\{${variable}:-`)),
      });
    }
  });

  it('is reached by the router for its webhooks and subscriptions', () => {
    expect(environmentOf(service('router')).DELIVERY_SUBGRAPH_URL).toBe(
      'http://delivery:4005/graphql',
    );
  });
});

describe('notifications', () => {
  const notifications = environmentOf(service('notifications'));

  it('sends e-mail to Mailpit by default and waits for it', () => {
    expect(notifications.SMTP_URL).toBe('smtp://mailpit:1025');
    expect(dependenciesOf(service('notifications')).mailpit).toBe('service_healthy');
    expect(portsOf(service('mailpit'))).toContainEqual(
      expect.objectContaining({ published: 8025, target: 8025 }),
    );
  });

  it('stores its messages in its own MongoDB database', () => {
    expect(notifications.MONGODB_URL).toBe('mongodb://mongo:27017');
    expect(notifications.NOTIFICATIONS_DB_NAME).not.toBe(
      environmentOf(service('products')).PRODUCTS_DB_NAME,
    );
    expect(dependenciesOf(service('notifications')).mongo).toBe('service_healthy');
  });

  it('reads users and orders themselves', () => {
    expect(notifications).toMatchObject({
      USERS_URL: 'http://users:4001/graphql',
      ORDERS_URL: 'http://orders:4004/graphql',
    });
  });
});

describe('prometheus', () => {
  const prometheus = service('prometheus');
  const mount = (prometheus as { volumes?: string[] }).volumes?.find((v) =>
    v.endsWith(':/etc/prometheus/prometheus.yml:ro'),
  );
  const config = parse(readFileSync(path.join(repoRoot, mount!.split(':')[0]!), 'utf8')) as {
    scrape_configs: {
      metrics_path?: string;
      static_configs: { targets: string[] }[];
    }[];
  };
  const targets = config.scrape_configs.flatMap((job) =>
    job.static_configs.flatMap((group) =>
      group.targets.map((target) => ({ target, path: job.metrics_path ?? '/metrics' })),
    ),
  );
  /** Where each long-running service serves GET /metrics, from its own config. */
  const metricsOf = (name: string) => {
    const environment = environmentOf(service(name));
    const workspace = workspaceOf(name);
    return {
      enabled: settingOf(workspace, environment, 'METRICS_ENABLED'),
      port: Number(settingOf(workspace, environment, 'METRICS_PORT')),
    };
  };

  it('mounts its scrape config from deploy/prometheus, read-only', () => {
    expect(mount).toBe('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('scrapes every long-running Node service on the metrics port its config serves', () => {
    const expected = longRunning
      .map((name) => ({ target: `${name}:${metricsOf(name).port}`, path: '/metrics' }))
      .sort((a, b) => a.target.localeCompare(b.target));
    expect([...targets].sort((a, b) => a.target.localeCompare(b.target))).toEqual(expected);
    for (const name of longRunning) {
      expect({ name, enabled: metricsOf(name).enabled }).toEqual({ name, enabled: true });
    }
  });

  it("keeps the services' metrics ports off the host: only Prometheus reads them", () => {
    for (const name of longRunning) {
      const { port } = metricsOf(name);
      expect(portsOf(service(name)).map((p) => p.target)).not.toContain(port);
      expect(apiPorts[workspaceOf(name)]).not.toBe(port);
    }
  });

  it('is depended on by nothing (a Prometheus that is down never holds a service back)', () => {
    for (const name of names) {
      expect({ name, needs: Object.keys(dependenciesOf(service(name))) }).not.toEqual({
        name,
        needs: expect.arrayContaining(['prometheus']),
      });
    }
    expect(dependenciesOf(prometheus)).toEqual({});
  });
});

describe('jaeger', () => {
  const jaeger = service('jaeger');

  it("receives every long-running Node service's traces over OTLP/HTTP on its port 4318", () => {
    for (const name of longRunning) {
      const config = loadTelemetryConfig(environmentOf(service(name)));
      expect({ name, tracing: tracingWanted(config), protocol: tracesProtocol(config) }).toEqual({
        name,
        tracing: true,
        protocol: 'http/protobuf',
      });
      const endpoint = new URL(
        config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT!,
      );
      expect({ name, host: endpoint.host }).toEqual({ name, host: 'jaeger:4318' });
    }
  });

  it('publishes only its UI and query API, on the loopback address', () => {
    expect(portsOf(jaeger).map((p) => `${p.hostIp}:${p.published}:${p.target}`)).toEqual([
      '127.0.0.1:16686:16686',
    ]);
  });

  it('is depended on by nothing (a tracing backend that is down never holds a service back)', () => {
    for (const name of names) {
      expect({ name, needs: Object.keys(dependenciesOf(service(name))) }).not.toEqual({
        name,
        needs: expect.arrayContaining(['jaeger']),
      });
    }
  });
});

// The Grafana dashboard (deploy/grafana/shop-dashboard.json) against the metrics the
// services really expose: the router, users and orders are started as production starts
// them (src/main.ts through runService, on real PostgreSQL and Redis), their GET /metrics
// is scraped, and every PromQL query of the dashboard must name only metrics found there.
// A renamed metric or a typo in a panel fails here, not as an empty graph at 3 a.m.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTestDatabase,
  deleteKeys,
  startServiceProcess,
  testKeyPrefix,
  TEST_REDIS_URL,
  type ServiceProcess,
  type TestDatabase,
} from '@shop/test-harness';
import { repoRoot } from './support/services';

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(
  readFileSync(path.join(repoRoot, 'deploy/grafana/shop-dashboard.json'), 'utf8'),
) as { panels: Panel[] };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) =>
  (p.targets ?? []).map(({ expr }) => ({ panel: p.title, expr })),
);

/** PromQL words that are not metric names. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (functions, labels and durations left out). */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!);
}

/** Metric family → the series names it exposes (a histogram's _bucket, _sum, _count). */
function exposedBy(text: string): Map<string, string[]> {
  const families = new Map<string, string[]>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const series =
      type === 'histogram'
        ? [`${name}_bucket`, `${name}_sum`, `${name}_count`]
        : type === 'summary'
          ? [name!, `${name}_sum`, `${name}_count`]
          : [name!];
    families.set(name!, series);
  }
  return families;
}

let databases: TestDatabase[] = [];
let processes: ServiceProcess[] = [];
const prefix = testKeyPrefix('dashboard');
const exposed = new Map<string, string[]>();

beforeAll(async () => {
  const [users, orders] = await Promise.all([
    createTestDatabase('users'),
    createTestDatabase('orders'),
  ]);
  databases = [users, orders];
  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    QUEUE_PREFIX: prefix.replace(/:$/, ''),
  };
  processes = await Promise.all([
    startServiceProcess('router', { ...common, ROUTER_PORT: '0' }),
    startServiceProcess('subgraphs/users', {
      ...common,
      USERS_PORT: '0',
      USERS_DATABASE_URL: users.url,
      JWT_DEV_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), 'dashboard-keys-')), 'jwt.pem'),
      OAUTH_CLIENTS: 'orders:orders-secret-for-the-dashboard-test:users:read',
    }),
    startServiceProcess('subgraphs/orders', {
      ...common,
      ORDERS_PORT: '0',
      ORDERS_DATABASE_URL: orders.url,
      OAUTH_CLIENT_SECRET: 'orders-secret-for-the-dashboard-test',
    }),
  ]);
  for (const service of processes) {
    const line = service.log.find((l) => l.includes('"metricsPort"'));
    const { metricsPort } = JSON.parse(line!) as { metricsPort: number };
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    for (const [family, series] of exposedBy(await response.text())) exposed.set(family, series);
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all(databases.map((db) => db.drop()));
  await deleteKeys(prefix);
});

describe('deploy/grafana/shop-dashboard.json', () => {
  it('has panels with PromQL queries on a chosen Prometheus data source', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, queries: panel.targets?.length ?? 0 }).not.toEqual({
        panel: panel.title,
        queries: 0,
      });
    }
  });

  it('queries only metrics that the services expose', () => {
    const series = new Set([...exposed.values()].flat());
    for (const { panel, expr } of queries) {
      const names = metricNamesOf(expr);
      expect({ panel, expr, names: names.length > 0 }).toEqual({ panel, expr, names: true });
      for (const name of names) {
        expect({ panel, name, exposed: series.has(name) }).toEqual({ panel, name, exposed: true });
      }
    }
  });

  it("shows every one of the shop's own metrics", () => {
    const used = new Set(queries.flatMap(({ expr }) => metricNamesOf(expr)));
    const shown = (family: string) => exposed.get(family)!.some((name) => used.has(name));
    const shopFamilies = [...exposed.keys()].filter((family) => family.startsWith('shop_'));
    // The router's, the queues', the outboxes', users' and orders' metrics at the least.
    expect(shopFamilies.length).toBeGreaterThanOrEqual(12);
    for (const family of shopFamilies) {
      expect({ family, shown: shown(family) }).toEqual({ family, shown: true });
    }
  });

  it('reads names out of PromQL as Prometheus does', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.95, sum by (operation, le) (rate(shop_x_bucket{a="b(c)"}[5m]))) / on (job) group_left up',
      ),
    ).toEqual(['shop_x_bucket', 'up']);
  });
});

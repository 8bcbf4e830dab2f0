// Our router against the stock gateway and Hive Gateway, side by side in one run on this
// machine:
//   npm run bench -- router [--connections N] [--duration S] [--warmup S] [--baseline REF]
//     [--persisted] [--profile [--query small|listing|deep]] [--metrics-off]
// --baseline REF: the router of an earlier commit runs too, as one more gateway (a cut's before).
// --persisted: the measured requests carry the operation's APQ hash instead of its text.
// --metrics-off: our router runs a second time with METRICS_ENABLED=false (what metrics cost).
// --profile [--query listing|deep]: our router alone under the small (or another) query, with V8's
// profiler (profile.ts); nothing is recorded, `npm run profile -w bench -- --process router`
// summarises.
// (a) the shop's products subgraph (demo catalog) with a small query and the listing query,
// and the subgraph called directly for reference; (b) the graphql-gateways-benchmark's four
// subgraphs (processes/federation-subgraphs.ts) with its deep query. Per target: req/s,
// p50/p99, and the CPU time each process spent per request (from /proc, measured run only).
// Our router runs as in production (NODE_ENV=production, LOG_LEVEL=warn); the stock gateway
// is `new ApolloGateway({ supergraphSdl })` under @apollo/server standalone (the reference of
// the "× stock" column); Hive Gateway is its runtime (createGatewayRuntime) under node:http,
// without GraphiQL or landing page, logging warnings, its defaults otherwise; and once more
// without its sharing of identical subgraph calls in flight (processes/hive-gateway.ts).
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT } from '@shop/test-harness';
import { cpuSnapshot } from './cpu';
import { appendSection, type RunOptions } from './harness';
import { startChild, type Child } from './processes/child';
import { clearProfiles, monotonicMicros, profilerOptions, writeProfileWindow } from './profile';

const SMALL = '{ categories { id name } }';
const LISTING =
  '{ products(first: 20) { edges { node { name price { amount } category { name } } } } }';
// The graphql-gateways-benchmark's query, as it sends it.
const DEEP = `
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}`;

interface Gateway {
  kind: 'stock' | 'hive' | 'router';
  name: string;
  /** An earlier commit's router (--baseline): where its source was copied. */
  routerRoot?: string;
  /** More router environment for this gateway alone (--metrics-off). */
  env?: Record<string, string>;
  /** Hive Gateway: false turns off its sharing of identical subgraph calls in flight. */
  deduplicate?: boolean;
}

const STOCK: Gateway = { kind: 'stock', name: 'stock @apollo/gateway' };
const HIVE: Gateway = { kind: 'hive', name: 'Hive Gateway' };
// Under one query repeated by 20 connections, Hive's default shares most subgraph calls:
// this one makes each request's own, as the stock gateway and ours do.
const HIVE_NO_DEDUPLICATION: Gateway = {
  kind: 'hive',
  name: 'Hive Gateway, deduplicateInflightRequests=false',
  deduplicate: false,
};
const OURS: Gateway = { kind: 'router', name: 'our router' };
const OURS_METRICS_OFF: Gateway = {
  kind: 'router',
  name: 'our router, METRICS_ENABLED=false',
  env: { METRICS_ENABLED: 'false' },
};

/** An APQ request body: the hash alone, or with the text to register it. */
function persistedBody(query: string, withText = false): string {
  const sha256Hash = createHash('sha256').update(query).digest('hex');
  return JSON.stringify({
    ...(withText && { query }),
    extensions: { persistedQuery: { version: 1, sha256Hash } },
  });
}

export interface RouterBenchOptions extends RunOptions {
  /** Measured requests send the operation's APQ hash, not its text. */
  persisted?: boolean;
  /** A commit whose router runs as a third gateway, e.g. the one before a cut. */
  baseline?: string;
  /** Our router also runs with METRICS_ENABLED=false, as one more gateway. */
  metricsOff?: boolean;
  /** The query --profile runs: small (the default), listing or deep. */
  query?: string;
}

/**
 * The router's source (router/src, and schema/ which it reads) at `commit`, copied under
 * .cache/ inside the repository, so its imports of the shop's packages resolve as this
 * checkout's do (the packages themselves are this checkout's).
 */
function routerAt(commit: string): Gateway {
  const short = execFileSync('git', ['rev-parse', '--short', commit], { encoding: 'utf8' }).trim();
  const root = path.join(REPO_ROOT, '.cache', 'bench', `router-${short}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execSync(`git archive ${short} router/src schema | tar -x -C ${JSON.stringify(root)}`, {
    cwd: REPO_ROOT,
  });
  return { kind: 'router', name: `our router at ${short}`, routerRoot: root };
}

interface Row {
  setup: string;
  query: string;
  target: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU ms per request of the gateway process; null for a subgraph called directly. */
  gatewayMs: number | null;
  subgraphsMs: number | null;
  bytes: number;
}

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown };
  if (!response.ok || !parsed.data || parsed.errors) {
    throw new Error(`${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
  return text;
}

/** One measured run's totals, added up over the rounds of a target. */
interface Totals {
  requests: number;
  seconds: number;
  /** CPU seconds of the gateway (0 for a subgraph called directly) and of the subgraphs. */
  gatewayCpu: number;
  subgraphsCpu: number;
  p50s: number[];
  p99s: number[];
}

function newTotals(): Totals {
  return { requests: 0, seconds: 0, gatewayCpu: 0, subgraphsCpu: 0, p50s: [], p99s: [] };
}

/** Warm-up, then the measured run between two CPU snapshots of the gateway and the subgraphs. */
async function load(
  url: string,
  body: string,
  options: RunOptions,
  pids: { gateway?: number; subgraphs: number },
  totals: Totals,
): Promise<void> {
  const common = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body,
    connections: options.connections,
  };
  await autocannon({ ...common, duration: options.warmupSeconds });
  const named: Record<string, number> = { subgraphs: pids.subgraphs };
  if (pids.gateway) named.gateway = pids.gateway;
  const before = cpuSnapshot(named);
  const result = await autocannon({ ...common, duration: options.durationSeconds });
  const after = cpuSnapshot(named);
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  const used = (name: string) =>
    before && after ? (after.processes.get(name) ?? 0) - (before.processes.get(name) ?? 0) : 0;
  totals.requests += result.requests.total;
  totals.seconds += options.durationSeconds;
  totals.gatewayCpu += pids.gateway ? used('gateway') : 0;
  totals.subgraphsCpu += used('subgraphs');
  totals.p50s.push(result.latency.p50);
  totals.p99s.push(result.latency.p99);
}

function rowOf(setup: string, query: string, target: string, bytes: number, t: Totals): Row {
  const perRequestMs = (seconds: number) => (seconds * 1000) / Math.max(t.requests, 1);
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  return {
    setup,
    query,
    target,
    bytes,
    requestsPerSecond: Math.round(t.requests / t.seconds),
    p50: Number(mean(t.p50s).toFixed(1)),
    p99: Number(mean(t.p99s).toFixed(1)),
    gatewayMs: target === DIRECT ? null : perRequestMs(t.gatewayCpu),
    subgraphsMs: perRequestMs(t.subgraphsCpu),
  };
}

const DIRECT = 'subgraph directly';

async function withChild<T, R>(child: Promise<Child<T>>, use: (c: Child<T>) => Promise<R>) {
  const started = await child;
  try {
    return await use(started);
  } finally {
    await started.stop();
  }
}

/**
 * The gateways over the same subgraphs, all started; every gateway's answer must be the
 * same. On a shared machine whose load drifts, each query is measured in two rounds of
 * opposite order (stock, Hive, ours, ours, Hive, stock), so no gateway gets the quieter
 * minutes; figures add both rounds up.
 */
async function compare(
  setup: string,
  queries: { name: string; query: string }[],
  subgraphs: Child<unknown>,
  gateway: {
    supergraphPath: string;
    subgraphUrls: Record<string, string>;
    env?: Record<string, string>;
  },
  direct: string | null,
  options: RouterBenchOptions,
  gateways: Gateway[],
): Promise<Row[]> {
  const rows: Row[] = [];
  const started = await Promise.allSettled(
    gateways.map(({ kind, routerRoot, env, deduplicate }) =>
      startChild<{ url: string }>('gateway.ts', {
        kind,
        routerRoot,
        deduplicate,
        ...gateway,
        env: { ...gateway.env, ...env },
      }),
    ),
  );
  try {
    const children = started.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    });
    for (const { name: query, query: text } of queries) {
      const full = JSON.stringify({ query: text });
      const answers = await Promise.all(children.map((child) => post(child.info.url, full)));
      // --persisted: the text went with its hash once (above, registering it); every
      // measured request then sends the hash alone, as an app with APQ does.
      const body = options.persisted ? persistedBody(text) : full;
      if (options.persisted) {
        await Promise.all(children.map((child) => post(child.info.url, persistedBody(text, true))));
        // What the measured requests will get: the answer itself, not a persisted-query miss.
        const byHash = await Promise.all(children.map((child) => post(child.info.url, body)));
        if (byHash.some((answer) => answer.trimEnd() !== answers[0]!.trimEnd())) {
          throw new Error(
            `a gateway answered ${query} by its hash differently: ${byHash.join('\n')}`,
          );
        }
      }
      // Byte for byte but the line break Apollo's servers (stock, ours) end a body with and
      // Hive Gateway does not: key order, extensions and the rest must be the same.
      if (answers.some((answer) => answer.trimEnd() !== answers[0]!.trimEnd())) {
        throw new Error(`the gateways answered ${query} differently: ${answers.join('\n')}`);
      }
      const totals = gateways.map(newTotals);
      const order = gateways.map((_, index) => index);
      for (const index of [...order, ...[...order].reverse()]) {
        const child = children[index]!;
        await load(
          child.info.url,
          body,
          options,
          { gateway: child.pid, subgraphs: subgraphs.pid },
          totals[index]!,
        );
      }
      gateways.forEach(({ name }, index) =>
        rows.push(rowOf(setup, query, name, answers[0]!.length, totals[index]!)),
      );
    }
  } finally {
    await Promise.all(
      started.flatMap((result) => (result.status === 'fulfilled' ? [result.value.stop()] : [])),
    );
  }
  // The subgraph directly is the same in both modes: measured without --persisted only.
  if (direct && !options.persisted) {
    for (const { name: query, query: text } of queries) {
      const body = JSON.stringify({ query: text });
      const answer = await post(direct, body);
      const totals = newTotals();
      await load(direct, body, options, { subgraphs: subgraphs.pid }, totals);
      rows.push(rowOf(setup, query, DIRECT, answer.length, totals));
    }
  }
  return rows;
}

/** Our router under V8's profiler on one query; the window is the measured run. */
async function profileRouter(options: RouterBenchOptions, command: string): Promise<string> {
  clearProfiles();
  if (options.query === 'deep') {
    return withChild(
      startChild<{ supergraphPath: string }>('federation-subgraphs.ts', {}),
      (federation) =>
        profileRouterOver(
          {
            supergraphPath: federation.info.supergraphPath,
            subgraphUrls: {},
            env: { MAX_QUERY_COST: '1000000' },
          },
          DEEP,
          options,
          command,
        ),
    );
  }
  return withChild(startChild<{ url: string; jwksUrl: string }>('products.ts', {}), (products) =>
    profileRouterOver(
      {
        supergraphPath: path.resolve(__dirname, '../../schema/supergraph.graphql'),
        subgraphUrls: { products: products.info.url },
        env: { JWKS_URL: products.info.jwksUrl },
      },
      options.query === 'listing' ? LISTING : SMALL,
      options,
      command,
    ),
  );
}

async function profileRouterOver(
  gateway: {
    supergraphPath: string;
    subgraphUrls: Record<string, string>;
    env: Record<string, string>;
  },
  query: string,
  options: RouterBenchOptions,
  command: string,
): Promise<string> {
  return withChild(
    startChild<{ url: string }>(
      'gateway.ts',
      { kind: 'router', ...gateway },
      profilerOptions('router'),
    ),
    async (router) => {
      const body = JSON.stringify({ query });
      await post(router.info.url, body);
      const common = { url: router.info.url, method: 'POST' as const, body };
      const headers = { 'content-type': 'application/json' };
      await autocannon({
        ...common,
        headers,
        connections: options.connections,
        duration: options.warmupSeconds,
      });
      const startMicros = monotonicMicros();
      const result = await autocannon({
        ...common,
        headers,
        connections: options.connections,
        duration: options.durationSeconds,
      });
      writeProfileWindow({
        startMicros,
        endMicros: monotonicMicros(),
        units: result.requests.total,
        unit: 'request',
        command,
      });
      return `profiled ${result.requests.total} requests; npm run profile -w bench -- --process router`;
    },
  );
}

export async function benchRouter(options: RouterBenchOptions, command: string): Promise<string> {
  if (options.profile) return profileRouter(options, command);
  const gateways = [
    STOCK,
    // Hive Gateway serves APQ only with a plugin of its own; in its default setup a hash
    // alone is a persisted-query miss, which is no comparison.
    ...(options.persisted ? [] : [HIVE, HIVE_NO_DEDUPLICATION]),
    ...(options.baseline ? [routerAt(options.baseline)] : []),
    ...(options.metricsOff ? [OURS_METRICS_OFF] : []),
    OURS,
  ];
  const loadBefore = os.loadavg()[0]!;
  const rows: Row[] = [];
  await withChild(
    startChild<{ url: string; jwksUrl: string }>('products.ts', {}),
    async (products) => {
      rows.push(
        ...(await compare(
          'shop: products subgraph',
          [
            { name: 'small', query: SMALL },
            { name: 'listing', query: LISTING },
          ],
          products,
          {
            supergraphPath: path.resolve(__dirname, '../../schema/supergraph.graphql'),
            subgraphUrls: { products: products.info.url },
            env: { JWKS_URL: products.info.jwksUrl },
          },
          products.info.url,
          options,
          gateways,
        )),
      );
    },
  );
  await withChild(
    startChild<{ supergraphPath: string }>('federation-subgraphs.ts', {}),
    async (federation) => {
      rows.push(
        ...(await compare(
          'gateways benchmark: 4 subgraphs',
          [{ name: 'deep', query: DEEP }],
          federation,
          {
            supergraphPath: federation.info.supergraphPath,
            subgraphUrls: {},
            // The deep query counts ~100,000 at 10 per unbounded list: checked, not refused.
            env: { MAX_QUERY_COST: '1000000' },
          },
          null,
          options,
          gateways,
        )),
      );
    },
  );
  const ms = (value: number | null) => (value === null ? '—' : value.toFixed(2));
  const ratio = (row: Row) => {
    const stock = rows.find(
      (r) => r.setup === row.setup && r.query === row.query && r.target === STOCK.name,
    );
    return row.target !== STOCK.name && stock?.gatewayMs && row.gatewayMs !== null
      ? (row.gatewayMs / stock.gatewayMs).toFixed(2)
      : '';
  };
  return appendSection('router.md', 'Benchmark: our router against the stock gateway', {
    command,
    load: `${options.connections} connections, ${options.durationSeconds} s per round after ${options.warmupSeconds} s warm-up; autocannon, each gateway and the subgraphs in separate processes on this machine, all gateways running; per query two rounds of each gateway, the second in the reverse order of the first (the subgraph directly: one round). p50/p99: the rounds' mean.`,
    columns: [
      'setup',
      'query',
      'target',
      'requests/s',
      'p50',
      'p99',
      'gateway CPU ms/req',
      '× stock',
      'subgraphs CPU ms/req',
      'response bytes',
    ],
    rows: rows.map((row) => [
      row.setup,
      row.query,
      row.target,
      row.requestsPerSecond,
      row.p50,
      row.p99,
      ms(row.gatewayMs),
      ratio(row),
      ms(row.subgraphsMs),
      row.bytes,
    ]),
    notes: [
      ...(options.persisted
        ? [
            'Persisted: every measured request sent the APQ hash alone (each gateway had the text registered once, in its own in-memory APQ cache, and its answer by hash was checked). Hive Gateway is left out: without an APQ plugin of its own it answers a hash alone with a persisted-query miss.',
          ]
        : []),
      `Queries: small \`${SMALL}\`; listing \`${LISTING}\`; deep: the graphql-gateways-benchmark's TestQuery (users and topProducts, reviews → product → reviews → author → reviews → product).`,
      'CPU per request: user + system time of the process over the measured run (/proc), divided by the requests answered; "subgraphs" is the products service (shop) or the one process holding the four benchmark subgraphs. Anonymous callers.',
      'Hive Gateway: @graphql-hive/gateway-runtime (createGatewayRuntime) under node:http with the same supergraph, GraphiQL and landing page off, logging at warn, its defaults otherwise (no response cache). By default it shares identical subgraph calls in flight (deduplicateInflightRequests): under this load of one query repeated, most requests never reach a subgraph (see its subgraphs CPU); the row with it off calls the subgraphs for every request, as the stock gateway and ours do.',
      `Load average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}: the machine (2 cores) is shared with other people's tests, so compare rows of one run, not runs.`,
    ].join('\n'),
  });
}

// Our router against the stock gateway, one after the other in one run on this machine:
//   npm run bench -- router [--connections N] [--duration S] [--warmup S] [--profile]
// --profile: our router alone under the small query, with V8's profiler (profile.ts); nothing
// is recorded, `npm run profile -w bench -- --process router` summarises.
// (a) the shop's products subgraph (demo catalog) with a small query and the listing query,
// and the subgraph called directly for reference; (b) the graphql-gateways-benchmark's four
// subgraphs (processes/federation-subgraphs.ts) with its deep query. Per target: req/s,
// p50/p99, and the CPU time each process spent per request (from /proc, measured run only).
// Our router runs as in production (NODE_ENV=production, LOG_LEVEL=warn); the stock gateway
// is `new ApolloGateway({ supergraphSdl })` under @apollo/server standalone.
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cpuSnapshot, cpuUse } from './cpu';
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

const GATEWAYS = [
  { kind: 'stock', name: 'stock @apollo/gateway' },
  { kind: 'router', name: 'our router' },
] as const;

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

/** Warm-up, then the measured run between two CPU snapshots of the gateway and the subgraphs. */
async function load(
  url: string,
  body: string,
  options: RunOptions,
  pids: { gateway?: number; subgraphs: number },
) {
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
  const cpu = before && after ? cpuUse(before, after, result.requests.total) : null;
  const ms = (name: string) => cpu?.perUnitMs.find((entry) => entry.name === name)?.ms ?? null;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    gatewayMs: pids.gateway ? ms('gateway') : null,
    subgraphsMs: ms('subgraphs'),
  };
}

async function withChild<T, R>(child: Promise<Child<T>>, use: (c: Child<T>) => Promise<R>) {
  const started = await child;
  try {
    return await use(started);
  } finally {
    await started.stop();
  }
}

/** Each gateway in turn over the same subgraphs; every gateway's answer must be the same. */
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
  options: RunOptions,
): Promise<Row[]> {
  const rows: Row[] = [];
  const answers = new Map<string, string>();
  for (const { kind, name } of GATEWAYS) {
    await withChild(startChild<{ url: string }>('gateway.ts', { kind, ...gateway }), async (g) => {
      for (const { name: query, query: text } of queries) {
        const body = JSON.stringify({ query: text });
        const answer = await post(g.info.url, body);
        const expected = answers.get(query) ?? answer;
        if (answer !== expected) {
          throw new Error(`${name} answered ${query} differently: ${answer.slice(0, 300)}`);
        }
        answers.set(query, answer);
        const figures = await load(g.info.url, body, options, {
          gateway: g.pid,
          subgraphs: subgraphs.pid,
        });
        rows.push({ setup, query, target: name, bytes: answer.length, ...figures });
      }
    });
  }
  if (direct) {
    for (const { name: query, query: text } of queries) {
      const body = JSON.stringify({ query: text });
      const answer = await post(direct, body);
      const figures = await load(direct, body, options, { subgraphs: subgraphs.pid });
      rows.push({ setup, query, target: 'subgraph directly', bytes: answer.length, ...figures });
    }
  }
  return rows;
}

/** Our router under V8's profiler on the small query; the window is the measured run. */
async function profileRouter(options: RunOptions, command: string): Promise<string> {
  clearProfiles();
  return withChild(startChild<{ url: string; jwksUrl: string }>('products.ts', {}), (products) =>
    withChild(
      startChild<{ url: string }>(
        'gateway.ts',
        {
          kind: 'router',
          supergraphPath: path.resolve(__dirname, '../../schema/supergraph.graphql'),
          subgraphUrls: { products: products.info.url },
          env: { JWKS_URL: products.info.jwksUrl },
        },
        profilerOptions('router'),
      ),
      async (router) => {
        const body = JSON.stringify({ query: SMALL });
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
    ),
  );
}

export async function benchRouter(options: RunOptions, command: string): Promise<string> {
  if (options.profile) return profileRouter(options, command);
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
        )),
      );
    },
  );
  const ms = (value: number | null) => (value === null ? '—' : value.toFixed(2));
  const ratio = (row: Row) => {
    const stock = rows.find(
      (r) => r.setup === row.setup && r.query === row.query && r.target === GATEWAYS[0].name,
    );
    return row.target === 'our router' && stock?.gatewayMs && row.gatewayMs !== null
      ? (row.gatewayMs / stock.gatewayMs).toFixed(2)
      : '';
  };
  return appendSection('router.md', 'Benchmark: our router against the stock gateway', {
    command,
    load: `${options.connections} connections, ${options.durationSeconds} s per target after ${options.warmupSeconds} s warm-up; autocannon, each gateway and the subgraphs in separate processes on this machine, one gateway at a time.`,
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
      `Queries: small \`${SMALL}\`; listing \`${LISTING}\`; deep: the graphql-gateways-benchmark's TestQuery (users and topProducts, reviews → product → reviews → author → reviews → product).`,
      'CPU per request: user + system time of the process over the measured run (/proc), divided by the requests answered; "subgraphs" is the products service (shop) or the one process holding the four benchmark subgraphs. Anonymous callers. Hive Gateway: not measured (see the notes below the first run).',
      `Load average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}: the machine (2 cores) is shared with other people's tests, so compare rows of one run, not runs.`,
    ].join('\n'),
  });
}

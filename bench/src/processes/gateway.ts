// A gateway in a process of its own, as production runs it, for the side-by-side router
// benchmark (gateways.ts): `router` is the shop's router (NODE_ENV=production,
// LOG_LEVEL=warn); `stock` is @apollo/gateway as its documentation starts it, under
// @apollo/server standalone, with the same supergraph and nothing of the shop's; `hive` is
// Hive Gateway's runtime (hive-gateway.ts), likewise.
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import path from 'node:path';
import { createLogger } from '@shop/logging';
import type * as RouterConfigModule from '../../../router/src/config';
import type * as RouterServerModule from '../../../router/src/server';
import { announce, childInput, stopOnSigterm } from './child';
import type * as HiveGatewayModule from './hive-gateway';

interface Input {
  kind: 'router' | 'stock' | 'hive';
  supergraphPath: string;
  /** Subgraph name → URL that replaces the supergraph's. */
  subgraphUrls: Record<string, string>;
  /** Further router environment (JWKS_URL and the like). */
  env?: Record<string, string>;
  /**
   * Where the router's source is: this checkout's, or an earlier commit's copy (a folder
   * holding router/src and schema/, inside the repository so its packages resolve).
   */
  routerRoot?: string;
  /** Hive Gateway: whether it shares identical subgraph calls in flight (its default). */
  deduplicate?: boolean;
}

/** The supergraph with each named subgraph's routing URL replaced: all stock and Hive take. */
function withUrls(supergraphSdl: string, urls: Record<string, string>): string {
  return supergraphSdl.replace(
    /(@join__graph\(name: "([^"]+)", url: ")[^"]*(")/g,
    (whole, start: string, name: string, end: string) =>
      urls[name] ? `${start}${urls[name]}${end}` : whole,
  );
}

async function startStock(supergraphSdl: string) {
  // Apollo Server reads NODE_ENV when it is built: production's defaults, as the router's.
  process.env.NODE_ENV = 'production';
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

/** Hive Gateway, loaded only in its own process: the others carry none of its modules. */
async function startHive(supergraphSdl: string, deduplicate: boolean) {
  const hive = (await import(path.join(__dirname, 'hive-gateway.ts'))) as typeof HiveGatewayModule;
  return hive.startHiveGateway(supergraphSdl, deduplicate);
}

void (async () => {
  const {
    kind,
    supergraphPath,
    subgraphUrls,
    env = {},
    routerRoot,
    deduplicate = true,
  } = childInput<Input>();
  const root = routerRoot ?? path.resolve(__dirname, '../../..');
  const { loadRouterConfig, subgraphUrlVariable } = (await import(
    path.join(root, 'router/src/config.ts')
  )) as typeof RouterConfigModule;
  const { startRouter } = (await import(
    path.join(root, 'router/src/server.ts')
  )) as typeof RouterServerModule;
  const supergraphSdl = () => withUrls(readFileSync(supergraphPath, 'utf8'), subgraphUrls);
  const running =
    kind === 'stock'
      ? await startStock(supergraphSdl())
      : kind === 'hive'
        ? await startHive(supergraphSdl(), deduplicate)
        : await startRouter(
            loadRouterConfig({
              NODE_ENV: 'production',
              LOG_LEVEL: 'warn',
              ROUTER_PORT: '0',
              SUPERGRAPH_PATH: supergraphPath,
              ...Object.fromEntries(
                Object.entries(subgraphUrls).map(([name, url]) => [subgraphUrlVariable(name), url]),
              ),
              ...env,
            }),
            createLogger('router', 'warn'),
          );
  stopOnSigterm(running.stop);
  announce({ url: running.url });
})();

// Hive Gateway (JS) for the side-by-side router benchmark: its runtime as its documentation
// embeds it in Node (createGatewayRuntime under node:http), production-like: no GraphiQL or
// landing page, warnings only, and otherwise its defaults (no response cache; Yoga's parse
// and validation caches on). gateway.ts imports it only in the process that runs it.
//
// One default matters under a load of one query repeated: Hive's subgraph calls share an
// identical query already in flight (deduplicateInflightRequests), so most of the load's
// requests never reach a subgraph. `deduplicate: false` turns that off, for a gateway that
// calls the subgraphs once per request as the stock gateway and ours do.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

export async function startHiveGateway(supergraphSdl: string, deduplicate: boolean) {
  // As for the stock gateway: Yoga under it reads NODE_ENV for production's defaults.
  process.env.NODE_ENV = 'production';
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    graphiql: false,
    landingPage: false,
    logging: 'warn',
    ...(!deduplicate && {
      transportEntries: { '*': { options: { deduplicateInflightRequests: false } } },
    }),
  });
  // The supergraph is read on first use: read it now, so a bad one fails the start.
  await gateway.getSchema();
  // Its Node listener (the runtime itself is also callable, returning a promise Node ignores).
  const server = createServer(gateway.requestListener);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${gateway.graphqlEndpoint}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((closed) => server.close(() => closed()));
      await gateway.dispose();
    },
  };
}

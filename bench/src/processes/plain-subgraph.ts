// A subgraph with nothing behind it, in a process of its own: startSubgraph (Express, Apollo
// Server, the shop's plugins, context, logging) over resolvers that compute their answer, so
// what it costs per request is the shared plumbing alone. Logs at TEST_LOG_LEVEL (silent).
import { parse } from 'graphql';
import { localKeys, TokenVerifier } from '@shop/auth';
import { createLogger } from '@shop/logging';
import { startSubgraph } from '@shop/subgraph-kit';
import { announce, stopOnSigterm } from './child';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Item @key(fields: "id") { id: ID! name: String! price: Int! tags: [String!]! }
  type Query { items(count: Int!): [Item!]! }
`);

const resolvers = {
  Query: {
    items: (_: unknown, { count }: { count: number }) =>
      Array.from({ length: count }, (_unused, i) => ({
        id: String(i),
        name: `Item ${i}`,
        price: 100 + i,
        tags: ['plain'],
      })),
  },
};

void startSubgraph(
  {
    name: 'plain',
    typeDefs,
    resolvers,
    // Anonymous callers only: no key is ever looked up.
    verifier: new TokenVerifier({
      issuer: 'bench',
      audience: 'bench',
      keys: localKeys(() => new Map()),
    }),
    logger: createLogger('plain', process.env.TEST_LOG_LEVEL ?? 'silent'),
    context: (base) => base,
    ready: async () => undefined,
  },
  0,
  '127.0.0.1',
).then((subgraph) => {
  stopOnSigterm(subgraph.stop);
  announce({ url: subgraph.url });
});

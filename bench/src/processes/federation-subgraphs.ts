// The four subgraphs of the graphql-gateways-benchmark (accounts, inventory, products,
// reviews) in one process, each on a port of its own, over small fixed in-memory data, and
// the supergraph composed from them (written to a file for the router's SUPERGRAPH_PATH).
// What a gateway spends on the benchmark's deep query is then planning, fetching and
// merging, with subgraphs that only look up arrays.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { REPO_ROOT } from '@shop/test-harness';
import { announce, stopOnSigterm } from './child';

const FEDERATION =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

// Sized so the deep query's response is about the benchmark's (~110 KB): every user writes
// REVIEWS_PER_USER reviews, spread evenly over the products.
const USERS = 6;
const PRODUCTS = 8;
const REVIEWS_PER_USER = 5;

const users = Array.from({ length: USERS }, (_, i) => ({
  id: String(i + 1),
  name: `User ${i + 1}`,
  username: `@user${i + 1}`,
  birthday: 1_000_000 + i,
}));
const products = Array.from({ length: PRODUCTS }, (_, i) => ({
  upc: String(i + 1),
  name: `Product ${i + 1}`,
  price: 100 * (i + 1),
  weight: 10 * (i + 1),
}));
const reviews = users.flatMap((user, u) =>
  Array.from({ length: REVIEWS_PER_USER }, (_, r) => ({
    id: String(u * REVIEWS_PER_USER + r + 1),
    body: `Review ${r + 1} by ${user.username}`,
    authorId: user.id,
    upc: products[(u + r) % PRODUCTS]!.upc,
  })),
);

type Resolvers = NonNullable<
  Extract<Parameters<typeof buildSubgraphSchema>[0], { resolvers?: unknown }>['resolvers']
>;

interface Subgraph {
  name: string;
  typeDefs: string;
  resolvers: Resolvers;
}

const SUBGRAPHS: Subgraph[] = [
  {
    name: 'accounts',
    typeDefs: `${FEDERATION}
      type Query { me: User user(id: ID!): User users: [User] }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`,
    resolvers: {
      Query: {
        me: () => users[0],
        user: (_: unknown, { id }: { id: string }) => users.find((u) => u.id === id),
        users: () => users,
      },
      User: {
        __resolveReference: ({ id }: { id: string }) => users.find((u) => u.id === id),
      },
    },
  },
  {
    name: 'inventory',
    typeDefs: `${FEDERATION}
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
    resolvers: {
      Product: {
        __resolveReference: (reference: { upc: string; price?: number; weight?: number }) => ({
          ...reference,
          inStock: Number(reference.upc) % 3 !== 0,
        }),
        // Free over 1000, else half the weight.
        shippingEstimate: ({ price, weight }: { price: number; weight: number }) =>
          price > 1000 ? 0 : weight / 2,
      },
    },
  },
  {
    name: 'products',
    typeDefs: `${FEDERATION}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
    resolvers: {
      Query: {
        topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first),
      },
      Product: {
        __resolveReference: ({ upc }: { upc: string }) => products.find((p) => p.upc === upc),
      },
    },
  },
  {
    name: 'reviews',
    typeDefs: `${FEDERATION}
      type Review @key(fields: "id") {
        id: ID!
        body: String
        author: User @provides(fields: "username")
        product: Product
      }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
    resolvers: {
      Review: {
        author: ({ authorId }: { authorId: string }) => ({
          id: authorId,
          username: users.find((u) => u.id === authorId)?.username,
        }),
        product: ({ upc }: { upc: string }) => ({ upc }),
      },
      User: {
        reviews: ({ id }: { id: string }) => reviews.filter((r) => r.authorId === id),
      },
      Product: {
        reviews: ({ upc }: { upc: string }) => reviews.filter((r) => r.upc === upc),
      },
    },
  },
];

void (async () => {
  const running = await Promise.all(
    SUBGRAPHS.map(async ({ name, typeDefs, resolvers }) => {
      const document = parse(typeDefs);
      const server = new ApolloServer({
        schema: buildSubgraphSchema({ typeDefs: document, resolvers }),
      });
      const { url } = await startStandaloneServer(server, {
        listen: { port: 0, host: '127.0.0.1' },
      });
      return { name, url, typeDefs: document, server };
    }),
  );
  const composed = composeServices(
    running.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })),
  );
  if (composed.errors) {
    throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  }
  const supergraphPath = path.join(REPO_ROOT, '.cache', 'bench', 'federation-supergraph.graphql');
  mkdirSync(path.dirname(supergraphPath), { recursive: true });
  writeFileSync(supergraphPath, composed.supergraphSdl);
  stopOnSigterm(async () => {
    await Promise.all(running.map(({ server }) => server.stop()));
  });
  announce({
    supergraphPath,
    urls: Object.fromEntries(running.map(({ name, url }) => [name, url])),
  });
})();

import express from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { parse, type DocumentNode } from 'graphql';
import { remoteJwks, TokenVerifier } from '@shop/auth';
import { BadUserInputError, UnauthenticatedError } from '@shop/errors';
import { createLogger } from '@shop/logging';
import { startSubgraph, type BaseContext } from '@shop/subgraph-kit';
import type { TokenIssuer } from '@shop/test-harness';

export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  resolvers: object;
}

/**
 * A field refusal that also sets the subgraph's HTTP status: Apollo Server then answers
 * 401 with the partial data and the error, as a subgraph may do for any field.
 */
function refusedWithStatus(): UnauthenticatedError {
  return UnauthenticatedError.request('Sign in to see this.');
}

function userIdOf(ctx: BaseContext): string | null {
  return ctx.identity?.kind === 'user' ? ctx.identity.userId : null;
}

/**
 * Named `users` so that USERS_SUBGRAPH_URL applies to it. Its fields report what the
 * subgraph itself made of the request the router forwarded, or fail on purpose.
 */
export const usersSubgraph: SubgraphDefinition = {
  name: 'users',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    type Query {
      caller: Caller!
      user(id: ID!): User
      "A chain of nodes as deep as the query asks, for the depth limit."
      node: Node!
      fail(kind: Failure!): Boolean
      "A connection, for the cost limit: pages of made-up users."
      users(first: Int = 20): UserConnection!
    }

    type UserConnection {
      totalCount: Int!
      edges: [UserEdge!]!
    }

    type UserEdge {
      node: User!
    }

    type Caller {
      userId: ID
      roles: [String!]!
      requestId: String!
      clientIp: String!
    }

    type User @key(fields: "id") {
      id: ID!
      name: String!
      "A plain list of objects, for the cost limit."
      friends: [User!]!
    }

    type Node {
      id: ID!
      child: Node!
    }

    enum Failure {
      BAD_INPUT
      UNEXPECTED
      "A refusal that sets the subgraph's HTTP status (401) next to the rest of the data."
      REFUSED_WITH_STATUS
    }
  `),
  resolvers: {
    Query: {
      caller: (_: unknown, __: unknown, ctx: BaseContext) => ({
        userId: userIdOf(ctx),
        roles: ctx.identity?.roles ?? [],
        requestId: ctx.requestId,
        clientIp: ctx.clientIp,
      }),
      user: (_: unknown, { id }: { id: string }) => ({ id, name: `User ${id}` }),
      users: (_: unknown, { first }: { first: number }) => ({
        totalCount: first,
        edges: Array.from({ length: first }, (_, i) => ({
          node: { id: `u${i}`, name: `User u${i}` },
        })),
      }),
      node: () => ({ depth: 1 }),
      fail: (
        _: unknown,
        { kind }: { kind: 'BAD_INPUT' | 'UNEXPECTED' | 'REFUSED_WITH_STATUS' },
      ) => {
        if (kind === 'BAD_INPUT')
          throw new BadUserInputError('Quantity must be at least 1.', 'quantity');
        if (kind === 'REFUSED_WITH_STATUS') throw refusedWithStatus();
        throw new Error('connection to the database lost: password=hunter2');
      },
    },
    User: {
      friends: ({ id }: { id: string }) => [{ id: `${id}-friend`, name: 'Friend' }],
    },
    Node: {
      id: ({ depth }: { depth: number }) => `node-${depth}`,
      child: ({ depth }: { depth: number }) => ({ depth: depth + 1 }),
    },
  },
};

/** Extends `User`, so a query across both makes the gateway plan an entity fetch. */
export const ordersSubgraph: SubgraphDefinition = {
  name: 'orders',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    type Query {
      "A root field of its own, so one operation can span both subgraphs at the root."
      ordersStatus: String!
    }

    type User @key(fields: "id") {
      id: ID!
      orderCount: Int!
      "The caller as this subgraph verified it, on the entity fetch."
      seenBy: ID
      "Refused with HTTP 401 on the entity fetch, next to orderCount."
      privateNote: String
    }
  `),
  resolvers: {
    Query: {
      ordersStatus: () => 'ok',
    },
    User: {
      privateNote: () => {
        throw refusedWithStatus();
      },
      __resolveReference: ({ id }: { id: string }, ctx: BaseContext) => ({
        id,
        orderCount: 3,
        seenBy: userIdOf(ctx),
      }),
    },
  },
};

export interface TestSubgraph {
  name: string;
  typeDefs: DocumentNode;
  url: string;
  /** Headers of every request that reached the subgraph's /graphql, oldest first. */
  requests: IncomingHttpHeaders[];
  /** What the subgraph's own /readyz reports. */
  setReady(ready: boolean): void;
  stop(): Promise<void>;
}

/** A real subgraph, served the way the shop's subgraphs are, verifying tokens itself. */
export async function startTestSubgraph(
  { name, typeDefs, resolvers }: SubgraphDefinition,
  tokens: TokenIssuer,
): Promise<TestSubgraph> {
  const requests: IncomingHttpHeaders[] = [];
  let ready = true;
  const subgraph = await startSubgraph(
    {
      name,
      typeDefs,
      resolvers,
      verifier: new TokenVerifier({
        issuer: tokens.issuer,
        audience: tokens.audience,
        keys: remoteJwks(tokens.jwksUrl),
      }),
      logger: createLogger(`test-${name}`, 'silent'),
      context: (base) => base,
      routes: (app) => {
        // Echoes a webhook as received, so tests can see what the router relayed.
        app.post('/webhooks/stripe', express.raw({ type: () => true }), (req, res) => {
          res.status(202).json({
            body: Buffer.isBuffer(req.body) ? req.body.toString('base64') : null,
            headers: req.headers,
          });
        });
        app.use('/graphql', (req, _res, next) => {
          requests.push(req.headers);
          next();
        });
      },
      ready: async () => {
        if (!ready) throw new Error('the store is unreachable');
      },
    },
    0,
    '127.0.0.1',
  );
  return {
    name,
    typeDefs,
    url: subgraph.url,
    requests,
    setReady: (value) => {
      ready = value;
    },
    stop: subgraph.stop,
  };
}

import { EventEmitter, on } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import type { useServer as UseServer } from 'graphql-ws/dist/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { remoteJwks, TokenVerifier, type Identity } from '@shop/auth';
import { ForbiddenError } from '@shop/errors';
import { createLogger } from '@shop/logging';
import { startSubgraph, type BaseContext } from '@shop/subgraph-kit';
import type { TokenIssuer } from '@shop/test-harness';
import type { SubgraphDefinition } from './subgraph';

// The router's TypeScript settings (moduleResolution node10) do not read package "exports",
// through which graphql-ws publishes its ws adapter; the type comes from the file itself.
const { useServer } = require('graphql-ws/use/ws') as { useServer: typeof UseServer };

interface TrackingContext {
  identity: Identity | null;
}

/** What the tracking subgraph publishes for an order; `order` is a reference to orders' entity. */
export interface TrackedEvent {
  seq: number;
  status: string;
  /** Large notes make events big, for the slow-client test. */
  note?: string;
}

/**
 * Owns `Subscription.tracked(orderId)`, whose events reference an `Order` that another
 * subgraph resolves: the router must complete every event with that subgraph's fields.
 */
export const trackingTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    trackingVersion: String!
  }

  type Subscription {
    tracked(orderId: ID!): Tracked!
  }

  type Tracked {
    seq: Int!
    status: String!
    note: String
    "Who the tracking subgraph verified on the connection that carries the subscription."
    seenBy: ID
    order: Order!
  }

  type Order @key(fields: "id", resolvable: false) {
    id: ID!
  }
`);

/** Resolves the `Order` entities that tracking events point at; `total` fails for order "broken". */
export const trackedOrdersSubgraph: SubgraphDefinition = {
  name: 'orders',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    type Query {
      order(id: ID!): Order
    }

    type Order @key(fields: "id") {
      id: ID!
      customer: String!
      "The caller as this subgraph verified it on the entity fetch."
      seenBy: ID
      requestId: String!
      total: Int
    }
  `),
  resolvers: {
    Query: {
      order: (_: unknown, { id }: { id: string }) => ({ id }),
    },
    Order: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      customer: ({ id }: { id: string }) => `Customer of ${id}`,
      seenBy: (_: unknown, __: unknown, ctx: BaseContext) =>
        ctx.identity?.kind === 'user' ? ctx.identity.userId : null,
      requestId: (_: unknown, __: unknown, ctx: BaseContext) => ctx.requestId,
      total: ({ id }: { id: string }) => {
        if (id === 'broken') throw new Error('the orders database is unreachable');
        return 4200;
      },
    },
  },
};

/** One graphql-ws connection the tracking subgraph accepted. */
export interface TrackingConnection {
  connectionParams: Record<string, unknown> | undefined;
  headers: IncomingHttpHeaders;
}

/** One subscribe message the tracking subgraph accepted, and the socket it came on. */
export interface TrackingSubscription {
  /** Index into `connections`. */
  connection: number;
  orderId: unknown;
  extensions: Record<string, unknown> | undefined;
}

export interface TrackingSubgraph {
  name: 'tracking';
  typeDefs: typeof trackingTypeDefs;
  url: string;
  /** Every connection_init it accepted, oldest first. */
  connections: TrackingConnection[];
  /** Every subscription it accepted, oldest first. */
  subscriptions: TrackingSubscription[];
  /** Sockets open right now. */
  openSockets(): number;
  /** Cuts one socket (by its index in `connections`) without a close frame. */
  dropConnection(index: number): void;
  /** Subscriptions to `orderId` open right now. */
  active(orderId: string): number;
  /** How many subscriptions to `orderId` have ended (client completed or socket closed). */
  ended(orderId: string): number;
  /** Sends an event to every subscriber of the order. */
  publish(orderId: string, event: TrackedEvent): void;
  /** Ends every subscription to the order from the subgraph's side (complete). */
  finish(orderId: string): void;
  /** Hangs: stops reading from its sockets (so it answers no keep-alive ping), or reads again. */
  freeze(frozen: boolean): void;
  /** Dies: every socket cut without a close frame, then the server stops. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

interface TrackingExtra extends Record<PropertyKey, unknown> {
  /** From connection_init; none on the router's shared sockets. */
  identity: Identity | null;
  connection: number;
}

/**
 * A subgraph serving HTTP like the shop's (startSubgraph) and graphql-ws on the same
 * /graphql, authenticating as the delivery service does: each subscription by the token in
 * its own `extensions.authorization`, else by its socket's connection_init token.
 */
export async function startTrackingSubgraph(tokens: TokenIssuer): Promise<TrackingSubgraph> {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const active = new Map<string, number>();
  const ended = new Map<string, number>();
  const connections: TrackingConnection[] = [];
  const subscriptions: TrackingSubscription[] = [];
  // Each subscribe message's identity, looked up again when its context is built.
  const identities = new WeakMap<object, Identity | null>();
  const sockets: WebSocket[] = [];
  const finished = Symbol('finished');
  const verifier = new TokenVerifier({
    issuer: tokens.issuer,
    audience: tokens.audience,
    keys: remoteJwks(tokens.jwksUrl),
  });

  const resolvers = {
    Query: { trackingVersion: () => '1' },
    Subscription: {
      tracked: {
        subscribe: (_: unknown, { orderId }: { orderId: string }, ctx: TrackingContext) => {
          // The subgraph's own rules, as delivery refuses someone else's order: "forbidden…"
          // for everyone, "private-<user id>" for all but that user.
          if (orderId.startsWith('forbidden')) {
            throw new ForbiddenError('You may only follow the delivery of your own orders.');
          }
          if (
            orderId.startsWith('private-') &&
            (ctx.identity?.kind !== 'user' || orderId !== `private-${ctx.identity.userId}`)
          ) {
            throw new ForbiddenError('You may only follow the delivery of your own orders.');
          }
          const source = on(bus, orderId);
          active.set(orderId, (active.get(orderId) ?? 0) + 1);
          let open = true;
          const close = () => {
            if (!open) return;
            open = false;
            active.set(orderId, (active.get(orderId) ?? 1) - 1);
            ended.set(orderId, (ended.get(orderId) ?? 0) + 1);
          };
          const iterator: AsyncIterableIterator<unknown> = {
            [Symbol.asyncIterator]: () => iterator,
            next: async () => {
              const result = await source.next();
              const value = result.done ? undefined : (result.value as unknown[])[0];
              if (result.done || value === finished) {
                close();
                await source.return?.();
                return { value: undefined, done: true };
              }
              return { value, done: false };
            },
            return: async () => {
              close();
              await source.return?.();
              return { value: undefined, done: true };
            },
          };
          return iterator;
        },
        resolve: (event: TrackedEvent, { orderId }: { orderId: string }, ctx: TrackingContext) => ({
          ...event,
          orderId,
          seenBy: ctx.identity?.kind === 'user' ? ctx.identity.userId : null,
        }),
      },
    },
    Tracked: {
      order: ({ orderId }: { orderId: string }) => ({ __typename: 'Order', id: orderId }),
    },
  };

  const subgraph = await startSubgraph(
    {
      name: 'tracking',
      typeDefs: trackingTypeDefs,
      resolvers,
      verifier,
      logger: createLogger('test-tracking', 'silent'),
      context: (base) => base,
      ready: async () => undefined,
    },
    0,
    '127.0.0.1',
  );

  const wss = new WebSocketServer({ server: subgraph.httpServer, path: '/graphql' });
  const wsServer = useServer<Record<string, unknown>, TrackingExtra>(
    {
      schema: buildSubgraphSchema([{ typeDefs: trackingTypeDefs, resolvers: resolvers as never }]),
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (authorization !== undefined && typeof authorization !== 'string') return false;
        try {
          ctx.extra.identity = await verifier.fromAuthorizationHeader(authorization);
        } catch {
          return false;
        }
        ctx.extra.connection = connections.length;
        sockets.push(ctx.extra.socket);
        connections.push({
          connectionParams: ctx.connectionParams,
          headers: ctx.extra.request.headers,
        });
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const authorization = payload.extensions?.authorization;
        let identity = ctx.extra.identity ?? null;
        if (authorization !== undefined) {
          try {
            identity = await verifier.fromAuthorizationHeader(
              typeof authorization === 'string' ? authorization : 'not a token',
            );
          } catch (error) {
            return [error as GraphQLError];
          }
        }
        identities.set(payload, identity);
        subscriptions.push({
          connection: ctx.extra.connection ?? -1,
          orderId: payload.variables?.orderId,
          extensions: payload.extensions ?? undefined,
        });
        return undefined;
      },
      context: (_ctx, _id, payload): TrackingContext => ({
        identity: identities.get(payload) ?? null,
      }),
    },
    wss,
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await wsServer.dispose();
    await subgraph.stop();
  };

  return {
    name: 'tracking',
    typeDefs: trackingTypeDefs,
    url: subgraph.url,
    connections,
    subscriptions,
    openSockets: () => wss.clients.size,
    dropConnection: (index) => sockets[index]?.terminate(),
    active: (orderId) => active.get(orderId) ?? 0,
    ended: (orderId) => ended.get(orderId) ?? 0,
    publish: (orderId, event) => bus.emit(orderId, event),
    finish: (orderId) => bus.emit(orderId, finished),
    freeze: (frozen) => {
      for (const client of wss.clients) {
        if (frozen) client.pause();
        else client.resume();
      }
    },
    kill: async () => {
      for (const client of wss.clients) client.terminate();
      await stop();
    },
    stop,
  };
}

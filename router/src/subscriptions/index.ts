import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServiceMap } from '@apollo/gateway';
import { CloseCode, handleProtocols, makeServer, type ExecutionResult } from 'graphql-ws';
import { GraphQLError, type ValidationRule } from 'graphql';
import WebSocket, { WebSocketServer } from 'ws';
import type { TokenVerifier } from '@shop/auth';
import { ErrorCode, ShopError } from '@shop/errors';
import { REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@shop/logging';
import type { RouterConfig } from '../config';
import { queryCostRefusal } from '../cost';
import type { RouterContext } from '../context';
import { authorizationFrom, tokenExpiresAt, whenExpired } from './auth';
import { ConcurrencyLimit } from './limit';
import { SubscriptionPlanner, SubscriptionRefusal, type SubscriptionPlan } from './planner';
import { SubscriptionRelay } from './relay';
import { DEFAULT_UPSTREAM_SOCKETS, UpstreamPool } from './upstream';

export { NOT_A_SUBSCRIPTION_MESSAGE } from './planner';
export { UPSTREAM_LOST_MESSAGE } from './relay';

/** Why the router closes a client socket; graphql-ws's own codes come from its CloseCode. */
export const RouterCloseReason = {
  TOKEN_EXPIRED: 'Forbidden: the access token expired; reconnect with a fresh one',
  JWKS_UNAVAILABLE: 'The router could not check the access token; try again later',
  SHUTTING_DOWN: 'The router is shutting down',
} as const;

/** WebSocket's own "going away" close code (RFC 6455), for a router that shuts down. */
const GOING_AWAY = 1001;

/** How long a client gets to answer the shutdown close frame before its socket is cut. */
const SHUTDOWN_GRACE_MS = 1_000;

export type SubscriptionConfig = Pick<
  RouterConfig,
  | 'SUBSCRIPTION_KEEPALIVE_MS'
  | 'SUBSCRIPTION_MAX_BUFFERED_BYTES'
  | 'SUBSCRIPTIONS_PER_CONNECTION'
  | 'MAX_QUERY_TOKENS'
  | 'MAX_QUERY_COST'
  | 'QUERY_COST_LIST_SIZE'
  | 'MAX_BODY_BYTES'
  | 'NODE_ENV'
> & {
  /** Most upstream graphql-ws sockets per subgraph, shared by all clients (default 2). */
  SUBSCRIPTION_UPSTREAM_SOCKETS?: number;
  /** Most events completed with other subgraphs' fields at once, over all clients (default 32). */
  SUBSCRIPTION_COMPLETION_CONCURRENCY?: number;
};

/** Events completed at once: enough to keep a few subgraph replicas busy, not to flood them. */
export const DEFAULT_COMPLETION_CONCURRENCY = 32;

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  config: SubscriptionConfig;
  verifier: TokenVerifier;
  logger: Logger;
  /** The supergraph the gateway serves; subscriptions are planned over the same one. */
  supergraphSdl: string;
  /** The router's depth and alias limits, applied to subscriptions as to HTTP operations. */
  validationRules: readonly ValidationRule[];
  /** Subgraph name → the HTTP URL the gateway calls; the relay opens ws:// on the same. */
  routingUrls: ReadonlyMap<string, string>;
  /** The gateway's data sources, so completions are forwarded as HTTP operations are. */
  serviceMap: ServiceMap;
  /** The client's address, through the same trusted proxies as HTTP requests. */
  clientIp: (request: http.IncomingMessage) => string;
}

export interface SubscriptionServer {
  /** Open client connections. */
  readonly connections: number;
  /** Per subgraph, the subscriptions each open upstream socket carries. */
  upstreamSockets(): Record<string, number[]>;
  /** Closes every client connection (1001) and its upstream sockets. */
  close(): Promise<void>;
}

/** One client WebSocket: who it is, and when its token runs out. */
interface ClientConnection {
  socket: WebSocket;
  requestId: string;
  clientIp: string;
  log: Logger;
  openedAt: number;
  /** Answered the last keep-alive ping. */
  alive: boolean;
  userId?: string;
  context?: RouterContext;
  cancelExpiry?: () => void;
}

/** What onSubscribe hands over to the relay, through graphql-ws's execution arguments. */
interface RelayStart {
  plan: SubscriptionPlan;
  variables: Record<string, unknown>;
  connection: ClientConnection;
}

/**
 * GraphQL subscriptions over graphql-ws on the router's own /graphql: the same URL and port
 * as HTTP, whose requests never see this code (only WebSocket upgrades do).
 *
 * - Auth: connection_init must carry `{ "authorization": "Bearer <jwt>" }`, verified like
 *   the HTTP header (JWKS, issuer, audience, expiry). Missing or invalid: close 4403.
 *   When the token expires, the router closes the connection with 4403 too: a revoked or
 *   expired identity cannot keep receiving events. graphql-ws clients treat 4403 as
 *   retryable, so a client whose `connectionParams` is a function returning a fresh token
 *   reconnects and its subscriptions start again by themselves.
 * - Only subscriptions: a query or mutation sent over the socket is refused with
 *   BAD_REQUEST (HTTP serves those, with its caching, limits and access log).
 * - Each subscription is validated against the API schema with the router's limits,
 *   planned (plans cached), streamed from the owning subgraph and completed per event
 *   (relay.ts). Upstream, a few sockets per subgraph carry every client's subscriptions,
 *   each with its client's own token (upstream.ts).
 * - Back-pressure: messages go into the socket's buffer without waiting for it to drain,
 *   so a client's whole backlog is its `bufferedAmount`; past SUBSCRIPTION_MAX_BUFFERED_BYTES
 *   the client is cut off (its subscriptions end upstream) rather than grow memory.
 * - Keep-alive: a ping every SUBSCRIPTION_KEEPALIVE_MS to every client; one that has not
 *   answered the previous ping is cut off.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { config, verifier, logger, httpServer } = options;
  const planner = new SubscriptionPlanner(options.supergraphSdl, {
    validationRules: options.validationRules,
    maxTokens: config.MAX_QUERY_TOKENS,
    hideSchemaDetails: config.NODE_ENV === 'production',
  });
  const connections = new Set<ClientConnection>();
  const cleanups = new Set<Promise<void>>();
  const upstream = new UpstreamPool({
    routingUrls: options.routingUrls,
    socketsPerSubgraph: config.SUBSCRIPTION_UPSTREAM_SOCKETS ?? DEFAULT_UPSTREAM_SOCKETS,
    keepAliveMs: config.SUBSCRIPTION_KEEPALIVE_MS,
    log: logger,
  });
  const completions = new ConcurrencyLimit(
    config.SUBSCRIPTION_COMPLETION_CONCURRENCY ?? DEFAULT_COMPLETION_CONCURRENCY,
  );

  const authenticate = async (connection: ClientConnection, payload: unknown) => {
    const { log, socket } = connection;
    const authorization = authorizationFrom(payload);
    if (!authorization) {
      log.info('subscription connection refused: connection_init carried no access token');
      return false;
    }
    let identity;
    try {
      identity = await verifier.fromAuthorizationHeader(authorization);
    } catch (error) {
      if (error instanceof ShopError) {
        log.info('subscription connection refused: invalid or expired access token');
        return false;
      }
      // The JWKS is unreachable: the router's fault, not the client's, so not 4403.
      // (graphql-ws then closes with 4403 as well, which ws ignores on a closing socket.)
      log.error({ err: error }, 'could not verify the access token');
      socket.close(CloseCode.InternalServerError, RouterCloseReason.JWKS_UNAVAILABLE);
      return false;
    }
    connection.userId =
      identity?.kind === 'service' ? `service:${identity.clientId}` : identity?.userId;
    const expiresAt = tokenExpiresAt(authorization);
    if (expiresAt !== undefined) {
      connection.cancelExpiry = whenExpired(expiresAt, () => {
        log.info({ userId: connection.userId }, 'access token expired; closing the connection');
        socket.close(CloseCode.Forbidden, RouterCloseReason.TOKEN_EXPIRED);
      });
    }
    const { requestId, clientIp } = connection;
    connection.context = {
      authorization,
      requestId,
      clientIp,
      log,
      accessLog: { requestId },
    };
    log.info({ userId: connection.userId, clientIp }, 'subscription connection open');
    return true;
  };

  const server = makeServer<Record<string, unknown> | undefined, ClientConnection>({
    onConnect: (ctx) => authenticate(ctx.extra, ctx.connectionParams),
    onSubscribe: (ctx, _id, payload) => {
      const connection = ctx.extra;
      // The new subscription already holds its place in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > config.SUBSCRIPTIONS_PER_CONNECTION) {
        return [
          new GraphQLError(
            `This connection already has ${config.SUBSCRIPTIONS_PER_CONNECTION} subscriptions, ` +
              'the most allowed; complete one before starting another.',
            { extensions: { code: SubscriptionRefusal.BAD_REQUEST } },
          ),
        ];
      }
      let prepared;
      try {
        prepared = planner.prepare(payload.query, payload.operationName ?? undefined);
      } catch (error) {
        connection.log.error({ err: error }, 'could not plan a subscription');
        return [
          new GraphQLError(
            'Something went wrong on our side. It has been logged; try again later.',
            {
              extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
            },
          ),
        ];
      }
      if (prepared.kind === 'refused') return prepared.errors;
      const { plan } = prepared;
      const variables = payload.variables ?? {};
      const variableErrors = planner.variableErrors(plan, variables);
      if (variableErrors.length > 0) return variableErrors;
      // Every event is completed with this selection: its cost is paid once per event.
      const tooCostly = queryCostRefusal(
        planner.schema,
        plan.document,
        plan.operation,
        variables,
        config,
      );
      if (tooCostly) return [tooCostly];
      connection.log.debug(
        { operationName: plan.operation.name?.value, subgraph: plan.primary.serviceName },
        'subscription started',
      );
      const start: RelayStart = { plan, variables, connection };
      return {
        schema: planner.schema,
        document: plan.document,
        operationName: payload.operationName,
        variableValues: variables,
        contextValue: start,
      };
    },
    subscribe: ({ contextValue }) => {
      const { plan, variables, connection } = contextValue as RelayStart;
      // onConnect set the context before any subscription could be accepted.
      const relay = new SubscriptionRelay(plan, variables, {
        planner,
        serviceMap: options.serviceMap,
        upstream,
        completions,
        context: connection.context as RouterContext,
      });
      // The relay yields results already formatted (masked) for the client; see onNext.
      return relay as AsyncIterable<unknown> as AsyncIterable<ExecutionResult>;
    },
    // Without this, graphql-ws would call toJSON() on each error; the relay's are plain
    // formatted errors already, masked by the router's rule.
    onNext: (_ctx, _id, _payload, _args, result) => result as never,
  });

  const wss = new WebSocketServer({
    noServer: true,
    // The same bound as an HTTP body; a subscribe message is a document and its variables.
    maxPayload: config.MAX_BODY_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    const connection: ClientConnection = {
      socket,
      requestId,
      clientIp: options.clientIp(request),
      log: logger.child({ requestId }),
      openedAt: Date.now(),
      alive: true,
    };
    connections.add(connection);
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('error', (err) => connection.log.debug({ err }, 'client socket error'));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        // Not waiting for the write to drain is deliberate: the backlog then lives in the
        // socket's buffer, where bufferedAmount measures it, instead of piling up unseen
        // in each subscription's queue.
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          socket.send(data);
          if (socket.bufferedAmount > config.SUBSCRIPTION_MAX_BUFFERED_BYTES) {
            connection.log.warn(
              { userId: connection.userId, bufferedBytes: socket.bufferedAmount },
              'client reads too slowly; closing its connection',
            );
            // A close frame would wait behind the backlog the client is not reading.
            socket.terminate();
          }
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (err) {
              connection.log.error({ err }, 'subscription message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      connection,
    );

    socket.once('close', (code, reason) => {
      connections.delete(connection);
      connection.cancelExpiry?.();
      // Ends this client's subscriptions, each on its subgraph; the shared sockets stay.
      const cleanup = closed(code, String(reason))
        .catch((err: unknown) => connection.log.warn({ err }, 'ending subscriptions failed'))
        .finally(() => {
          cleanups.delete(cleanup);
          connection.log.info(
            {
              userId: connection.userId,
              code,
              durationMs: Date.now() - connection.openedAt,
            },
            'subscription connection closed',
          );
        });
      cleanups.add(cleanup);
    });
  });

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://router');
    if (pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Browsers send cookies on cross-site WebSockets, but the router reads none: identity
    // comes only from connection_init, so no Origin check is needed against hijacking.
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  httpServer.on('upgrade', onUpgrade);

  // One timer for every client, not one per connection: 10,000 connections, one interval.
  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.log.info({ userId: connection.userId }, 'client missed a keep-alive pong');
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, config.SUBSCRIPTION_KEEPALIVE_MS);
  heartbeat.unref();

  return {
    get connections() {
      return connections.size;
    },
    upstreamSockets: () => upstream.stats(),
    close: async () => {
      clearInterval(heartbeat);
      httpServer.off('upgrade', onUpgrade);
      await Promise.all(
        [...connections].map(
          ({ socket }) =>
            new Promise<void>((resolve) => {
              socket.once('close', () => resolve());
              socket.close(GOING_AWAY, RouterCloseReason.SHUTTING_DOWN);
              setTimeout(() => socket.terminate(), SHUTDOWN_GRACE_MS).unref();
            }),
        ),
      );
      await Promise.all([...cleanups]);
      await upstream.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

import type http from 'node:http';
import {
  GraphQLError,
  parse,
  subscribe,
  validate,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type DocumentNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Identity, TokenVerifier } from '@shop/auth';
import {
  ErrorCode,
  formatError,
  INTERNAL_ERROR_MESSAGE,
  ProtocolCode,
  ShopError,
  UnauthenticatedError,
} from '@shop/errors';
import { REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@shop/logging';
import { asTraceCarrier, withTraceCarrier, type TraceCarrier } from '@shop/telemetry';
import { createLoaders, type Context } from '../context';
import type { ShipmentStore } from '../store/shipment';

/** Largest graphql-ws message accepted: subscribe messages are small. */
const MAX_WS_MESSAGE_BYTES = 64 * 1024;

/** Valid documents kept by their text; the router sends one document for all its clients. */
const MAX_CACHED_DOCUMENTS = 200;

/** What graphql-ws keeps per connection: the identity verified at connection_init. */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  identity: Identity | null;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  shipments: ShipmentStore;
  keepAliveMs: number;
  logger: Logger;
}

export interface SubscriptionServer {
  /** Ends every subscription and closes every socket. */
  close(): Promise<void>;
}

/**
 * Whose subscription this is. The router multiplexes many clients over a few sockets, so
 * it sends each client's token with that client's subscription, in the subscribe message's
 * `payload.extensions.authorization`; that token, verified by the HTTP rules, is the
 * subscription's identity and no other subscription's. A client connected directly puts
 * its token in connection_init instead, and its subscriptions inherit that one.
 *
 * Throws UNAUTHENTICATED for a token that is present but bad (malformed, not a string,
 * forged, expired): never downgraded to the socket's identity or to anonymous.
 */
export async function subscriptionIdentity(
  extensions: Readonly<Record<string, unknown>> | null | undefined,
  connectionIdentity: Identity | null,
  verifier: TokenVerifier,
): Promise<Identity | null> {
  const authorization = extensions?.authorization;
  if (authorization === undefined || authorization === null) return connectionIdentity;
  if (typeof authorization !== 'string' || authorization.trim() === '') {
    throw new UnauthenticatedError(
      'extensions.authorization must be "Bearer <access token>" when it is present.',
    );
  }
  return verifier.fromAuthorizationHeader(authorization);
}

/** A graphql-js parse or validation error with the protocol code clients switch on. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/**
 * graphql-ws on the HTTP server's own /graphql (protocol graphql-transport-ws).
 *
 * - connection_init may carry `{ "authorization": "Bearer <jwt>" }`: verified, and a bad one
 *   closes the socket with 4403; none opens it anonymously (the router's sockets carry none).
 * - Each subscribe is authenticated on its own (subscriptionIdentity): a bad token in its
 *   extensions refuses that subscription with UNAUTHENTICATED and leaves the socket, and
 *   everyone else's subscriptions on it, alone.
 * - Each subscription gets a context of its own, built here from its own identity, so no
 *   per-socket state can carry one subscription's identity into another's.
 */
export function serveSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { schema, verifier, shipments, logger } = options;
  // Parsing and validating the same document for each of 10,000 subscribers would cost CPU
  // and keep 10,000 copies of one syntax tree alive; a tree is never changed once parsed.
  const documents = new Map<string, DocumentNode>();
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: MAX_WS_MESSAGE_BYTES,
  });
  // Errors reach the client as the HTTP path shows them: the shop's own codes, the rest
  // masked as INTERNAL_SERVER_ERROR and logged. `http` is a hint for HTTP status codes only.
  const format = (error: GraphQLError): GraphQLFormattedError => {
    const { extensions, ...formatted } = error.toJSON();
    const { http: _status, ...kept } = extensions ?? {};
    return formatError(
      Object.keys(kept).length ? { ...formatted, extensions: kept } : formatted,
      error.originalError ?? error,
      (err) => logger.error({ err }, 'unexpected error in subscription'),
    );
  };

  // Each subscription's trace context, from its extensions, until graphql-ws subscribes it.
  const traceOf = new WeakMap<Context, TraceCarrier>();
  const server = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        if (header !== undefined && typeof header !== 'string') return false;
        try {
          ctx.extra.identity = await verifier.fromAuthorizationHeader(header);
          return true;
        } catch {
          return false; // graphql-ws closes with CloseCode.Forbidden (4403)
        }
      },
      // Parsing, validating and building the context here, rather than leaving them to
      // graphql-ws, binds the identity to this subscription's own execution arguments.
      onSubscribe: async (ctx, _id, payload) => {
        let identity: Identity | null;
        try {
          identity = await subscriptionIdentity(
            payload.extensions,
            ctx.extra.identity ?? null,
            verifier,
          );
        } catch (error) {
          if (error instanceof ShopError) return [error];
          // The JWKS is unreachable: our fault, not the client's token.
          logger.error({ err: error }, 'could not verify a subscription token');
          return [
            new GraphQLError(INTERNAL_ERROR_MESSAGE, {
              extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
            }),
          ];
        }
        let document = documents.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query);
          } catch (error) {
            if (error instanceof GraphQLError)
              return [withCode(error, ProtocolCode.GRAPHQL_PARSE_FAILED)];
            throw error;
          }
          const invalid = validate(schema, document);
          if (invalid.length > 0) {
            return invalid.map((e) => withCode(e, ProtocolCode.GRAPHQL_VALIDATION_FAILED));
          }
          // Oldest out first: clients' documents come from a handful of app versions.
          if (documents.size >= MAX_CACHED_DOCUMENTS) {
            documents.delete(documents.keys().next().value as string);
          }
          documents.set(payload.query, document);
        }
        const requestId = requestIdFrom(
          typeof payload.extensions?.[REQUEST_ID_HEADER] === 'string'
            ? (payload.extensions[REQUEST_ID_HEADER] as string)
            : undefined,
        );
        const contextValue: Context = {
          identity,
          requestId,
          log: logger.child({ requestId }),
          clientIp: ctx.extra.request.socket.remoteAddress ?? 'unknown',
          // Uncached: a subscription lives long, and each event reads the shipment as it is.
          loaders: createLoaders(shipments, { cache: false }),
        };
        const carrier = asTraceCarrier(payload.extensions);
        if (carrier) traceOf.set(contextValue, carrier);
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      // The subscribe (and the first read it makes) joins the router's trace, carried in
      // the extensions next to the token (docs/tracing.md).
      subscribe: (args) =>
        withTraceCarrier(traceOf.get(args.contextValue as Context), () => subscribe(args)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: result.errors.map(format) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(format),
    },
    wss,
    options.keepAliveMs,
  );

  return {
    close: async () => {
      await server.dispose();
      // A socket that did not answer the close handshake would keep the HTTP server open.
      for (const client of wss.clients) client.terminate();
    },
  };
}

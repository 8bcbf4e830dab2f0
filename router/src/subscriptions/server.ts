import { CloseCode, makeServer, type ExecutionResult } from 'graphql-ws';
import { GraphQLError } from 'graphql';
import type { TokenVerifier } from '@shop/auth';
import { ErrorCode, INTERNAL_ERROR_MESSAGE, ShopError } from '@shop/errors';
import type { RouterConfig } from '../config';
import { queryCostRefusal } from '../cost';
import type { RouterContext } from '../context';
import { authorizationFrom, tokenExpiresAt, TokenExpiries } from './auth';
import type { SubscriptionGroups } from './group';
import { groupKey, identityKey } from './group-key';
import { SubscriptionPlanner, SubscriptionRefusal, type SubscriptionPlan } from './planner';
import { SharedStrings } from './shared-strings';
import { RouterCloseReason, type ClientConnection, type ProtocolServer } from './transport';

export type ProtocolConfig = Pick<
  RouterConfig,
  'SUBSCRIPTIONS_PER_CONNECTION' | 'MAX_QUERY_COST' | 'QUERY_COST_LIST_SIZE'
>;

export interface ProtocolOptions {
  config: ProtocolConfig;
  verifier: TokenVerifier;
  planner: SubscriptionPlanner;
  groups: SubscriptionGroups;
}

/**
 * What onSubscribe hands over to `subscribe`, through graphql-ws's execution arguments,
 * which graphql-ws keeps for as long as the subscription lasts: only references to what
 * is held anyway, so an idle subscription costs no more than it must. (The group key is
 * made in `subscribe` and kept only by the group.)
 */
interface GroupStart {
  id: string;
  query: string;
  operationName: string | null | undefined;
  plan: SubscriptionPlan;
  variables: Record<string, unknown>;
  connection: ClientConnection;
}

/**
 * The graphql-ws protocol for the router's clients, without the WebSocket (transport.ts):
 *
 * - Auth: connection_init must carry `{ "authorization": "Bearer <jwt>" }`, verified like
 *   the HTTP header (JWKS, issuer, audience, expiry). Missing or invalid: close 4403.
 *   When the token expires, the router closes the connection with 4403 too: a revoked or
 *   expired identity cannot keep receiving events. graphql-ws clients treat 4403 as
 *   retryable, so a client whose `connectionParams` is a function returning a fresh token
 *   reconnects and its subscriptions start again by themselves.
 * - Limits: SUBSCRIPTIONS_PER_CONNECTION, the router's validation limits, the query cost.
 * - Only subscriptions: a query or mutation sent over the socket is refused with
 *   BAD_REQUEST (HTTP serves those, with its caching, limits and access log).
 * - Each subscription is validated, planned (plans cached), and joins the group of those
 *   with the same identity, document and variables (group.ts).
 */
export function makeProtocolServer(options: ProtocolOptions): ProtocolServer {
  const { config, verifier, planner, groups } = options;
  const tokens = new SharedStrings();
  const expiries = new TokenExpiries<ClientConnection>((connection) => {
    connection.log.info(
      { userId: connection.userId },
      'access token expired; closing the connection',
    );
    connection.socket.close(CloseCode.Forbidden, RouterCloseReason.TOKEN_EXPIRED);
  });

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
    // A non-empty header always verifies to an identity; null would be anonymous.
    if (!identity) return false;
    connection.userId =
      identity.kind === 'service' ? `service:${identity.clientId}` : identity.userId;
    connection.identity = identityKey(identity);
    // The token is kept once per distinct token, not once per connection (shared-strings.ts);
    // graphql-ws keeps connection_init's payload for the connection's life, so the copy
    // parsed from this connection's message goes.
    const token = tokens.hold(authorization);
    delete (payload as Record<string, unknown>).authorization;
    delete (payload as Record<string, unknown>).Authorization;
    const expiresAt = tokenExpiresAt(token);
    if (expiresAt !== undefined) expiries.add(connection, expiresAt);
    connection.release = () => {
      if (expiresAt !== undefined) expiries.remove(connection, expiresAt);
      tokens.release(token);
    };
    const { requestId, clientIp } = connection;
    connection.context = {
      authorization: token,
      requestId,
      clientIp,
      log,
      accessLog: { requestId },
    };
    log.info({ userId: connection.userId, clientIp }, 'subscription connection open');
    return true;
  };

  return makeServer<Record<string, unknown> | undefined, ClientConnection>({
    onConnect: (ctx) => authenticate(ctx.extra, ctx.connectionParams),
    onSubscribe: (ctx, id, payload) => {
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
          new GraphQLError(INTERNAL_ERROR_MESSAGE, {
            extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
          }),
        ];
      }
      if (prepared.kind === 'refused') return prepared.errors;
      const { plan } = prepared;
      const variables = payload.variables ?? {};
      const variableErrors = planner.variableErrors(plan, variables);
      if (variableErrors.length > 0) return variableErrors;
      // Every event is resolved with this selection: its cost is paid once per event.
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
      const start: GroupStart = {
        id,
        query: payload.query,
        operationName: payload.operationName,
        plan,
        variables,
        connection,
      };
      return {
        schema: planner.schema,
        document: plan.document,
        operationName: payload.operationName,
        variableValues: variables,
        contextValue: start,
      };
    },
    subscribe: ({ contextValue }) => {
      const { id, query, operationName, plan, variables, connection } = contextValue as GroupStart;
      // onConnect set the identity before any subscription could be accepted.
      const identity = connection.identity as string;
      const member = groups.join(
        groupKey(identity, query, operationName, variables),
        { plan, variables, identity },
        { id, connection, context: connection.context as RouterContext },
      );
      // The member writes its `next` messages itself and yields none (group.ts).
      return member as AsyncIterable<unknown> as AsyncIterable<ExecutionResult>;
    },
  });
}

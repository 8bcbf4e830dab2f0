import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind } from 'graphql';

/** A request that cannot be served as sent; 400 with a code the client can switch on. */
function clientError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

/** Client-chosen text echoed in a message, cut short so it cannot flood the response. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * Refuses, before planning, operations the gateway cannot run but would fail on with an
 * INTERNAL_SERVER_ERROR (HTTP 500) that reads like a bug:
 * - an `operationName` the document does not define, or none for a document that holds
 *   several operations: OPERATION_RESOLUTION_FAILURE;
 * - a subscription sent over HTTP: BAD_REQUEST, pointing to the WebSocket transport.
 */
export const operationResolutionPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request, document }) {
        if (!operation) {
          const count = document.definitions.filter(
            (definition) => definition.kind === Kind.OPERATION_DEFINITION,
          ).length;
          const named = request.operationName;
          throw clientError(
            'OPERATION_RESOLUTION_FAILURE',
            named
              ? `The document has no operation named ${quoted(named)}; operationName must name one of its operations.`
              : count > 1
                ? `The document holds ${count} operations; say which to run in operationName.`
                : 'The document holds no operation to run.',
          );
        }
        if (operation.operation === 'subscription') {
          throw clientError(
            'BAD_REQUEST',
            'Subscriptions are served over WebSocket (the graphql-ws protocol) on /graphql, not over HTTP.',
          );
        }
      },
    };
  },
};

/**
 * Apollo Server's persisted-query refusals carry no code, so the shop's masking would
 * report them as INTERNAL_SERVER_ERROR. By their message (Apollo Server 5): what the client
 * did wrong, with BAD_REQUEST.
 */
const PERSISTED_QUERY_REFUSALS: Record<string, string> = {
  'provided sha does not match query':
    'The persistedQuery sha256Hash is not the SHA-256 of the query sent with it; send the hex SHA-256 of exactly this query text.',
  'Unsupported persisted query version':
    'Only version 1 of automatic persisted queries is supported.',
};

/** The client's message and BAD_REQUEST for a code-less persisted-query refusal; else null. */
export function persistedQueryRefusal(error: unknown): string | null {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return null;
  return PERSISTED_QUERY_REFUSALS[error.message] ?? null;
}

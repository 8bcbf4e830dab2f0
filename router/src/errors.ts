import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, formatError, ShopError } from '@shop/errors';
import type { RouterContext } from './context';
import { persistedQueryRefusal } from './protocol';

/**
 * What the gateway adds to a subgraph's error: which subgraph, and for an HTTP failure its
 * internal URL and raw body. Clients see one graph; operators find the rest in the logs.
 */
const GATEWAY_EXTENSIONS = ['serviceName', 'response'];

/**
 * The router's Apollo Server `formatError`: the shop's masking rule (codes the shop raises
 * on purpose pass, so subgraph codes such as BAD_USER_INPUT or CONFLICT arrive unchanged;
 * anything else becomes INTERNAL_SERVER_ERROR), plus router concerns:
 * - Apollo Server relabels every validation error GRAPHQL_VALIDATION_FAILED; a ShopError
 *   reported by a validation rule (QUERY_TOO_COMPLEX) keeps its own code.
 * - the gateway's extensions are removed.
 * - Apollo Server's code-less persisted-query refusals are BAD_REQUEST (see protocol.ts).
 */
export function formatRouterError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onInternal?: (error: unknown) => void,
): GraphQLFormattedError {
  const refusal = persistedQueryRefusal(error);
  if (refusal) return { message: refusal, extensions: { code: 'BAD_REQUEST' } };
  const extensions = { ...formatted.extensions };
  if (error instanceof GraphQLError && error.originalError instanceof ShopError) {
    extensions.code = error.originalError.code;
  }
  for (const name of GATEWAY_EXTENSIONS) delete extensions[name];
  return formatError({ ...formatted, extensions }, error, onInternal);
}

/**
 * Logs, with the request id, each error of an operation that `formatRouterError` masks.
 * (Apollo Server's formatError sees no context, so it cannot log the id itself.)
 */
export const logInternalErrors: ApolloServerPlugin<RouterContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          // Typed GraphQLError, but the gateway passes a failed subgraph fetch on as is.
          const formatted =
            error instanceof GraphQLError ? error.toJSON() : { message: `${error}` };
          // The rule that masks decides what is logged, so the two never disagree.
          formatRouterError(formatted, error, () =>
            contextValue.log.error(
              { err: error, path: error.path },
              'unexpected error in operation',
            ),
          );
        }
      },
    };
  },
};

/** True when a response holds no data: none at all, or every root field null. */
function holdsNoData(data: Record<string, unknown> | null | undefined): boolean {
  return !data || Object.values(data).every((value) => value === null);
}

/**
 * HTTP 503 for an operation that an outage failed entirely: no data, and every error
 * SERVICE_UNAVAILABLE (a subgraph down or timed out). Load balancers and clients then see
 * a retryable outage, not a 200 "success" nor a 500 that reads like a bug. With any data,
 * the answer stays 200: the client has something to show next to the errors.
 */
export const outageStatusPlugin: ApolloServerPlugin<RouterContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const { data, errors } = response.body.singleResult;
        if (
          errors?.length &&
          errors.every((error) => error.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE) &&
          holdsNoData(data)
        ) {
          response.http.status = 503;
        }
      },
    };
  },
};

import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from './context';

/** Codes of a request that never reached execution: the document or its variables. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
]);

/**
 * GraphQL over HTTP, for clients that accept only `application/json` (the format before
 * `application/graphql-response+json`): such a client cannot tell a GraphQL error from a
 * broken proxy by a 4xx status, so the spec says a server SHOULD answer a document that does
 * not parse or validate, or variables that do not fit, with 200 and the errors in the body.
 * Clients that accept `application/graphql-response+json` (Apollo Client, urql, graphql-http)
 * or send no explicit preference keep the 400. Nothing else changes: the request was refused
 * before any subgraph was called, and CSRF protection runs before this.
 */
export const legacyJsonStatusPlugin: ApolloServerPlugin<RouterContext> = {
  async requestDidStart({ request }) {
    const accept = request.http?.headers.get('accept') ?? '';
    const legacyOnly =
      /\bapplication\/json\b/i.test(accept) && !/application\/graphql-response\+json/i.test(accept);
    if (!legacyOnly) return;
    return {
      async willSendResponse({ response, errors }) {
        if (response.http.status !== 400 || !errors?.length) return;
        const requestErrors = errors.every((e) =>
          REQUEST_ERROR_CODES.has(String(e.extensions?.code ?? '')),
        );
        if (requestErrors) response.http.status = 200;
      },
    };
  },
};

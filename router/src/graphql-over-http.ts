import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { ErrorCode, ProtocolCode } from '@shop/errors';
import type { RouterContext } from './context';

/** Codes of a request that never reached execution: the document or its variables. */
const REQUEST_ERROR_CODES = new Set<string>([
  ProtocolCode.GRAPHQL_PARSE_FAILED,
  ProtocolCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_USER_INPUT,
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

/**
 * Lets plain GET queries that carry no cookie through Apollo Server's CSRF prevention, as
 * the GraphQL-over-HTTP spec allows (a link, `curl`, a CDN in front of persisted queries),
 * without weakening what that prevention is for. It refuses "simple" requests — those a
 * page on another site can make a browser send without a CORS preflight — because such a
 * request carries the browser's ambient credentials. The router takes identity only from
 * the Authorization header, which no browser adds to a request without a preflight, and a
 * GET cannot run a mutation (Apollo Server answers 405). So a cookieless simple GET runs as
 * an anonymous caller, exactly what the other page could have sent itself. A GET that does
 * carry a cookie (one a proxy in front might turn into a session) keeps the full check, as
 * does every POST.
 */
export const cookielessGetsPassCsrfCheck: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' && req.headers.cookie === undefined) {
    // Any non-empty value of this header satisfies the check (Apollo's documented escape).
    req.headers['apollo-require-preflight'] = 'cookieless-get';
  }
  next();
};

import type { IncomingHttpHeaders } from 'node:http';
import { CART_ID_HEADER, type TokenVerifier } from '@shop/auth';
import { ErrorCode, ShopError } from '@shop/errors';
import type { Logger } from '@shop/logging';
import type { AccessLogEntry } from './access-log';

/** Per-request state: what the router forwards to the subgraphs, and where it logs. */
export interface RouterContext {
  /** The client's Authorization header, already verified; subgraphs verify it again. */
  authorization?: string;
  requestId: string;
  /** The client's address, as seen through trusted proxies (TRUST_PROXY). */
  clientIp: string;
  cartId?: string;
  log: Logger;
  accessLog: AccessLogEntry;
}

/** What the context is built from, whichever HTTP path the request came by. */
export interface RequestFacts {
  headers: IncomingHttpHeaders;
  clientIp: string;
  accessLog: AccessLogEntry;
}

/**
 * Builds the context of each GraphQL request — before parsing and planning, so a bad
 * token costs the router no planning and the subgraphs no call.
 */
export function routerContext(verifier: TokenVerifier, logger: Logger) {
  return async ({ headers, clientIp, accessLog }: RequestFacts): Promise<RouterContext> => {
    const log = logger.child({ requestId: accessLog.requestId });
    const authorization = headers.authorization || undefined;
    try {
      // Throws UNAUTHENTICATED (HTTP 401) for a header that is present but wrong: a bad
      // token is refused, never downgraded to an anonymous request. The identity itself is
      // not kept: subgraphs derive it from the same header.
      await verifier.fromAuthorizationHeader(authorization);
    } catch (error) {
      // A refused token is the client's; anything else is the router's to look into: the
      // JWKS endpoint down (SERVICE_UNAVAILABLE, 503, retryable) or a bug (masked 500).
      if (!(error instanceof ShopError) || error.code !== ErrorCode.UNAUTHENTICATED) {
        log.error({ err: error }, 'could not verify the access token');
      }
      throw error;
    }
    const cartId = headers[CART_ID_HEADER];
    return {
      authorization,
      requestId: accessLog.requestId,
      clientIp,
      cartId: typeof cartId === 'string' ? cartId : undefined,
      log,
      accessLog,
    };
  };
}

import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CART_ID_HEADER } from '@shop/auth';
import { REQUEST_ID_HEADER } from '@shop/logging';
import { Agent, fetch } from 'undici';
import type { RouterContext } from './context';

/**
 * One keep-alive connection pool for every call to the subgraphs. Under load, undici's
 * fetch on a pooled Agent cost the gateway 10–20% less CPU per request than its default
 * fetcher (make-fetch-happen), which was about an eighth of the gateway's CPU profile.
 */
export class SubgraphPool {
  private readonly agent = new Agent();

  constructor(private readonly timeoutMs: number) {}

  /** The data sources' fetcher: pooled, and bounded by SUBGRAPH_TIMEOUT_MS. */
  readonly fetcher: RemoteGraphQLDataSource['fetcher'] = (url, init) =>
    fetch(url, { ...init, dispatcher: this.agent, signal: AbortSignal.timeout(this.timeoutMs) });

  /** Asks a subgraph's GET /readyz (next to its /graphql); resolves to a problem, or null. */
  async readinessProblem(graphqlUrl: string, timeoutMs: number): Promise<string | null> {
    try {
      const response = await fetch(new URL('readyz', graphqlUrl), {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      return response.ok ? null : `readyz answered HTTP ${response.status}`;
    } catch (error) {
      return `unreachable: ${(error as Error).message}`;
    }
  }

  /** A plain HTTP call to a subgraph on the same pool (webhook relays). */
  relay(url: URL, init: { method: string; headers: Record<string, string>; body: Buffer }) {
    return fetch(url, {
      ...init,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * Calls one subgraph for the gateway. Outgoing headers are built from an allow-list, so
 * nothing else a client sends (x-user-id and the like) ever reaches a subgraph.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<RouterContext>): void {
    // Only client operations carry a router context (the gateway makes no other calls here).
    if (!('incomingRequestContext' in options)) return;
    const headers = options.request.http?.headers;
    if (!headers) return;
    const { authorization, requestId, clientIp, cartId } = options.context;
    // The token itself, not a claim derived from it: each subgraph verifies it again, so a
    // request that bypasses the router proves nothing it could not prove here.
    if (authorization) headers.set('authorization', authorization);
    headers.set(REQUEST_ID_HEADER, requestId);
    headers.set('x-forwarded-for', clientIp);
    if (cartId) headers.set(CART_ID_HEADER, cartId);
  }
}

import {
  createClient,
  type Client,
  type FormattedExecutionResult,
  type Sink,
  type SubscribePayload,
} from 'graphql-ws';
import WebSocket from 'ws';
import { REQUEST_ID_HEADER, type Logger } from '@shop/logging';

/** One event of an upstream subscription, as the subgraph sent it. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** What the router says about the client in each upstream connection_init payload. */
export interface UpstreamConnectionParams extends Record<string, unknown> {
  /** The client's `Bearer <jwt>`, as it sent it; the subgraph verifies it again. */
  authorization: string;
  [REQUEST_ID_HEADER]: string;
}

export interface UpstreamOptions {
  /** Subgraph name → the HTTP URL of its /graphql, as the gateway calls it. */
  routingUrls: ReadonlyMap<string, string>;
  authorization: string;
  requestId: string;
  clientIp: string;
  keepAliveMs: number;
  log: Logger;
}

/** `http://delivery:4005/graphql` → `ws://delivery:4005/graphql`. */
export function webSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * The upstream side of one client connection: one graphql-ws client per subgraph, opened
 * when the first subscription to that subgraph starts and closed when its last one ends
 * (graphql-ws `lazy` mode), carrying every subscription of this client to that subgraph.
 *
 * Why per client connection, not one socket per subscription, nor a pool shared across
 * clients: a subgraph learns who is asking once, from connection_init, so an upstream
 * socket can only carry subscriptions of one token. A client connection has exactly one
 * token, which makes it the widest safe unit of sharing. Sharing across client
 * connections with the same token would rarely save a socket (each app holds its own
 * token) while mixing request ids in the subgraphs' logs and tying one client's expiry to
 * another's sockets. So 10,000 subscribers on one app connection each cost the router one
 * client socket and one upstream socket, and a client with several subscriptions to the
 * same subgraph still uses one upstream socket.
 */
export class UpstreamConnections {
  private readonly clients = new Map<string, Client>();
  private closed = false;

  constructor(private readonly options: UpstreamOptions) {}

  /**
   * Starts `payload` on `subgraph`; the sink hears its events, an upstream error (the
   * subgraph's GraphQL errors, or the close event of a lost socket) or its end. Returns the
   * function that ends it on the subgraph.
   */
  subscribe(subgraph: string, payload: SubscribePayload, sink: Sink<UpstreamEvent>): () => void {
    const client = this.closed ? undefined : this.clientFor(subgraph);
    if (!client) {
      sink.error(new Error(`No upstream for subgraph "${subgraph}"`));
      return () => undefined;
    }
    return client.subscribe(payload, {
      next: (event) => sink.next(event),
      complete: () => sink.complete(),
      error: (error) => {
        // A lost socket ends all of this client's subscriptions to the subgraph; start the
        // next one on a fresh client rather than on one that has given up.
        const lost = isCloseEvent(error) || error instanceof Error;
        if (lost && this.clients.get(subgraph) === client) this.clients.delete(subgraph);
        sink.error(error);
      },
    });
  }

  /** Closes every upstream socket of this client; their subscriptions end on the subgraphs. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }

  /** Undefined for a subgraph the supergraph has no URL for (the gateway refuses to start then). */
  private clientFor(subgraph: string): Client | undefined {
    let client = this.clients.get(subgraph);
    if (client) return client;
    const httpUrl = this.options.routingUrls.get(subgraph);
    if (!httpUrl) return undefined;
    const { authorization, requestId, clientIp, keepAliveMs, log } = this.options;
    // The request id and client address also travel as headers of the upgrade request,
    // where the subgraph's access log and proxies expect them.
    const headers = { [REQUEST_ID_HEADER]: requestId, 'x-forwarded-for': clientIp };
    class UpstreamSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    }
    let pongWait: NodeJS.Timeout | undefined;
    const connectionParams: UpstreamConnectionParams = {
      authorization,
      [REQUEST_ID_HEADER]: requestId,
    };
    client = createClient({
      url: webSocketUrl(httpUrl),
      webSocketImpl: UpstreamSocket,
      connectionParams,
      lazy: true,
      lazyCloseTimeout: 0,
      // No silent reconnects: events sent while the router was away would be lost without
      // anyone knowing. The client hears the loss and subscribes again itself.
      retryAttempts: 0,
      keepAlive: keepAliveMs,
      on: {
        // graphql-ws only sends the pings; a subgraph that stops answering them (a dead
        // host, a half-open TCP connection) is dropped here, which errors its subscriptions.
        ping: (received) => {
          if (received) return;
          clearTimeout(pongWait);
          pongWait = setTimeout(() => {
            log.warn(
              { subgraph },
              'subgraph missed a keep-alive pong; dropping the upstream socket',
            );
            client?.terminate();
          }, keepAliveMs);
          pongWait.unref();
        },
        pong: (received) => {
          if (received) clearTimeout(pongWait);
        },
        closed: () => clearTimeout(pongWait),
      },
    });
    this.clients.set(subgraph, client);
    return client;
  }
}

/** graphql-ws hands a lost socket's close event to the sink; a ws CloseEvent has a code. */
export function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

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

/** Upstream sockets per subgraph when the configuration does not say. */
export const DEFAULT_UPSTREAM_SOCKETS = 2;

/**
 * The upstream connection_init payload. It names no one: a shared socket carries the
 * subscriptions of many clients, each with its own token (see SubscriptionExtensions). The
 * marker only tells the subgraph's logs who opened the socket; it grants nothing.
 */
export const ROUTER_CONNECTION_PARAMS = { client: 'shop-router' } as const;

/** The client a relayed subscription belongs to. */
export interface UpstreamCaller {
  /** The client's `Bearer <jwt>`, as it sent it at its connection_init. */
  authorization?: string;
  requestId: string;
  clientIp: string;
}

/**
 * What travels in each upstream `subscribe` message's `payload.extensions`: the identity of
 * that one subscription, verified by the subgraph as an HTTP Authorization header is.
 */
export interface SubscriptionExtensions extends Record<string, unknown> {
  authorization?: string;
  [REQUEST_ID_HEADER]: string;
  'x-forwarded-for': string;
}

export interface UpstreamPoolOptions {
  /** Subgraph name → the HTTP URL of its /graphql, as the gateway calls it. */
  routingUrls: ReadonlyMap<string, string>;
  /** Most graphql-ws sockets to one subgraph. */
  socketsPerSubgraph: number;
  keepAliveMs: number;
  log: Logger;
}

/** `http://delivery:4005/graphql` → `ws://delivery:4005/graphql`. */
export function webSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** One upstream socket (a graphql-ws client) and how many subscriptions it carries now. */
interface Slot {
  client: Client;
  active: number;
}

/**
 * The router's upstream side: per subgraph, at most `socketsPerSubgraph` graphql-ws
 * sockets, shared by every client connection. Each is opened when the first subscription
 * is placed on it, closed after its last (graphql-ws `lazy`), and replaced when lost. A
 * new subscription goes to the socket that carries the fewest.
 *
 * Why shared: one upstream socket per client connection would cost the router two sockets
 * (file descriptors, buffers, TLS state) per subscriber, and the subgraph one more. Sharing
 * works because identity does not come from the socket: each `subscribe` message carries
 * its client's own token in `payload.extensions.authorization`, and the subgraph verifies
 * it for that subscription alone. Why more than one socket: a subgraph with several
 * replicas behind one address gets its subscriptions spread over as many of them as the
 * router has sockets; and a socket lost ends only its share of the subscriptions.
 */
export class UpstreamPool {
  private readonly slots = new Map<string, (Slot | undefined)[]>();
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /**
   * Starts `payload` on `subgraph` for `caller`; the sink hears its events, an upstream
   * error (the subgraph's GraphQL errors, or the close event of a lost socket) or its end.
   * Returns the function that ends it on the subgraph, leaving the socket to the others.
   */
  subscribe(
    subgraph: string,
    payload: SubscribePayload,
    caller: UpstreamCaller,
    sink: Sink<UpstreamEvent>,
  ): () => void {
    const slots = this.closed ? undefined : this.slotsOf(subgraph);
    if (!slots) {
      sink.error(new Error(`No upstream for subgraph "${subgraph}"`));
      return () => undefined;
    }
    const index = leastLoaded(slots);
    const slot = slots[index] ?? this.open(subgraph, slots, index);
    slot.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slot.active--;
    };
    const extensions: SubscriptionExtensions = {
      ...payload.extensions,
      authorization: caller.authorization,
      [REQUEST_ID_HEADER]: caller.requestId,
      'x-forwarded-for': caller.clientIp,
    };
    const unsubscribe = slot.client.subscribe(
      { ...payload, extensions },
      {
        next: (event) => sink.next(event),
        complete: () => {
          release();
          sink.complete();
        },
        error: (error) => {
          release();
          // A lost socket ends every subscription on it; the next ones go to a fresh
          // socket, not to a client that has given up. (An array is the subgraph refusing
          // this one subscription: the socket is fine.) The lost client is not disposed:
          // graphql-ws would then complete, not error, the subscriptions it has yet to tell.
          if (!Array.isArray(error) && slots[index] === slot) slots[index] = undefined;
          sink.error(error);
        },
      },
    );
    return () => {
      release();
      unsubscribe();
    };
  }

  /** Per subgraph, the subscriptions each open slot carries (tests, diagnostics). */
  stats(): Record<string, number[]> {
    const stats: Record<string, number[]> = {};
    for (const [subgraph, slots] of this.slots) {
      stats[subgraph] = slots.filter((s): s is Slot => s !== undefined).map((s) => s.active);
    }
    return stats;
  }

  /** Closes every upstream socket; their subscriptions end on the subgraphs. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.slots.values()].flat().flatMap((slot) => slot?.client ?? []);
    this.slots.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }

  /** Undefined for a subgraph the supergraph has no URL for (the gateway refuses to start then). */
  private slotsOf(subgraph: string): (Slot | undefined)[] | undefined {
    let slots = this.slots.get(subgraph);
    if (slots) return slots;
    if (!this.options.routingUrls.has(subgraph)) return undefined;
    slots = Array.from({ length: Math.max(1, this.options.socketsPerSubgraph) }, () => undefined);
    this.slots.set(subgraph, slots);
    return slots;
  }

  private open(subgraph: string, slots: (Slot | undefined)[], index: number): Slot {
    const { routingUrls, keepAliveMs, log } = this.options;
    const httpUrl = routingUrls.get(subgraph) as string;
    let pongWait: NodeJS.Timeout | undefined;
    const client: Client = createClient({
      url: webSocketUrl(httpUrl),
      webSocketImpl: WebSocket,
      connectionParams: ROUTER_CONNECTION_PARAMS,
      // Closed as soon as its last subscription ends. (A grace period would be graphql-ws's
      // lazyCloseTimeout, whose timer outlives dispose() and holds a stopping router open.)
      lazy: true,
      lazyCloseTimeout: 0,
      // No silent reconnects: events sent while the router was away would be lost without
      // anyone knowing. Each client hears the loss and subscribes again itself.
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
              { subgraph, socket: index },
              'subgraph missed a keep-alive pong; dropping the upstream socket',
            );
            client.terminate();
          }, keepAliveMs);
          pongWait.unref();
        },
        pong: (received) => {
          if (received) clearTimeout(pongWait);
        },
        closed: () => clearTimeout(pongWait),
      },
    });
    const slot: Slot = { client, active: 0 };
    slots[index] = slot;
    return slot;
  }
}

/** The slot carrying the fewest subscriptions; an unopened one counts as empty. */
function leastLoaded(slots: readonly (Slot | undefined)[]): number {
  let best = 0;
  let bestLoad = Infinity;
  for (let i = 0; i < slots.length; i++) {
    const load = slots[i]?.active ?? 0;
    if (load < bestLoad) {
      best = i;
      bestLoad = load;
      if (load === 0) break;
    }
  }
  return best;
}

/** graphql-ws hands a lost socket's close event to the sink; a ws CloseEvent has a code. */
export function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

import {
  createClient,
  type Client,
  type FormattedExecutionResult,
  type Sink,
  type SubscribePayload,
} from 'graphql-ws';
import WebSocket from 'ws';
import { REQUEST_ID_HEADER, type Logger } from '@shop/logging';
import { traceCarrier, type TraceCarrier } from '@shop/telemetry';
import { DEFAULT_SUBSCRIPTION_FAILOVER_MS } from '../config';

/** One event of an upstream subscription, as the subgraph sent it. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, unknown>;

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
  /** W3C trace context of the client's subscribe, when tracing is on (docs/tracing.md). */
  traceparent?: string;
  tracestate?: string;
}

export interface UpstreamPoolOptions {
  /** Subgraph name → the HTTP URL of its /graphql, as the gateway calls it. */
  routingUrls: ReadonlyMap<string, string>;
  /** Most graphql-ws sockets to one subgraph. */
  socketsPerSubgraph: number;
  keepAliveMs: number;
  /**
   * How long a lost socket's subscriptions may wait for a fresh socket before the loss is
   * reported to them (SUBSCRIPTION_FAILOVER_MS); 0 reports it at once.
   */
  failoverMs?: number;
  log: Logger;
}

/** The first retry after a lost socket waits up to this (jittered), then twice as long each time. */
export const FAILOVER_FIRST_RETRY_MS = 100;
/** The longest wait between two tries to reach a subgraph again. */
const FAILOVER_MAX_RETRY_MS = 1_000;
/** Subscriptions moved to a fresh socket at once; then the pool lets the subgraph breathe. */
const RESUBSCRIBE_BATCH = 100;
const RESUBSCRIBE_PAUSE_MS = 10;

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
  /** The subgraph acknowledged the socket (connection_ack) and it has not closed since. */
  connected: boolean;
  /** True once acknowledged; false if the socket closed before that. */
  ready: Promise<boolean>;
}

/** One subscription placed through the pool, over whichever sockets it has been on. */
interface Placed {
  subgraph: string;
  payload: SubscribePayload;
  caller: UpstreamCaller;
  sink: Sink<UpstreamEvent>;
  /** The socket it is on now (none while it waits for one). */
  slot?: Slot;
  /** Ends it on that socket. */
  leave?: () => void;
  /** The caller ended it, or its end was reported: nothing more reaches the sink. */
  ended: boolean;
  /** The trace it was started in, sent again on every socket it moves to. */
  trace?: TraceCarrier;
  /**
   * Since it lost a socket and until an event reaches it again: when that loss is reported,
   * and what the loss was. Cleared by an event, not by a socket that merely connects: a
   * replica that accepts and then drops every socket does not keep the loss untold.
   */
  deadline?: number;
  lost?: unknown;
}

/** A subgraph's subscriptions waiting for a fresh socket, and the one loop that moves them. */
interface Failover {
  waiting: Set<Placed>;
  running: boolean;
  /** Failed tries to reach the subgraph since it was last reached. */
  attempt: number;
}

/**
 * The router's upstream side: per subgraph, at most `socketsPerSubgraph` graphql-ws sockets
 * shared by every client connection, each opened with its first subscription, closed after
 * its last and replaced when lost; a new subscription goes to the socket carrying the
 * fewest. Identity travels with each `subscribe` (its caller's token in
 * `payload.extensions`), never with the socket. A lost socket's subscriptions are placed
 * again on another replica behind the same address, without a storm, within `failoverMs`.
 * Why it is built so, and how failover paces itself: README.md, "Resources, for many
 * subscribers" and "Failover: a replica that goes away".
 */
export class UpstreamPool {
  private readonly slots = new Map<string, (Slot | undefined)[]>();
  private readonly failovers = new Map<string, Failover>();
  private readonly failoverMs: number;
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {
    this.failoverMs = options.failoverMs ?? DEFAULT_SUBSCRIPTION_FAILOVER_MS;
  }

  /**
   * Starts `payload` on `subgraph` for `caller`; the sink hears its events, an upstream
   * error (the subgraph's GraphQL errors, or the close event of a socket lost for good) or
   * its end. `caller` is read again whenever the subscription moves to another socket.
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
    const placed: Placed = { subgraph, payload, caller, sink, ended: false, trace: traceCarrier() };
    this.place(placed, slots, leastLoaded(slots));
    return () => {
      if (placed.ended) return;
      placed.ended = true;
      this.failovers.get(subgraph)?.waiting.delete(placed);
      placed.leave?.();
    };
  }

  /** Per subgraph, the subscriptions waiting for a fresh socket (tests, diagnostics). */
  waitingForFailover(): Record<string, number> {
    const waiting: Record<string, number> = {};
    for (const [subgraph, failover] of this.failovers) waiting[subgraph] = failover.waiting.size;
    return waiting;
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
    // Those waiting for a socket end as the others do when their client is disposed.
    for (const failover of this.failovers.values()) {
      for (const placed of failover.waiting) {
        placed.ended = true;
        placed.sink.complete();
      }
      failover.waiting.clear();
    }
    const clients = [...this.slots.values()].flat().flatMap((slot) => slot?.client ?? []);
    this.slots.clear();
    // graphql-ws's dispose() answers a promise or nothing.
    await Promise.all(clients.map((client) => Promise.resolve(client.dispose())));
  }

  /** Subscribes `placed` on the socket in `slots[index]`, opening it if there is none. */
  private place(placed: Placed, slots: (Slot | undefined)[], index: number): Slot {
    const slot = slots[index] ?? this.open(placed.subgraph, slots, index);
    slot.active++;
    placed.slot = slot;
    let here = true;
    // False once this socket is done with the subscription (ended, or lost).
    const leaveSlot = () => {
      if (!here) return false;
      here = false;
      slot.active--;
      return true;
    };
    const { caller, payload, sink } = placed;
    const extensions: SubscriptionExtensions = {
      ...payload.extensions,
      authorization: caller.authorization,
      [REQUEST_ID_HEADER]: caller.requestId,
      'x-forwarded-for': caller.clientIp,
      ...placed.trace,
    };
    const unsubscribe = slot.client.subscribe(
      { ...payload, extensions },
      {
        next: (event) => {
          if (!here || placed.ended) return;
          placed.deadline = undefined;
          sink.next(event);
        },
        complete: () => {
          if (!leaveSlot() || placed.ended) return;
          placed.ended = true;
          sink.complete();
        },
        error: (error) => {
          if (!leaveSlot() || placed.ended) return;
          // An array is the subgraph refusing this one subscription: the socket is fine,
          // and the refusal is the answer.
          if (Array.isArray(error)) {
            placed.ended = true;
            sink.error(error);
            return;
          }
          // The socket is lost: the next subscriptions go to a fresh one. The lost client is
          // not disposed: graphql-ws would then complete, not error, the subscriptions it has
          // yet to tell, and those must move too.
          slot.connected = false;
          if (slots[index] === slot) slots[index] = undefined;
          this.failOver(placed, error);
        },
      },
    );
    placed.leave = () => {
      if (leaveSlot()) unsubscribe();
    };
    return slot;
  }

  /** `placed` lost its socket: it waits for another, or hears the loss when it may not. */
  private failOver(placed: Placed, error: unknown): void {
    placed.slot = undefined;
    placed.leave = undefined;
    if (this.closed || this.failoverMs <= 0) {
      placed.ended = true;
      placed.sink.error(error);
      return;
    }
    // The first loss is the one told: later tries fail only for want of a replica.
    if (placed.deadline === undefined) {
      placed.lost = error;
      placed.deadline = Date.now() + this.failoverMs;
    }
    let failover = this.failovers.get(placed.subgraph);
    if (!failover) {
      failover = { waiting: new Set(), running: false, attempt: 0 };
      this.failovers.set(placed.subgraph, failover);
    }
    failover.waiting.add(placed);
    if (!failover.running) void this.runFailover(placed.subgraph, failover);
  }

  /**
   * Moves a subgraph's waiting subscriptions to a socket that is up, one socket at a time,
   * until none waits: each round waits (jittered, longer after each failed try), reports
   * those whose time is up, and then either uses an acknowledged socket or tries a fresh one
   * with a single subscription first.
   */
  private async runFailover(subgraph: string, failover: Failover): Promise<void> {
    failover.running = true;
    const { log } = this.options;
    try {
      while (failover.waiting.size > 0 && !this.closed) {
        let earliest = Infinity;
        for (const placed of failover.waiting)
          earliest = Math.min(earliest, placed.deadline ?? Infinity);
        await sleep(Math.min(retryDelay(failover.attempt), Math.max(0, earliest - Date.now())));
        this.expire(subgraph, failover);
        const slots = this.slotsOf(subgraph);
        if (this.closed || !slots || failover.waiting.size === 0) break;

        let index = connectedSlot(slots);
        if (index === undefined) {
          // No socket is up: one fresh socket, tried with one subscription.
          const probe = failover.waiting.values().next().value as Placed;
          failover.waiting.delete(probe);
          index = leastLoaded(slots);
          const slot = this.place(probe, slots, index);
          if (!(await slot.ready)) {
            failover.attempt++;
            continue; // the probe is waiting again, by its own error
          }
        }
        const moved = await this.moveWaiting(failover, slots, index);
        failover.attempt = 0;
        log.info({ subgraph, moved }, 'upstream subscriptions moved to a fresh socket');
      }
    } finally {
      failover.running = false;
    }
  }

  /** Moves the waiting subscriptions onto `slots[index]` in batches, while it stays up. */
  private async moveWaiting(
    failover: Failover,
    slots: (Slot | undefined)[],
    index: number,
  ): Promise<number> {
    let moved = 0;
    for (;;) {
      const slot = slots[index];
      if (!slot?.connected || this.closed) return moved;
      const batch = [...failover.waiting].slice(0, RESUBSCRIBE_BATCH);
      if (batch.length === 0) return moved;
      for (const placed of batch) {
        failover.waiting.delete(placed);
        this.place(placed, slots, index);
      }
      moved += batch.length;
      await sleep(RESUBSCRIBE_PAUSE_MS);
    }
  }

  /** Reports the loss to the waiting subscriptions whose time is up. */
  private expire(subgraph: string, failover: Failover): void {
    const now = Date.now();
    const expired = [...failover.waiting].filter((p) => (p.deadline ?? Infinity) <= now);
    if (expired.length === 0) return;
    this.options.log.warn(
      { subgraph, subscriptions: expired.length, failoverMs: this.failoverMs },
      'no replica of the subgraph answered in time; ending its lost subscriptions',
    );
    for (const placed of expired) {
      failover.waiting.delete(placed);
      placed.ended = true;
      placed.sink.error(placed.lost);
    }
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
    // Each connection of the socket (graphql-ws `lazy` reconnects it for a subscription
    // after an idle close) gets its own `ready`.
    let settle: ((acknowledged: boolean) => void) | undefined;
    const readiness = () =>
      new Promise<boolean>((resolve) => {
        settle = resolve;
      });
    const client: Client = createClient({
      url: webSocketUrl(httpUrl),
      webSocketImpl: WebSocket,
      connectionParams: ROUTER_CONNECTION_PARAMS,
      // Closed as soon as its last subscription ends. (A grace period would be graphql-ws's
      // lazyCloseTimeout, whose timer outlives dispose() and holds a stopping router open.)
      lazy: true,
      lazyCloseTimeout: 0,
      // No reconnects by graphql-ws: it would resubscribe everything at once, unpaced. The
      // pool moves a lost socket's subscriptions itself (failOver).
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
        connecting: () => {
          if (!settle) slot.ready = readiness();
        },
        connected: () => {
          slot.connected = true;
          settle?.(true);
          settle = undefined;
        },
        closed: () => {
          clearTimeout(pongWait);
          slot.connected = false;
          settle?.(false);
          settle = undefined;
        },
      },
    });
    const slot: Slot = { client, active: 0, connected: false, ready: readiness() };
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

/** The least loaded socket that the subgraph has acknowledged, if any is. */
function connectedSlot(slots: readonly (Slot | undefined)[]): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    if (slot?.connected && (best === undefined || slot.active < slots[best]!.active)) best = i;
  }
  return best;
}

/**
 * The wait before try `attempt` (0 first) to reach a subgraph again: up to
 * FAILOVER_FIRST_RETRY_MS at first, so that many routers losing one replica at once do not
 * come back at once, then doubling up to FAILOVER_MAX_RETRY_MS, each at least half of it.
 */
function retryDelay(attempt: number): number {
  if (attempt === 0) return Math.random() * FAILOVER_FIRST_RETRY_MS;
  const ceiling = Math.min(FAILOVER_MAX_RETRY_MS, FAILOVER_FIRST_RETRY_MS * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** An unref'd wait: a pool that is closed does not hold the process open. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** graphql-ws hands a lost socket's close event to the sink; a ws CloseEvent has a code. */
export function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DELIVERY_UPDATED } from './operations';

export interface Received {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * One subscription's messages as they arrive: `next()` resolves with the next one, or with
 * `null` once the server completed the subscription.
 */
export interface Subscription {
  next(): Promise<Received | null>;
  unsubscribe(): void;
}

/** A graphql-ws client as a mobile app would open it (token in connection_init). */
export function connect(wsUrl: string, token?: string): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/**
 * A graphql-ws client as the router opens it: connection_init names no one, and each
 * subscription carries its own token in its extensions (see `subscribe`). `connections()`
 * counts the sockets it opened, `closes` the closes it saw.
 */
export function connectAsRouter(wsUrl: string): {
  client: Client;
  connections: () => number;
  closes: { code: number; reason: string }[];
} {
  let connections = 0;
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { client: 'shop-router' },
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => connections++,
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return { client, connections: () => connections, closes };
}

/** `extensions` travels in the subscribe message, as the router sends each client's token. */
export function subscribe(
  client: Client,
  orderId: string,
  extensions?: Record<string, unknown>,
): Subscription {
  const queue: (Received | null)[] = [];
  const waiting: ((r: Received | null) => void)[] = [];
  const push = (r: Received | null) => {
    const resolve = waiting.shift();
    if (resolve) resolve(r);
    else queue.push(r);
  };
  const unsubscribe = client.subscribe(
    { query: DELIVERY_UPDATED, variables: { orderId }, ...(extensions ? { extensions } : {}) },
    {
      next: (value) => push(value as Received),
      // An array: the server refused this subscription (graphql-ws `error` message), codes
      // and all. Anything else: the socket itself failed.
      error: (error) =>
        push({
          errors: Array.isArray(error)
            ? (error as Received['errors'])
            : [{ message: String((error as Error)?.message ?? error) }],
        }),
      complete: () => push(null),
    },
  );
  return {
    next: () =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise<Received | null>((resolve) => waiting.push(resolve)),
    unsubscribe,
  };
}

/**
 * Opens a raw graphql-transport-ws socket, sends connection_init with the payload and
 * resolves with how the server answered: `connection_ack`, or the close code and reason.
 */
export function handshake(
  wsUrl: string,
  payload: Record<string, unknown>,
): Promise<{ ack: true } | { code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        resolve({ ack: true });
        socket.close(1000);
      }
    });
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', reject);
  });
}

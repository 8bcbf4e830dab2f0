import {
  subscribe as feed,
  wsClient,
  type SubscriptionFeed,
  type SubscriptionMessage,
} from '@shop/test-harness';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DELIVERY_UPDATED } from './operations';

export type Received = SubscriptionMessage;
export type Subscription = SubscriptionFeed;

/** A graphql-ws client as a mobile app would open it (token in connection_init). */
export const connect = (wsUrl: string, token?: string): Client => wsClient(wsUrl, token);

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

/** deliveryUpdated(orderId); `extensions` travel in the subscribe message, as the router sends them. */
export function subscribe(
  client: Client,
  orderId: string,
  extensions?: Record<string, unknown>,
): Subscription {
  return feed(client, DELIVERY_UPDATED, { orderId }, extensions);
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

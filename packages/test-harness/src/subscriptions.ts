import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** One message of a subscription as a client sees it. */
export interface SubscriptionMessage {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * One subscription's messages in arrival order: `next()` resolves with the next message, or
 * with `null` once the server completed it. A refusal by the server (graphql-ws `error`
 * message) arrives as a message with its errors; a transport failure (socket closed with a
 * code) as a message with one error carrying `closeCode`.
 */
export interface SubscriptionFeed {
  next(timeoutMs?: number): Promise<SubscriptionMessage | null>;
  unsubscribe(): void;
}

/**
 * A graphql-ws client as a mobile app opens it: the bearer token in the connection_init
 * payload (`{ authorization: "Bearer …" }`), no automatic retries (a test wants to see a
 * refusal, not a reconnect loop).
 */
export function wsClient(url: string, token?: string): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** `extensions` travel in the subscribe message (as the router sends each client's token). */
export function subscribe(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
  extensions?: Record<string, unknown>,
): SubscriptionFeed {
  const queue: (SubscriptionMessage | null)[] = [];
  const waiting: ((m: SubscriptionMessage | null) => void)[] = [];
  const push = (m: SubscriptionMessage | null) => {
    const resolve = waiting.shift();
    if (resolve) resolve(m);
    else queue.push(m);
  };
  const unsubscribe = client.subscribe(
    { query, variables, ...(extensions ? { extensions } : {}) },
    {
      next: (value) => push(value as SubscriptionMessage),
      error: (error: unknown) => {
        if (Array.isArray(error)) {
          push({ errors: error as SubscriptionMessage['errors'] });
          return;
        }
        const close = error as { code?: number; reason?: string };
        push({
          errors: [
            typeof close?.code === 'number'
              ? { message: close.reason ?? '', extensions: { closeCode: close.code } }
              : { message: String((error as Error)?.message ?? error) },
          ],
        });
      },
      complete: () => push(null),
    },
  );
  return {
    next: (timeoutMs = 15_000) => {
      if (queue.length) return Promise.resolve(queue.shift()!);
      return new Promise<SubscriptionMessage | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiting.indexOf(deliver);
          if (i >= 0) waiting.splice(i, 1);
          reject(new Error(`no subscription message within ${timeoutMs} ms`));
        }, timeoutMs);
        const deliver = (m: SubscriptionMessage | null) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiting.push(deliver);
      });
    },
    unsubscribe,
  };
}

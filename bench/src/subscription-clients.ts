// Many graphql-ws clients following deliveryUpdated through the router, as the live-tracking
// benchmarks open them: each records when its live steps arrive (snapshots apart) and
// anything wrong with what arrived.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Role } from '@shop/auth';
import { AccessTokenSigner, KeySet, splitPems } from '../../subgraphs/users/src/domain/tokens';
import type { UsersInfo } from './subscription-stack';

/** A deliveryUpdated event as the benchmarks' documents select it. */
export interface DeliveryUpdate {
  snapshot?: boolean;
  event?: { status?: string; at?: string; location?: string | null };
  shipment?: {
    trackingNumber?: string;
    status?: string;
    order?: { status?: string; total?: { amount?: number } } | null;
  };
}

/** What one client subscribes to, and how it checks each message. */
export interface SubscriberSpec {
  authorization: string;
  query: string;
  variables: Record<string, unknown>;
  /** What is wrong with an update (snapshot or live), or undefined when it is right. */
  check: (update: DeliveryUpdate) => string | undefined;
}

/** One message as a client received it. */
export interface Received {
  at: number;
  snapshot: boolean;
  location?: string;
}

export interface Subscriber {
  client: Client;
  /** Every message, snapshots included, in the order they arrived. */
  messages: Received[];
  /** Receive time (performance.now()) of each live step, in order (snapshots not counted). */
  received: number[];
  /** Snapshots received (the first message of a subscription, where delivery sends one). */
  snapshots: number;
  /** Anything wrong with what arrived: errors, a wrong step, an early end. */
  problems: string[];
}

/** Clients opened at once; the next batch starts when this one is connected. */
export const BATCH = 250;

/** One app: its socket to the router and its subscription, recording each arrival. */
export function open(
  url: string,
  spec: SubscriberSpec,
): { subscriber: Subscriber; connected: Promise<void> } {
  let onConnected: () => void = () => undefined;
  let onFailed: (error: Error) => void = () => undefined;
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onFailed = reject;
  });
  const subscriber: Subscriber = {
    client: createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: spec.authorization },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          const problem = `socket closed: ${code} ${String(reason)}`;
          onFailed(new Error(problem));
          subscriber.problems.push(problem);
        },
      },
      onNonLazyError: () => undefined,
    }),
    messages: [],
    received: [],
    snapshots: 0,
    problems: [],
  };
  subscriber.client.subscribe(
    { query: spec.query, variables: spec.variables },
    {
      next: (message) => {
        const at = performance.now();
        const update = (message.data as { deliveryUpdated?: DeliveryUpdate } | null)
          ?.deliveryUpdated;
        // Where the order stands when the subscription starts: not a step of this run.
        if (update?.snapshot) subscriber.snapshots++;
        else subscriber.received.push(at);
        subscriber.messages.push({
          at,
          snapshot: update?.snapshot === true,
          location: update?.event?.location ?? undefined,
        });
        const problem = message.errors?.length
          ? `errors: ${JSON.stringify(message.errors).slice(0, 300)}`
          : update
            ? spec.check(update)
            : 'no deliveryUpdated in the message';
        if (problem)
          subscriber.problems.push(`${problem}: ${JSON.stringify(message).slice(0, 300)}`);
      },
      error: (error) =>
        subscriber.problems.push(`subscription error: ${JSON.stringify(error).slice(0, 300)}`),
      complete: () => subscriber.problems.push('subscription completed early'),
    },
  );
  return { subscriber, connected };
}

/**
 * Opens one client per spec in batches of BATCH, so the router takes a steady stream of
 * handshakes, not a storm; returns the seconds until every one was acknowledged.
 */
export async function connectAll(
  url: string,
  specs: SubscriberSpec[],
  subscribers: Subscriber[],
): Promise<number> {
  const started = performance.now();
  for (let first = 0; first < specs.length; first += BATCH) {
    const batch = specs.slice(first, first + BATCH).map((spec) => open(url, spec));
    subscribers.push(...batch.map((b) => b.subscriber));
    await Promise.all(batch.map((b) => b.connected));
  }
  return (performance.now() - started) / 1000;
}

export async function closeAll(subscribers: Subscriber[]): Promise<void> {
  for (let first = 0; first < subscribers.length; first += BATCH) {
    await Promise.all(subscribers.slice(first, first + BATCH).map(async (s) => s.client.dispose()));
  }
}

/**
 * Access tokens for many people at once, signed with users' own key as its login would sign
 * them (same claims, issuer, audience and kid): signing up and logging in ten thousand
 * accounts would measure password hashing, not live tracking.
 */
export function signUserTokens(
  users: UsersInfo,
  people: { userId: string; roles: Role[] }[],
): string[] {
  const signer = new AccessTokenSigner(
    KeySet.fromPems(splitPems(readFileSync(users.signingKeyFile, 'utf8'))),
    {
      issuer: users.issuer,
      audience: users.audience,
      serviceAudience: 'unused: no service tokens are signed here',
      accessTokenTtlSeconds: 3600,
    },
  );
  return people.map((p) => signer.forUser(p.userId, p.roles));
}

export { Role };
